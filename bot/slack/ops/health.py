"""`GET /healthz`: the database, the scheduler, the speech engine and the disk, as JSON; 200 when all are
fine, else 503. It names no file paths (it may be reachable from outside), and its database check uses its own
read-only connection with a short busy timeout, so a lock held by another process cannot freeze it.

The scheduler counts as fine when its process owns it and ticked recently, when it stands by behind a holder
that ticked recently (the lease's heartbeat, bot.slack.ops.lease), or is switched off on purpose (another
process polls). A platform's health check can therefore point at every
web process. With the background in its worker process (bot.slack.worker), the scheduler, disk-full and
engine parts are what the worker last reported (`BackgroundState`, sent over the pipe every second), and a
`worker` part says whether that process is up.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

STALE_TICK_SECONDS = 60.0
BUSY_TIMEOUT_SECONDS = 0.5  # a locked database is reported, not waited for


@dataclass(frozen=True)
class BackgroundState:
    """The background as /healthz reports it, wherever it runs (JSON-able: the worker sends it as a dict)."""

    scheduler: str  # the lease's state (owner, standby, off, stopped), or "down": no worker process running
    running: bool = False  # the poller's scheduler is running
    last_tick_at: float | None = None  # epoch seconds
    storage_full_at: float | None = None  # a download last failed for a full disk then
    engine: dict[str, Any] = field(default_factory=dict)  # engine_status()
    worker: dict[str, Any] | None = None  # process mode: {"ok", "pid", "restarts"}


def database_status(bot: Any) -> dict[str, Any]:
    if bot.store.dialect == "postgres":
        return _postgres_status(bot.store)
    from storage.schema import migrations

    try:
        conn = sqlite3.connect(f"{bot.store.path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            db = sqlite_utils.Database(conn)
            pending = [m.name for m in migrations.pending(db)]
            counts = dict(conn.execute("SELECT state, count(*) FROM recordings GROUP BY state").fetchall())
        finally:
            conn.close()
    except Exception as err:  # noqa: BLE001 — a health check reports, it does not raise
        # The class and SQLite's words only: str() of some errors carries the file's path.
        words = f": {err}" if isinstance(err, sqlite3.Error) else ""
        return {"ok": False, "error": err.__class__.__name__ + words}
    return {"ok": not pending, "backend": "sqlite", "pending_migrations": pending, "recordings": counts}


def _postgres_status(store: Any) -> dict[str, Any]:
    """The same parts through the store's pool (a server, not a file: no lock another process could hold)."""
    try:
        pending = store.pending_migrations()
        with store.read() as db:
            counts = dict(db.execute("SELECT state, count(*) FROM recordings GROUP BY state").fetchall())
    except Exception as err:  # noqa: BLE001 — a health check reports, it does not raise
        return {"ok": False, "backend": "postgres", "error": err.__class__.__name__}
    return {"ok": not pending, "backend": "postgres", "pending_migrations": pending, "recordings": counts}


def disk_status(bot: Any, background: BackgroundState) -> dict[str, Any]:
    """Not ok after a download failed for a full disk, until one succeeds again; and the free space."""
    status: dict[str, Any] = {"ok": background.storage_full_at is None}
    try:
        status["free_mb"] = shutil.disk_usage(bot.settings.data_dir).free // 1024**2
    except OSError:
        pass
    if background.storage_full_at is not None:
        status["error"] = "the disk was full at the last download; downloads are retried with backoff"
    return status


def scheduler_status(bot: Any, background: BackgroundState, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    state = background.scheduler
    status: dict[str, Any] = {"state": state}
    last = background.last_tick_at
    if last is not None:
        status["last_tick_seconds_ago"] = round(now - last, 3)
    stale_after = max(STALE_TICK_SECONDS, bot.settings.poll_seconds * 10)
    recent = last is not None and now - last < stale_after
    status["claim"] = bot.settings.claim_mode
    if state in ("owner", "claiming"):  # claiming: one of any number of processes sharing PostgreSQL
        status["ok"] = background.running and recent
    elif state == "standby":
        status["ok"] = recent
        if not recent:
            status["error"] = "the process holding the scheduler lease has stopped ticking"
    else:
        status["ok"] = state == "off"
    return status


def engine_status(settings: Any, engine: Any) -> dict[str, Any]:
    """The provider: the Symbl host, or the embedded engine's server thread (`engine`, None if injected)."""
    if settings.uses_symbl_cloud:
        return {"ok": True, "provider": "symbl", "url": settings.symbl_api_url}
    if engine is None:
        return {"ok": True, "provider": "injected"}
    thread = getattr(engine, "_thread", None)
    alive = thread is not None and thread.is_alive()
    status = {"ok": alive, "provider": "embedded", "url": engine.url if alive else None}
    # The engine downloads links itself; a full disk there stalls jobs as surely as one in the bot (the
    # same flag the engine's own /healthz reports).
    if engine.service.queue.storage_full_at is not None:
        status.update(
            ok=False, error="the engine's disk was full at its last download; it retries with backoff"
        )
    return status


def health(bot: Any) -> tuple[dict[str, Any], int]:
    """`bot` is a bot.slack.app.Bot: its settings, store and `background_state()`."""
    background = bot.background_state()
    report = {
        "db": database_status(bot),
        "scheduler": scheduler_status(bot, background),
        "engine": background.engine,
        "disk": disk_status(bot, background),
    }
    if background.worker is not None:
        report["worker"] = background.worker
    ok = all(part["ok"] for part in report.values())
    return {"ok": ok, **report}, 200 if ok else 503
