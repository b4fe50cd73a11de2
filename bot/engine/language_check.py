"""Does the speech contradict the language the user gave (`--language`, `languageCode`)?

A given language is forced on Whisper: English speech forced to German comes out empty or garbled, and the
note was empty with no word of why (issue 24). Whisper's own language detection gives a probability per
language; when another language than the given one is clearly heard in the first half minute, the note says
so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.engine import decode
from bot.engine.options import whisper_language
from bot.engine.transcribe import Transcriber

SAMPLE_SECONDS = 30.0  # what Whisper's detection looks at anyway: one 30 s window
MIN_PROBABILITY = 0.5  # faster-whisper's own threshold for calling a language detected


def contradiction_note(
    transcriber: Transcriber, media_path: Path, language_code: str | None, *, max_duration_seconds: float
) -> str | None:
    """A sentence for the note when the speech is clearly in another language than `language_code`."""
    if not language_code:
        return None
    audio = _opening(media_path, max_duration_seconds)
    heard = transcriber.heard_language(audio) if audio.size else None
    if heard is None:
        return None
    language, probability = heard
    if language == whisper_language(language_code) or probability < MIN_PROBABILITY:
        return None
    return (
        f"The language was given as {language_code}, but the speech sounds like {language} "
        f"({probability:.0%} likely), so the transcript may be garbled or empty. Leave the language out to "
        "have it detected."
    )


def _opening(media_path: Path, max_duration_seconds: float) -> np.ndarray:
    wanted = int(SAMPLE_SECONDS * decode.SAMPLE_RATE)
    blocks, have = [], 0
    for block in decode.iter_pcm(media_path, max_duration_seconds=max_duration_seconds):
        blocks.append(block)
        have += len(block)
        if have >= wanted:
            break
    return np.concatenate(blocks)[:wanted] if blocks else np.zeros(0, np.float32)
