"""One scheduler per database: the process holding `<data dir>/scheduler.lock` polls; the others stand by.

Why: every tick selects due rows and hands them to workers. Two processes ticking over one SQLite file would
both submit the same queued recording (two provider jobs, two status messages) and both post its summary;
the per-row state transitions stop most of it, but not the side effects that precede them. So exactly one
process owns the schedule. Ownership is an exclusive `flock` on a file beside the database: the kernel
releases it when the owner exits or is killed, and a standby process takes over within `retry_seconds`.
`SYMBL_BOT_SCHEDULER=off` keeps a process out of the contest entirely (extra web processes on another host
that share no disk with the owner still must not poll: give them the flag).

A holder that is alive but processes nothing (issue 21: an orphaned worker stuck in a step) keeps the lock, so
the owner also leaves a heartbeat: the lock file's mtime is its last tick (`beat`, at most once a second, one
`utime` on the open descriptor). A standby reads it (`holder_last_tick`, one `stat`) and /healthz reports it
stale like an owner's own stale tick, instead of "standing by, all fine" behind a holder that does nothing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

BEAT_EVERY_SECONDS = 1.0


class FileLock:
    """A non-blocking exclusive lock on a file, held until `release()` or process exit."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def touch(self, at: float) -> None:
        """Set the file's mtime to `at` (the holder's heartbeat)."""
        if self._fd is not None:
            os.utime(self._fd, (at, at))

    def mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class SchedulerOwner:
    """Starts `start()` (the poller) only in the process that holds the lock.

    state: "off" (disabled by configuration), "standby" (another process owns it), "owner", "stopped".
    """

    def __init__(
        self,
        lock_path: Path,
        start: Callable[[], None],
        stop: Callable[[], None],
        *,
        enabled: bool = True,
        retry_seconds: float = 5.0,
    ):
        self._lock = FileLock(lock_path)
        self._start = start
        self._stop = stop
        self._enabled = enabled
        self._retry_seconds = retry_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()
        self._beaten_at = 0.0
        self.state = "off" if not enabled else "stopped"

    def beat(self, tick_at: float) -> None:
        """The owner's poller ticked at `tick_at` (epoch seconds): leave it where a standby can see it."""
        if self.state == "owner" and time.monotonic() - self._beaten_at >= BEAT_EVERY_SECONDS:
            self._beaten_at = time.monotonic()
            self._lock.touch(tick_at)

    @property
    def holder_last_tick(self) -> float | None:
        """In standby: the lock holder's last tick (epoch seconds), from the lock file's mtime."""
        return self._lock.mtime() if self.state == "standby" else None

    def start(self) -> str:
        if not self._enabled:
            log.info("scheduler off (SYMBL_BOT_SCHEDULER=off): another process polls")
            return self.state
        if self._try_own():
            return self.state
        self.state = "standby"
        log.info(
            "scheduler standby: %s is held by another process; taking over when it stops", self._lock.path
        )
        self._thread = threading.Thread(target=self._standby, name="scheduler-standby", daemon=True)
        self._thread.start()
        return self.state

    def _try_own(self) -> bool:
        with self._mutex:
            if self._stopping.is_set() or not self._lock.acquire():
                return False
            self.state = "owner"
            self._start()
            return True

    def _standby(self) -> None:
        while not self._stopping.wait(self._retry_seconds):
            if self._try_own():
                log.info("scheduler: took over ownership")
                return

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(self._retry_seconds + 5)
        with self._mutex:
            if self.state == "owner":
                self._stop()
            self._lock.release()
            if self.state != "off":
                self.state = "stopped"


class SharedSchedule:
    """On PostgreSQL no process owns the schedule: every worker process ticks and claims rows with leases
    (storage.leases), so there is no lock to contest. `SYMBL_BOT_SCHEDULER=off` still keeps a process (a web
    process beside `symbl-bot worker` processes) from ticking at all.

    state: "off" (disabled by configuration), "claiming", "stopped". Same surface as `SchedulerOwner`.
    """

    holder_last_tick: float | None = None  # nobody to stand by behind

    def __init__(self, start: Callable[[], None], stop: Callable[[], None], *, enabled: bool = True):
        self._start = start
        self._stop = stop
        self._enabled = enabled
        self.state = "off" if not enabled else "stopped"

    def beat(self, tick_at: float) -> None:
        """Nothing to leave: health reads each process's own tick."""

    def start(self) -> str:
        if self._enabled:
            self._start()
            self.state = "claiming"
        return self.state

    def stop(self) -> None:
        if self.state == "claiming":
            self._stop()
            self.state = "stopped"
