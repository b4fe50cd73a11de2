"""Media that crashed or wedged the engine (issue 21): many-channel files, and a job that kills its worker.

Decoding runs in a child process, so a crash fails the test instead of killing pytest; the engine that
dies mid-job is a real process killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import av
import numpy as np
import pytest
import requests

from bot.config import Settings
from bot.engine import decode
from bot.errors import UnsupportedMedia
from tests.engine_api_support import ScriptedEngine, running_engine
from tests.support.wait import wait_until

CHANNEL_COUNTS = (8, 9, 12, 16, 24, 32, 64)


def token_session(url: str) -> requests.Session:
    session = requests.Session()
    grant = {"type": "application", "appId": "a", "appSecret": "b"}  # any credentials do on loopback
    token = session.post(f"{url}/oauth2/token:generate", json=grant, timeout=10).json()["accessToken"]
    session.headers["x-api-key"] = token
    return session


def write_wav(path: Path, channels: int, *, seconds: float = 1.0, rate: int = 16000) -> Path:
    """Channel k holds a constant level of (k + 1) / 100 of full scale, so each is recognisable."""
    frames = int(seconds * rate)
    levels = (np.arange(1, channels + 1) * 32767 / 100).astype("<i2")
    samples = np.broadcast_to(levels, (frames, channels))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.ascontiguousarray(samples).tobytes())
    return path


DECODE_IN_A_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import numpy as np
    from bot.engine import decode

    for name in sys.argv[1:]:
        kept = decode.decode(Path(name), keep_channels=True)
        mono = decode.decode(Path(name))
        print(json.dumps({"shape": kept.shape, "levels": kept[:, 8000].tolist(), "mono": float(mono[8000])}))
    """
)


def test_files_of_many_channels_decode_per_channel_and_mixed(tmp_path):
    paths = [write_wav(tmp_path / f"c{n}.wav", n) for n in CHANNEL_COUNTS]
    child = subprocess.run(
        [sys.executable, "-c", DECODE_IN_A_CHILD, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, f"decoding crashed (status {child.returncode}): {child.stderr[-2000:]}"
    results = [json.loads(line) for line in child.stdout.splitlines()]
    assert [r["shape"][0] for r in results] == list(CHANNEL_COUNTS)
    for n, result in zip(CHANNEL_COUNTS, results, strict=True):
        expected = (np.arange(1, n + 1) / 100).tolist()
        assert result["levels"] == pytest.approx(expected, abs=2e-3)
        if n > decode.MAX_DOWNMIX_CHANNELS:  # averaged here; FFmpeg's own downmix weighs 7.1's channels
            assert result["mono"] == pytest.approx(np.mean(expected), abs=2e-3)
        else:
            assert 0 < result["mono"] <= 1


def test_more_channels_than_supported_are_refused_with_a_reason(tmp_path):
    path = write_wav(tmp_path / "wide.wav", decode.MAX_CHANNELS + 1, seconds=0.1)
    with pytest.raises(UnsupportedMedia, match=r"65 audio channels; at most 64 are supported"):
        decode.probe(path)


def test_an_upload_of_too_many_channels_is_refused_before_a_job_is_queued(tmp_path):
    engine = ScriptedEngine()
    with running_engine(Settings(data_dir=tmp_path / "d"), engine) as server:
        session = token_session(server.url)
        body = write_wav(tmp_path / "wide.wav", 100, seconds=0.1).read_bytes()
        response = session.post(f"{server.url}/v1/process/audio", data=body, timeout=30)
        assert response.status_code == 400
        assert "100 audio channels" in response.json()["message"] and not engine.calls


def write_flac(path: Path, rate: int, seconds: float) -> Path:
    """Digital silence as FLAC: a few bytes for each second declared."""
    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=rate, layout="mono")
        total, block = int(rate * seconds), 4096
        for start in range(0, total, block):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, min(block, total - start)), np.int16), format="s16", layout="mono"
            )
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def test_a_9kb_flac_at_1_hz_declaring_hours_is_refused_before_decoding(tmp_path):
    path = write_flac(tmp_path / "one-hertz.flac", 1, 13_800)  # 3 h 50 min, the probe's 9 kB file
    assert path.stat().st_size < 10_000
    with pytest.raises(UnsupportedMedia, match=r"sampled at 1 Hz; speech needs at least 4 kHz"):
        decode.probe(path)


def test_audio_of_too_few_bytes_a_second_is_refused_before_decoding(tmp_path):
    path = write_flac(tmp_path / "silence.flac", 8000, 1200)  # 20 min of silence in ~220 kB
    assert path.stat().st_size < 1200 * decode.MIN_BYTES_PER_SECOND
    with pytest.raises(UnsupportedMedia, match=r"bytes for 20m00s of audio \(under 256 bytes a second\)"):
        decode.probe(path)
    with pytest.raises(UnsupportedMedia, match="empty or damaged"):
        next(decode.iter_pcm(path))


def test_an_upload_at_1_hz_is_refused_before_a_job_is_queued(tmp_path):
    engine = ScriptedEngine()
    with running_engine(Settings(data_dir=tmp_path / "d"), engine) as server:
        body = write_flac(tmp_path / "one-hertz.flac", 1, 13_800).read_bytes()
        response = token_session(server.url).post(f"{server.url}/v1/process/audio", data=body, timeout=30)
        assert response.status_code == 400 and "1 Hz" in response.json()["message"] and not engine.calls


# An engine whose speech-to-text never returns: the job stays in_progress until the process is killed.
STUCK_ENGINE = textwrap.dedent(
    """
    import sys, threading
    from bot.config import Settings
    from bot.engine.server import EngineServer

    class Stuck:
        def process(self, *args, **kwargs):
            threading.Event().wait()

    server = EngineServer(Settings.from_env(), host="127.0.0.1", port=0, engine=Stuck()).start()
    print(server.url, flush=True)
    threading.Event().wait()
    """
)


def _start_stuck_engine(data_dir: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "SYMBL_BOT_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-c", STUCK_ENGINE],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    return proc, proc.stdout.readline().strip()


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()


def _submit_or_resume(data_dir: Path, media: bytes, job_id: str | None) -> str:
    """Start the stuck engine, submit (or wait for the resumed) job until it runs, then kill the engine."""
    proc, url = _start_stuck_engine(data_dir)
    try:
        session = token_session(url)
        if job_id is None:
            job_id = session.post(f"{url}/v1/process/audio", data=media, timeout=30).json()["jobId"]
        wait_until(
            lambda: session.get(f"{url}/v1/job/{job_id}", timeout=10).json()["status"] == "in_progress"
        )
        return job_id
    finally:
        _kill(proc)


def test_a_job_running_at_two_engine_deaths_is_failed_not_resumed_again(tmp_path):
    data_dir = tmp_path / "data"
    media = write_wav(tmp_path / "call.wav", 1, seconds=0.5).read_bytes()
    job_id = _submit_or_resume(data_dir, media, None)
    _submit_or_resume(data_dir, media, job_id)  # resumed after the first death
    proc, url = _start_stuck_engine(data_dir)
    try:
        job = token_session(url).get(f"{url}/v1/job/{job_id}", timeout=10).json()
        assert job["status"] == "failed" and "stopped twice" in job["message"]
        health = requests.get(f"{url}/healthz", timeout=10).json()
        assert health["jobs"] == {"unfinished": 0}
    finally:
        _kill(proc)
