"""Full-text search over transcripts and insights (SQLite FTS5 through sqlite-utils, porter stemming).

`conversation_text` holds one row per conversation; `enable_fts(..., create_triggers=True)` keeps its FTS5
index in step. Entries are brought up to date lazily, before each search, from `conversations.fetched_at`:
the pipeline caches insights without knowing about search, and an append (which refreshes the cache) or a
crash between the two writes leaves nothing permanently stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import BotStore


@dataclass(frozen=True)
class Hit:
    conversation_id: str
    channel_id: str
    title: str
    snippet: str
    rank: float


def _document(insights: dict[str, Any]) -> tuple[str, str]:
    transcript = "\n".join(str(m.get("text") or "") for m in insights.get("messages") or [])
    parts = []
    for key in ("topics", "actionItems", "followUps", "questions"):
        parts += [str(i.get("text") or "") for i in insights.get(key) or []]
    return transcript, "\n".join(p for p in parts if p)


def refresh(store: BotStore) -> int:
    """Index every conversation whose cached insights are newer than its entry. Returns how many."""
    with store.read() as db:
        stale = db.execute(
            "SELECT c.conversation_id, c.team_id, c.channel_id, COALESCE(c.name, r.name), c.insights, "
            "c.fetched_at FROM conversations c LEFT JOIN recordings r ON r.id = c.recording_id LEFT JOIN "
            "conversation_text t ON t.conversation_id = c.conversation_id WHERE t.conversation_id IS NULL OR "
            "t.indexed_at < c.fetched_at"
        ).fetchall()
    for conversation_id, team_id, channel_id, title, insights, fetched_at in stale:
        transcript, extracted = _document(json.loads(insights))
        with store.tx() as db:
            db.table("conversation_text").upsert(
                {
                    "conversation_id": conversation_id,
                    "team_id": team_id,
                    "channel_id": channel_id,
                    "title": title or "",
                    "transcript": transcript,
                    "insights": extracted,
                    "indexed_at": fetched_at,
                },
                pk="conversation_id",
            )
    return len(stale)


def search(store: BotStore, team_id: str, channel_ids: list[str], words: str, limit: int = 5) -> list[Hit]:
    """Best matches first (bm25), only in the given channels; `words` are matched as plain terms, never
    syntax."""
    if not channel_ids or not words.strip():
        return []
    refresh(store)
    marks = ", ".join("?" for _ in channel_ids)
    sql = f"""
        SELECT t.conversation_id, t.channel_id, t.title,
               snippet(conversation_text_fts, -1, '*', '*', '…', 16), conversation_text_fts.rank
        FROM conversation_text_fts JOIN conversation_text t ON t.rowid = conversation_text_fts.rowid
        WHERE conversation_text_fts MATCH ? AND t.team_id = ? AND t.channel_id IN ({marks})
        ORDER BY conversation_text_fts.rank LIMIT ?
    """
    with store.read() as db:
        rows = db.execute(sql, [db.quote_fts(words), team_id, *channel_ids, limit]).fetchall()
    return [Hit(*row) for row in rows]
