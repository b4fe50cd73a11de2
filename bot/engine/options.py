"""Processing options of one submission, in the Symbl Async API's vocabulary (contract §3.2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine.speaker_names import KnownPerson
from bot.errors import InvalidOption


def whisper_language(language_code: str) -> str:
    """Whisper's language for a BCP-47 `languageCode` ("de-DE" → "de"); `InvalidOption` for a language the
    speech model does not know, refused when the option is given rather than when transcription starts."""
    # Whisper's own table (faster_whisper.tokenizer, no public name for it); imported here, not at module
    # level, because the package's import loads the model runtime.
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    language = language_code.split("-")[0].split("_")[0].lower()
    if language not in _LANGUAGE_CODES:
        raise InvalidOption(
            f"languageCode {language_code!r} is not a language the speech model knows: give a BCP-47 code "
            "such as en-US, de-DE or fr, or leave it out to have the language detected."
        )
    return language


@dataclass(frozen=True)
class ChannelSpeaker:
    """`channelMetadata` item: which person speaks on which (1-based) audio channel."""

    channel: int
    name: str
    email: str | None = None


@dataclass(frozen=True)
class ProcessOptions:
    name: str | None = None
    language_code: str | None = None  # BCP-47, e.g. "en-US"; the packaged tiny.en model is English only
    enable_speaker_diarization: bool = False
    diarization_speaker_count: int | None = None
    channel_metadata: tuple[ChannelSpeaker, ...] = ()
    enable_separate_recognition_per_channel: bool = False
    detect_phrases: bool = False
    confidence_threshold: float = 0.5
    custom_vocabulary: tuple[str, ...] = ()
    # Extension: people who may speak (`members` [{name, email}]), the vocabulary for naming speakers.
    members: tuple[KnownPerson, ...] = ()
    webhook_url: str | None = None
    extra: dict = field(default_factory=dict)  # accepted but unused options (trackers, entities, mode, …)

    def __post_init__(self) -> None:
        if self.language_code is not None:
            whisper_language(self.language_code)
