"""Reading conversations for commands: which one a channel, a thread or an id means, and forgetting one.

A conversation is the cached insights of one processed recording (`conversations`), extended by the recordings
appended to it (`recordings.append_to`). Its *base* recording is the one that started it: the row whose
summary message carries the conversation in Slack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage import recordings
from storage.backend import BotStore
from storage.recordings import Recording


@dataclass(frozen=True)
class SummarizedConversation:
    """A conversation as the bot summarized it in a channel: its base recording, appends and insights.

    (Not the SDK-shaped `bot.providers.symbl.Conversation`, a handle on a provider job.)"""

    conversation_id: str
    team_id: str
    channel_id: str
    name: str | None
    insights: dict[str, Any]
    fetched_at: float
    base: Recording  # the recording that started it (its summary is the conversation's message in Slack)

    @property
    def summary_ts(self) -> str | None:
        return self.base.summary_ts

    @property
    def title(self) -> str:
        return self.name or self.base.name or "recording"


_SELECT = (
    "SELECT c.conversation_id, c.team_id, c.channel_id, c.name, c.insights, c.fetched_at, r.* "
    "FROM conversations c JOIN recordings r ON r.id = c.recording_id "
)


def _conversation(row: Any, description: Any) -> SummarizedConversation:
    names = [d[0] for d in description]
    values = dict(zip(names[6:], row[6:], strict=True))
    return SummarizedConversation(
        conversation_id=row[0],
        team_id=row[1],
        channel_id=row[2],
        name=row[3],
        insights=json.loads(row[4]),
        fetched_at=row[5],
        base=Recording.from_row(values),
    )


def _query(
    store: BotStore, where: str, params: list[Any], limit: int | None = None
) -> list[SummarizedConversation]:
    sql = _SELECT + "WHERE " + where + " ORDER BY r.created_at DESC, r.id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with store.read() as db:
        cursor = db.execute(sql, params)
        return [_conversation(row, cursor.description) for row in cursor.fetchall()]


def get(store: BotStore, team_id: str, conversation_id: str) -> SummarizedConversation | None:
    found = _query(store, "c.team_id = ? AND c.conversation_id = ?", [team_id, conversation_id], 1)
    return found[0] if found else None


def latest_in_channel(store: BotStore, team_id: str, channel_id: str) -> SummarizedConversation | None:
    found = recent_in_channels(store, team_id, [channel_id], 1)
    return found[0] if found else None


def recent_in_channels(
    store: BotStore, team_id: str, channel_ids: list[str], limit: int = 10
) -> list[SummarizedConversation]:
    if not channel_ids:
        return []
    marks = ", ".join("?" for _ in channel_ids)
    return _query(store, f"c.team_id = ? AND c.channel_id IN ({marks})", [team_id, *channel_ids], limit)


def in_thread(
    store: BotStore, team_id: str, channel_id: str, thread_ts: str
) -> SummarizedConversation | None:
    """The conversation whose recording was posted in (or started) this thread."""
    found = _query(
        store, "c.team_id = ? AND c.channel_id = ? AND r.thread_ts = ?", [team_id, channel_id, thread_ts], 1
    )
    return found[0] if found else None


def posted_in_thread(store: BotStore, team_id: str, channel_id: str, thread_ts: str) -> str | None:
    """The conversation id whose summary is posted in this thread (a new upload there is appended to it)."""
    with store.read() as db:
        row = db.execute(
            "SELECT conversation_id FROM recordings WHERE team_id = ? AND channel_id = ? AND thread_ts = ? "
            "AND state = 'posted' AND append_to IS NULL AND summary_ts IS NOT NULL AND conversation_id IS "
            "NOT NULL ORDER BY created_at LIMIT 1",
            [team_id, channel_id, thread_ts],
        ).fetchone()
    return row[0] if row else None


def latest_recording_in_channel(store: BotStore, team_id: str, channel_id: str) -> Recording | None:
    found = recordings.rows(
        store, "team_id = ? AND channel_id = ?", [team_id, channel_id], "created_at DESC, id DESC", 1
    )
    return found[0] if found else None


def recordings_of(store: BotStore, conversation_id: str) -> list[Recording]:
    """The base recording and its appends, oldest first."""
    return recordings.rows(
        store, "conversation_id = ? OR append_to = ?", [conversation_id, conversation_id], "created_at, id"
    )


def base_recording(store: BotStore, conversation_id: str) -> Recording | None:
    found = recordings.rows(
        store, "conversation_id = ? AND append_to IS NULL", [conversation_id], "created_at, id", 1
    )
    return found[0] if found else None


def forget(store: BotStore, conversation_id: str) -> bool:
    """Delete the conversation's transcript, insights, search entry, action-item state and speaker names, in
    one transaction.

    The recording rows stay (without their names and links) so a redelivered event still finds its key and
    does not bring the recording back.
    """
    with store.tx() as db:
        deleted = db.execute(
            "DELETE FROM conversations WHERE conversation_id = ?", [conversation_id]
        ).rowcount
        db.execute("DELETE FROM conversation_text WHERE conversation_id = ?", [conversation_id])
        db.execute("DELETE FROM action_item_state WHERE conversation_id = ?", [conversation_id])
        db.execute("DELETE FROM speaker_names WHERE conversation_id = ?", [conversation_id])
        db.execute(
            "UPDATE recordings SET name = NULL, download_url = NULL WHERE conversation_id = ? OR append_to = "
            "?",
            [conversation_id, conversation_id],
        )
    return deleted > 0
