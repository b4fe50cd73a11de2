"""Test media made with PyAV (the same FFmpeg libraries the engine decodes with): no system tools needed."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "standup.mp3"

# container format, audio codec, sample rate, extension
FORMATS = {
    "wav": ("wav", "pcm_s16le", 16000, ".wav"),
    "mp3": ("mp3", "libmp3lame", 16000, ".mp3"),
    "m4a": ("ipod", "aac", 16000, ".m4a"),
    "ogg": ("ogg", "libopus", 48000, ".ogg"),
    "webm": ("webm", "libopus", 48000, ".webm"),
    "flac": ("flac", "flac", 16000, ".flac"),
    "mp4": ("mp4", "aac", 16000, ".mp4"),  # with a video track, like a screen recording
}


def read_pcm(src: Path, seconds: float | None = None, rate: int = 16000) -> np.ndarray:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    chunks = []
    with av.open(str(src)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray()[0])
    pcm = np.concatenate(chunks)
    return pcm[: int(seconds * rate)] if seconds else pcm


def write_audio(
    dst: Path,
    pcm: np.ndarray,
    kind: str,
    *,
    rate: int = 16000,
    channels: int = 1,
    with_video: bool | None = None,
) -> Path:
    """Encode int16 PCM (shape (n,) or (channels, n)) into the container of `kind`."""
    fmt, codec, out_rate, _ext = FORMATS[kind]
    pcm = np.atleast_2d(pcm).astype(np.int16)
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(dst), mode="w", format=fmt) as container:
        video = (
            _add_video_stream(container)
            if (with_video if with_video is not None else kind == "mp4")
            else None
        )
        stream = container.add_stream(codec, rate=out_rate, layout=layout)
        if video:
            _encode_black_frames(container, video, pcm.shape[1] / rate)
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=layout, rate=out_rate)
        step = rate // 10
        for start in range(0, pcm.shape[1], step):
            block = (
                np.ascontiguousarray(pcm[:, start : start + step].T.reshape(1, -1))
                if channels > 1
                else np.ascontiguousarray(pcm[:, start : start + step])
            )
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout=layout)
            frame.sample_rate = rate
            frame.pts = None
            for out in resampler.resample(frame):
                container.mux(stream.encode(out))
        for out in resampler.resample(None):
            container.mux(stream.encode(out))
        container.mux(stream.encode(None))
    return dst


def _add_video_stream(container):
    video = container.add_stream("mpeg4", rate=5)
    video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
    return video


def _encode_black_frames(container, video, seconds: float) -> None:
    for i in range(max(1, int(seconds * 5))):
        frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), dtype=np.uint8), format="rgb24")
        frame.pts = i
        frame.time_base = Fraction(1, 5)
        container.mux(video.encode(frame))
    container.mux(video.encode(None))


def write_video_only(dst: Path, seconds: float = 2.0) -> Path:
    with av.open(str(dst), mode="w", format="mp4") as container:
        _encode_black_frames(container, _add_video_stream(container), seconds)
    return dst


def tone(seconds: float, rate: int = 16000, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * freq * t) * 8000).astype(np.int16)
