"""Audio decoding: anything FFmpeg reads (through PyAV's bundled libraries) → 16 kHz float32 PCM.

Audio is produced as a stream of blocks so memory stays flat with the recording's length; `chunks_at_silence`
regroups the blocks into long chunks that end at the quietest moment near the target length, so speech-to-text
never cuts a word in half.
"""

from __future__ import annotations

import wave
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from bot.errors import MediaTooLong, UnsupportedMedia

SAMPLE_RATE = 16000
# A container's declared duration and what actually decodes differ slightly (encoder padding, VBR estimates);
# a shortfall larger than this means the file was cut off.
TRUNCATION_TOLERANCE = 0.9
# The other way round, decoding stops once it passes the declared duration by this much: a small file that
# declares minutes but holds hours would otherwise cost hours of decoding (up to the duration limit) first.
OVERRUN_FACTOR = 1.5
OVERRUN_SECONDS = 30.0
# RIFF size fields of a WAV written to a pipe (FFmpeg, sox): the length was unknown, the data runs to EOF.
STREAMED_WAV_SIZES = (0xFFFFFFFF, 0)
# FFmpeg's downmix knows the standard layouts (up to 7.1); wider files are averaged here instead (its
# rematrixing refuses some counts, 9 or 32 channels among them).
MAX_DOWNMIX_CHANNELS = 8
# More channels than any meeting recorder writes: each costs decoding work for every second of audio.
MAX_CHANNELS = 64
# Floors that keep a small file from standing for hours of audio (a 9 kB FLAC at 1 Hz declared 3 h 50 min and
# cost 1.45 GB to decode). Speech needs its formants, up to ~3.4 kHz (telephone audio is sampled at 8 kHz):
# at under 4 kHz nothing said could be transcribed. And every speech codec in use spends at least ~2 kbit/s
# (Opus 6, AMR-NB 4.75, Speex 2.15); fewer bytes per second of audio is digital silence or a crafted file.
MIN_SAMPLE_RATE = 4000
MIN_BYTES_PER_SECOND = 256
# Demuxers FFmpeg uses for text and still images: they expose a "video" stream but are not recordings.
NOT_VIDEO_FORMATS = {
    "tty",
    "image2",
    "png_pipe",
    "jpeg_pipe",
    "gif",
    "webp_pipe",
    "bmp_pipe",
    "svg_pipe",
    "txt",
}


@dataclass(frozen=True)
class MediaInfo:
    duration: float | None  # seconds, as declared by the container (None when it does not say)
    channels: int
    has_video: bool
    format_name: str


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise UnsupportedMedia(f"{path.name}: no such file.")
    if path.stat().st_size == 0:
        raise UnsupportedMedia(f"{path.name} is empty (0 bytes).")
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise UnsupportedMedia(
            f"{path.name} could not be read as audio or video; it may be corrupt or truncated "
            f"({_reason(exc)})."
        ) from None


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__


def probe(path: Path, *, max_duration_seconds: float | None = None) -> MediaInfo:
    """Check that `path` is media with an audio stream, within the duration limit."""
    with _open(path) as container:
        if not container.streams.audio:
            if container.streams.video and container.format.name not in NOT_VIDEO_FORMATS:
                raise UnsupportedMedia(
                    f"{path.name} is a video without sound: there is nothing to transcribe."
                )
            raise UnsupportedMedia(f"{path.name} is not an audio or video file.")
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels or 1
        if channels > MAX_CHANNELS:
            raise UnsupportedMedia(
                f"{path.name} has {channels} audio channels; at most {MAX_CHANNELS} are supported: "
                "mix it down (to mono or stereo) and send it again."
            )
        duration = max(
            filter(None, [_declared_duration(container, stream), _wav_header_duration(path)]), default=None
        )
        rate = stream.codec_context.sample_rate or stream.rate
        if rate and rate < MIN_SAMPLE_RATE:
            raise UnsupportedMedia(
                f"{path.name} is sampled at {rate} Hz; speech needs at least {MIN_SAMPLE_RATE // 1000} kHz "
                "(telephone audio is 8 kHz)."
            )
        info = MediaInfo(
            duration=duration,
            channels=channels,
            has_video=bool(container.streams.video),
            format_name=container.format.name,
        )
    if max_duration_seconds and duration and duration > max_duration_seconds:
        raise MediaTooLong(_too_long(duration, max_duration_seconds))
    if duration and duration > _most_seconds(path):
        raise UnsupportedMedia(_too_thin(path, duration))
    return info


def _most_seconds(path: Path) -> float:
    """The most audio `path` can honestly hold, at MIN_BYTES_PER_SECOND."""
    return path.stat().st_size / MIN_BYTES_PER_SECOND


def _too_thin(path: Path, seconds: float) -> str:
    return (
        f"{path.name} is {path.stat().st_size:,} bytes for {_hms(seconds)} of audio (under "
        f"{MIN_BYTES_PER_SECOND} bytes a second): it is empty or damaged."
    )


def _wav_header_duration(path: Path) -> float | None:
    """What a PCM WAV header promises: FFmpeg trusts the file size instead, which hides truncation.

    None when the header does not say: a streamed WAV's size fields are 0xFFFFFFFF (or 0).
    """
    try:
        with wave.open(str(path), "rb") as wav:
            frame_bytes = wav.getsampwidth() * wav.getnchannels()
            if wav.getnframes() in {size // frame_bytes for size in STREAMED_WAV_SIZES}:
                return None
            return wav.getnframes() / wav.getframerate()
    except (wave.Error, EOFError, OSError, ZeroDivisionError):
        return None


def _declared_duration(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _too_long(seconds: float, limit: float) -> str:
    return f"The recording is {_hms(seconds)} long; the limit is {_hms(limit)}."


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def iter_pcm(
    path: Path,
    *,
    keep_channels: bool = False,
    max_duration_seconds: float | None = None,
) -> Iterator[np.ndarray]:
    """Yield float32 PCM blocks at 16 kHz: shape (n,) mixed to mono, or (channels, n) with keep_channels.

    Raises UnsupportedMedia for unreadable, corrupt or truncated files, and for files that hold much more
    audio than they declare (decoding stops there); MediaTooLong past the limit (also when the container
    does not declare its duration).
    """
    info = probe(path, max_duration_seconds=max_duration_seconds)
    overrun = int((info.duration * OVERRUN_FACTOR + OVERRUN_SECONDS) * SAMPLE_RATE) if info.duration else None
    # Also when the container declares nothing: decoding stops where the file's size says it must end.
    thin = int(_most_seconds(path) * SAMPLE_RATE)
    # Packed samples ("flt"): one plane whatever the channel count. PyAV's to_ndarray of a planar frame with
    # eight or more channels read past FFmpeg's eight data pointers and crashed the process (issue 21).
    # Channels kept, or averaged here, stay in the file's own layout (None): no layout name to invent.
    own_layout = (keep_channels and info.channels > 1) or info.channels > MAX_DOWNMIX_CHANNELS
    resampler = av.AudioResampler(format="flt", layout=None if own_layout else "mono", rate=SAMPLE_RATE)
    decoded = 0
    with _open(path) as container:
        stream = container.streams.audio[0]
        try:
            for frame in container.decode(stream):
                for block in _resampled(resampler, frame, keep_channels):
                    decoded += block.shape[-1]
                    if max_duration_seconds and decoded > max_duration_seconds * SAMPLE_RATE:
                        raise MediaTooLong(_too_long(decoded / SAMPLE_RATE, max_duration_seconds))
                    if overrun and decoded > overrun:
                        raise UnsupportedMedia(_overrun(path, info.duration or 0.0))
                    if decoded > thin:
                        raise UnsupportedMedia(_too_thin(path, decoded / SAMPLE_RATE))
                    yield block
            for block in _resampled(resampler, None, keep_channels):
                decoded += block.shape[-1]
                yield block
        except av.FFmpegError as exc:
            raise UnsupportedMedia(f"{path.name} is corrupt ({_reason(exc)}).") from None
        except ValueError as exc:  # PyAV: a frame whose layout or format differs from the stream's first
            raise UnsupportedMedia(f"{path.name} changes its audio format midway ({exc}).") from None
    if decoded == 0:
        raise UnsupportedMedia(f"{path.name} contains no decodable audio.")
    if info.duration and decoded / SAMPLE_RATE < info.duration * TRUNCATION_TOLERANCE:
        raise UnsupportedMedia(
            f"{path.name} looks truncated: it declares {_hms(info.duration)} but only "
            f"{_hms(decoded / SAMPLE_RATE)} could be decoded."
        )


def _overrun(path: Path, declared: float) -> str:
    return (
        f"{path.name} declares {_hms(declared)} but holds far more audio than that; "
        "it may be damaged: export it again."
    )


def _resampled(resampler: av.AudioResampler, frame, keep_channels: bool) -> Iterator[np.ndarray]:
    for out in resampler.resample(frame):
        interleaved = out.to_ndarray()  # flt → (1, n × channels)
        planes = interleaved.reshape(-1, len(out.layout.channels)).T  # → (channels, n)
        if not planes.shape[-1]:
            continue
        if keep_channels:
            yield np.ascontiguousarray(planes)
        else:
            yield planes[0] if len(planes) == 1 else planes.mean(axis=0, dtype=np.float32)


def decode(path: Path, **kwargs) -> np.ndarray:
    """The whole recording as one array (for short clips, tests and diarization)."""
    blocks = list(iter_pcm(path, **kwargs))
    return np.concatenate(blocks, axis=-1).astype(np.float32, copy=False)


def chunks_at_silence(
    blocks: Iterable[np.ndarray],
    *,
    target_seconds: float = 600.0,
    search_seconds: float = 30.0,
) -> Iterator[tuple[float, np.ndarray]]:
    """Regroup PCM blocks into (start_seconds, chunk) pieces of about target_seconds, cut at a quiet point.

    The cut is the quietest 100 ms window within the last `search_seconds` of each piece; the remainder
    carries over to the next piece. Works on mono (n,) and multi-channel (c, n) blocks alike.
    """
    target = int(target_seconds * SAMPLE_RATE)
    search = int(search_seconds * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    pending_len = 0
    start = 0
    for block in blocks:
        pending.append(block)
        pending_len += block.shape[-1]
        while pending_len >= target + search:
            buffer = np.concatenate(pending, axis=-1)
            cut = _quietest_point(buffer, target - search, target + search)
            yield start / SAMPLE_RATE, buffer[..., :cut]
            start += cut
            rest = buffer[..., cut:]
            pending, pending_len = [rest], rest.shape[-1]
    if pending_len:
        yield start / SAMPLE_RATE, np.concatenate(pending, axis=-1)


def _quietest_point(buffer: np.ndarray, lo: int, hi: int) -> int:
    window = SAMPLE_RATE // 10
    mono = buffer if buffer.ndim == 1 else buffer.mean(axis=0)
    region = mono[lo:hi]
    usable = len(region) // window * window
    if usable == 0:
        return hi
    energy = (region[:usable].reshape(-1, window) ** 2).mean(axis=1)
    return lo + int(np.argmin(energy)) * window + window // 2
