"""The same recording gives the same note: byte-identical `--json` from two fresh processes, and the same
transcript from two jobs running at once on a two-worker engine (real model, real decoding)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from bot.config import Settings
from tests.engine_api_support import SAMPLE, running_engine
from tests.support.wait import wait_until

pytestmark = pytest.mark.engine

# What identifies a submission rather than what was heard (ids, and absolute times from the submission's
# clock): differs between two submissions by design. Text, offsets, durations and sentiment must not.
PER_SUBMISSION = {"id", "conversationId", "startTime", "endTime", "from"}


def _process_json(env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "process", str(SAMPLE), "--json", "-q"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_two_runs_of_the_cli_give_byte_identical_json(tmp_path):
    # Two separate processes: nothing (random seeds, ids, clocks) may leak from one run into the next.
    env = {**os.environ, "SYMBL_ENGINE_MODEL": "tiny.en", "SYMBL_BOT_DATA_DIR": str(tmp_path / "data")}
    first, second = _process_json(env), _process_json(env)
    assert first == second
    assert '"summary"' in first and '"conversationId"' in first


def _heard(messages: list[dict]) -> list[dict]:
    return [{k: v for k, v in m.items() if k not in PER_SUBMISSION and k != "words"} for m in messages]


def test_two_jobs_at_once_on_two_workers_hear_the_same_words(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", engine_workers=2, engine_model="tiny.en")
    with running_engine(settings) as server:
        http = requests.Session()
        http.headers["x-api-key"] = http.post(
            f"{server.url}/oauth2/token:generate",
            json={"type": "application", "appId": "a", "appSecret": "b"},
            timeout=10,
        ).json()["accessToken"]
        jobs = [
            http.post(f"{server.url}/v1/process/audio", data=SAMPLE.read_bytes(), timeout=60).json()
            for _ in range(2)
        ]
        for job in jobs:
            wait_until(
                lambda job=job: (
                    http.get(f"{server.url}/v1/job/{job['jobId']}", timeout=10).json()["status"]
                    == "completed"
                ),
                timeout=600,
            )
        transcripts = [
            http.get(
                f"{server.url}/v1/conversations/{job['conversationId']}/messages",
                params={"verbose": "true"},
                timeout=10,
            ).json()["messages"]
            for job in jobs
        ]
    assert transcripts[0] and _heard(transcripts[0]) == _heard(transcripts[1])
    assert [(w["word"], w["timeOffset"]) for m in transcripts[0] for w in m["words"]] == [
        (w["word"], w["timeOffset"]) for m in transcripts[1] for w in m["words"]
    ]
