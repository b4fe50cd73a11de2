"""Claims and leases: which worker process steps a recording, until when; and the fence on a step's writes.

A worker *claims* due rows in one statement that sets `lease_owner` (its id) and `lease_until`; a row whose
lease has not expired is nobody else's to claim. On PostgreSQL the candidates are locked with
`FOR UPDATE SKIP LOCKED`, so workers claiming at once take different rows instead of queueing on the same
ones; SQLite runs the same statement without that clause (it has one writer at a time, so the statement is
atomic as it stands).

While a step runs, the runner renews the leases it holds; a worker that is killed or stalls stops renewing,
and once its leases expire another worker claims the rows. The stalled one may still wake up mid-step: every
write of a step is *fenced* (storage.fence), so it changes nothing unless this worker still holds the lease.

Slack has no idempotency key for a post, so a post is made only inside the lease (`secure_post`): renew, then
post with a client timeout shorter than what is left of it. A post therefore ends, or is abandoned, before the
lease can expire, and a worker that takes the row over afterwards finds it in the thread (the pipeline
searches by metadata once a post was started). A worker stalled (SIGSTOP, a frozen VM) between the renewal
and its request leaving can still post late; both copies are then settled after the fact, the oldest
standing (bot.slack.thread.keep_oldest_copies). Lease lengths are seconds; clocks across machines are
assumed to agree to well under that (NTP).
"""

from __future__ import annotations

import time
from typing import Any

from storage.backend import BotStore
from storage.fence import LeaseLost, current
from storage.recordings import ACTIVE_STATES

_ACTIVE_SQL = ", ".join(f"'{s.value}'" for s in ACTIVE_STATES)
# A post gets at most this share of the lease as its client timeout, and is not started with less than
# twice that left: the rest of the lease covers the writes around the post.
POST_SHARE = 0.25


def claim(store: BotStore, owner: str, seconds: float, limit: int, now: float | None = None) -> list[int]:
    """Lease up to `limit` due rows nobody holds (or whose lease expired) to `owner`; their ids, oldest due
    first."""
    if limit <= 0:
        return []
    now = time.time() if now is None else now
    lock = " FOR UPDATE SKIP LOCKED" if store.dialect == "postgres" else ""
    sql = (
        "UPDATE recordings SET lease_owner = ?, lease_until = ? WHERE id IN ("
        f"SELECT id FROM recordings WHERE state IN ({_ACTIVE_SQL}) AND next_poll_at <= ? "
        f"AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_poll_at LIMIT ?{lock}) RETURNING id"
    )
    with store.tx() as db:
        rows = db.execute(sql, [owner, now + seconds, now, now, limit]).fetchall()
    return [int(r[0]) for r in rows]


def renew(store: BotStore, owner: str, seconds: float, ids: list[int]) -> int:
    """Extend `owner`'s leases on `ids` to now + seconds; how many it still held."""
    if not ids:
        return 0
    marks = ", ".join("?" for _ in ids)
    with store.tx() as db:
        return int(
            db.execute(
                f"UPDATE recordings SET lease_until = ? WHERE lease_owner = ? AND id IN ({marks})",
                [time.time() + seconds, owner, *ids],
            ).rowcount
        )


def release(store: BotStore, owner: str, recording_id: int | None = None) -> int:
    """Give up `owner`'s lease on a row (its step is done), or on every row it holds (`None`: stopping)."""
    where, params = "lease_owner = ?", list[Any]([owner])
    if recording_id is not None:
        where, params = where + " AND id = ?", [owner, recording_id]
    with store.tx() as db:
        return int(
            db.execute(
                f"UPDATE recordings SET lease_owner = NULL, lease_until = NULL WHERE {where}", params
            ).rowcount
        )


def release_all(store: BotStore) -> int:
    """Every lease, whoever holds it: for the one process that owns a SQLite file's schedule, at its start
    (whoever held them before is gone: the file lock says so)."""
    with store.tx() as db:
        return int(
            db.execute(
                "UPDATE recordings SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL"
            ).rowcount
        )


def secure_post(store: BotStore, timeout: float) -> float | None:
    """Before a post inside a step: renew the stepped row's lease and return the client timeout to post with
    (at most `timeout`, at most POST_SHARE of the lease). Raises `LeaseLost` when the lease is gone or too
    little of it is left. None outside a step (no lease: post with the client's own timeout)."""
    fence = current()
    if fence is None:
        return None
    recording_id = fence.recording_id
    until = time.time() + fence.seconds
    if renew(store, fence.owner, fence.seconds, [recording_id]) != 1:
        raise LeaseLost(f"recording {recording_id}: the lease is no longer {fence.owner}'s")
    budget = min(timeout, fence.seconds * POST_SHARE)
    if until - time.time() < 2 * budget:  # the renewal itself took most of the lease (a stall)
        raise LeaseLost(f"recording {recording_id}: too little of the lease left to post")
    return budget


def claim_housekeeping(store: BotStore, job: str, interval: float, now: float | None = None) -> bool:
    """Whether this process runs `job` now: one process per `interval` across every process on the database
    (the first to claim the run moves its next time on)."""
    now = time.time() if now is None else now
    with store.tx() as db:
        db.execute(
            "INSERT INTO housekeeping (job, next_run_at) VALUES (?, ?) ON CONFLICT DO NOTHING", [job, now]
        )
        claimed: Any = db.execute(
            "UPDATE housekeeping SET next_run_at = ? WHERE job = ? AND next_run_at <= ?",
            [now + interval, job, now],
        ).rowcount
    return bool(claimed == 1)
