"""What a new user meets first (issue 10): the note's duration is the file's, a silent file says no speech was
found, a multipart upload is refused with what to do instead, and progress moves while the audio is read."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
import requests
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.engine.core import Engine
from bot.engine.options import ProcessOptions
from tests.engine_api_support import SAMPLE, ScriptedEngine, running_engine
from tests.media import read_pcm, write_audio


def test_a_multipart_upload_is_415_with_the_right_command(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    with running_engine(settings, ScriptedEngine()) as server:
        token = requests.post(
            f"{server.url}/oauth2/token:generate",
            timeout=10,
            json={"type": "application", "appId": "a", "appSecret": "b"},
        ).json()["accessToken"]
        answer = requests.post(
            f"{server.url}/v1/process/audio",
            headers={"x-api-key": token},
            timeout=30,
            files={"file": ("standup.mp3", SAMPLE.read_bytes(), "audio/mpeg")},
        )
    assert answer.status_code == 415
    assert "--data-binary" in answer.json()["message"] and "multipart" in answer.json()["message"]


@pytest.mark.engine
def test_a_silent_file_says_no_speech_was_found_and_its_real_length(tmp_path):
    silent = write_audio(tmp_path / "silence.wav", np.zeros(16000 * 20, dtype=np.int16), "wav")
    result = CliRunner().invoke(main, ["process", str(silent), "-q"])
    assert result.exit_code == 0, result.stderr
    assert "Duration 0:20, 0 messages" in result.stdout
    assert "No speech was found" in result.stdout


@pytest.mark.engine
def test_duration_is_the_files_length_not_the_span_of_speech(tmp_path):
    # 12 s of speech followed by 10 s of silence: the note says 0:22.
    pcm = np.concatenate([read_pcm(SAMPLE, seconds=12.0), np.zeros(16000 * 10, dtype=np.int16)])
    media = write_audio(tmp_path / "tail.wav", pcm, "wav")
    result = CliRunner().invoke(main, ["process", str(media), "-q", "--no-diarize"])
    assert result.exit_code == 0, result.stderr
    assert "Duration 0:22," in result.stdout


@pytest.mark.engine
def test_decoding_progress_is_reported_before_the_first_words(tmp_path):
    reports: list[tuple[str, float]] = []
    Engine("tiny.en").process(
        SAMPLE,
        ProcessOptions(),
        conversation_id="1",
        start_time=datetime(2026, 1, 1, tzinfo=UTC),
        max_duration_seconds=3600,
        progress=lambda stage, fraction: reports.append((stage, fraction)),
    )
    first_transcribing = next(i for i, (stage, _) in enumerate(reports) if stage == "transcribing")
    decoding = [f for stage, f in reports[:first_transcribing] if stage == "decoding"]
    assert len(decoding) > 2 and decoding[-1] == 1.0 and decoding == sorted(decoding)
