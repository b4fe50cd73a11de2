"""The engine's entry points: a recording → Symbl-shaped messages (`Engine.process`), messages → insights
(`analyze`), and both at once (`process_recording`, what `symbl-bot process` runs).

Shapes follow the Symbl Async API contract (§5): messages carry `from` as {id, name, email}, ISO 8601 times
with a Z suffix, word timings, and the `timeOffset`/`duration` extensions in seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from bot.engine import decode
from bot.engine.ids import new_conversation_id, stable_id
from bot.engine.language_check import Heard, Transcript, heard_in_opening, language_facts
from bot.engine.model import resolve_model
from bot.engine.options import ProcessOptions
from bot.engine.speaker_names import KnownPerson, Turn, identify
from bot.engine.transcribe import Transcriber, Word
from bot.errors import ConfigError
from bot.language import is_english

Progress = Callable[[str, float], None]  # (stage, fraction 0..1); stages: decoding, transcribing, diarizing

CHUNK_SECONDS = 600.0  # ~38 MB of float32 per chunk: memory stays flat however long the recording is
SENTENCE_END = (".", "?", "!")
MAX_PAUSE_IN_MESSAGE = 2.0
SHORT_SENTENCE_WORDS = 2  # seconds of silence that end a message even without punctuation


@dataclass(frozen=True)
class Speaker:
    name: str
    email: str | None = None
    # The word's `speakerTag`: the voice or channel number, kept when the voice is given a name, so two
    # named people never share a tag.
    tag: int | None = None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Engine:
    """Decode → transcribe → speakers for one recording. One instance per process; thread-safe."""

    def __init__(
        self,
        model_path: str | None = None,
        *,
        cpu_threads: int | None = None,
        cache_dir: Path | None = None,
        device: str = "cpu",
    ):
        self._model_path = model_path  # a packaged model's name or a model folder; None: best installed
        self._cpu_threads = cpu_threads
        self._cache_dir = cache_dir
        self._device = device  # "cpu" or "cuda" (`symbl-bot engine-worker --device`)
        self._transcriber: Transcriber | None = None

    @property
    def transcriber(self) -> Transcriber:
        if self._transcriber is None:
            self._transcriber = Transcriber(
                resolve_model(self._model_path, cache_dir=self._cache_dir),
                cpu_threads=self._cpu_threads,
                device=self._device,
            )
        return self._transcriber

    def check_ready(self) -> None:
        """Resolve and verify the model now (raises ModelMissing) instead of at the first job; on a GPU,
        that CTranslate2 sees one (ConfigError)."""
        if self._device == "cuda":
            import ctranslate2  # noqa: PLC0415 — heavy, and only a GPU worker needs the question

            if ctranslate2.get_cuda_device_count() == 0:
                raise ConfigError("--device cuda: CTranslate2 finds no CUDA device on this machine.")
        _ = self.transcriber

    def process(
        self,
        media_path: Path,
        options: ProcessOptions,
        *,
        conversation_id: str,
        start_time: datetime,
        time_offset: float = 0.0,
        max_duration_seconds: float,
        progress: Progress | None = None,
    ) -> Transcript:
        """Symbl message dicts for one recording, timed from `time_offset` seconds into the conversation, with
        what was heard of its language (`Transcript.heard`)."""
        report = progress or (lambda stage, fraction: None)
        media_path = Path(media_path)
        info = decode.probe(media_path, max_duration_seconds=max_duration_seconds)
        language = self.transcriber.language_for(options.language_code)
        detecting = language is None
        opening: tuple[str, float] | None = None
        by_channel = bool(options.channel_metadata) and info.channels > 1
        keep_audio = options.enable_speaker_diarization and not by_channel

        words: list[Word] = []
        channel_of_word: list[int] = []
        kept = _AudioBuffer(info.duration) if keep_audio else None
        report("decoding", 0.0)
        blocks = _reporting_reads(
            decode.iter_pcm(media_path, keep_channels=by_channel, max_duration_seconds=max_duration_seconds),
            min(info.duration or CHUNK_SECONDS, CHUNK_SECONDS),
            report,
        )
        for chunk_start, chunk in decode.chunks_at_silence(blocks, target_seconds=CHUNK_SECONDS):
            mono = chunk.mean(axis=0) if chunk.ndim == 2 else chunk
            done = chunk_start / info.duration if info.duration else 0.0
            span = (len(mono) / decode.SAMPLE_RATE) / info.duration if info.duration else 0.0
            if options.language_code and chunk_start == 0:  # does the speech contradict the given language?
                opening = heard_in_opening(self.transcriber, mono)
            chunk_words, heard_in = self.transcriber.transcribe(
                mono,
                offset=chunk_start,
                language=language,
                # Not the members' names: as hotwords they made tiny.en append "Lee Jordan." to lines.
                vocabulary=options.custom_vocabulary,
                progress=_within(report, "transcribing", done, span),
            )
            if chunk_words:  # the first chunk with speech fixes the language: one recording, one language
                language = heard_in
            if by_channel:
                channel_of_word += _loudest_channel(chunk, chunk_start, chunk_words)
            if kept is not None:
                kept.append(mono)
            words += chunk_words
        report("transcribing", 1.0)

        heard = Heard(detected=language if detecting and words else None, opening=opening)
        speakers = self._speakers(options, words, channel_of_word, kept, report)
        messages = build_messages(
            words, speakers, conversation_id=conversation_id, start_time=start_time, time_offset=time_offset
        )
        named = _named_speakers(messages, speakers, known_people(options))
        if named != speakers:
            # Rebuilt from the words, so a sentence the voice model had split between two labels of one
            # person becomes one message again.
            messages = build_messages(
                words, named, conversation_id=conversation_id, start_time=start_time, time_offset=time_offset
            )
        return Transcript(messages, heard)

    def _speakers(self, options, words, channel_of_word, kept, report) -> list[Speaker | None]:
        if channel_of_word:
            names = {c.channel: Speaker(c.name, c.email, c.channel) for c in options.channel_metadata}
            return [names.get(ch) or Speaker(f"Channel {ch}", tag=ch) for ch in channel_of_word]
        if options.channel_metadata and len(options.channel_metadata) == 1:
            only = options.channel_metadata[0]
            return [Speaker(only.name, only.email)] * len(words)
        if options.enable_speaker_diarization and words:
            from bot.engine.diarize import assign_speakers, diarize

            report("diarizing", 0.0)
            audio = kept.array() if kept is not None else np.zeros(0, dtype=np.float32)
            count = int(options.diarization_speaker_count) if options.diarization_speaker_count else None
            turns = diarize(audio, decode.SAMPLE_RATE, num_speakers=count)
            labels = assign_speakers([(w.start, w.end) for w in words], turns)
            report("diarizing", 1.0)
            return [
                Speaker(f"Speaker {label + 1}", tag=label + 1) if label is not None else None
                for label in labels
            ]
        return [None] * len(words)


def known_people(options: ProcessOptions) -> list[KnownPerson]:
    """Names the submission says may be speaking: channel metadata and the `members` hint."""
    return [KnownPerson(c.name, c.email) for c in options.channel_metadata] + list(options.members)


def _named_speakers(
    messages: list[dict], speakers: list[Speaker | None], known: list[KnownPerson]
) -> list[Speaker | None]:
    """`speakers` with diarization labels replaced by the names the conversation gives them."""
    turns = [
        Turn(
            str((m.get("from") or {}).get("name") or ""),
            m["text"],
            m["timeOffset"],
            m["timeOffset"] + m["duration"],
        )
        for m in messages
        if m.get("from")
    ]
    identities = identify(turns, known)
    tags = {s.name: s.tag for s in speakers if s is not None}
    # Labels merged into one person share the tag of the first of them, so their words stay one speaker's.
    tag_of_name: dict[str, int | None] = {}
    for label, identity in identities.items():
        tag_of_name.setdefault(identity.name, tags.get(label))
    renamed = {
        label: Speaker(i.name, i.email, tag_of_name[i.name])
        for label, i in identities.items()
        if i.name != label
    }
    return [renamed.get(s.name, s) if s is not None else None for s in speakers]


def _within(report: Progress, stage: str, done: float, span: float) -> Callable[[float], None]:
    """A chunk's own 0..1 progress reported as its share (`done` to `done + span`) of the whole stage."""
    return lambda fraction: report(stage, min(1.0, done + fraction * span))


def _reporting_reads(
    blocks: Iterator[np.ndarray], first_chunk_seconds: float, report: Progress
) -> Iterator[np.ndarray]:
    """`blocks` as they are, reporting "decoding" progress until the first chunk is read: that read takes
    ~10 s on a long recording before any word is heard, and a bar standing at 0 % looks hung (issue 10)."""
    read = 0.0
    for block in blocks:
        if read < first_chunk_seconds:
            read += block.shape[-1] / decode.SAMPLE_RATE
            report("decoding", min(1.0, read / first_chunk_seconds))
        yield block


class _AudioBuffer:
    """The whole recording for diarization, filled in place: joining chunk copies at the end would hold the
    audio twice at the peak (~230 MB per hour of 16 kHz float32 each)."""

    def __init__(self, declared_seconds: float | None):
        self._data = np.empty(
            int((declared_seconds or 60) * decode.SAMPLE_RATE) + decode.SAMPLE_RATE, np.float32
        )
        self._size = 0

    def append(self, chunk: np.ndarray) -> None:
        end = self._size + len(chunk)
        if end > len(self._data):  # the container under-declared its length: grow geometrically
            self._data = np.resize(self._data, max(end, 2 * len(self._data)))
        self._data[self._size : end] = chunk
        self._size = end

    def array(self) -> np.ndarray:
        return self._data[: self._size]


def _loudest_channel(chunk: np.ndarray, chunk_start: float, words: list[Word]) -> list[int]:
    """1-based channel with the most energy during each word: who spoke it, on a one-person-per-channel
    file."""
    if chunk.ndim == 1:
        return [1] * len(words)
    result = []
    for w in words:
        lo = max(0, int((w.start - chunk_start) * decode.SAMPLE_RATE))
        hi = max(lo + 1, int((w.end - chunk_start) * decode.SAMPLE_RATE))
        energy = (chunk[:, lo:hi] ** 2).mean(axis=1)
        result.append(int(np.argmax(energy)) + 1)
    return result


def speaker_ref(conversation_id: str, speaker: Speaker | None) -> dict:
    """Message `from` ({id, name, email}); the id is stable for a speaker across appends."""
    if speaker is None:
        return {}
    key = speaker.email or speaker.name
    ref = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"symbl-bot:{conversation_id}:{key}")),
        "name": speaker.name,
    }
    if speaker.email:
        ref["email"] = speaker.email
    return ref


def build_messages(
    words: list[Word],
    speakers: list[Speaker | None],
    *,
    conversation_id: str,
    start_time: datetime,
    time_offset: float = 0.0,
) -> list[dict]:
    """Group words into sentence messages, split where the speaker changes or a long pause falls."""
    messages: list[dict] = []
    current: list[tuple[Word, Speaker | None]] = []

    def flush() -> None:
        if current:
            messages.append(_message(current, conversation_id, start_time, time_offset))
            current.clear()

    for word, speaker in zip(words, speakers, strict=False):
        if current and (speaker != current[-1][1] or word.start - current[-1][0].end > MAX_PAUSE_IN_MESSAGE):
            flush()
        current.append((word, speaker))
        # "Yes." / "Priya." alone make poor messages: keep them with the sentence they introduce.
        if word.text.strip().endswith(SENTENCE_END) and len(current) > SHORT_SENTENCE_WORDS:
            flush()
    flush()
    return [m for m in messages if m["text"]]


def _message(
    items: list[tuple[Word, Speaker | None]], conversation_id: str, start: datetime, offset: float
) -> dict:
    first, last = items[0][0], items[-1][0]
    speaker = items[0][1]
    speaker_tag = _speaker_tag(speaker)
    begin, end = offset + first.start, offset + last.end
    return {
        "id": stable_id(conversation_id, "message", round(begin, 3)),
        "text": "".join(w.text for w, _ in items).strip(),
        "from": speaker_ref(conversation_id, speaker),
        "startTime": iso(start + timedelta(seconds=begin)),
        "endTime": iso(start + timedelta(seconds=end)),
        "timeOffset": round(begin, 3),
        "duration": round(end - begin, 3),
        "conversationId": conversation_id,
        "words": [
            {
                "word": w.text.strip(),
                "startTime": iso(start + timedelta(seconds=offset + w.start)),
                "endTime": iso(start + timedelta(seconds=offset + w.end)),
                "speakerTag": speaker_tag,
                "timeOffset": round(offset + w.start, 3),
                "duration": round(w.end - w.start, 3),
                "score": round(w.probability, 3),
            }
            for w, _ in items
        ],
    }


def _speaker_tag(speaker: Speaker | None) -> int:
    if speaker is None:
        return 1
    if speaker.tag is not None:
        return speaker.tag
    digits = "".join(ch for ch in speaker.name if ch.isdigit())
    return int(digits) if digits and speaker.name.startswith(("Speaker", "Channel")) else 1


def members_of(messages: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for message in messages:
        person = message.get("from") or {}
        if person.get("id") and person["id"] not in seen:
            seen[person["id"]] = {
                "id": person["id"],
                "name": person.get("name"),
                "email": person.get("email"),
            }
    return list(seen.values())


def analyze(
    messages: list[dict], *, reference_time: datetime, options: ProcessOptions, heard: Heard | None = None
) -> dict:
    """Insights over a whole conversation's messages, in Symbl's shapes (re-run in full after an append), with
    the conversation's `language` and `warnings` (bot.engine.language_check). `heard`: what the speech model
    heard of the newest recording's language, None for a transcript."""
    from bot.engine.insights import Insights, extract_insights

    members = members_of(messages)
    facts = language_facts(messages, options.language_code, heard)
    english = is_english(messages, facts["language"])
    if english:
        insights = extract_insights(
            messages,
            reference_time=reference_time,
            members=members,
            confidence_threshold=options.confidence_threshold,
            detect_phrases=options.detect_phrases,
        )
    else:  # English rules on another language give junk: none at all, and the notes say why (bot.language)
        insights = Insights()
    enriched = []
    for message in messages:
        scored = {**message, "phrases": insights.message_phrases.get(message["id"], [])}
        scored.pop("sentiment", None)  # an earlier analysis's, when the conversation's language has changed
        if english:  # the sentiment lexicon is English: elsewhere it would call every sentence "neutral"
            scored["sentiment"] = insights.message_sentiment.get(message["id"], _neutral())
        enriched.append(scored)
    return {"messages": enriched, **insights.to_dict(), "members": members, **facts}


def _neutral() -> dict:
    return {"polarity": {"score": 0.0}, "suggested": "neutral"}


def process_recording(
    media_path: Path,
    options: ProcessOptions,
    *,
    engine: Engine,
    max_duration_seconds: float,
    start_time: datetime | None = None,
    progress: Progress | None = None,
    conversation_id: str | None = None,
) -> dict:
    """A whole conversation from one recording: `{conversationId, messages, topics, questions, actionItems,
    decisions, followUps, members, summary, language, warnings}`.
    Pass `conversation_id` and `start_time` derived from the input (as
    `symbl-bot process` does) for the same output on every run; they default to a random id and now."""
    conversation_id = conversation_id or new_conversation_id()
    start_time = start_time or datetime.now(UTC)
    messages = engine.process(
        media_path,
        options,
        conversation_id=conversation_id,
        start_time=start_time,
        max_duration_seconds=max_duration_seconds,
        progress=progress,
    )
    return {
        "conversationId": conversation_id,
        **analyze(messages, reference_time=start_time, options=options, heard=messages.heard),
    }
