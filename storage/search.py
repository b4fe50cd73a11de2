"""Full-text search over transcripts and insights: SQLite FTS5 (porter stemming) or PostgreSQL's text search
(`websearch_to_tsquery`, English stemming).

`conversation_text` holds one row per conversation; on SQLite `enable_fts(..., create_triggers=True)` keeps
its FTS5 index in step, on PostgreSQL a generated `tsvector` column (storage.postgres_schema). Entries are
brought up to date lazily, before each search, from `conversations.fetched_at`: the pipeline caches insights
without knowing about search, and an append (which refreshes the cache) or a crash between the two writes
leaves nothing permanently stale.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, cast

import sqlite_utils

from storage.backend import BotStore


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
    # Every insight list (the kinds table is the bot's, which storage does not import), not the people.
    for key, items in insights.items():
        if key not in ("messages", "members", "summary") and isinstance(items, list):
            parts += [str(i.get("text") or "") for i in items if isinstance(i, dict)]
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
            db.execute(
                "INSERT INTO conversation_text (conversation_id, team_id, channel_id, title, transcript, "
                "insights, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE "
                "SET team_id = excluded.team_id, channel_id = excluded.channel_id, title = excluded.title, "
                "transcript = excluded.transcript, insights = excluded.insights, "
                "indexed_at = excluded.indexed_at",
                [conversation_id, team_id, channel_id, title or "", transcript, extracted, fetched_at],
            )
    return len(stale)


def search(store: BotStore, team_id: str, channel_ids: list[str], words: str, limit: int = 5) -> list[Hit]:
    """Best matches first (bm25), only in the given channels; `words` are matched as plain terms, never
    syntax."""
    if not channel_ids or not words.strip():
        return []
    refresh(store)
    marks = ", ".join("?" for _ in channel_ids)
    with store.read() as db:
        if store.dialect == "postgres":
            sql, query = _POSTGRES_SEARCH.format(marks=marks), _plain_websearch(words)
        else:  # the handle is a sqlite_utils.Database
            sql, query = _SQLITE_SEARCH.format(marks=marks), cast(sqlite_utils.Database, db).quote_fts(words)
        if not query:  # only quotes or syntax (`/symbl search "`): no term to look for, and FTS5 refuses ''
            return []
        if not query:  # only quotes or syntax (`/symbl search '"'`): no term to look for; FTS5 refuses ''
            return []
        rows = db.execute(sql, [query, team_id, *channel_ids, limit]).fetchall()
    return [Hit(*row) for row in rows]


# Both give the best match first, with the rank ascending (FTS5's rank is negated bm25; ts_rank negated).
_SQLITE_SEARCH = """
    SELECT t.conversation_id, t.channel_id, t.title,
           snippet(conversation_text_fts, -1, '*', '*', '…', 16), conversation_text_fts.rank
    FROM conversation_text_fts JOIN conversation_text t ON t.rowid = conversation_text_fts.rowid
    WHERE conversation_text_fts MATCH ? AND t.team_id = ? AND t.channel_id IN ({marks})
    ORDER BY conversation_text_fts.rank LIMIT ?
"""
_POSTGRES_SEARCH = """
    SELECT t.conversation_id, t.channel_id, t.title,
           ts_headline('english', t.title || ' ' || t.transcript || ' ' || t.insights, q,
                       'StartSel=*, StopSel=*, MaxWords=16, MinWords=5, MaxFragments=1, FragmentDelimiter=…'),
           -ts_rank(t.document, q) AS rank
    FROM conversation_text t, websearch_to_tsquery('english', ?) q
    WHERE t.document @@ q AND t.team_id = ? AND t.channel_id IN ({marks})
    ORDER BY rank LIMIT ?
"""


def _plain_websearch(words: str) -> str:
    """The words without websearch_to_tsquery's syntax (quotes, a leading minus, `or`): plain terms, all
    required, as on SQLite."""
    terms = re.sub(r'["\\-]', " ", words).split()
    return " ".join(t for t in terms if t.lower() != "or")
