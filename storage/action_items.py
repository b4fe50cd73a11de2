"""Action-item state that Slack users change with the summary's buttons ("Mark done").

Items are keyed by a hash of their normalised text, not by the provider's item id: an append re-extracts every
insight of the conversation and may renumber the items, while the same commitment keeps its words.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from storage.backend import BotStore


def item_key(item: dict[str, Any]) -> str:
    text = re.sub(r"\W+", " ", str(item.get("text") or "")).strip().lower()
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def mark_done(
    store: BotStore, conversation_id: str, key: str, user_id: str, now: float | None = None
) -> bool:
    """Record who marked the item done. Returns False when it was done already (a second click changes
    nothing)."""
    now = time.time() if now is None else now
    with store.tx() as db:
        return (
            db.execute(
                "INSERT INTO action_item_state (conversation_id, item_key, done_by, done_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [conversation_id, key, user_id, now],
            ).rowcount
            == 1
        )


def done_in(store: BotStore, conversation_id: str) -> dict[str, str]:
    """item key → the user who marked it done."""
    with store.read() as db:
        rows = db.execute(
            "SELECT item_key, done_by FROM action_item_state WHERE conversation_id = ?", [conversation_id]
        ).fetchall()
    return {key: user or "" for key, user in rows}


def find(insights: dict[str, Any], key: str) -> dict[str, Any] | None:
    for item in insights.get("actionItems") or []:
        if item_key(item) == key:
            return item
    return None
