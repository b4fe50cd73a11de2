"""A meeting's sentences as quotable passages: who said each, and when (seconds from the recording's start).

A quote is one sentence rather than a whole turn: speech-recogniser turns run on for a minute, and a Slack
answer should show the sentence that answers, not the paragraph around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.slack.render.transcripts import timed_lines

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z0-9\"'])")
MIN_WORDS = 4  # "Yeah, okay." answers nothing


@dataclass(frozen=True)
class Meeting:
    """One conversation as `answering` reads it: its id, title and stored insights (Symbl's shape)."""

    conversation_id: str
    title: str
    insights: dict[str, Any]


@dataclass(frozen=True)
class Passage:
    conversation_id: str
    message_id: str
    speaker: str
    seconds: float | None  # None for an item whose message is not in the transcript
    text: str


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def passages_of(meeting: Meeting) -> list[Passage]:
    """Every sentence of at least `MIN_WORDS` words, in the order spoken."""
    messages = meeting.insights.get("messages") or []
    out = []
    for message, (start, _end, speaker, text) in zip(messages, timed_lines(messages), strict=True):
        for sentence in sentences(text):
            if len(sentence.split()) >= MIN_WORDS:
                out.append(
                    Passage(meeting.conversation_id, str(message.get("id", "")), speaker, start, sentence)
                )
    return out


def source_passages(meeting: Meeting, item: dict[str, Any]) -> list[Passage]:
    """The whole messages an insight item cites (`messageIds`), as passages, in the order spoken."""
    wanted = {str(i) for i in item.get("messageIds") or []}
    messages = meeting.insights.get("messages") or []
    return [
        Passage(meeting.conversation_id, str(m.get("id", "")), speaker, start, text)
        for m, (start, _end, speaker, text) in zip(messages, timed_lines(messages), strict=True)
        if str(m.get("id", "")) in wanted and text
    ]
