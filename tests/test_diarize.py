"""Offline diarization on conversations whose segmentation we know: espeak-ng voices taking turns."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from bot.engine.diarize import Turn, assign_speakers, diarize

LINES = [
    "Good morning everyone, this is the weekly planning meeting for the mobile release.",
    "Thanks. The login bug is fixed, but the payment screen still crashes on older phones.",
    "Can you look into the payment crash before we ship the new version?",
    "Yes, I will fix the payment crash by Friday and send a short report.",
    "Great. Please also send the release notes to the design team by Thursday.",
    "Sure. What about the marketing budget for the launch next month?",
]
MALE, FEMALE, OTHER = "en-us+m3", "en-gb+f3", "en+m1"
PAUSE_SECONDS = 0.6
BOUNDARY_TOLERANCE = 0.5  # the change must fall in, or within this of, the pause between two utterances

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng (Debian package) is not installed"
)


@dataclass
class Conversation:
    audio: np.ndarray
    sample_rate: int
    truth: list[tuple[float, float, int]]  # (start, end, voice index) per utterance


def _speak(voice: str, text: str, path: Path) -> tuple[np.ndarray, int]:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True)
    with wave.open(str(path)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        return samples.astype(np.float32) / 32768, wav.getframerate()


def _conversation(voices: tuple[str, ...], directory: Path) -> Conversation:
    parts, truth, clock, rate = [], [], 0.0, 16000
    for i, line in enumerate(LINES):
        speech, rate = _speak(voices[i % len(voices)], line, directory / f"{i}.wav")
        truth.append((clock, clock + len(speech) / rate, i % len(voices)))
        parts += [speech, np.zeros(int(PAUSE_SECONDS * rate), dtype=np.float32)]
        clock += len(speech) / rate + PAUSE_SECONDS
    return Conversation(np.concatenate(parts), rate, truth)


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    return _conversation((MALE, FEMALE), tmp_path_factory.mktemp("two"))


@pytest.fixture(scope="module")
def three_voices(tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    return _conversation((MALE, FEMALE, OTHER), tmp_path_factory.mktemp("three"))


@pytest.fixture(scope="module")
def one_voice(tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    return _conversation((MALE,), tmp_path_factory.mktemp("one"))


def _speakers(turns: list[Turn]) -> set[int]:
    return {t.speaker for t in turns}


def _label_of_each_utterance(conversation: Conversation, turns: list[Turn]) -> list[int | None]:
    return assign_speakers([(start, end) for start, end, _ in conversation.truth], turns)


def _change_points(turns: list[Turn]) -> list[float]:
    return [b.start for a, b in itertools.pairwise(turns) if a.speaker != b.speaker]


@pytest.mark.slow
@needs_espeak
def test_two_voices_are_found_without_being_told_how_many(two_voices: Conversation) -> None:
    turns = diarize(two_voices.audio, two_voices.sample_rate)
    assert _speakers(turns) == {0, 1}
    assert turns[0].speaker == 0  # labels follow order of first appearance


@needs_espeak
def test_each_voice_keeps_one_label(two_voices: Conversation) -> None:
    labels = _label_of_each_utterance(two_voices, diarize(two_voices.audio, two_voices.sample_rate))
    voices = [voice for _, _, voice in two_voices.truth]
    mapping = dict(zip(voices, labels, strict=True))
    assert len(set(mapping.values())) == 2
    assert labels == [mapping[v] for v in voices]


@needs_espeak
def test_speaker_changes_fall_in_the_pauses_between_utterances(two_voices: Conversation) -> None:
    changes = _change_points(diarize(two_voices.audio, two_voices.sample_rate))
    pauses = [(a[1], b[0]) for a, b in itertools.pairwise(two_voices.truth)]
    assert len(changes) == len(pauses)
    for change, (pause_start, pause_end) in zip(changes, pauses, strict=True):
        assert pause_start - BOUNDARY_TOLERANCE <= change <= pause_end + BOUNDARY_TOLERANCE


@needs_espeak
def test_turns_are_ordered_and_do_not_overlap(two_voices: Conversation) -> None:
    turns = diarize(two_voices.audio, two_voices.sample_rate)
    duration = len(two_voices.audio) / two_voices.sample_rate
    assert all(0 <= t.start < t.end <= duration + 0.01 for t in turns)
    assert all(a.end <= b.start for a, b in itertools.pairwise(turns))


@needs_espeak
def test_three_voices_are_counted(three_voices: Conversation) -> None:
    labels = _label_of_each_utterance(three_voices, diarize(three_voices.audio, three_voices.sample_rate))
    voices = [voice for _, _, voice in three_voices.truth]
    assert len(set(labels)) == 3
    assert labels == [dict(zip(voices, labels, strict=True))[v] for v in voices]


@needs_espeak
@pytest.mark.parametrize("count", [1, 2, 3])
def test_a_given_speaker_count_is_honoured(three_voices: Conversation, count: int) -> None:
    turns = diarize(three_voices.audio, three_voices.sample_rate, num_speakers=count)
    assert _speakers(turns) == set(range(count))


@needs_espeak
def test_max_speakers_caps_the_estimate(three_voices: Conversation) -> None:
    turns = diarize(three_voices.audio, three_voices.sample_rate, max_speakers=2)
    assert _speakers(turns) == {0, 1}


@needs_espeak
def test_one_voice_is_one_speaker(one_voice: Conversation) -> None:
    turns = diarize(one_voice.audio, one_voice.sample_rate)
    assert turns and _speakers(turns) == {0}
    speech = sum(end - start for start, end, _ in one_voice.truth)
    assert sum(t.end - t.start for t in turns) >= 0.8 * speech


def test_silence_gives_no_turns() -> None:
    assert diarize(np.zeros(16000 * 10, dtype=np.float32)) == []


def test_faint_noise_gives_no_turns() -> None:
    noise = np.random.default_rng(0).normal(0.0, 1e-3, 16000 * 10).astype(np.float32)
    assert diarize(noise) == []


def test_empty_audio_gives_no_turns() -> None:
    assert diarize(np.zeros(0, dtype=np.float32)) == []


TURNS = [Turn(0.0, 2.0, 0), Turn(2.0, 5.0, 1), Turn(6.0, 8.0, 0)]


@pytest.mark.parametrize(
    ("span", "speaker"),
    [
        ((0.5, 1.0), 0),  # inside one turn
        ((1.5, 3.0), 1),  # straddles two: the longer overlap wins
        ((1.0, 2.5), 0),
        ((5.2, 5.4), 1),  # in a gap: the nearest turn, within a second
        ((5.7, 5.9), 0),
        ((9.5, 10.0), None),  # far from any turn
    ],
)
def test_spans_take_the_speaker_they_overlap_most(span: tuple[float, float], speaker: int | None) -> None:
    assert assign_speakers([span], TURNS) == [speaker]


def test_assign_speakers_keeps_the_order_of_spans() -> None:
    spans = [(6.5, 7.0), (0.1, 0.2), (3.0, 3.5)]
    assert assign_speakers(spans, list(reversed(TURNS))) == [0, 0, 1]


def test_assign_speakers_without_turns() -> None:
    assert assign_speakers([(0.0, 1.0)], []) == [None]
