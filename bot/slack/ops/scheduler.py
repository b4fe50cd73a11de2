"""APScheduler wiring: one short poll tick that hands due recordings to a small worker pool. No business
logic.

The tick (`max_instances=1`, `coalesce=True`) only selects due rows through the (state, next_poll_at) index,
so it stays cheap however much history the table holds. Work (downloads, uploads, polls, posts) runs on the
pool; a row being worked on is not handed out twice. `wake()` runs the tick at once (a new recording, or the
engine reporting a finished job), so the summary follows completion within a tick's worth of work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from storage import BotStore
from storage import recordings as repo

log = logging.getLogger(__name__)
JOB_ID = "poll_due_recordings"


class Poller:
    def __init__(
        self,
        store: BotStore,
        advance: Callable[[int], None],
        *,
        interval: float = 1.0,
        workers: int = 4,
        batch: int = 100,
    ):
        self._store = store
        self._advance = advance
        self._interval = interval
        self._batch = batch
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="recording")
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._lock = threading.Lock()
        self._in_flight: set[int] = set()
        self._dirty: set[int] = set()  # rows notified while a step was running on them
        self._ticking = False
        self._again = False
        self.last_tick_at: float | None = None  # epoch seconds of the last tick's start (health reports it)
        self.on_tick: Callable[[float], None] | None = None  # told each tick's start (the lease's heartbeat)

    def start(self) -> None:
        """Resume every row that was in flight (this process owns the schedule), then tick every interval."""
        resumed = repo.resume_all(self._store)
        if resumed:
            log.info("resuming %s recordings left in flight", resumed)
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=self._interval,
            id=JOB_ID,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
            misfire_grace_time=None,
        )
        self._scheduler.start()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def every(self, seconds: float, func: Callable[[], object], job_id: str) -> None:
        """Also run `func` every `seconds` (first run at start), never two at once: housekeeping jobs."""
        self._scheduler.add_job(
            func,
            "interval",
            seconds=seconds,
            id=job_id,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
            misfire_grace_time=None,
            replace_existing=True,
        )

    def stop(self, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def wake(self) -> None:
        """Run the tick now (or right after the one in progress)."""
        with self._lock:
            if self._ticking:
                self._again = True
                return
        if self._scheduler.running:
            try:
                self._scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))
            except LookupError:  # shutting down
                pass

    def poll_now(self, recording_id: int) -> None:
        """Make a row due now and tick; if a step is running on it, again right after that step."""
        with self._lock:
            if recording_id in self._in_flight:
                self._dirty.add(recording_id)
        repo.poll_now(self._store, recording_id)
        self.wake()

    def tick(self) -> int:
        """Hand every due row that is not already being worked on to the pool. Returns how many."""
        with self._lock:
            self._ticking = True
        self.last_tick_at = time.time()
        if self.on_tick is not None:
            self.on_tick(self.last_tick_at)
        handed = 0
        try:
            while True:
                handed += self._dispatch_due()
                with self._lock:
                    if not self._again:
                        self._ticking = False
                        return handed
                    self._again = False
        except BaseException:
            with self._lock:
                self._ticking = False
            raise

    def _dispatch_due(self) -> int:
        handed = 0
        for recording_id in repo.due(self._store, time.time(), self._batch):
            with self._lock:
                if recording_id in self._in_flight:
                    continue
                self._in_flight.add(recording_id)
            try:
                self._pool.submit(self._work, recording_id)
            except RuntimeError:  # the pool is shutting down
                with self._lock:
                    self._in_flight.discard(recording_id)
                break
            handed += 1
        return handed

    def _work(self, recording_id: int) -> None:
        try:
            self._advance(recording_id)
        except Exception:  # advance records its own failures; this is a last guard for the pool
            log.exception("recording %s: step crashed", recording_id)
        finally:
            with self._lock:
                self._in_flight.discard(recording_id)
                dirty = recording_id in self._dirty
                self._dirty.discard(recording_id)
            if dirty:
                repo.poll_now(self._store, recording_id)
                self.wake()
