"""`GET …/analytics` (contract §5.10): talk, silence and overlap of a conversation, from its messages' times.

Symbl computes these from the audio; the engine has only what it stored, each message's speaker and its
`startTime`/`endTime`, so every figure is a measure of those intervals. The choices, and why:

- A member's talk time is the *union* of their messages' intervals, so two messages of one speaker that
  overlap (a Text API sender may send any times) are not counted twice.
- The meeting's span runs from the conversation's start (when given, the recording's first instant) or the
  first message, whichever is earlier, to the last message's end: leading silence before the first word is
  silence of the meeting, as it is on the recording.
- `total_talk_time` is the union of everyone's talk, `total_silence` the span minus it, so the two add up to
  the span (100 %). `total_overlap` is the time two or more members talk at once: part of the talk time, not
  a third share.
- A member's `talkTime` and `listenTime` add up to the span too (listening is the span minus own talk, as
  in Symbl's examples, where the two percentages add up to 100).
- `overlappingMembers[].seconds` is the time this member and that one talk at once; its `percent` is that
  time as a share of this member's own talk time ("how much of what I said was talked over by them").
  `overlap.overlapDuration` is the time anyone else talks at once with this member (a union, so three
  people at once are not counted twice).
- `pace.wpm` is the member's words (whitespace-separated) per minute of their own talk time.
- Messages with no speaker id count towards the meeting's talk time but belong to no member; messages with
  no readable times are left out of every figure. A conversation with no timed message (or no time between
  its first and last instant) answers zeros for every figure: nothing to divide by, and never an error.

Percentages are of the span and rounded to two decimals, like seconds.
"""

from __future__ import annotations

from typing import TypedDict

from bot.engine.message_times import epoch_seconds, message_span

Interval = tuple[float, float]
METRIC_TYPES = ("total_talk_time", "total_silence", "total_overlap")


class Metric(TypedDict):
    type: str
    percent: float
    seconds: float


class Share(TypedDict):
    percentage: float
    seconds: float


class Pace(TypedDict):
    wpm: float


class OverlappingMember(TypedDict):
    id: str
    name: str
    userId: str
    percent: float
    seconds: float


class Overlap(TypedDict):
    overlapDuration: float
    overlappingMembers: list[OverlappingMember]


class MemberAnalytics(TypedDict):
    id: str
    name: str
    userId: str
    pace: Pace
    talkTime: Share
    listenTime: Share
    overlap: Overlap


class Analytics(TypedDict):
    """The body of `GET …/analytics` (`AnalyticsListResponse`)."""

    metrics: list[Metric]
    members: list[MemberAnalytics]


def merged(intervals: list[Interval]) -> list[Interval]:
    """The union of `intervals`, as sorted, disjoint intervals."""
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def length(intervals: list[Interval]) -> float:
    """Total length of disjoint intervals."""
    return sum(end - start for start, end in intervals)


def intersection(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Where two sorted, disjoint interval lists overlap (a two-pointer walk: linear in their sizes)."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _percent(part: float, whole: float) -> float:
    return round(100 * part / whole, 2) if whole > 0 else 0.0


def _identity(person: dict) -> tuple[str, str, str]:
    """(id, name, userId): the e-mail is the human-readable user id, as in every `FromPayload` we serve."""
    return (
        str(person.get("id") or ""),
        str(person.get("name") or ""),
        str(person.get("email") or person.get("userId") or ""),
    )


def conversation_analytics(
    messages: list[dict], members: list[dict] | None = None, start_time: str | None = None
) -> Analytics:
    """The analytics of a conversation: its stored `messages`, `members` (`ModelFrom`s, for the names and
    e-mails of the speakers) and `start_time` (ISO 8601; the span's earliest start when given)."""
    people: dict[str, dict] = {str(m["id"]): m for m in members or [] if m.get("id")}
    talk: dict[str, list[Interval]] = {}
    words: dict[str, int] = {}
    everyone: list[Interval] = []
    for message in messages:
        span = message_span(message)
        if span is None:
            continue
        everyone.append(span)
        speaker = message.get("from") or {}
        member_id = str(speaker.get("id") or "")
        if not member_id:
            continue
        people.setdefault(member_id, speaker)
        talk.setdefault(member_id, []).append(span)
        words[member_id] = words.get(member_id, 0) + len(str(message.get("text") or "").split())

    starts = [s for s, _ in everyone]
    opening = epoch_seconds(start_time)
    if opening is not None and starts:
        starts.append(opening)
    meeting = max(e for _, e in everyone) - min(starts) if everyone else 0.0
    spoken = length(merged(everyone))
    unions = {member_id: merged(spans) for member_id, spans in talk.items()}
    return {
        "metrics": _metrics(meeting, spoken, _overlap_time(list(unions.values()))),
        "members": [_member(member_id, people, unions, words, meeting) for member_id in unions],
    }


def _overlap_time(unions: list[list[Interval]]) -> float:
    """Time when two or more members talk at once: a sweep over every member's start (+1) and end (-1)."""
    events = sorted([(s, 1) for u in unions for s, _ in u] + [(e, -1) for u in unions for _, e in u])
    total, active, since = 0.0, 0, 0.0
    for moment, step in events:  # ends sort before starts at one instant: touching is not overlapping
        if active >= 2:
            total += moment - since
        active += step
        since = moment
    return total


def _metrics(meeting: float, spoken: float, overlapping: float) -> list[Metric]:
    seconds = {
        "total_talk_time": spoken,
        "total_silence": max(0.0, meeting - spoken),
        "total_overlap": overlapping,
    }
    return [
        {"type": kind, "percent": _percent(seconds[kind], meeting), "seconds": round(seconds[kind], 2)}
        for kind in METRIC_TYPES
    ]


def _member(
    member_id: str,
    people: dict[str, dict],
    unions: dict[str, list[Interval]],
    words: dict[str, int],
    meeting: float,
) -> MemberAnalytics:
    own = unions[member_id]
    talked = length(own)
    others = merged([span for other, union in unions.items() if other != member_id for span in union])
    overlapping: list[OverlappingMember] = []
    for other, union in unions.items():
        together = length(intersection(own, union)) if other != member_id else 0.0
        if together > 0:
            other_id, name, user_id = _identity(people[other])
            overlapping.append(
                {
                    "id": other_id,
                    "name": name,
                    "userId": user_id,
                    "percent": _percent(together, talked),
                    "seconds": round(together, 2),
                }
            )
    _, name, user_id = _identity(people[member_id])
    listened = max(0.0, meeting - talked)
    return {
        "id": member_id,
        "name": name,
        "userId": user_id,
        "pace": {"wpm": round(words.get(member_id, 0) * 60 / talked, 2) if talked > 0 else 0.0},
        "talkTime": {"percentage": _percent(talked, meeting), "seconds": round(talked, 2)},
        "listenTime": {"percentage": _percent(listened, meeting), "seconds": round(listened, 2)},
        "overlap": {
            "overlapDuration": round(length(intersection(own, others)), 2),
            "overlappingMembers": overlapping,
        },
    }
