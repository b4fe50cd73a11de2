"""What the speech model heard of a recording's language, and whether it contradicts the one the user gave
(`--language`, `languageCode`).

A given language is forced on Whisper: English speech forced to German comes out empty or garbled, and the
note was empty with no word of why (issue 24). Whisper's own language detection gives a probability per
language; when another language than the given one is clearly heard in the first half minute, the
conversation carries a warning (`warnings` of `GET /v1/conversations/{id}`, the CLI's `--json`) that every
note shows first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.engine import decode
from bot.engine.options import whisper_language
from bot.engine.transcribe import Transcriber
from bot.language import is_english, language_name

SAMPLE_SECONDS = 30.0  # what Whisper's detection looks at anyway: one 30 s window
MIN_PROBABILITY = 0.5  # faster-whisper's own threshold for calling a language detected


@dataclass(frozen=True)
class Heard:
    """`detected`: the language Whisper detected and transcribed in (none was given; a multilingual model).
    `opening`: (language, probability) Whisper hears in the first 30 s when a language was given, to compare.
    Either is None when not known (an English-only model has nothing to detect)."""

    detected: str | None = None
    opening: tuple[str, float] | None = None


class Transcript(list[dict]):
    """One recording's messages (what `Engine.process` returns), with what was `heard` of their language."""

    def __init__(self, messages: list[dict], heard: Heard):
        super().__init__(messages)
        self.heard = heard


def heard_in_opening(transcriber: Transcriber, mono: np.ndarray) -> tuple[str, float] | None:
    """The language Whisper hears in the first `SAMPLE_SECONDS` of mono 16 kHz audio, with its probability."""
    opening = mono[: int(SAMPLE_SECONDS * decode.SAMPLE_RATE)]
    return transcriber.heard_language(opening) if opening.size else None


def contradiction(language_code: str | None, opening: tuple[str, float] | None) -> str | None:
    """A warning when the speech is clearly in another language than the given `language_code`."""
    if not language_code or opening is None:
        return None
    language, probability = opening
    if language == whisper_language(language_code) or probability < MIN_PROBABILITY:
        return None
    return (
        f"The language was given as {language_code}, but the speech sounds like {language_name(language)} "
        f"({language}, {probability:.0%} likely), so the transcript may be garbled or empty. Leave the "
        "language out to have it detected."
    )


def conversation_language(messages: list[dict], language_code: str | None, heard: Heard | None) -> str | None:
    """The language a conversation is processed in: the given `languageCode`, else the one Whisper detected,
    else "en" when the words look English (bot.language); None when none of these tells."""
    if language_code:
        return language_code
    if heard is not None and heard.detected:
        return heard.detected
    return "en" if is_english(messages) else None


def language_facts(messages: list[dict], language_code: str | None, heard: Heard | None) -> dict:
    """`{"language", "warnings"}` of a conversation, as the engine stores and serves them (§5.8 extension)."""
    warning = contradiction(language_code, heard.opening if heard else None)
    return {
        "language": conversation_language(messages, language_code, heard),
        "warnings": [warning] if warning else [],
    }
