"""APScheduler wiring: one short poll tick that hands due recordings to a small worker pool. No business
logic.

The tick (`max_instances=1`, `coalesce=True`) *claims* due rows through the (state, next_poll_at) index
(storage.leases: a lease per row, so any number of processes can tick over one database), as many as the
pool has free workers, so it stays cheap however much history the table holds. Work (downloads, uploads,
polls, posts) runs on the pool, fenced by the row's lease (storage.fence); a renewal job keeps the leases of
the steps under way alive, and a finished step releases its row. `wake()` runs the tick at once (a new
recording, or the engine reporting a finished job), so the summary follows completion within a tick's worth of
work.

`exclusive`: this process owns the whole schedule (SQLite's `scheduler.lock`): at start it resumes every
waiting row and drops every lease (their holders are gone). On PostgreSQL no process owns it: a killed
worker's rows wait for their leases to expire, and housekeeping jobs run where their run is claimed
(storage.leases.claim_housekeeping). `claim_mode="select"` is the unfenced selection of before leases: a
negative control for the chaos tests only (two processes then step the same rows).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from storage import BotStore, fence, leases
from storage import recordings as repo

log = logging.getLogger(__name__)
JOB_ID = "poll_due_recordings"
RENEW_JOB_ID = "renew_leases"
DEFAULT_LEASE_SECONDS = 60.0


class Poller:
    def __init__(
        self,
        store: BotStore,
        advance: Callable[[int], None],
        *,
        interval: float = 1.0,
        workers: int = 4,
        batch: int = 100,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        exclusive: bool = True,
        claim_mode: str = "lease",
    ):
        self._store = store
        self._advance = advance
        self._interval = interval
        self._workers = workers
        self._batch = batch
        self.owner = fence.new_owner()
        self.lease_seconds = lease_seconds
        self.exclusive = exclusive
        self.claim_mode = claim_mode
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
        """Resume every row that was in flight (when this process owns the schedule), then tick every
        interval and renew the leases of the steps under way three times per lease."""
        if self.exclusive:
            leases.release_all(self._store)
            resumed = repo.resume_all(self._store)
            if resumed:
                log.info("resuming %s recordings left in flight", resumed)
        self._scheduler.add_job(
            self._renew,
            "interval",
            seconds=self.lease_seconds / 3,
            id=RENEW_JOB_ID,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
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
        """Also run `func` every `seconds` (first run at start), never two at once: housekeeping jobs. Without
        the whole schedule, only the runs this process claims (one process per interval on the database)."""
        if not self.exclusive:
            func = self._claimed_run(seconds, func, job_id)
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

    def _claimed_run(self, seconds: float, func: Callable[[], object], job_id: str) -> Callable[[], None]:
        def run() -> None:
            if leases.claim_housekeeping(self._store, job_id, seconds):
                func()

        return run

    def stop(self, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
        self._pool.shutdown(wait=wait, cancel_futures=True)
        if wait and self.claim_mode == "lease":
            leases.release(self._store, self.owner)  # what is left is due to others at once, not in a lease

    def _renew(self) -> None:
        """Keep the leases of the steps under way (a long download or upload) from expiring."""
        with self._lock:
            held = list(self._in_flight)
        if held and self.claim_mode == "lease":
            leases.renew(self._store, self.owner, self.lease_seconds, held)

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

    def _take_due(self) -> list[int]:
        if self.claim_mode == "select":
            return repo.due(self._store, time.time(), self._batch)
        with self._lock:
            free = self._workers - len(self._in_flight)
        return leases.claim(self._store, self.owner, self.lease_seconds, min(free, self._batch))

    def _dispatch_due(self) -> int:
        handed = 0
        for recording_id in self._take_due():
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
            if self.claim_mode == "lease":
                with fence.fenced(self.owner, self.lease_seconds, recording_id):
                    self._advance(recording_id)
            else:
                self._advance(recording_id)
        except Exception:  # advance records its own failures; this is a last guard for the pool
            log.exception("recording %s: step crashed", recording_id)
        finally:
            if self.claim_mode == "lease":
                try:
                    leases.release(self._store, self.owner, recording_id)
                except Exception:  # the database is away: the lease expires by itself
                    log.exception("recording %s: lease not released", recording_id)
            with self._lock:
                self._in_flight.discard(recording_id)
                dirty = recording_id in self._dirty
                self._dirty.discard(recording_id)
            if dirty:
                repo.poll_now(self._store, recording_id)
                self.wake()
