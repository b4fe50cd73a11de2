"""The conversations a question may be answered from: the search index (storage.search) asked for ANY of the
question's words, best first, in the given channels only.

`/symbl search` wants every word; a question ("what did we say about the vendor contract?") rarely has
all its words in one meeting, so candidates are ranked on any of them and the sentences are decided later.
"""

from __future__ import annotations

import re

from storage import search as fts
from storage.backend import BotStore

_TERM = re.compile(r"^[a-z0-9]+$")


def conversations_matching(
    store: BotStore, team_id: str, channel_ids: list[str], words: list[str], limit: int = 5
) -> list[str]:
    """Conversation ids of the given channels whose text has any of `words` (plain lower-case words)."""
    terms = sorted({w for w in words if _TERM.match(w)})
    if not channel_ids or not terms:
        return []
    fts.refresh(store)
    marks = ", ".join("?" for _ in channel_ids)
    if store.dialect == "postgres":
        sql, query = _POSTGRES.format(marks=marks), " or ".join(terms)
    else:
        sql, query = _SQLITE.format(marks=marks), " OR ".join(f'"{t}"' for t in terms)
    with store.read() as db:
        rows = db.execute(sql, [query, team_id, *channel_ids, limit]).fetchall()
    return [str(row[0]) for row in rows]


_SQLITE = """
    SELECT t.conversation_id FROM conversation_text_fts JOIN conversation_text t
        ON t.rowid = conversation_text_fts.rowid
    WHERE conversation_text_fts MATCH ? AND t.team_id = ? AND t.channel_id IN ({marks})
    ORDER BY conversation_text_fts.rank LIMIT ?
"""
_POSTGRES = """
    SELECT t.conversation_id FROM conversation_text t, websearch_to_tsquery('english', ?) q
    WHERE t.document @@ q AND t.team_id = ? AND t.channel_id IN ({marks})
    ORDER BY ts_rank(t.document, q) DESC LIMIT ?
"""
