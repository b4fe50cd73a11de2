"""`symbl-bot engine` logs like the bot: the configured format, through the secret-redacting filter."""

import json
import os
import subprocess
import sys

import pytest
import requests

from tests.media import ROOT
from tests.support.wait import wait_until

SECRET = "engine-secret-do-not-print"


@pytest.mark.slow
def test_engine_logs_are_json_lines_when_asked_and_never_show_its_secret(tmp_path):
    env = {
        **os.environ,
        "SYMBL_BOT_DATA_DIR": str(tmp_path),
        "SYMBL_BOT_LOG_FORMAT": "json",
        "SYMBL_ENGINE_APP_ID": "engine-app",
        "SYMBL_ENGINE_APP_SECRET": SECRET,
    }
    engine = subprocess.Popen(
        [sys.executable, "-m", "bot", "engine", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = engine.stdout.readline().strip().rsplit(" ", 1)[-1]
        token = requests.post(
            f"{url}/oauth2/token:generate",
            timeout=10,
            json={"type": "application", "appId": "engine-app", "appSecret": SECRET},
        ).json()["accessToken"]
        headers = {"x-api-key": token}
        # The sample: its job's progress is logged (faster-whisper and the job queue log at INFO).
        with open(ROOT / "examples" / "standup.mp3", "rb") as sample:
            job = requests.post(f"{url}/v1/process/audio", data=sample, headers=headers, timeout=30).json()
        wait_until(
            lambda: (
                requests.get(f"{url}/v1/job/{job['jobId']}", headers=headers, timeout=10).json()["status"]
                == "completed"
            ),
            timeout=120,
        )
    finally:
        engine.terminate()
        _, stderr = engine.communicate(timeout=30)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "the engine logged nothing"
    assert all(isinstance(json.loads(line), dict) for line in lines), stderr
    assert SECRET not in stderr
