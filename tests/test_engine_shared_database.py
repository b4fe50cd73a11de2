"""Two engine API nodes on one PostgreSQL database (SYMBL_ENGINE_DATABASE_URL) and one media folder: a client
may talk to either, as behind a load balancer. Tokens, conversations, jobs and results are the database's, and
either node's workers run any node's submissions."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine.server import EngineServer
from bot.engine.server.service import start_worker_node
from tests.engine_api_support import SAMPLE, ScriptedEngine, finished_job, running_engine, token_session
from tests.support.wait import wait_until

MESSAGES = [
    {"payload": {"content": "Marco, please send the release notes by Thursday."}, "from": {"name": "Priya"}},
    {"payload": {"content": "Sure, I will do that."}, "from": {"name": "Marco"}},
]


def node_settings(tmp_path: Path, name: str, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / name,
        allow_private_urls=True,
        engine_database_url=database_url,
        engine_media_url=(tmp_path / "media").as_uri(),  # shared, as an S3 bucket would be
        engine_workers=1,
    )


@pytest.fixture
def nodes(
    tmp_path, postgres_cluster
) -> Iterator[tuple[EngineServer, EngineServer, ScriptedEngine, ScriptedEngine]]:
    url = postgres_cluster.new_database()
    engines = ScriptedEngine(), ScriptedEngine()
    with ExitStack() as stack:
        a, b = (
            stack.enter_context(running_engine(node_settings(tmp_path, name, url), engine))
            for name, engine in zip(("a", "b"), engines, strict=True)
        )
        yield a, b, *engines


def test_a_token_from_one_node_reads_what_was_submitted_through_the_other(nodes):
    a, b, _, _ = nodes
    session = token_session(a.url)  # minted by node A
    submitted = session.post(
        f"{b.url}/v1/process/text", json={"name": "standup", "messages": MESSAGES}, timeout=10
    )
    assert submitted.status_code == 201, submitted.text
    body = submitted.json()
    assert finished_job(session, a.url, body["jobId"])["status"] == "completed"
    for node in (a, b):
        messages = session.get(f"{node.url}/v1/conversations/{body['conversationId']}/messages", timeout=10)
        assert [m["text"] for m in messages.json()["messages"]] == [m["payload"]["content"] for m in MESSAGES]
    # Another tenant's token, from either node, sees nothing of it.
    stranger = token_session(b.url, app_id="stranger")
    assert stranger.get(f"{a.url}/v1/conversations/{body['conversationId']}", timeout=10).status_code == 404


def test_each_nodes_worker_takes_jobs_submitted_anywhere(nodes):
    a, b, engine_a, engine_b = nodes
    for engine in (engine_a, engine_b):
        engine.gate.clear()  # each worker holds its first job until the gate opens
    session = token_session(a.url)
    first = session.post(f"{a.url}/v1/process/audio", data=SAMPLE.read_bytes(), timeout=30).json()
    wait_until(lambda: engine_a.started.is_set() or engine_b.started.is_set())
    # One node's only worker is busy: the second job, submitted through node B, is the other node's.
    second = session.post(f"{b.url}/v1/process/audio", data=SAMPLE.read_bytes(), timeout=30).json()
    wait_until(lambda: engine_a.started.is_set() and engine_b.started.is_set(), what="both nodes working")
    assert session.get(f"{b.url}/v1/job/{first['jobId']}", timeout=10).json()["status"] == "in_progress"
    engine_a.gate.set()
    engine_b.gate.set()
    for job in (first, second):
        for node in (a, b):
            assert finished_job(session, node.url, job["jobId"])["status"] == "completed"
        transcript = session.get(f"{b.url}/v1/conversations/{job['conversationId']}/messages", timeout=10)
        assert transcript.json()["messages"]
    assert len(engine_a.calls) == len(engine_b.calls) == 1  # each job ran once, on its own node


def test_an_api_node_without_workers_leaves_its_jobs_to_a_worker_node(tmp_path, postgres_cluster):
    """`symbl-bot engine --workers 0` beside `symbl-bot engine-worker` (start_worker_node): the API node
    only accepts and answers; the worker node, with no HTTP, runs what it accepted."""
    url = postgres_cluster.new_database()
    api_settings = dataclasses.replace(node_settings(tmp_path, "api", url), engine_workers=0)
    worker_engine = ScriptedEngine()
    with running_engine(api_settings, ScriptedEngine()) as api:
        session = token_session(api.url)
        job = session.post(f"{api.url}/v1/process/audio", data=SAMPLE.read_bytes(), timeout=30).json()
        time.sleep(1.0)  # long enough for a worker to have claimed it, had the API node one
        assert session.get(f"{api.url}/v1/job/{job['jobId']}", timeout=10).json()["status"] == "scheduled"
        worker = start_worker_node(node_settings(tmp_path, "worker", url), worker_engine)
        try:
            assert finished_job(session, api.url, job["jobId"])["status"] == "completed"
        finally:
            worker.close()
    assert len(worker_engine.calls) == 1


def test_symbl_bot_engine_worker_stops_cleanly_on_sigterm_mid_job(tmp_path, postgres_cluster):
    """The CLI itself (`symbl-bot engine-worker`, the packaged tiny.en model): SIGTERM once it has taken a job
    ends the process with status 0, and the job is either done or handed back (no lease left on it)."""
    import os
    import signal
    import subprocess
    import sys

    from bot.engine.store import Store

    url = postgres_cluster.new_database()
    api_settings = dataclasses.replace(node_settings(tmp_path, "api", url), engine_workers=0)
    env = {
        **os.environ,
        "SYMBL_BOT_DATA_DIR": str(tmp_path / "worker"),
        "SYMBL_ENGINE_DATABASE_URL": url,
        "SYMBL_ENGINE_MEDIA_URL": (tmp_path / "media").as_uri(),
        "SYMBL_ENGINE_MODEL": "tiny.en",
    }
    command = [sys.executable, "-c", "from bot.cli import main; main()", "engine-worker", "--workers", "1"]
    with running_engine(api_settings, ScriptedEngine()) as api:
        session = token_session(api.url)
        job = session.post(f"{api.url}/v1/process/audio", data=SAMPLE.read_bytes(), timeout=30).json()[
            "jobId"
        ]
        store = Store(url)
        with subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as worker:
            try:
                assert worker.stdout is not None and "worker(s) on cpu" in worker.stdout.readline()
                wait_until(lambda: store.job(job).status != "scheduled", timeout=60, what="the job taken")
                worker.send_signal(signal.SIGTERM)
                assert worker.wait(60) == 0, worker.stdout.read()
            finally:
                if worker.poll() is None:
                    worker.kill()
        with store.backend.read() as db:
            [(status, owner)] = db.execute(
                "SELECT status, lease_owner FROM jobs WHERE id = ?", [job]
            ).fetchall()
        store.close()
    assert (status, owner) in (("completed", None), ("in_progress", None)), (status, owner)
