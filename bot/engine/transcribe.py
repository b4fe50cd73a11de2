"""Speech-to-text with faster-whisper (CTranslate2, int8 on CPU), VAD filter on, word timestamps."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.engine.decode import SAMPLE_RATE
from bot.engine.model import ModelSpec, offline_hub
from bot.engine.options import whisper_language
from bot.errors import InputError


@dataclass(frozen=True)
class Word:
    text: str  # as Whisper writes it, with its punctuation; leading space marks a word boundary
    start: float  # seconds from the start of the recording
    end: float
    probability: float


class Transcriber:
    """One loaded model, shared by every job of the process (loading takes memory, not much time)."""

    def __init__(
        self,
        spec: ModelSpec,
        *,
        cpu_threads: int | None = None,
        beam_size: int = 5,
        temperature: float | tuple[float, ...] = 0.0,
        no_repeat_ngram_size: int = 4,
        device: str = "cpu",
    ):
        self.spec = spec
        self.device = device
        self.beam_size = beam_size
        # 0 with no fallback: faster-whisper's default retries doubtful segments by *sampling* at rising
        # temperatures, so the same file gave a different transcript on every run (issue 10); CTranslate2's
        # generator is seeded once per worker thread, so a seed cannot make a long-lived process repeatable.
        self.temperature = temperature
        # What the sampling fallback used to rescue is mostly beam search looping on one phrase over
        # overlapping speech; forbidding a repeated 4-gram stops that deterministically (bench/README.md:
        # "model and decoding choices" — pooled WER no worse than the sampling fallback).
        self.no_repeat_ngram_size = no_repeat_ngram_size
        self._cpu_threads = cpu_threads or os.cpu_count() or 1
        self._model = None
        # CTranslate2 runs one model call at a time well on 2 cores; concurrent jobs would only thrash.
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            offline_hub()
            from faster_whisper import WhisperModel  # heavy import, deferred until a job needs it

            # int8 on CPU; on a GPU int8 weights with float16 activations, CTranslate2's fast mixed mode.
            compute_type = "int8" if self.device == "cpu" else "int8_float16"
            self._model = WhisperModel(
                str(self.spec.path),
                device=self.device,
                compute_type=compute_type,
                cpu_threads=self._cpu_threads,
            )
        return self._model

    def language_for(self, language_code: str | None) -> str | None:
        """Whisper's language for a BCP-47 `languageCode`; None (detect it) when none is given and the model
        is multilingual. An English-only model has nothing to detect."""
        if not language_code:
            return None if self.model.model.is_multilingual else "en"
        language = whisper_language(language_code)
        if language != "en" and not self.model.model.is_multilingual:
            raise InputError(
                f"The installed speech model ({self.spec.name}) understands English only; "
                f"languageCode {language_code!r} needs a multilingual model (set SYMBL_ENGINE_MODEL)."
            )
        return language

    def heard_language(self, audio: np.ndarray) -> tuple[str, float] | None:
        """The language Whisper hears in mono 16 kHz `audio` and its probability; None with an English-only
        model (it has nothing to compare)."""
        if not self.model.model.is_multilingual:
            return None
        with self._lock:
            language, probability, _all = self.model.detect_language(audio, vad_filter=True)
        return language, float(probability)

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        offset: float = 0.0,
        language: str | None = "en",
        vocabulary: tuple[str, ...] = (),
        progress: Callable[[float], None] | None = None,
    ) -> tuple[list[Word], str]:
        """Words of one mono 16 kHz chunk, with times shifted by `offset` seconds, and the chunk's language
        (`language`, or the one Whisper detected when it is None). Always transcribed in the language
        spoken: the task is "transcribe", never "translate"."""
        duration = len(audio) / SAMPLE_RATE
        with self._lock:
            segments, info = self.model.transcribe(
                audio,
                language=language,
                task="transcribe",
                beam_size=self.beam_size,
                vad_filter=True,
                word_timestamps=True,
                hotwords=", ".join(vocabulary) or None,
                condition_on_previous_text=False,
                temperature=self.temperature,
                no_repeat_ngram_size=self.no_repeat_ngram_size,
            )
            words: list[Word] = []
            for segment in segments:
                for w in segment.words or ():
                    words.append(Word(w.word, offset + w.start, offset + w.end, w.probability))
                if progress and duration:
                    progress(min(1.0, segment.end / duration))
        return words, info.language
