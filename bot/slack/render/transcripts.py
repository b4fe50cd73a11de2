"""A conversation's messages as a transcript file: plain text, SubRip, WebVTT or Markdown. Pure functions.

Times come from the engine's `timeOffset`/`duration` (seconds) when present, else from Symbl's
`startTime`/`endTime`, relative to the first message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _instant(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def timed_lines(messages: list[dict[str, Any]]) -> list[tuple[float, float, str, str]]:
    """(start, end, speaker, text) per message, in seconds from the start of the recording."""
    origin = min((t for t in (_instant(m.get("startTime")) for m in messages) if t is not None), default=None)
    out = []
    previous_end = 0.0
    for m in messages:
        if isinstance(m.get("timeOffset"), (int, float)):
            start = float(m["timeOffset"])
            end = start + float(m.get("duration") or 0)
        else:
            begin, finish = _instant(m.get("startTime")), _instant(m.get("endTime"))
            start = begin - origin if begin is not None and origin is not None else previous_end
            end = finish - origin if finish is not None and origin is not None else start
        end = max(end, start)
        previous_end = end
        speaker = (m.get("from") or {}).get("name") or (m.get("from") or {}).get("email") or ""
        out.append((start, end, str(speaker), " ".join(str(m.get("text") or "").split())))
    return out


def _clock(seconds: float, sep: str) -> str:
    millis = round(seconds * 1000)
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _short(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def render(messages: list[dict[str, Any]], fmt: str, title: str = "Transcript") -> str:
    lines = timed_lines(messages)
    if fmt == "srt":
        return "\n".join(
            f"{i}\n{_clock(a, ',')} --> {_clock(b, ',')}\n{(s + ': ') if s else ''}{t}\n"
            for i, (a, b, s, t) in enumerate(lines, start=1)
        )
    if fmt == "vtt":
        cues = [
            f"{_clock(a, '.')} --> {_clock(b, '.')}\n{('<v ' + s + '>') if s else ''}{t}\n"
            for a, b, s, t in lines
        ]
        return "WEBVTT\n\n" + "\n".join(cues)
    if fmt == "md":
        body = [f"**[{_short(a)}] {s or 'Speaker'}:** {t}" for a, _b, s, t in lines]
        return f"# {title}\n\n" + "\n\n".join(body) + "\n"
    return "\n".join(f"[{_short(a)}] {(s + ': ') if s else ''}{t}" for a, _b, s, t in lines) + "\n"
