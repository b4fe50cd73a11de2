"""`symbl-bot engine-worker` with the stand-in transcriber, as a process a chaos test can `kill -9`:

    python -m tests.support.engine_worker_process SECONDS [GO_FILE]

The worker node is the product's (`start_worker_node`: the store, media store, queue, leases, heartbeat and
outbox sender the CLI starts, configured from the environment as the CLI is); only speech-to-text is
`SleepingEngine`, which sleeps SECONDS per job instead of loading a model. Prints `ready` once its workers
run; SIGTERM stops it cleanly, as the CLI's does. With GO_FILE it prints `waiting` once imported and starts
its workers only when that file exists: a benchmark starts every node at one moment, not at each one's import.

With ENGINE_WORKER_UNFENCED=1 in its environment the worker claims and ends jobs as an engine without leases
would: it selects the oldest runnable job and then marks it its own, in two statements, and writes a job's end
whoever holds the job. Only the chaos test's negative control runs it, to show that its checks see the
duplicates that follow.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from bot.config import Settings
from bot.engine import store as engine_store
from bot.engine.server.service import start_worker_node
from bot.slack.ops import lifeline
from tests.engine_api_support import SleepingEngine

UNFENCED = "ENGINE_WORKER_UNFENCED"


def _unfenced_claim(
    self: engine_store.Store, lease_owner: str, seconds: float, max_starts: int, now: float | None = None
) -> engine_store.Job | None:
    """Store.claim without its one statement: two workers that select in the same moment both take the job."""
    now = time.time() if now is None else now
    with self._read() as db:
        row = db.execute(
            f"SELECT j.id FROM jobs j WHERE {engine_store._RUNNABLE} AND "
            f"{engine_store._FIRST_OF_ITS_CONVERSATION} ORDER BY j.seq LIMIT 1",
            [now, now, max_starts],
        ).fetchone()
    if row is None:
        return None
    with self._tx() as db:
        db.execute(
            "UPDATE jobs SET status = 'in_progress', retry_at = NULL, updated_at = ?, lease_owner = ?, "
            "lease_until = ?, starts = coalesce(starts, 0) + 1 WHERE id = ?",
            [now, lease_owner, now + seconds, row[0]],
        )
    return self.job(row[0])


def _remove_the_fence() -> None:
    engine_store.Store.claim = _unfenced_claim  # type: ignore[method-assign]
    engine_store._hold = lambda db, job_id, lease_owner: None


def main() -> None:
    if os.environ.get(UNFENCED) == "1":
        _remove_the_fence()
    settings, engine = Settings.from_env(), SleepingEngine(float(sys.argv[1]))
    if len(sys.argv) > 2:
        print("waiting", flush=True)
        while not Path(sys.argv[2]).exists():
            time.sleep(0.01)
    node = start_worker_node(settings, engine)
    print("ready", flush=True)
    wait_for_sigterm()
    node.close()


def wait_for_sigterm() -> None:
    """Block until SIGTERM: the node then stops cleanly, as the CLI's does (and through the CLI's helper)."""
    stopped = threading.Event()
    lifeline.on_stop_signals(stopped.set, signal.SIGTERM)
    stopped.wait()


if __name__ == "__main__":
    main()
