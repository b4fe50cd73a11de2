"""Issue 23's acceptance run: engine worker processes killed with SIGKILL, one at random every 2 s, while 96
jobs over 24 conversations run, on the fixture's PostgreSQL and moto's S3 server on loopback.

One API node (in this process, no workers) takes the uploads: 24 new conversations, then three appends to
each.
Three worker processes (tests/support/engine_worker_process.py: the product's worker node, a stand-in
transcriber sleeping 0.25 s) take them; a killed one is replaced at once, as a supervisor would. Leases last
3 s, so a killed worker's job is taken over 3 s later. Triggers on the engine's tables count, in the
database itself, every transition to `completed` and every write of a conversation's results.

Every job must be `completed` exactly once with its result written once, every conversation's appends in
submission order, the bot told `completed` for every job both ways it can be (a bot store on the same database
listening as `symbl-bot worker` does, and the webhook: the outbox means a worker killed between its commit and
its POST loses nothing), the outbox empty, and the bucket empty.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine.store import JOB_STATUS_CHANNEL, Store
from storage import open_store
from tests.engine_api_support import SAMPLE, running_engine, tagged_jobs, token_session
from tests.support.http import WebhookReceiver
from tests.support.s3 import CREDENTIALS, S3Server
from tests.support.wait import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.engine]

ROOT = Path(__file__).resolve().parent.parent
JOBS, CONVERSATIONS, WORKERS = 96, 24, 3
KILL_EVERY_SECONDS = 2.0
LEASE_SECONDS = 3.0
STAND_IN_SECONDS = 0.25
MAX_STARTS = 50

AUDIT = """
CREATE TABLE engine.audit (kind TEXT NOT NULL, job_id TEXT NOT NULL);
CREATE FUNCTION engine.audit_completed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO engine.audit VALUES ('completed', NEW.id); RETURN NEW; END $$;
CREATE TRIGGER audit_completed AFTER UPDATE OF status ON engine.jobs FOR EACH ROW
    WHEN (NEW.status = 'completed' AND OLD.status <> 'completed') EXECUTE FUNCTION engine.audit_completed();
CREATE FUNCTION engine.audit_result() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO engine.audit VALUES ('result', NEW.last_job_id); RETURN NEW; END $$;
CREATE TRIGGER audit_result AFTER UPDATE OF messages ON engine.conversations FOR EACH ROW
    EXECUTE FUNCTION engine.audit_result();
"""


class Workers:
    """WORKERS worker processes; `kill_one()` kills one at random with SIGKILL and starts its replacement."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.started = 0
        self.killed = 0
        self.processes = [self._start() for _ in range(WORKERS)]

    def _start(self) -> subprocess.Popen:
        self.started += 1
        env = {**self.env, "SYMBL_BOT_DATA_DIR": str(self.folder / f"worker{self.started}")}
        with (self.folder / f"worker{self.started}.log").open("w") as log:  # the child keeps its own copy
            return subprocess.Popen(
                [sys.executable, "-m", "tests.support.engine_worker_process", str(STAND_IN_SECONDS)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def kill_one(self, rng: random.Random) -> None:
        index = rng.randrange(len(self.processes))
        self.processes[index].send_signal(signal.SIGKILL)
        self.processes[index].wait(10)
        self.killed += 1
        self.processes[index] = self._start()

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def s3() -> Iterator[S3Server]:
    pytest.importorskip("moto", reason="the [test] extra's moto[server] is not installed")
    saved = {k: os.environ.get(k) for k in CREDENTIALS}
    os.environ.update(CREDENTIALS)  # boto3's standard chain finds moto's credentials here
    server = S3Server()
    yield server
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_engine_workers_killed_every_two_seconds_complete_every_job_exactly_once(
    tmp_path, postgres_cluster, s3
):
    import psycopg

    database, bucket = postgres_cluster.new_database(), s3.new_bucket()
    media_url = f"s3://{bucket}/media"
    api_settings = Settings(
        data_dir=tmp_path / "api",
        allow_private_urls=True,  # the webhook receiver is on loopback
        engine_database_url=database,
        engine_media_url=media_url,
        engine_s3_endpoint_url=s3.url,
        engine_workers=0,
        engine_lease_seconds=LEASE_SECONDS,
        engine_max_starts=MAX_STARTS,  # every node's heartbeat may give up on a job: the same count on all
    )
    hooks = WebhookReceiver()  # the bot's webhook endpoint, as a stand-in that keeps what it is sent
    notified: Counter[tuple[str, str]] = Counter()

    def heard(payload: str) -> None:
        notice = json.loads(payload)
        notified[(notice["jobId"], notice["status"])] += 1

    bot_store = open_store(database)  # the bot's own store and listener, on the database the engine shares
    bot_store.listen(lambda: None, {JOB_STATUS_CHANNEL: heard})
    with running_engine(api_settings) as api:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(AUDIT)
        session = token_session(api.url)
        audio = SAMPLE.read_bytes()
        hook = f"{hooks.base}/hook"
        order: dict[str, list[str]] = {}  # conversation → its jobs in submission order
        for index in range(JOBS):
            if index < CONVERSATIONS:
                answer = session.post(f"{api.url}/v1/process/audio", data=audio, params={"webhookUrl": hook},
                                      timeout=60)  # fmt: skip
                order[answer.json()["conversationId"]] = []
            else:
                cid = list(order)[index % CONVERSATIONS]
                answer = session.put(f"{api.url}/v1/process/audio/{cid}", data=audio,
                                     params={"webhookUrl": hook}, timeout=60)  # fmt: skip
            assert answer.status_code in (200, 201), answer.text
            order[answer.json()["conversationId"]].append(answer.json()["jobId"])
        assert len(s3.keys(bucket)) == JOBS

        env = {
            **os.environ,
            **CREDENTIALS,
            "SYMBL_ENGINE_DATABASE_URL": database,
            "SYMBL_ENGINE_MEDIA_URL": media_url,
            "SYMBL_ENGINE_S3_ENDPOINT_URL": s3.url,
            "SYMBL_ENGINE_LEASE_SECONDS": str(LEASE_SECONDS),
            # Kills at random hit a few jobs more than twice in a run: the give-up count is not what this
            # run is about (tests/test_engine_store_backends.py checks it).
            "SYMBL_ENGINE_MAX_STARTS": str(MAX_STARTS),
            "SYMBL_ALLOW_PRIVATE_URLS": "1",
        }
        workers = Workers(env, tmp_path)
        store = Store(database)
        rng = random.Random(23)
        try:
            deadline = time.monotonic() + 600
            while sum(j.status == "completed" for j in store.jobs()) < JOBS:
                assert time.monotonic() < deadline, "the jobs did not all complete in 10 minutes"
                assert not [j.id for j in store.jobs() if j.status == "failed"]
                time.sleep(KILL_EVERY_SECONDS)
                workers.kill_one(rng)
            # Every notice sent (a killed sender's, once its claim ends) and every uncleared media swept.
            wait_until(lambda: store.unsent_notices() == 0 and not s3.keys(bucket), timeout=120,
                       what="the outbox and the bucket empty")  # fmt: skip
        finally:
            workers.stop()
            hooks_received = Counter((body["jobId"], body["status"]) for body in hooks.received)
            hooks.close()
            bot_store.close()

        with psycopg.connect(database, autocommit=True) as conn:
            audit = Counter(conn.execute("SELECT kind, job_id FROM engine.audit").fetchall())
        jobs = list(store.jobs())
        store.close()

        assert workers.killed >= 5, "the run ended before the chaos did anything"
        assert {j.status for j in jobs} == {"completed"} and len(jobs) == JOBS
        assert all(audit[("completed", j.id)] == 1 for j in jobs), "a job was completed twice"
        assert all(audit[("result", j.id)] == 1 for j in jobs), "a result was written twice"
        for cid, submitted in order.items():
            messages = session.get(f"{api.url}/v1/conversations/{cid}/messages", timeout=30).json()[
                "messages"
            ]
            assert tagged_jobs(messages) == submitted, f"conversation {cid}'s appends are out of order"
        assert all(hooks_received.get((j.id, "completed"), 0) >= 1 for j in jobs), "a webhook was lost"
        assert all(notified[(j.id, "completed")] == 1 for j in jobs), "a NOTIFY was lost or sent twice"
        assert s3.keys(bucket) == []
        print(f"chaos: {workers.killed} workers killed, {sum(hooks_received.values())} webhooks received")
