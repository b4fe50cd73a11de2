"""Decoding limits (issue 12 item 7): a file that holds far more audio than it declares stops decoding near
the declared length, not at the duration limit; a streamed WAV (size fields 0xFFFFFFFF, as FFmpeg writes to
a pipe) is accepted with its real length. Real files, real FFmpeg (PyAV), the real engine server.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
import requests

from bot.config import Settings
from bot.engine import decode
from bot.errors import UnsupportedMedia
from tests.engine_api_support import ScriptedEngine, running_engine
from tests.media import tone, write_audio
from tests.support.wait import wait_until

RATE = 16000


def _liar_m4a(path, *, holds: float, declares: float):
    """An m4a whose movie, track and media headers declare `declares` seconds over `holds` s of audio."""
    write_audio(path, tone(holds), "m4a")
    data = bytearray(path.read_bytes())

    def patch(atom: bytes, duration_at: int, timescale: int | None = None) -> int:
        start = data.find(atom) + 4  # version byte
        assert data[start] == 0, "version 0 headers expected"
        if timescale is None:
            timescale = struct.unpack(">I", data[start + 12 : start + 16])[0]
        data[start + duration_at : start + duration_at + 4] = struct.pack(">I", int(timescale * declares))
        return timescale

    movie_timescale = patch(b"mvhd", 16)
    patch(b"tkhd", 20, movie_timescale)
    patch(b"mdhd", 16)
    path.write_bytes(bytes(data))
    return path


def _streamed_wav(path, seconds: float):
    pcm = (np.sin(np.arange(int(RATE * seconds)) / RATE * 2 * np.pi * 440) * 8000).astype("<i2").tobytes()
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
    path.write_bytes(b"RIFF\xff\xff\xff\xffWAVEfmt " + fmt + b"data\xff\xff\xff\xff" + pcm)
    return path


def test_a_file_holding_far_more_than_it_declares_stops_decoding_near_the_declared_length(tmp_path):
    liar = _liar_m4a(tmp_path / "liar.m4a", holds=120.0, declares=6.0)
    assert decode.probe(liar, max_duration_seconds=4 * 3600).duration == pytest.approx(6.0, abs=0.1)
    decoded = 0
    with pytest.raises(UnsupportedMedia, match="declares 0m06s but holds far more"):
        for block in decode.iter_pcm(liar, max_duration_seconds=4 * 3600):
            decoded += block.shape[-1]
    limit = 6.0 * decode.OVERRUN_FACTOR + decode.OVERRUN_SECONDS
    assert decoded / RATE <= limit + 1  # stopped there, not after 120 s (nor at the 4 h limit)


def test_a_file_that_declares_its_length_honestly_decodes_in_full(tmp_path):
    honest = write_audio(tmp_path / "honest.m4a", tone(50.0), "m4a")
    decoded = sum(block.shape[-1] for block in decode.iter_pcm(honest, max_duration_seconds=3600))
    assert decoded / RATE == pytest.approx(50.0, abs=0.2)


def test_a_streamed_wav_is_accepted_with_its_real_length(tmp_path):
    wav = _streamed_wav(tmp_path / "piped.wav", 20.0)
    assert decode.probe(wav, max_duration_seconds=3600).duration == pytest.approx(20.0, abs=0.1)
    decoded = sum(block.shape[-1] for block in decode.iter_pcm(wav, max_duration_seconds=3600))
    assert decoded / RATE == pytest.approx(20.0, abs=0.1)
    settings = Settings(data_dir=tmp_path / "data", max_duration_seconds=3600)
    with running_engine(settings, ScriptedEngine()) as server:
        grant = {"type": "application", "appId": "a", "appSecret": "b"}
        token = requests.post(server.url + "/oauth2/token:generate", json=grant, timeout=10).json()
        headers = {"x-api-key": token["accessToken"], "Content-Type": "audio/wav"}
        answer = requests.post(
            server.url + "/v1/process/audio", data=wav.read_bytes(), headers=headers, timeout=30
        )
        assert answer.status_code == 201, answer.text
        job = answer.json()["jobId"]
        status = wait_until(
            lambda: (
                (s := requests.get(f"{server.url}/v1/job/{job}", headers=headers, timeout=10).json())[
                    "status"
                ]
                in ("completed", "failed")
                and s
            )
        )
    assert status["status"] == "completed", status
