"""The Text API's input (contract §3.9): `messages: [{payload, from, duration}]` → Symbl message dicts.

The body is checked whole at submission (`parse_text_messages`, → HTTP 400 naming the bad item), so a job
never fails later on its input. Conversion (`to_symbl_messages`) keeps what the sender said: a message's
`id` when it carries one, its times, and its speaker (`from.id`, `from.name`; `from.userId` becomes the
`email` of `ModelFrom`, the human-readable user id both shapes describe). Missing times are filled in as
if the messages were spoken one after another at `WORDS_PER_SECOND`, so every message has the same keys
as a transcribed one (`timeOffset`/`duration` in seconds from the conversation's start).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.engine.core import Speaker, analyze, iso, speaker_ref
from bot.engine.ids import stable_id
from bot.engine.options import ProcessOptions
from bot.engine.wire_options import InvalidOption

MAX_MESSAGES = 20000
MAX_CONTENT_CHARS = 20000
TEXT_CONTENT_TYPES = ("text/plain",)
# Message times accepted: datetime ends at years 1 and 9999, and a time near either end overflows once a
# duration or a time zone is added to it. No meeting transcript is dated outside these.
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9000, 1, 1, tzinfo=UTC)
WORDS_PER_SECOND = 2.5  # ~150 words a minute, the usual speaking rate: for messages sent without times


@dataclass(frozen=True)
class TextMessage:
    """One validated Text API message."""

    content: str
    id: str | None = None
    speaker_id: str | None = None
    speaker_name: str | None = None
    user_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def to_wire(self) -> dict:
        """The message as the Text API body carries it (what a job stores and a client sends)."""
        item: dict[str, Any] = {"payload": {"content": self.content, "contentType": "text/plain"}}
        if self.id:
            item["id"] = self.id
        speaker = {
            k: v
            for k, v in (("id", self.speaker_id), ("name", self.speaker_name), ("userId", self.user_id))
            if v
        }
        if speaker:
            item["from"] = speaker
        if self.start or self.end:
            item["duration"] = {
                k: iso(v) for k, v in (("startTime", self.start), ("endTime", self.end)) if v is not None
            }
        return item


def _time(where: str, key: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidOption(f"{where}: duration.{key} must be an ISO 8601 date-time string.")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidOption(f"{where}: duration.{key} {value[:40]!r} is not an ISO 8601 date-time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Compared as naive wall-clock times first: converting a time zone at the limits is itself an overflow.
    wall = moment.replace(tzinfo=None)
    if not EARLIEST_TIME.replace(tzinfo=None) < wall < LATEST_TIME.replace(tzinfo=None):
        raise InvalidOption(
            f"{where}: duration.{key} {value[:40]!r} is outside the years "
            f"{EARLIEST_TIME.year}–{LATEST_TIME.year}."
        )
    return moment


def _optional_string(where: str, key: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise InvalidOption(f"{where}: {key} must be a string.")
    return str(value)


def _one(index: int, item: Any) -> TextMessage:
    where = f"messages[{index}]"
    if not isinstance(item, dict):
        raise InvalidOption(f"{where} must be an object with a payload.")
    payload = item.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("content"), str):
        raise InvalidOption(f"{where}: payload.content (a string) is required.")
    content_type = payload.get("contentType") or "text/plain"
    if content_type not in TEXT_CONTENT_TYPES:
        raise InvalidOption(f"{where}: payload.contentType must be text/plain, not {content_type!r}.")
    content = " ".join(payload["content"].split())
    if len(content) > MAX_CONTENT_CHARS:
        raise InvalidOption(f"{where}: payload.content is longer than {MAX_CONTENT_CHARS} characters.")
    speaker = item.get("from") or {}
    if not isinstance(speaker, dict):
        raise InvalidOption(f"{where}: from must be an object {{id, name, userId}}.")
    duration = item.get("duration") or {}
    if not isinstance(duration, dict):
        raise InvalidOption(f"{where}: duration must be an object {{startTime, endTime}}.")
    start = _time(where, "startTime", duration.get("startTime"))
    end = _time(where, "endTime", duration.get("endTime"))
    if start and end and end < start:
        raise InvalidOption(f"{where}: duration.endTime is before its startTime.")
    return TextMessage(
        content=content,
        id=_optional_string(where, "id", item.get("id")),
        speaker_id=_optional_string(where, "from.id", speaker.get("id")),
        speaker_name=_optional_string(where, "from.name", speaker.get("name")),
        user_id=_optional_string(where, "from.userId", speaker.get("userId")),
        start=start,
        end=end,
    )


def parse_text_messages(value: Any) -> list[TextMessage]:
    """The body's `messages`, checked; raises `InvalidOption` (HTTP 400) naming the first bad item."""
    if not isinstance(value, list) or not value:
        raise InvalidOption(
            "messages must be a non-empty list of {payload: {content, contentType}, from, duration}."
        )
    if len(value) > MAX_MESSAGES:
        raise InvalidOption(f"At most {MAX_MESSAGES} messages can be sent at once.")
    parsed = [_one(i, item) for i, item in enumerate(value)]
    if not any(m.content for m in parsed):
        raise InvalidOption("Every message's payload.content is empty.")
    ids = [m.id for m in parsed if m.id]
    if len(ids) != len(set(ids)):
        raise InvalidOption("Message ids must be unique within a submission.")
    return parsed


def earliest_start(messages: list[TextMessage]) -> datetime | None:
    """Where a new conversation starts: its first timed message (a transcript's own clock), if any."""
    starts = [m.start for m in messages if m.start is not None]
    return min(starts) if starts else None


def _spoken_seconds(text: str) -> float:
    return max(1.0, len(text.split()) / WORDS_PER_SECOND)


def _from(conversation_id: str, message: TextMessage) -> dict:
    if not (message.speaker_id or message.speaker_name or message.user_id):
        return {}
    name = message.speaker_name or message.user_id or message.speaker_id or ""
    ref = speaker_ref(conversation_id, Speaker(name, message.user_id))
    if message.speaker_id:
        ref["id"] = message.speaker_id
    return ref


def to_symbl_messages(
    messages: list[TextMessage],
    *,
    conversation_id: str,
    start_time: datetime,
    time_offset: float = 0.0,
    taken_ids: frozenset[str] = frozenset(),
) -> list[dict]:
    """Symbl message dicts (contract §5.2) for one submission placed after `time_offset` seconds.

    Timed messages keep their times; an untimed one starts where the previous one ended (or at
    `time_offset`) and lasts as long as its words take to say. Ids not sent are derived from the
    conversation and the message's place, so the same submission gives the same ids. An id the
    conversation already has (`taken_ids`: an earlier submission's, sent again in an append) is replaced by
    one derived from it, so a conversation's message ids stay unique.
    """
    used = set(taken_ids)
    result = []
    cursor = start_time + timedelta(seconds=time_offset)
    for index, message in enumerate(messages):
        if not message.content:
            continue
        begin = message.start or cursor
        end = message.end or begin + timedelta(seconds=_spoken_seconds(message.content))
        cursor = max(cursor, end)
        offset = (begin - start_time).total_seconds()
        message_id = message.id or stable_id(conversation_id, "text-message", round(offset, 3), index)
        while message_id in used:
            message_id = stable_id(conversation_id, "text-message-again", message_id)
        used.add(message_id)
        result.append(
            {
                "id": message_id,
                "text": message.content,
                "from": _from(conversation_id, message),
                "startTime": iso(begin),
                "endTime": iso(end),
                "timeOffset": round(offset, 3),
                "duration": round((end - begin).total_seconds(), 3),
                "conversationId": conversation_id,
                "words": [],
            }
        )
    return result


def process_text(
    messages: list[TextMessage], options: ProcessOptions, *, conversation_id: str, start_time: datetime
) -> dict:
    """A whole conversation from one Text API submission, as `process_recording` gives for a recording
    (what `symbl-bot process meeting.vtt` runs; the engine's text jobs run the same two steps)."""
    symbl_messages = to_symbl_messages(messages, conversation_id=conversation_id, start_time=start_time)
    return {
        "conversationId": conversation_id,
        **analyze(symbl_messages, reference_time=start_time, options=options),
    }


def process_transcript_file(
    path: Path, kind: str, options: ProcessOptions, *, conversation_id: str, start_time: datetime
) -> dict:
    """`process_text` of a .vtt/.srt/.txt file (bot.transcript_import reads it into Text API messages)."""
    from bot.transcript_import import read_transcript

    wire = read_transcript(path, kind, start_time=start_time)
    return process_text(
        parse_text_messages(wire), options, conversation_id=conversation_id, start_time=start_time
    )


def dumps(messages: list[TextMessage]) -> str:
    return json.dumps([m.to_wire() for m in messages])


def loads(text: str) -> list[TextMessage]:
    return parse_text_messages(json.loads(text))
