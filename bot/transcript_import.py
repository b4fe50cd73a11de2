"""Transcript files → Text API messages (contract §3.9): WebVTT, SubRip and "Name: text" notes.

What meeting tools export, read with webvtt-py (which parses SRT too):
- WebVTT from Teams/Meet: cues with `<v Name>` voice tags; from Zoom: cues whose text starts "Name: ";
- SubRip (.srt): cues, optionally "Name: " prefixed;
- plain text (.txt): one utterance per line, "Name: text"; an unprefixed line continues the previous
  speaker (a wrapped paragraph). Plain text carries no times: the engine spaces its messages by words.

Each cue becomes one message, times and speakers as written, placed at `start_time` + the cue's time, so
the conversation has the same clock as the file. Messages are the Text API's wire dicts, ready for
`SymblClient.submit_text` or the engine's `parse_text_messages`.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from bot.errors import InputError

TRANSCRIPT_EXTENSIONS = {".vtt": "vtt", ".srt": "srt", ".txt": "txt"}
TRANSCRIPT_MIMETYPES = {
    "text/vtt": "vtt",
    "application/x-subrip": "srt",
    "application/srt": "srt",
    "text/srt": "srt",
    "text/x-srt": "srt",
    "text/plain": "txt",
}
MAX_TRANSCRIPT_BYTES = 20 * 1024 * 1024
# A cue later than this is a damaged timing line (hour 70,000,000 overflowed the conversation's clock).
MAX_CUE_SECONDS = 1000 * 3600
# "Priya Patel: …", "Dr. Chen: …", "Speaker 2: …", "Jane Doe (Guest): …": a short name before a colon (with
# what a meeting tool appends in brackets), not "Note: the time is 10:30".
SPEAKER_PREFIX = re.compile(
    r"^\s*([A-Z][\w.'\-]*(?:\s+[\w.'\-]+){0,3}(?:\s*\([^():\n]{1,40}\))?)\s*:\s+(\S.*)$", re.DOTALL
)
SRT_TIMING = re.compile(r"^\d+\s*\n\d{1,2}:\d{2}:\d{2},\d{3} --> ", re.MULTILINE)
NOT_NAMES = {
    "note",
    "notes",
    "action",
    "todo",
    "agenda",
    "summary",
    "decision",
    "question",
    "answer",
    "re",
    "fyi",
}


# Submission options the Text API takes (contract §3.9); the audio ones (diarization …) do not apply.
TEXT_OPTIONS = ("name", "confidenceThreshold", "detectPhrases", "webhookUrl", "languageCode")
# Slack's own text posts ("snippets", "posts") are messages, not exported transcripts.
NOT_TRANSCRIPT_MODES = ("snippet", "post", "docs", "canvas")


def is_transcript_file(file: dict) -> bool:
    """A Slack file (files.info shape) that is a transcript export: by name, Slack filetype or mimetype."""
    if file.get("mode") in NOT_TRANSCRIPT_MODES:
        return False
    filetype = str(file.get("filetype") or "").lower()
    if filetype in ("vtt", "srt"):
        return True
    return transcript_kind(file.get("name"), file.get("mimetype")) is not None


def transcript_kind(name: str | None, mimetype: str | None = None) -> str | None:
    """ "vtt", "srt" or "txt" for a transcript file (by extension first, then mimetype); None otherwise."""
    kind = TRANSCRIPT_EXTENSIONS.get(PurePosixPath(name or "").suffix.lower())
    if kind:
        return kind
    return TRANSCRIPT_MIMETYPES.get((mimetype or "").split(";")[0].strip().lower())


def _speaker_and_text(text: str) -> tuple[str | None, str]:
    match = SPEAKER_PREFIX.match(text)
    if match and match.group(1).lower() not in NOT_NAMES:
        return match.group(1).strip(), match.group(2)
    return None, text


def _message(text: str, speaker: str | None, start: datetime | None, end: datetime | None) -> dict:
    message: dict = {"payload": {"content": " ".join(text.split()), "contentType": "text/plain"}}
    if speaker:
        message["from"] = {"name": speaker}
    if start is not None and end is not None:
        message["duration"] = {"startTime": _iso(start), "endTime": _iso(max(start, end))}
    return message


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cues(text: str, kind: str, start_time: datetime) -> list[dict]:
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=kind).captions
    except (MalformedFileError, MalformedCaptionError) as err:
        label = "WebVTT" if kind == "vtt" else "SubRip (.srt)"
        raise InputError(f"The file is not a valid {label} transcript ({err}).") from None
    messages = []
    for caption in captions:
        voice = caption.voice
        speaker, content = (voice, caption.text) if voice else _speaker_and_text(caption.text)
        if not content.strip():
            continue
        begins, ends = caption.start_time.in_milliseconds(), caption.end_time.in_milliseconds()
        if max(begins, ends) > MAX_CUE_SECONDS * 1000:
            raise InputError(
                f"The transcript has a cue ({caption.start[:20]} --> {caption.end[:20]}) past "
                f"{MAX_CUE_SECONDS // 3600} hours: check its timings."
            )
        start = start_time + timedelta(milliseconds=begins)
        end = start_time + timedelta(milliseconds=ends)
        messages.append(_message(content, speaker, start, end))
    return messages


def _lines(text: str) -> list[dict]:
    utterances: list[tuple[str | None, list[str]]] = []  # (speaker, lines): joined once at the end
    speaker: str | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        named, content = _speaker_and_text(line)
        if named is None and utterances and speaker is not None:
            utterances[-1][1].append(content)  # a wrapped line of the same utterance
            continue
        speaker = named
        utterances.append((named, [content]))
    return [_message(" ".join(lines), named, None, None) for named, lines in utterances]


def _sniffed(text: str, kind: str) -> str:
    """The format the text is really in: a Slack title without extension, or a .txt export, may hold WebVTT
    or SubRip (their first lines say so)."""
    head = text.lstrip()[:400]
    if head.startswith("WEBVTT"):
        return "vtt"
    if kind == "txt" and SRT_TIMING.search(head):
        return "srt"
    return kind


def parse_transcript(text: str, kind: str, *, start_time: datetime) -> list[dict]:
    """Text API messages of a transcript's text; raises InputError when it holds no utterance."""
    text = text.lstrip("\ufeff")
    kind = _sniffed(text, kind)
    messages = _lines(text) if kind == "txt" else _cues(text, kind, start_time)
    if not messages:
        raise InputError("The transcript has no text in it.")
    return messages


def read_transcript(path: Path, kind: str, *, start_time: datetime) -> list[dict]:
    """`parse_transcript` of a file (UTF-8, a BOM allowed; undecodable bytes become U+FFFD)."""
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path.name} is empty (0 bytes).")
    if size > MAX_TRANSCRIPT_BYTES:
        raise InputError(
            f"{path.name} is larger than the {MAX_TRANSCRIPT_BYTES // 1024**2} MB transcript limit."
        )
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise InputError(f"{path.name} is not a text transcript (it holds binary data).")
    return parse_transcript(data.decode("utf-8", errors="replace"), kind, start_time=start_time)
