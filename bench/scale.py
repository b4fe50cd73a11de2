"""Scale figures on PostgreSQL: throughput with 1, 2 and 4 `symbl-bot worker` processes, created → posted.

    python bench/scale.py [--recordings 200] [--workers 1 2 4] [--latency-ms 50]
    python bench/scale.py --engine [bench/engine_scale.py's options]   (the engine's workers: issue 23)

A throwaway PostgreSQL cluster (tests/support/postgres.py, as the tests start it), the fake Slack and the stub
Symbl in this process with `--latency-ms` added to every request (the steps are I/O-bound, as they are against
the real services: a download, an upload, polls, a post), and N real `symbl-bot worker` processes claiming
the same database. Recordings are written as the web process's ack path writes them (`record`) all at once,
then the workers are started; the figures are recordings per second from the workers' start to the last
post, and each recording's created → posted time. Figures go to stdout as Markdown for bench/README.md.

Ack latency on PostgreSQL beside SQLite: `python bench/slack.py --postgres` (the same harness as SQLite's).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import open_store  # noqa: E402
from storage import recordings as repo  # noqa: E402
from tests.slack_fakes import FakeSlack  # noqa: E402
from tests.suite_support import bot_env, free_port  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402
from tests.support.symbl import StubSymbl  # noqa: E402

CHANNEL = "C0BENCH"


class SlowSlack(FakeSlack):
    latency = 0.0

    def handle(self, h: Any, raw: bytes) -> None:
        time.sleep(self.latency)
        super().handle(h, raw)


class SlowSymbl(StubSymbl):
    latency = 0.0

    def handle(self, h: Any, raw: bytes) -> None:
        time.sleep(self.latency)
        super().handle(h, raw)


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def run(
    cluster: PostgresCluster, workers: int, recordings: int, latency: float, tmp: Path
) -> dict[str, float]:
    slack, symbl = SlowSlack(rate_limits=False), SlowSymbl()
    slack.latency = symbl.latency = latency
    url = cluster.new_database()
    store = open_store(url)
    processes: list[subprocess.Popen] = []
    try:
        audio = b"ID3" + b"\0" * 256
        files = [slack.add_file(f"FB{i:05d}", f"bench-{i}.mp3", audio) for i in range(recordings)]
        for n in range(workers):
            env = bot_env(tmp / f"w{workers}-{n}", slack, symbl, free_port(), SYMBL_BOT_DATABASE_URL=url,
                          SYMBL_BOT_LOG_LEVEL="WARNING")  # fmt: skip
            log = (tmp / f"w{workers}-{n}.log").open("ab")
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot", "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            )
        _wait_listening(store, workers)  # started and idle: their start-up is not in the figures
        started = time.time()
        for i, file in enumerate(files):
            repo.record(store, team_id="T0TEAM", channel_id=CHANNEL, source=file["id"],
                        message_ts=f"1.{i:05d}", name=file["name"],
                        download_url=file["url_private_download"], size=len(audio))  # fmt: skip
        store.wake_others()
        while True:
            rows = repo.rows(store, "channel_id = ?", [CHANNEL])
            if all(r.state == "posted" for r in rows):
                break
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"a worker exited; see {tmp}")
            time.sleep(0.2)
        lags = [r.updated_at - r.created_at for r in rows]
        finished = max(r.updated_at for r in rows)
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(30)
        store.close()
        slack.close()
        symbl.close()
    return {
        "per_second": recordings / (finished - started),
        "p50": pct(lags, 50),
        "p99": pct(lags, 99),
        "seconds": finished - started,
    }


def _wait_listening(store: Any, workers: int) -> None:
    """Until every worker listens for wake-ups (its last start-up step)."""
    while True:
        with store.read() as db:
            listening = db.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' "
                "AND datname = current_database()"
            ).fetchone()[0]
        if listening >= workers:
            return
        time.sleep(0.1)


def main() -> None:
    if "--engine" in sys.argv[1:]:  # the engine's worker nodes are measured by their own harness
        sys.argv.remove("--engine")
        import engine_scale  # noqa: PLC0415 — bench/ is on the path when run as a script

        engine_scale.main()
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--recordings", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--latency-ms", type=float, default=50.0, help="added to every fake Slack/Symbl request"
    )
    args = parser.parse_args()
    cluster = PostgresCluster()
    results: dict[int, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for workers in args.workers:
                results[workers] = run(cluster, workers, args.recordings, args.latency_ms / 1000, Path(tmp))
    finally:
        cluster.stop()
    base = results[args.workers[0]]["per_second"]
    print(
        f"### Throughput on PostgreSQL ({args.recordings} recordings, stub Symbl and fake Slack with "
        f"{args.latency_ms:g} ms per request, `symbl-bot worker` processes, 4 step threads each)\n"
    )
    print("| workers | seconds | recordings/s | × 1 worker | created → posted p50 s | p99 s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for workers, r in results.items():
        print(
            f"| {workers} | {r['seconds']:.1f} | {r['per_second']:.1f} | {r['per_second'] / base:.2f}× | "
            f"{r['p50']:.1f} | {r['p99']:.1f} |"
        )


if __name__ == "__main__":
    main()
