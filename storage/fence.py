"""The fence on a step's writes: each write transaction of a step starts with `hold()`, which changes nothing
and raises `LeaseLost` unless this worker still holds the row's lease (storage.leases has the why).

`fenced()` sets the fence for the step in a context variable, so the repository functions called deep inside
the pipeline carry it without every signature naming it. Outside a step (commands, the web process, tests)
there is no fence and `hold()` does nothing.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from storage.backend import Handle


class LeaseLost(Exception):
    """The row's lease is another worker's now (this one stalled past it): the step stops without writing,
    and the new owner repeats it. Here rather than in bot.errors: storage knows nothing of the bot."""


@dataclass(frozen=True)
class Fence:
    owner: str
    seconds: float  # the lease's length: renewals extend it to now + seconds
    recording_id: int  # the row the step is for: its lease fences every write, to any row (an append's base)


_current: ContextVar[Fence | None] = ContextVar("storage_lease_fence", default=None)


def new_owner() -> str:
    """A worker's lease id: which machine and process (for an operator reading the table), and unique."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def fenced(owner: str, seconds: float, recording_id: int) -> Iterator[Fence]:
    """Fence every write made in this block (this thread or task) by `owner`'s lease on `recording_id`."""
    fence = Fence(owner, seconds, recording_id)
    token = _current.set(fence)
    try:
        yield fence
    finally:
        _current.reset(token)


def current() -> Fence | None:
    return _current.get()


def hold(db: Handle) -> None:
    """First statement of a step's write transaction: lock the stepped row and check its lease is still ours
    (whichever rows the transaction then writes: an append's step also writes its base recording's).

    The no-op update takes the row's lock (on SQLite the write lock), so no claim can slip in before the
    transaction's other writes commit. Raises `LeaseLost` otherwise; does nothing outside a step."""
    fence = _current.get()
    if fence is None:
        return
    held = db.execute(
        "UPDATE recordings SET lease_until = lease_until WHERE id = ? AND lease_owner = ?",
        [fence.recording_id, fence.owner],
    ).rowcount
    if held != 1:
        raise LeaseLost(f"recording {fence.recording_id}: the lease is no longer {fence.owner}'s")
