"""Scoring for bench/engine.py: word error rate and diarization error rate, as eval/README.md defines them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

FILLERS = {"um", "uh", "mm", "hmm", "huh", "hm", "er", "ah", "oh"}


def normalise(text: str) -> list[str]:
    """eval/README.md: lower case, hyphens to spaces, drop punctuation, drop fillers."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text).replace("'", "")
    return [w for w in text.split() if w not in FILLERS]


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words (substitutions + deletions + insertions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    speaker: str


def read_rttm(path: Path) -> list[Segment]:
    segments = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            segments.append(Segment(start, start + duration, fields[7]))
    return segments


@dataclass(frozen=True)
class DiarizationScore:
    reference_speech: float  # seconds of reference speaker time (overlaps count once per speaker)
    missed: float
    false_alarm: float
    confusion: float

    @property
    def der(self) -> float:
        return (self.missed + self.false_alarm + self.confusion) / self.reference_speech


def diarization_error(
    reference: list[Segment], hypothesis: list[Segment], *, collar: float = 0.25, step: float = 0.01
) -> DiarizationScore:
    """NIST-style DER on a 10 ms grid with the optimal one-to-one speaker mapping (Hungarian).

    Frames within `collar` seconds of any reference boundary are not scored. Overlapped reference speech
    counts once per speaker: a frame with 2 reference speakers and 1 hypothesis speaker misses one.
    """
    ref = _activity(reference, step)
    hyp = _activity(hypothesis, step)
    length = max(ref.shape[1], hyp.shape[1])
    ref, hyp = _pad(ref, length), _pad(hyp, length)
    scored = ~_collar_mask(reference, length, collar, step)
    ref, hyp = ref[:, scored], hyp[:, scored]
    mapped = _map_speakers(ref, hyp)
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    missed = np.maximum(n_ref - n_hyp, 0).sum()
    false_alarm = np.maximum(n_hyp - n_ref, 0).sum()
    correct = sum((ref[r] & hyp[h]).sum() for r, h in mapped)
    confusion = np.minimum(n_ref, n_hyp).sum() - correct
    return DiarizationScore(n_ref.sum() * step, missed * step, false_alarm * step, confusion * step)


def _activity(segments: list[Segment], step: float) -> np.ndarray:
    """One boolean row per speaker: speaking in each `step`-long frame."""
    names = sorted({s.speaker for s in segments})
    length = int(np.ceil(max((s.end for s in segments), default=0.0) / step)) + 1
    grid = np.zeros((len(names), length), dtype=bool)
    for s in segments:
        grid[names.index(s.speaker), round(s.start / step) : round(s.end / step)] = True
    return grid


def _pad(grid: np.ndarray, length: int) -> np.ndarray:
    return np.pad(grid, ((0, 0), (0, length - grid.shape[1])))


def _collar_mask(reference: list[Segment], length: int, collar: float, step: float) -> np.ndarray:
    mask = np.zeros(length, dtype=bool)
    width = round(collar / step)
    for s in reference if width else []:
        for edge in (round(s.start / step), round(s.end / step)):
            mask[max(0, edge - width) : edge + width] = True
    return mask


def _map_speakers(ref: np.ndarray, hyp: np.ndarray) -> list[tuple[int, int]]:
    if not len(ref) or not len(hyp):
        return []
    overlap = ref.astype(np.int64) @ hyp.T.astype(np.int64)
    rows, cols = linear_sum_assignment(-overlap)
    return list(zip(rows.tolist(), cols.tolist(), strict=True))
