"""`GET /healthz`: the database, the scheduler and the speech engine, as JSON; 200 when all are fine, else 503.

The scheduler counts as fine when this process owns it and ticked recently, or when it stands by / is
switched off on purpose (another process polls). A platform's health check can therefore point at every
web process.
"""

from __future__ import annotations

import time
from typing import Any

from storage import admin

STALE_TICK_SECONDS = 60.0


def database_status(bot: Any) -> dict[str, Any]:
    try:
        with bot.store.read() as db:
            from storage.schema import migrations

            pending = [m.name for m in migrations.pending(db)]
        counts = admin.counts_by_state(bot.store)
    except Exception as err:  # noqa: BLE001 — a health check reports, it does not raise
        return {"ok": False, "error": f"{err.__class__.__name__}: {err}"}
    return {"ok": not pending, "path": str(bot.store.path), "pending_migrations": pending, "recordings": counts}


def scheduler_status(bot: Any, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    owner = getattr(bot, "scheduler_owner", None)
    state = owner.state if owner is not None else ("owner" if bot.poller.running else "stopped")
    status: dict[str, Any] = {"state": state}
    last = bot.poller.last_tick_at
    if last is not None:
        status["last_tick_seconds_ago"] = round(now - last, 3)
    stale_after = max(STALE_TICK_SECONDS, bot.settings.poll_seconds * 10)
    if state == "owner":
        status["ok"] = bot.poller.running and last is not None and now - last < stale_after
    else:
        status["ok"] = state in ("standby", "off")
    return status


def engine_status(bot: Any) -> dict[str, Any]:
    if bot.settings.uses_symbl_cloud:
        return {"ok": True, "provider": "symbl", "url": bot.settings.symbl_api_url}
    engine = bot.engine
    if engine is None:
        return {"ok": True, "provider": "injected"}
    thread = getattr(engine, "_thread", None)
    alive = thread is not None and thread.is_alive()
    return {"ok": alive, "provider": "embedded", "url": engine.url if alive else None}


def health(bot: Any) -> tuple[dict[str, Any], int]:
    report = {"db": database_status(bot), "scheduler": scheduler_status(bot), "engine": engine_status(bot)}
    ok = all(part["ok"] for part in report.values())
    return {"ok": ok, **report}, 200 if ok else 503
