"""Who a conversation's speakers are in Slack, as people named them with "Fix speakers" (issue 25).

One row per (conversation, provider member id): the Slack user, the name the provider was given, who named
them and when. Every render of the note reads it (bot.slack.updates.owners_of), so an append or "Mark done"
after a rename keeps the owners as mentions. `forget` and retention delete the rows with the conversation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from storage.backend import BotStore


@dataclass(frozen=True)
class SpeakerName:
    member_id: str
    user_id: str
    name: str


def of(store: BotStore, conversation_id: str) -> dict[str, SpeakerName]:
    """member id → who that speaker is."""
    with store.read() as db:
        rows = db.execute(
            "SELECT member_id, user_id, name FROM speaker_names WHERE conversation_id = ?", [conversation_id]
        ).fetchall()
    return {str(member): SpeakerName(str(member), str(user), str(name)) for member, user, name in rows}


def remember(
    store: BotStore,
    conversation_id: str,
    named: SpeakerName,
    named_by: str,
    now: float | None = None,
) -> None:
    now = time.time() if now is None else now
    with store.tx() as db:
        db.execute(
            "INSERT INTO speaker_names (conversation_id, member_id, user_id, name, named_by, named_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id, member_id) DO UPDATE SET "
            "user_id = excluded.user_id, name = excluded.name, named_by = excluded.named_by, "
            "named_at = excluded.named_at",
            [conversation_id, named.member_id, named.user_id, named.name, named_by, now],
        )
