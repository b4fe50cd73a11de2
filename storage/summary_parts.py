"""Where a recording's summary parts are in Slack: part number → message ts.

Written as each part is posted, so later edits (appends, "Mark done") and restarts find the parts without
searching the thread; rows from before this table existed are found in the thread once, then stored.
"""

from __future__ import annotations

from storage.backend import BotStore
from storage.fence import hold


def of(store: BotStore, recording_id: int) -> dict[int, str]:
    with store.read() as db:
        rows = db.execute(
            "SELECT part, ts FROM summary_parts WHERE recording_id = ?", [recording_id]
        ).fetchall()
    return {int(part): str(ts) for part, ts in rows}


def remember(store: BotStore, recording_id: int, parts: dict[int, str]) -> None:
    with store.tx() as db:
        hold(db)
        for part, ts in parts.items():
            db.execute(
                "INSERT INTO summary_parts (recording_id, part, ts) VALUES (?, ?, ?) "
                "ON CONFLICT (recording_id, part) DO UPDATE SET ts = excluded.ts",
                [recording_id, part, ts],
            )


def forget_after(store: BotStore, recording_id: int, last_part: int) -> None:
    """The summary now has `last_part` parts: the rows of parts beyond it go."""
    with store.tx() as db:
        hold(db)
        db.execute("DELETE FROM summary_parts WHERE recording_id = ? AND part > ?", [recording_id, last_part])
