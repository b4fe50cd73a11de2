"""Processing options of one submission, in the Symbl Async API's vocabulary (contract §3.2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine.speaker_names import KnownPerson


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
