"""The background worker's tie to its web process: it must not outlive it, nor take long to stop.

Why (issue 21, finding 2): a web process killed with SIGKILL left its worker running. The worker saw its pipe
close and began an orderly stop, but that stop waited for the steps under way, and a step stuck forever (an
endless loop, a peer that never answers) kept the process, and with it the scheduler lease, alive for good.
The `flock` lease was never the problem: the kernel frees it when its holder dies; this holder never died.

So, three ties, each enough on its own:
- **The kernel's**: on Linux, `prctl(PR_SET_PDEATHSIG, SIGTERM)` has the kernel signal the worker when its
  parent goes away. Strictly, when the *thread* that spawned it exits; that is the supervisor's monitor
  thread, which lives until it has stopped the worker, so the signal means "the web process is gone".
- **The portable one**: the parent's pid, checked every report; a re-parented worker sees another `getppid()`
  (the pipe's end-of-file, bot.slack.worker, is the third).
- **A bounded stop**: once stopping is asked for, for any reason, the worker has `deadline` seconds for an
  orderly stop and is then ended with `os._exit` (the kernel frees its lease; the steps' recorded states make
  an interrupted step resume in the next owner, as after any crash). The clock starts where the stop is asked
  for (`Stopping.set`: the signal handler, the pipe's reader), not where the main thread gets to stopping:
  that thread may itself be waiting on something a stuck step holds (the store's lock, say).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
EXIT_STATUS = 3  # what the supervisor logs for a worker its own deadline ended


def die_with_parent(parent_pid: int, signo: int = signal.SIGTERM) -> bool:
    """Ask the kernel for `signo` when the parent dies (Linux; elsewhere a no-op). False when the parent is
    already gone (it died before the request was in place, so no signal will come)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signo), 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    return not parent_gone(parent_pid)


def parent_gone(parent_pid: int) -> bool:
    """A process whose parent died is re-parented (to init or a subreaper): its parent pid changes."""
    return os.getppid() != parent_pid


def on_stop_signals(stop: Callable[[], None], *signals: int) -> None:
    """Call `stop()` on a thread of its own when one of `signals` arrives. Call it from the main thread.

    The handler itself only writes a byte to a pipe, which takes no lock. A Python handler runs in the main
    thread between any two bytecodes, including inside `Event.wait` while it holds the lock `Event.set`
    needs, and inside the `Thread.start` of the exit timer. A handler that called `Event.set` there
    deadlocked a worker whose web process was killed: a CI run found it alive, its lease held, 14 minutes
    later. (Blocking the signals for `sigwait` instead is not safe: a thread started before the mask, by any
    library, would take the signal's default action and end the process on the spot.)

    Once one has come, the signals are ignored: the stop is on its way, and the interpreter puts the default
    action back for a handled signal as it shuts down, so the last of a burst arriving then ended a worker
    that had stopped in order by the signal (status -15; a CI run saw it). `signal.signal` takes no lock.
    """
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)

    def note(_signo: int, _frame: object) -> None:
        for signo in signals:
            signal.signal(signo, signal.SIG_IGN)
        try:
            os.write(write_end, b"\0")
        except BlockingIOError:  # the pipe is full: a stop is on its way already
            pass

    for signo in signals:
        signal.signal(signo, note)

    def take() -> None:
        os.read(read_end, 1)
        stop()

    threading.Thread(target=take, name="stop-signals", daemon=True).start()


class Stopping:
    """A stop request that bounds itself: the first `set()` also arms `exit_after(deadline, what)`.

    Called from threads, never from a signal handler (see `on_stop_signals`); two racing first calls arm two
    timers, which is harmless.
    """

    def __init__(self, deadline: float, what: str) -> None:
        self._event = threading.Event()
        self._deadline = deadline
        self._what = what
        self._armed = False

    def set(self) -> None:
        if not self._armed:
            self._armed = True
            exit_after(self._deadline, self._what)
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)


def exit_after(deadline: float, what: str) -> threading.Timer:
    """End the process with `os._exit` after `deadline` seconds unless it has exited by then."""

    def end() -> None:
        log.error("%s did not stop within %.0f s; exiting now", what, deadline)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EXIT_STATUS)

    timer = threading.Timer(deadline, end)
    timer.name = "exit-deadline"
    timer.daemon = True
    timer.start()
    return timer
