"""When a stored message was said, in seconds on one clock, for the read-models that measure time.

Messages carry absolute `startTime`/`endTime` (ISO 8601, contract §5.2); the engine's own also carry
`timeOffset`/`duration`, but messages of older stores or other producers may not, so the absolute times are
the one source read here. A message whose times are missing or unreadable has no span: callers count it as
said but not timed, rather than failing the whole request over one bad row.
"""

from __future__ import annotations

from datetime import datetime


def epoch_seconds(value: object) -> float | None:
    """An ISO 8601 date-time (a trailing `Z` allowed) as POSIX seconds, or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def message_span(message: dict) -> tuple[float, float] | None:
    """(start, end) of `message` in POSIX seconds; a missing or earlier end counts as the start."""
    start = epoch_seconds(message.get("startTime"))
    if start is None:
        return None
    end = epoch_seconds(message.get("endTime"))
    return start, max(start, end if end is not None else start)
