"""Offline speaker diarization: who spoke when, with no model download and no torch.

Pipeline: Silero VAD (the ONNX model faster-whisper ships) finds speech → sliding windows over speech are
described by hand-made voice statistics (MFCC means and spreads, see `_Stats`) → the windows are clustered
(agglomerative, cosine; the speaker count is given or estimated by ΔBIC, see `_merge_by_bic`) →
labels are smoothed and merged into turns.

No PyPI package ships a speaker-embedding network usable with onnxruntime and without torch (checked: the
only one carrying its weights, Resemblyzer, needs torch), so the voice features are classic signal
statistics. They separate clearly different voices well; similar voices on a far-field mixdown less so.

Memory stays flat in the recording's length beyond the input array: features are computed one speech region
at a time, and at most `MAX_CLUSTERED_WINDOWS` windows enter the quadratic clustering step (the rest join
the nearest centroid).
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.fft import dct
from scipy.spatial.distance import pdist

WINDOW_SECONDS = 1.5
HOP_SECONDS = 0.75
FRAME_SECONDS = 0.025
FRAME_HOP_SECONDS = 0.010
N_FFT = 512
N_MELS = 40
N_MFCC = 20
MIN_REGION_SECONDS = 0.2
VAD_BLOCK_SECONDS = 300.0
MAX_CLUSTERED_WINDOWS = 1500
# Weight of ΔBIC's model-size penalty. 1.0 is the textbook value; with 1.5 s windows of hand-made features
# it over-splits (one person's vowels vs consonants look like two voices), and 2.0 gave the right count on the
# synthetic and single-speaker clips and within one of it on the AMI clips.
BIC_PENALTY = 2.0
# A pause shorter than this inside one person's speech does not end their turn.
MAX_MERGE_GAP_SECONDS = 0.75
RESEGMENT_ROUNDS = 5
# Clusters the cosine step leaves for ΔBIC to merge: enough that two voices rarely share one.
INITIAL_CLUSTERS = 32
# A cluster's sufficient statistics: frame count, per-coefficient sums, scatter matrix.
Pooled = tuple[float, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Turn:
    start: float  # seconds
    end: float
    speaker: int  # 0..k-1 in order of first appearance


def diarize(
    audio: np.ndarray,
    sample_rate: int = 16000,
    *,
    num_speakers: int | None = None,
    max_speakers: int = 8,
) -> list[Turn]:
    """Speaker turns of a mono float32 recording, sorted by time and not overlapping.

    `num_speakers` fixes the count (it is capped by the number of speech windows found); otherwise the
    count is estimated, between 1 and `max_speakers`. Silence gives no turns.
    """
    audio = _as_16k_mono(audio, sample_rate)
    regions = speech_regions(audio)
    windows, stats = _windows_and_stats(audio, regions)
    if not windows:
        return []
    labels = _cluster(stats, num_speakers=num_speakers, max_speakers=max_speakers)
    labels = _smooth(windows, labels)
    return _turns(windows, labels, regions)


def assign_speakers(spans: list[tuple[float, float]], turns: list[Turn]) -> list[int | None]:
    """The speaker of each (start, end) span: the turn overlapping it longest.

    A span overlapping no turn (word timestamps and VAD edges disagree by a few hundred ms) takes the
    nearest turn within one second; farther than that it gets None.
    """
    ordered = sorted(turns, key=lambda t: t.start)
    starts = [t.start for t in ordered]
    return [_speaker_of(span, ordered, starts) for span in spans]


def _speaker_of(span: tuple[float, float], turns: list[Turn], starts: list[float]) -> int | None:
    start, end = span
    best, best_overlap = None, 0.0
    i = bisect.bisect_left(starts, end)
    j = i - 1
    while j >= 0 and turns[j].end > start:  # turns do not overlap, so their ends are sorted too
        overlap = min(end, turns[j].end) - max(start, turns[j].start)
        if overlap > best_overlap:
            best, best_overlap = turns[j].speaker, overlap
        j -= 1
    if best is not None:
        return best
    return _nearest_speaker(start, end, turns, i)


def _nearest_speaker(start: float, end: float, turns: list[Turn], i: int) -> int | None:
    candidates = [turns[j] for j in (i - 1, i) if 0 <= j < len(turns)]
    gaps = [(max(t.start - end, start - t.end, 0.0), t.speaker) for t in candidates]
    near = [g for g in gaps if g[0] <= 1.0]
    return min(near)[1] if near else None


# --- speech regions -------------------------------------------------------------------------------------


def speech_regions(audio: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample indices of speech, from the Silero VAD that faster-whisper ships offline.

    The VAD runs on blocks of `VAD_BLOCK_SECONDS`: given a whole hour at once it holds several copies of the
    audio (≈ 700 MB), block by block its memory stays flat. Regions cut by a block edge are joined again.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=250, speech_pad_ms=50, max_speech_duration_s=30.0)
    block = int(VAD_BLOCK_SECONDS * 16000)
    regions: list[tuple[int, int]] = []
    for offset in range(0, audio.size, block):
        piece = audio[offset : offset + block]
        if float(np.max(np.abs(piece))) < 1e-4:
            continue  # digital silence: spare the model
        for stamp in get_speech_timestamps(piece, options):
            regions = _append_joined(regions, (offset + stamp["start"], offset + stamp["end"]))
    minimum = int(MIN_REGION_SECONDS * 16000)
    return [(start, end) for start, end in regions if end - start >= minimum]


def _append_joined(regions: list[tuple[int, int]], region: tuple[int, int]) -> list[tuple[int, int]]:
    if regions and region[0] - regions[-1][1] <= int(0.25 * 16000):
        regions[-1] = (regions[-1][0], region[1])
    else:
        regions.append(region)
    return regions


def _as_16k_mono(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim > 1:
        audio = audio.mean(axis=0 if audio.shape[0] < audio.shape[-1] else 1)
    if sample_rate != 16000:
        from scipy.signal import resample_poly

        gcd = np.gcd(16000, sample_rate)
        audio = resample_poly(audio, 16000 // gcd, sample_rate // gcd).astype(np.float32)
    return audio


# --- voice features -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    start: float
    end: float
    region: int


@dataclass(frozen=True)
class _Stats:
    """Per-window sufficient statistics of the MFCC frames: enough for both the window's feature vector and
    the Gaussian likelihoods that the ΔBIC speaker count needs, without keeping any frame."""

    counts: np.ndarray  # (n,)
    sums: np.ndarray  # (n, d)
    scatters: np.ndarray  # (n, d, d): Σ x xᵀ

    def features(self) -> np.ndarray:
        """Where the voice's spectral envelope sits (means) and how far it moves (spreads) in each window."""
        means = self.sums / self.counts[:, None]
        second = np.diagonal(self.scatters, axis1=1, axis2=2) / self.counts[:, None]
        return np.hstack([means, np.sqrt(np.maximum(second - means**2, 0.0))])

    def pooled(self, members: np.ndarray) -> Pooled:
        return self.counts[members].sum(), self.sums[members].sum(axis=0), self.scatters[members].sum(axis=0)


def _windows_and_stats(audio: np.ndarray, regions: list[tuple[int, int]]) -> tuple[list[_Window], _Stats]:
    windows: list[_Window] = []
    counts, sums, scatters = [], [], []
    for index, (start, end) in enumerate(regions):
        mfcc = _mfcc(audio[start:end]).astype(np.float64)
        for first, last in _window_frames(mfcc.shape[0]):
            offset = _seconds(start)
            windows.append(
                _Window(offset + first * FRAME_HOP_SECONDS, offset + last * FRAME_HOP_SECONDS, index)
            )
            frames = mfcc[first:last]
            counts.append(len(frames))
            sums.append(frames.sum(axis=0))
            scatters.append(frames.T @ frames)
    if not windows:
        return [], _Stats(np.zeros(0), np.zeros((0, 0)), np.zeros((0, 0, 0)))
    return windows, _Stats(np.array(counts, dtype=np.float64), np.vstack(sums), np.stack(scatters))


def _seconds(samples: int) -> float:
    return samples / 16000


def _window_frames(n_frames: int) -> list[tuple[int, int]]:
    """Frame ranges of the sliding windows over one region; a short region is one window."""
    size = int(WINDOW_SECONDS / FRAME_HOP_SECONDS)
    hop = int(HOP_SECONDS / FRAME_HOP_SECONDS)
    if n_frames <= size + hop // 2:
        return [(0, n_frames)]
    starts = list(range(0, n_frames - size + 1, hop))
    if n_frames - (starts[-1] + size) > hop // 2:
        starts.append(n_frames - size)  # cover the region's tail
    return [(s, min(s + size, n_frames)) for s in starts]


def _mfcc(signal: np.ndarray) -> np.ndarray:
    """MFCC 1..19 per 10 ms frame; c0, the loudness, says more about the microphone than the speaker."""
    frames = _frames(signal)
    spectrum = np.fft.rfft(frames * _hamming(), n=N_FFT)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    log_mel = np.log(power @ _mel_filterbank() + 1e-8)
    return dct(log_mel, type=2, norm="ortho", axis=1)[:, 1:N_MFCC]


def _frames(signal: np.ndarray) -> np.ndarray:
    length = int(FRAME_SECONDS * 16000)
    hop = int(FRAME_HOP_SECONDS * 16000)
    if signal.size < length:
        signal = np.pad(signal, (0, length - signal.size))
    count = 1 + (signal.size - length) // hop
    view = np.lib.stride_tricks.sliding_window_view(signal, length)[::hop][:count]
    return view - view.mean(axis=1, keepdims=True)


_CACHE: dict[str, np.ndarray] = {}


def _hamming() -> np.ndarray:
    if "hamming" not in _CACHE:
        _CACHE["hamming"] = np.hamming(int(FRAME_SECONDS * 16000)).astype(np.float32)
    return _CACHE["hamming"]


def _mel_filterbank() -> np.ndarray:
    if "mel" not in _CACHE:
        _CACHE["mel"] = _triangular_mel(N_MELS, N_FFT, 16000, 20.0, 7600.0)
    return _CACHE["mel"]


def _triangular_mel(n_mels: int, n_fft: int, rate: int, low: float, high: float) -> np.ndarray:
    def mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(np.array(low)), mel(np.array(high)), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / rate)
    rising = (bins[:, None] - edges[None, :-2]) / (edges[1:-1] - edges[:-2])[None, :]
    falling = (edges[None, 2:] - bins[:, None]) / (edges[2:] - edges[1:-1])[None, :]
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


# --- clustering -----------------------------------------------------------------------------------------


def _embed(features: np.ndarray) -> np.ndarray:
    """Standardise the window statistics over the recording and put them on the unit sphere."""
    centred = features - features.mean(axis=0)
    scaled = centred / (centred.std(axis=0) + 1e-6)
    return scaled / (np.linalg.norm(scaled, axis=1, keepdims=True) + 1e-9)


def _cluster(stats: _Stats, *, num_speakers: int | None, max_speakers: int) -> np.ndarray:
    """Over-cluster by cosine similarity, merge by ΔBIC down to the speakers, then re-segment."""
    n = len(stats.counts)
    if n == 1 or num_speakers == 1:
        return np.zeros(n, dtype=int)
    embeddings = _embed(stats.features())
    sample = _subsample(n)
    tree = linkage(pdist(embeddings[sample], metric="cosine"), method="average")
    initial = _k_clusters(embeddings, sample, tree, max(INITIAL_CLUSTERS, 2 * max_speakers))
    labels = _merge_by_bic(stats, initial, target=num_speakers, max_speakers=max_speakers)
    return _resegment(stats, labels)


def _k_clusters(embeddings: np.ndarray, sample: np.ndarray, tree: np.ndarray, k: int) -> np.ndarray:
    """Cut the dendrogram into k groups, then let a few k-means steps undo average linkage's early
    mistakes."""
    labels = fcluster(tree, t=min(k, len(sample)), criterion="maxclust")
    return _refine(embeddings, _centroids(embeddings[sample], labels))


def _merge_by_bic(stats: _Stats, labels: np.ndarray, *, target: int | None, max_speakers: int) -> np.ndarray:
    """Repeatedly merge the two clusters whose merge costs least in BIC (one full-covariance Gaussian per
    speaker over the MFCC frames), down to `target` clusters, or — with no target — until every merge would
    cost more than it saves (and at most `max_speakers` remain).

    ΔBIC (Chen & Gopalakrishnan, 1998) needs no trained model: its penalty grows with the parameters a new
    speaker adds and the log of the data, which is what lets it tell one voice from two.
    """
    groups = [np.flatnonzero(labels == k) for k in np.unique(labels)]
    pooled = [stats.pooled(g) for g in groups]
    while len(groups) > (target or 1):
        cost, i, j = min(
            (_merge_cost(pooled[i], pooled[j]), i, j)
            for i in range(len(groups))
            for j in range(i + 1, len(groups))
        )
        if target is None and cost > 0 and len(groups) <= max_speakers:
            break
        groups[i], pooled[i] = np.concatenate([groups[i], groups[j]]), _pool(pooled[i], pooled[j])
        del groups[j], pooled[j]
    merged = np.empty(len(labels), dtype=int)
    for k, members in enumerate(groups):
        merged[members] = k
    return merged


def _pool(a: Pooled, b: Pooled) -> Pooled:
    """The statistics of two clusters taken as one."""
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def _merge_cost(a: Pooled, b: Pooled) -> float:
    """ΔBIC of modelling two clusters as one speaker: negative means one Gaussian explains them well
    enough."""
    merged = _pool(a, b)
    d = a[1].shape[0]
    parameters = d + d * (d + 1) / 2
    gain = 0.5 * (_log_det_term(merged) - _log_det_term(a) - _log_det_term(b))
    return gain - BIC_PENALTY * 0.5 * parameters * np.log(merged[0])


def _log_det_term(cluster: Pooled) -> float:
    count, total, scatter = cluster
    mean = total / count
    covariance = scatter / count - np.outer(mean, mean) + 1e-6 * np.eye(len(mean))
    return count * np.linalg.slogdet(covariance)[1]


def _resegment(stats: _Stats, labels: np.ndarray, rounds: int = RESEGMENT_ROUNDS) -> np.ndarray:
    """Re-assign each window to the speaker whose full-covariance Gaussian over MFCC frames explains it best.

    A Gaussian per speaker models the voice (how its spectral envelope co-varies), not just a window's
    average, so it corrects windows the cosine clustering put with a similar-sounding neighbour.
    """
    for _ in range(rounds):
        present = np.unique(labels)
        if present.size < 2:
            break
        scores = np.column_stack([_log_likelihoods(stats, stats.pooled(labels == k)) for k in present])
        updated = present[np.argmax(scores, axis=1)]
        if np.array_equal(updated, labels) or np.unique(updated).size < present.size:
            break  # converged, or a speaker would vanish: keep the count the caller asked for
        labels = updated
    return labels


def _log_likelihoods(stats: _Stats, cluster: tuple) -> np.ndarray:
    """Log-likelihood of every window's frames under one Gaussian, from sufficient statistics alone."""
    count, total, scatter = cluster
    mean = total / count
    covariance = scatter / count - np.outer(mean, mean) + 1e-6 * np.eye(len(mean))
    precision = np.linalg.inv(covariance)
    _, log_det = np.linalg.slogdet(covariance)
    quadratic = (
        np.einsum("ij,nji->n", precision, stats.scatters)
        - 2 * stats.sums @ (precision @ mean)
        + stats.counts * (mean @ precision @ mean)
    )
    return -0.5 * (stats.counts * log_det + quadratic)


def _subsample(n: int) -> np.ndarray:
    if n <= MAX_CLUSTERED_WINDOWS:
        return np.arange(n)
    return np.linspace(0, n - 1, MAX_CLUSTERED_WINDOWS).round().astype(int)


def _centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.vstack([embeddings[labels == k].mean(axis=0) for k in np.unique(labels)])


def _nearest(embeddings: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    unit = centroids / (np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-9)
    return np.argmax(embeddings @ unit.T, axis=1)


def _refine(embeddings: np.ndarray, centroids: np.ndarray, rounds: int = 3) -> np.ndarray:
    labels = _nearest(embeddings, centroids)
    for _ in range(rounds):
        centroids = _centroids(embeddings, labels)
        labels = _nearest(embeddings, centroids)
    return labels


# --- turns ----------------------------------------------------------------------------------------------


def _smooth(windows: list[_Window], labels: np.ndarray) -> np.ndarray:
    """Within each speech region, give a lone window the label of its neighbours: 1.5 s of another voice in
    the middle of someone's speech is far more often a misread word than a real interjection."""
    smoothed = labels.copy()
    regions = np.array([w.region for w in windows])
    bounds = np.flatnonzero(np.diff(regions)) + 1  # windows are in time order, so a region's are contiguous
    for index in np.split(np.arange(len(windows)), bounds):
        if index.size >= 3:
            smoothed[index] = _absorb_lone_windows(labels[index])
    return smoothed


def _absorb_lone_windows(labels: np.ndarray) -> np.ndarray:
    out = labels.copy()
    for i in range(labels.size):
        before = out[i - 1] if i > 0 else None
        after = labels[i + 1] if i + 1 < labels.size else None
        if out[i] not in (before, after):
            out[i] = before if before is not None else after
    return out


def _turns(windows: list[_Window], labels: np.ndarray, regions: list[tuple[int, int]]) -> list[Turn]:
    """Split each speech region where the label changes (midway between window centres), then merge."""
    by_region: dict[int, list[tuple[_Window, int]]] = {}
    for window, label in zip(windows, labels, strict=False):
        by_region.setdefault(window.region, []).append((window, int(label)))
    pieces: list[tuple[float, float, int]] = []
    for index, (start, end) in enumerate(regions):
        pieces.extend(_region_pieces(_seconds(start), _seconds(end), by_region.get(index, [])))
    return _relabel(_merge(pieces))


def _region_pieces(
    start: float, end: float, members: list[tuple[_Window, int]]
) -> list[tuple[float, float, int]]:
    pieces = []
    cursor = start
    for (window, label), (following, next_label) in itertools.pairwise(members):
        if next_label != label:
            cut = ((window.start + window.end) / 2 + (following.start + following.end) / 2) / 2
            pieces.append((cursor, cut, label))
            cursor = cut
    if members:
        pieces.append((cursor, end, members[-1][1]))
    return pieces


def _merge(pieces: list[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    merged: list[tuple[float, float, int]] = []
    for start, end, label in pieces:
        if merged and merged[-1][2] == label and start - merged[-1][1] <= MAX_MERGE_GAP_SECONDS:
            merged[-1] = (merged[-1][0], end, label)
        else:
            merged.append((start, end, label))
    return merged


def _relabel(pieces: list[tuple[float, float, int]]) -> list[Turn]:
    order: dict[int, int] = {}
    turns = []
    for start, end, label in pieces:
        speaker = order.setdefault(label, len(order))
        turns.append(Turn(round(start, 3), round(end, 3), speaker))
    return turns
