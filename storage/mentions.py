"""`@symbl` mentions: claimed once per (team, channel, ts) before the ack, answered after it.

Slack delivers a mention as `app_mention` and as a `message`, and may redeliver either; the claim makes one
answer. The claim keeps the request until it is answered, so a crash between the ack and the answer leaves a
row that `unanswered` finds.
"""

from __future__ import annotations

import json
from typing import Any

from storage.backend import BotStore


def claim(store: BotStore, key: str, request: dict[str, Any], now: float) -> bool:
    """True the first time this mention is seen; redeliveries and twins get False."""
    with store.tx() as db:
        return (
            db.execute(
                "INSERT INTO handled_mentions (key, at, request) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [key, now, json.dumps(request)],
            ).rowcount
            == 1
        )


def answered(store: BotStore, key: str, now: float) -> None:
    with store.tx() as db:
        db.execute("UPDATE handled_mentions SET answered_at = ?, request = NULL WHERE key = ?", [now, key])


def unanswered(store: BotStore, claimed_before: float, limit: int = 50) -> list[tuple[str, dict[str, Any]]]:
    """(key, request) of mentions claimed before `claimed_before` and never answered."""
    with store.read() as db:
        rows = db.execute(
            "SELECT key, request FROM handled_mentions WHERE answered_at IS NULL AND request "
            "IS NOT NULL AND at < ? ORDER BY at LIMIT ?",
            [claimed_before, limit],
        ).fetchall()
    return [(key, json.loads(request)) for key, request in rows]
