"""The embedded engine (`symbl-bot engine` on one machine: API and workers in one process, SQLite, local disk)
killed with SIGKILL at random moments while its jobs run, and started again on the same data directory each
time, as a supervisor would.

Every accepted job must be `completed` exactly once with its result written once (SQLite triggers in the
engine's own file count both), every conversation's appends in submission order, the bot's webhook told
`completed` for every job (the outbox survives the kills), the outbox empty and no upload left on disk (one a
kill left behind is deleted when the engine starts again).
tests/test_engine_chaos.py is the same run for worker processes on a shared PostgreSQL.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.engine_api_support import submit_with_appends, tagged_jobs, token_session
from tests.support.http import WebhookReceiver
from tests.support.wait import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.engine]

ROOT = Path(__file__).resolve().parent.parent
JOBS, CONVERSATIONS = 48, 12
STAND_IN_SECONDS = 0.25
MAX_STARTS = 50  # kills at random hit some jobs more than twice: the give-up count is not what this is about
KILL_AFTER_SECONDS = (0.3, 2.0)  # how long each start lives, drawn at random

AUDIT = """
CREATE TABLE IF NOT EXISTS audit (kind TEXT NOT NULL, job_id TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_completed AFTER UPDATE OF status ON jobs FOR EACH ROW
    WHEN NEW.status = 'completed' AND OLD.status <> 'completed'
    BEGIN INSERT INTO audit VALUES ('completed', NEW.id); END;
CREATE TRIGGER IF NOT EXISTS audit_result AFTER UPDATE OF messages ON conversations FOR EACH ROW
    BEGIN INSERT INTO audit VALUES ('result', NEW.last_job_id); END;
"""


class Node:
    """The engine process; `restart(kill=True)` kills it with SIGKILL and starts it again."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.starts = 0
        self.killed = 0
        self.process, self.url = self._start()

    def _start(self) -> tuple[subprocess.Popen, str]:
        self.starts += 1
        log = (self.folder / f"engine{self.starts}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.engine_node_process", str(STAND_IN_SECONDS)],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
        log.close()  # the child keeps its own copy
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), f"the engine did not start: {url!r}"
        return process, url

    def kill_and_start(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._close()
        self.killed += 1
        self.process, self.url = self._start()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self._close()

    def _close(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()


def _rows(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def test_the_embedded_engine_killed_at_random_completes_every_job_exactly_once(tmp_path):
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYMBL_", "DATABASE_URL"))}
    env |= {
        "SYMBL_BOT_DATA_DIR": str(data_dir),
        "SYMBL_ENGINE_MAX_STARTS": str(MAX_STARTS),
        "SYMBL_ALLOW_PRIVATE_URLS": "1",  # the webhook receiver is on loopback
    }
    database = data_dir / "engine.db"
    hooks = WebhookReceiver()
    node = Node(env, tmp_path)
    try:
        with sqlite3.connect(database, timeout=30) as conn:
            conn.executescript(AUDIT)
        session = token_session(node.url)
        order = submit_with_appends(session, node.url, JOBS, CONVERSATIONS, f"{hooks.base}/hook")

        rng = random.Random(23)
        deadline = time.monotonic() + 300

        def statuses() -> Counter[str]:
            return Counter(status for (status,) in _rows(database, "SELECT status FROM jobs"))

        while statuses()["completed"] < JOBS:
            assert time.monotonic() < deadline, f"the jobs did not all complete in 5 minutes: {statuses()}"
            failed = "SELECT id, message FROM jobs WHERE status = 'failed'"
            assert statuses()["failed"] == 0, _rows(database, failed)
            time.sleep(rng.uniform(*KILL_AFTER_SECONDS))
            node.kill_and_start()
        wait_until(
            lambda: _rows(database, "SELECT count(*) FROM job_notices") == [(0,)], timeout=120,
            what="the outbox empty",
        )  # fmt: skip
        session = token_session(node.url)  # tokens outlive restarts; a fresh one is simply shorter code
        stored = {
            cid: tagged_jobs(
                requests.get(
                    f"{node.url}/v1/conversations/{cid}/messages", timeout=30, headers=session.headers
                ).json()["messages"]
            )  # fmt: skip
            for cid in order
        }
    finally:
        node.stop()
        webhooks = Counter((body["jobId"], body["status"]) for body in hooks.received)
        hooks.close()

    audit = Counter(_rows(database, "SELECT kind, job_id FROM audit"))
    [(interrupted,)] = _rows(database, "SELECT count(*) FROM jobs WHERE starts > 1")
    jobs = [job_id for ids in order.values() for job_id in ids]
    assert node.killed >= 5 and interrupted > 0, "the run ended before the chaos did anything"
    assert all(audit[("completed", j)] == 1 for j in jobs), "a job was completed twice"
    assert all(audit[("result", j)] == 1 for j in jobs), "a result was written twice"
    assert stored == order, "a conversation's appends are out of order"
    assert all(webhooks[(j, "completed")] >= 1 for j in jobs), "a webhook was lost"
    media = data_dir / "engine" / "media"
    assert [p for p in media.rglob("*") if p.is_file()] == []
    print(f"sqlite chaos: {node.killed} kills, {interrupted} jobs interrupted, {webhooks.total()} webhooks")
