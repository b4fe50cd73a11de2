"""The web process's side of the background worker process (bot.slack.worker): start it, hear its state,
forward wakes to it, restart it when it dies, stop it on shutdown.

Why a process: Slack wants every event acknowledged within 3 s, and the bot writes the recording's row before
the ack. With the scheduler's steps (downloads, uploads, polls, posts) in the same interpreter, measured in
bench/slack.py, acks waited for the interpreter lock behind them (2.2× a bare Bolt app at p50). In a child
process, lowered in CPU priority, they share nothing with the acks but the SQLite file.

- **Spawned**, not forked: the web process has threads (waitress, Bolt), and a forked child would inherit
  their locks mid-use. The child gets its end of the pipe and the `Settings`, and builds everything itself.
- **Restarted with backoff** (1 s doubling to 30 s, back to 1 s once a worker has lived a minute). The
  scheduler lease (bot.slack.ops.lease) is held by the worker, so "exactly one process polls" holds across
  restarts (the kernel frees a killed worker's lock) and across extra web processes (their workers stand by).
- **No orphans**: `stop()` sends SIGTERM (the worker stops its poller, waiting for steps under way, at most
  `worker.STOP_SECONDS`) and kills it if that takes longer than `STOP_SECONDS`; a worker whose web process
  died (even by SIGKILL) stops by itself within `worker.STOP_SECONDS` (bot.slack.ops.lifeline says how).
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import threading
import time
from multiprocessing.connection import wait as wait_ready
from typing import Any

from bot.config import Settings
from bot.errors import ProviderUnavailable
from bot.providers.symbl.client import SymblClient
from bot.slack import worker
from bot.slack.ops import worker_link
from bot.slack.ops.health import BackgroundState

log = logging.getLogger(__name__)

FIRST_RESTART_SECONDS = 1.0
MAX_RESTART_SECONDS = 30.0
STABLE_SECONDS = 60.0  # a worker that ran this long before dying restarts after the shortest backoff again
STOP_SECONDS = worker.STOP_SECONDS + 2  # SIGTERM → this long for steps under way → SIGKILL
READY_SECONDS = 120.0  # start() waits this long for the first worker's first report (the engine starts first)


class EngineViaWorker:
    """The provider for the calls the web process makes itself (`/symbl delete`) when the embedded engine
    runs in the worker: a `SymblClient` for the engine URL the worker last reported (a restarted worker's
    engine listens on a new port). Before any report, calls raise `ProviderUnavailable` (transient)."""

    def __init__(self) -> None:
        self._client: SymblClient | None = None

    @property
    def url(self) -> str | None:
        return self._client.base_url if self._client else None

    def use(self, url: str) -> None:
        if self.url != url.rstrip("/"):
            self._client = SymblClient.local(url)

    def __getattr__(self, name: str) -> Any:  # the Provider methods of the current client
        if name.startswith("_"):
            raise AttributeError(name)
        if self._client is None:
            raise ProviderUnavailable("the speech engine is starting; try again in a minute")
        return getattr(self._client, name)


class WorkerSupervisor:
    def __init__(self, settings: Settings, engine: EngineViaWorker | None = None) -> None:
        self._settings = settings
        self._engine = engine
        self._context = multiprocessing.get_context("spawn")
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._process: Any = None  # multiprocessing.Process of the current worker
        self._link: Any = None  # our end of its pipe
        self._state: BackgroundState | None = None
        self._thread: threading.Thread | None = None
        self.restarts = 0

    # --- what the web process calls ---

    def start(self, ready_timeout: float = READY_SECONDS) -> None:
        """Start the worker and its monitor; wait (bounded) for its first report so /healthz and the engine
        URL are known before Slack's requests are served."""
        self._thread = threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True)
        self._thread.start()
        if not self._ready.wait(ready_timeout):
            log.error("background worker: no report within %.0f s; serving anyway", ready_timeout)

    def wake(self) -> None:
        """Ask the worker's scheduler for a tick now. Never blocks: if the pipe is full, ticks are pending."""
        self._send({"op": "wake"})

    def poll_now(self, recording_id: int) -> None:
        """Tell the worker a row is due now (the caller has written that to the row already)."""
        self._send({"op": "poll_now", "id": recording_id})

    def state(self) -> BackgroundState:
        with self._lock:
            process, state = self._process, self._state
        alive = process is not None and process.is_alive()
        worker = {"ok": alive, "pid": process.pid if alive else None, "restarts": self.restarts}
        if not alive or state is None:
            engine = {"ok": False, "provider": "symbl" if self._settings.uses_symbl_cloud else "embedded"}
            return BackgroundState(scheduler="down", engine=engine, worker=worker)
        return dataclasses.replace(state, worker=worker)

    def stop(self) -> None:
        """SIGTERM the worker, wait for it (killing it after `STOP_SECONDS`), and end the monitor."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None:
            self._end(process)
        if self._thread is not None:
            self._thread.join(STOP_SECONDS + 5)

    # --- the monitor thread ---

    def _send(self, message: dict[str, Any]) -> None:
        link = self._link
        if link is None:
            return  # between workers: the next one's first tick picks up whatever is due
        try:
            worker_link.send(link, message, wait=False)
        except OSError:  # the worker just died; the monitor restarts it
            pass

    def _supervise(self) -> None:
        delay = FIRST_RESTART_SECONDS
        while not self._stopping.is_set():
            started = time.monotonic()
            process, link = self._spawn()
            self._listen(process, link)
            process.join(STOP_SECONDS)
            with self._lock:
                self._link = None
                self._state = None
            link.close()
            if self._stopping.is_set():
                return
            if time.monotonic() - started > STABLE_SECONDS:
                delay = FIRST_RESTART_SECONDS
            log.error(
                "background worker (pid %s) exited with %s; restarting in %.0f s",
                process.pid,
                process.exitcode,
                delay,
            )
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, MAX_RESTART_SECONDS)
            self.restarts += 1

    def _spawn(self) -> tuple[Any, Any]:
        ours, theirs = worker_link.socket_pair()
        process = self._context.Process(
            target=worker.run,
            args=(self._settings, theirs, os.getpid()),
            name="symbl-bot-worker",
            daemon=True,
        )
        with self._lock:
            process.start()
            self._process, self._link = process, ours
        theirs.close()  # the child has its copy; ours would keep its end-of-file from ever coming
        log.info("background worker started (pid %s)", process.pid)
        if self._stopping.is_set():  # stop() ran while we were spawning
            self._end(process)
        return process, ours

    def _listen(self, process: Any, link: Any) -> None:
        """Take the worker's reports until it exits or closes its end."""
        while True:
            ready = wait_ready([link, process.sentinel])
            if link not in ready:
                return  # exited (any last report is moot)
            message = worker_link.receive(link)
            if message is None:
                return
            if message.get("op") == "state":
                self._take(message)

    def _take(self, message: dict[str, Any]) -> None:
        url = message.get("engine_url")
        if url and self._engine is not None:
            self._engine.use(url)
        with self._lock:
            self._state = BackgroundState(**message["state"])
        self._ready.set()

    def _end(self, process: Any) -> None:
        if process.is_alive():
            process.terminate()
            process.join(STOP_SECONDS)
        if process.is_alive():
            log.warning(
                "background worker (pid %s) did not stop in %.0f s; killing it", process.pid, STOP_SECONDS
            )
            process.kill()
            process.join(5)
