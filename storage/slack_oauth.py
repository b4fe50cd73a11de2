"""Slack installations and OAuth states in the bot's database (either backend), so that an install started on
one web process completes on another (bot.slack.oauth_stores adapts these to slack-sdk's store interfaces).

Rows are appended per install; the newest (by `installed_at`) is the current one, as in slack-sdk's own
stores. Key columns hold '' for "none" (an install outside Enterprise Grid has no enterprise id).
"""

from __future__ import annotations

import time
import uuid

from storage.backend import BotStore

_TABLES = {"installation": "slack_installations", "bot": "slack_bots"}


def save(
    store: BotStore,
    kind: str,
    client_id: str,
    enterprise_id: str,
    team_id: str,
    installed_at: float,
    data: str,
    user_id: str = "",
) -> None:
    """Append an installation (`kind` "installation", with its user) or a bot (`kind` "bot")."""
    with store.tx() as db:
        if kind == "installation":
            db.execute(
                "INSERT INTO slack_installations (client_id, enterprise_id, team_id, user_id, installed_at, "
                "data) VALUES (?, ?, ?, ?, ?, ?)",
                [client_id, enterprise_id, team_id, user_id, installed_at, data],
            )
        else:
            db.execute(
                "INSERT INTO slack_bots (client_id, enterprise_id, team_id, installed_at, data) "
                "VALUES (?, ?, ?, ?, ?)",
                [client_id, enterprise_id, team_id, installed_at, data],
            )


def latest(
    store: BotStore, kind: str, client_id: str, enterprise_id: str, team_id: str, user_id: str | None = None
) -> str | None:
    """The newest row's `data` for the workspace (and user, for an installation), or None."""
    where, params = "client_id = ? AND enterprise_id = ? AND team_id = ?", [client_id, enterprise_id, team_id]
    if user_id is not None:
        where, params = where + " AND user_id = ?", [*params, user_id]
    with store.read() as db:
        row = db.execute(
            f"SELECT data FROM {_TABLES[kind]} WHERE {where} ORDER BY installed_at DESC LIMIT 1", params
        ).fetchone()
    return str(row[0]) if row else None


def latest_bots(store: BotStore, client_id: str) -> list[str]:
    """The newest bot row's `data` of every workspace."""
    with store.read() as db:
        rows = db.execute(
            "SELECT b.data FROM slack_bots b WHERE b.client_id = ? AND b.installed_at = (SELECT "
            "max(installed_at) FROM slack_bots o WHERE o.client_id = b.client_id AND o.enterprise_id = "
            "b.enterprise_id AND o.team_id = b.team_id) ORDER BY b.team_id",
            [client_id],
        ).fetchall()
    return [str(r[0]) for r in rows]


def delete(
    store: BotStore, kind: str, client_id: str, enterprise_id: str, team_id: str, user_id: str | None = None
) -> None:
    where, params = "client_id = ? AND enterprise_id = ? AND team_id = ?", [client_id, enterprise_id, team_id]
    if user_id is not None:
        where, params = where + " AND user_id = ?", [*params, user_id]
    with store.tx() as db:
        db.execute(f"DELETE FROM {_TABLES[kind]} WHERE {where}", params)


def issue_state(store: BotStore, expiration_seconds: float, now: float | None = None) -> str:
    """A new one-time OAuth state; expired ones are deleted on the way (each anonymous visit issues one)."""
    now = time.time() if now is None else now
    state = str(uuid.uuid4())
    with store.tx() as db:
        db.execute("DELETE FROM slack_oauth_states WHERE expire_at <= ?", [now])
        db.execute(
            "INSERT INTO slack_oauth_states (state, expire_at) VALUES (?, ?)",
            [state, now + expiration_seconds],
        )
    return state


def consume_state(store: BotStore, state: str, now: float | None = None) -> bool:
    """Whether `state` was issued and has not expired; either way it cannot be used again."""
    now = time.time() if now is None else now
    with store.tx() as db:
        rows = db.execute(
            "DELETE FROM slack_oauth_states WHERE state = ? RETURNING expire_at", [state]
        ).fetchall()
    return bool(rows) and float(rows[0][0]) > now
