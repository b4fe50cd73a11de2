"""The formatted transcript (`POST …/transcript`, Symbl's Conversation API; not in the SDK sources, §5.15):
a request body in, `{"transcript": {"payload", "contentType"}}` out.

Body: `contentType` `text/markdown` or `text/srt` (required); `createParagraphs`, `showSpeakerSeparation`
(booleans, default false); `phrases: {highlightAllKeyPhrases, highlightOnlyInsightKeyPhrases}` (booleans,
Markdown only). Other keys are ignored. A malformed field raises `InvalidOption` naming it (→ 400).

Markdown, as Symbl's own samples write it: one unit per message, or with `createParagraphs` per paragraph
(consecutive messages of one speaker, broken at a pause of `PARAGRAPH_PAUSE_SECONDS`), units joined by
`<br/><br/>`; `showSpeakerSeparation` starts each unit with "Name: "; highlighted phrases are wrapped in
`<mark>` (all the messages' phrases, or only action phrases: the phrases insights are made of; both need
`detectPhrases` at submission). SRT: one numbered cue per message, timed from the conversation's start;
a message without readable times makes SRT impossible (`UntimedMessage`, → 400), Markdown still works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from bot.engine.message_times import epoch_seconds, message_span
from bot.errors import InvalidOption

CONTENT_TYPES = ("text/markdown", "text/srt")
PARAGRAPH_PAUSE_SECONDS = 10.0
UNIT_BREAK = "<br/><br/>"
UNKNOWN_SPEAKER = "Unknown speaker"
ContentType = Literal["text/markdown", "text/srt"]


class Transcript(TypedDict):
    payload: str
    contentType: str


class TranscriptResponse(TypedDict):
    transcript: Transcript


@dataclass(frozen=True)
class TranscriptRequest:
    content_type: str
    create_paragraphs: bool = False
    show_speaker_separation: bool = False
    highlight_all: bool = False
    highlight_insights: bool = False


class UntimedMessage(InvalidOption):
    """SRT was asked for and a message has no readable `startTime`."""


def _flag(body: dict, key: str, where: str = "") -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise InvalidOption(f"{where}{key} must be true or false, not {value!r}.")
    return value


def parse_request(body: Any) -> TranscriptRequest:
    if not isinstance(body, dict):
        raise InvalidOption(
            'The request body must be a JSON object such as {"contentType": "text/markdown"}.'
        )
    content_type = body.get("contentType")
    if content_type not in CONTENT_TYPES:
        raise InvalidOption(f"contentType must be one of {', '.join(CONTENT_TYPES)}, not {content_type!r}.")
    phrases = body.get("phrases", {})
    if not isinstance(phrases, dict):
        raise InvalidOption(
            "phrases must be an object {highlightAllKeyPhrases, highlightOnlyInsightKeyPhrases}."
        )
    return TranscriptRequest(
        content_type,
        _flag(body, "createParagraphs"),
        _flag(body, "showSpeakerSeparation"),
        _flag(phrases, "highlightAllKeyPhrases", "phrases."),
        _flag(phrases, "highlightOnlyInsightKeyPhrases", "phrases."),
    )


def render(messages: list[dict], start_time: str, asked: TranscriptRequest) -> TranscriptResponse:
    """The transcript of `messages` (a conversation's, in order; `start_time` its ISO start)."""
    if asked.content_type == "text/srt":
        payload = srt(messages, start_time, asked.show_speaker_separation)
    else:
        payload = markdown(messages, asked)
    return {"transcript": {"payload": payload, "contentType": asked.content_type}}


def _speaker(message: dict) -> str:
    speaker = message.get("from") or {}
    return str(speaker.get("name") or "").strip() or UNKNOWN_SPEAKER


def _highlighted(message: dict, asked: TranscriptRequest) -> str:
    text = str(message.get("text") or "")
    if not (asked.highlight_all or asked.highlight_insights):
        return text
    for phrase in message.get("phrases") or []:
        said = str(phrase.get("text") or "")
        wanted = asked.highlight_all or phrase.get("type") == "action_phrase"
        if said and wanted and said in text and f"<mark>{said}" not in text:
            text = text.replace(said, f"<mark>{said}</mark>", 1)
    return text


def _paragraphs(messages: list[dict]) -> list[list[dict]]:
    """Runs of one speaker's consecutive messages, broken where they paused PARAGRAPH_PAUSE_SECONDS."""
    paragraphs: list[list[dict]] = []
    for message in messages:
        previous = paragraphs[-1][-1] if paragraphs else None
        if previous is None or _speaker(previous) != _speaker(message) or _paused(previous, message):
            paragraphs.append([message])
        else:
            paragraphs[-1].append(message)
    return paragraphs


def _paused(previous: dict, message: dict) -> bool:
    before, after = message_span(previous), message_span(message)
    return before is not None and after is not None and after[0] - before[1] >= PARAGRAPH_PAUSE_SECONDS


def markdown(messages: list[dict], asked: TranscriptRequest) -> str:
    groups = _paragraphs(messages) if asked.create_paragraphs else [[m] for m in messages]
    units = []
    for group in groups:
        text = " ".join(_highlighted(m, asked) for m in group)
        units.append(f"{_speaker(group[0])}: {text}" if asked.show_speaker_separation else text)
    return UNIT_BREAK.join(units)


def _clock(seconds: float) -> str:
    millis = round(max(0.0, seconds) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d},{rest % 1000:03d}"


def srt(messages: list[dict], start_time: str, show_speaker: bool) -> str:
    origin = epoch_seconds(start_time)
    cues = []
    for number, message in enumerate(messages, start=1):
        span = message_span(message)
        if span is None or origin is None:
            raise UntimedMessage(
                f"Message {message.get('id')} has no readable startTime, and an SRT transcript times every "
                "line: ask for contentType text/markdown instead."
            )
        text = str(message.get("text") or "")
        line = f"{_speaker(message)}: {text}" if show_speaker else text
        cues.append(f"{number}\n{_clock(span[0] - origin)} --> {_clock(span[1] - origin)}\n{line}\n")
    return "\n".join(cues)
