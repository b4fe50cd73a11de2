"""Engine scale figures (issue 23): jobs per second with 1, 2 and 4 engine worker nodes on one PostgreSQL and
one S3 stand-in, beside the API node that accepted the jobs.

    python bench/engine_scale.py [--jobs 96] [--conversations 24] [--workers 1 2 4] [--sleep 0.25]
    python bench/engine_scale.py --real tiny.en --jobs 8 --conversations 4 --workers 1 2

A throwaway PostgreSQL cluster (tests/support/postgres.py, as the tests start it) and moto's S3 server on
loopback (tests/support/s3.py). For each worker count: a fresh database and bucket; one API node
(`symbl-bot engine --workers 0`, in this process) takes `--jobs` uploads of the sample recording over
`--conversations` conversations (the first job of each a new conversation, the rest appends, which run in
order); then N worker nodes (`symbl-bot engine-worker`'s `start_worker_node`, one worker each) start at one
moment, and the figure is jobs per second from then to the last job completed. With the stand-in transcriber
(sleeping `--sleep` seconds) each node is its own process, as on its own machine
(tests/support/engine_worker_process.py). `--real MODEL` transcribes for real instead, with the nodes in this
process: on a 2-core machine that is CPU-bound and is reported, not expected to scale. Markdown to stdout,
ratios against one worker in the same run.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.engine.core import Engine  # noqa: E402
from bot.engine.server.service import start_worker_node  # noqa: E402
from tests.engine_api_support import SAMPLE, SleepingEngine, running_engine, token_session  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402
from tests.support.s3 import CREDENTIALS, S3Server  # noqa: E402


def node_settings(folder: Path, database: str, bucket: str, s3: S3Server, workers: int) -> Settings:
    return Settings(
        data_dir=folder,
        allow_private_urls=True,
        engine_database_url=database,
        engine_media_url=f"s3://{bucket}/media",
        engine_s3_endpoint_url=s3.url,
        engine_workers=workers,
    )


class WorkerProcess:
    """One worker node as its own process (tests/support/engine_worker_process.py), as on its own machine."""

    def __init__(self, env: dict[str, str], seconds: float, go: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.engine_worker_process", str(seconds), str(go)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "waiting":
            raise SystemExit("a worker process did not start")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def worker_processes(
    count: int, seconds: float, database: str, bucket: str, s3: S3Server, tmp: Path
) -> tuple[list[WorkerProcess], float]:
    """`count` worker processes, imported and waiting, then started at one moment; (them, that moment)."""
    go = tmp / f"go-{count}"
    processes = []
    for n in range(count):
        env = {
            **os.environ,
            "SYMBL_BOT_DATA_DIR": str(tmp / f"w{count}-{n}"),
            "SYMBL_ENGINE_DATABASE_URL": database,
            "SYMBL_ENGINE_MEDIA_URL": f"s3://{bucket}/media",
            "SYMBL_ENGINE_S3_ENDPOINT_URL": s3.url,
            "SYMBL_ENGINE_WORKERS": "1",
        }
        processes.append(WorkerProcess(env, seconds, go))
    go.touch()
    return processes, time.perf_counter()


def run(workers: int, args: argparse.Namespace, cluster: PostgresCluster, s3: S3Server, tmp: Path) -> float:
    """Seconds from the worker nodes' start to the last of `args.jobs` jobs completed."""
    database, bucket = cluster.new_database(), s3.new_bucket()
    speech = lambda: Engine(args.real) if args.real else SleepingEngine(args.sleep)  # noqa: E731
    api_settings = node_settings(tmp / f"api{workers}", database, bucket, s3, workers=0)
    with running_engine(api_settings, speech()) as api:
        session = token_session(api.url)
        audio = SAMPLE.read_bytes()
        jobs: list[str] = []
        conversations: list[str] = []
        for index in range(args.jobs):
            slot = index % args.conversations
            if slot < len(conversations):
                answer = session.put(
                    f"{api.url}/v1/process/audio/{conversations[slot]}", data=audio, timeout=60
                )
            else:
                answer = session.post(f"{api.url}/v1/process/audio", data=audio, timeout=60)
                conversations.append(answer.json()["conversationId"])
            answer.raise_for_status()
            jobs.append(answer.json()["jobId"])
        if args.real:
            started = time.perf_counter()
            nodes = [
                start_worker_node(
                    node_settings(tmp / f"w{workers}-{n}", database, bucket, s3, workers=1), speech()
                )
                for n in range(workers)
            ]
        else:
            nodes, started = worker_processes(workers, args.sleep, database, bucket, s3, tmp)
        try:
            pending = set(jobs)
            while pending:
                for job in list(pending):
                    status = session.get(f"{api.url}/v1/job/{job}", timeout=10).json()["status"]
                    if status == "failed":
                        raise SystemExit(f"job {job} failed")
                    if status == "completed":
                        pending.discard(job)
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        finally:
            for node in nodes:
                node.close()
    left = s3.keys(bucket)
    if left:
        raise SystemExit(f"{len(left)} objects left in the bucket after every job ended")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=96)
    parser.add_argument("--conversations", type=int, default=24)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--sleep", type=float, default=0.25, help="the stand-in transcriber's seconds per job"
    )
    parser.add_argument("--real", default="", help="a speech model (tiny.en, base) instead of the stand-in")
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)  # boto3's standard chain finds moto's credentials here
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
    cluster, s3 = PostgresCluster(), S3Server()
    try:
        with tempfile.TemporaryDirectory(prefix="engine-scale-") as tmp:
            seconds = {n: run(n, args, cluster, s3, Path(tmp)) for n in args.workers}
    finally:
        s3.stop()
        cluster.stop()
    what = f"the real {args.real}" if args.real else f"a stand-in transcriber sleeping {args.sleep} s"
    print(
        f"`python bench/engine_scale.py{' --real ' + args.real if args.real else ''}`: {args.jobs} jobs over "
        f"{args.conversations} conversations, {what}, one PostgreSQL, moto's S3 on loopback, bucket empty "
        "after each run.\n"
    )
    print("| worker nodes | seconds | jobs / s | × one worker |")
    print("|---:|---:|---:|---:|")
    base = args.jobs / seconds[args.workers[0]]
    for n in args.workers:
        rate = args.jobs / seconds[n]
        print(f"| {n} | {seconds[n]:.1f} | {rate:.2f} | {rate / base:.2f} |")


if __name__ == "__main__":
    main()
