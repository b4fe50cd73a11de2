"""Shared pieces for the engine-server, client and SDK tests: a running server and a fast engine stand-in
(the file server and `wait_until` are in tests/support/).

`ScriptedEngine` stands in for speech-to-text only, for tests about states, ordering and faults, where the
real model's seconds per job add nothing: it checks the upload with the real decoder (`decode.probe`),
then "hears" a fixed script and builds messages with the engine's own `build_messages`; insights come
from the real `analyze`. It can hold jobs on a gate, to observe `in_progress`. The real `Engine` is the
server's default and runs in the full-cycle tests.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.config import Settings
from bot.engine import decode
from bot.engine.core import Speaker, build_messages
from bot.engine.server import EngineServer
from bot.engine.transcribe import Word
from tests.support.wait import wait_until

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "standup.mp3"

SCRIPT = [
    ("Priya", "Marco, please send the release notes by Thursday."),
    ("Marco", "Sure, I will do that."),
    ("Priya", "Did the login bug get fixed in the last build?"),
    ("Marco", "Not yet, I will check with QA next week."),
]


def scripted_words(seconds_per_word: float = 0.4) -> tuple[list[Word], list[Speaker]]:
    words, speakers, t = [], [], 0.0
    for who, sentence in SCRIPT:
        for token in sentence.split():
            words.append(Word(" " + token, t, t + seconds_per_word * 0.8, 0.95))
            speakers.append(Speaker(who, f"{who.lower()}@example.org"))
            t += seconds_per_word
        t += 0.6
    return words, speakers


class ScriptedEngine:
    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.calls: list[dict] = []
        self.started = threading.Event()

    def process(
        self,
        media_path,
        options,
        *,
        conversation_id,
        start_time,
        time_offset=0.0,
        max_duration_seconds,
        progress=None,
    ):
        decode.probe(Path(media_path), max_duration_seconds=max_duration_seconds)
        self.calls.append({"media": Path(media_path), "time_offset": time_offset, "options": options})
        self.started.set()
        self.gate.wait(30)
        words, speakers = scripted_words()
        return build_messages(
            words, speakers, conversation_id=conversation_id, start_time=start_time, time_offset=time_offset
        )


class SleepingEngine(ScriptedEngine):
    """The scripted transcript after `seconds` of sleep (a stand-in for the speech model's time), its first
    message tagged `[<job id>]` (the stored media is named after its job), so a test can read a conversation's
    appends back and check their order."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def process(self, media_path, options, **kwargs):  # type: ignore[override]
        time.sleep(self.seconds)
        messages = super().process(media_path, options, **kwargs)
        job_id = Path(media_path).name.split(".", 1)[0]
        messages[0]["text"] = f"[{job_id}] {messages[0]['text']}"
        return messages


def submit_with_appends(
    session: requests.Session, url: str, jobs: int, conversations: int, webhook_url: str
) -> dict[str, list[str]]:
    """`jobs` uploads of SAMPLE: `conversations` new conversations, then appends to each in turn, every job
    with `webhook_url`. Returns conversation → its jobs in submission order."""
    audio = SAMPLE.read_bytes()
    params = {"webhookUrl": webhook_url}
    order: dict[str, list[str]] = {}
    for index in range(jobs):
        if index < conversations:
            answer = session.post(f"{url}/v1/process/audio", data=audio, params=params, timeout=60)
            order[answer.json()["conversationId"]] = []
        else:
            cid = list(order)[index % conversations]
            answer = session.put(f"{url}/v1/process/audio/{cid}", data=audio, params=params, timeout=60)
        assert answer.status_code in (200, 201), answer.text
        order[answer.json()["conversationId"]].append(answer.json()["jobId"])
    return order


def tagged_jobs(messages: list[dict]) -> list[str]:
    """The job ids `SleepingEngine` tagged, in the conversation's order."""
    return [m["text"][1:].split("]", 1)[0] for m in messages if m["text"].startswith("[")]


@contextlib.contextmanager
def running_engine(settings: Settings, engine=None, **kwargs) -> Iterator[EngineServer]:
    server = EngineServer(settings, host="127.0.0.1", port=0, engine=engine, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def finished_job(session: requests.Session, url: str, job_id: str) -> dict:
    """The job's status once it is `completed` or `failed` (waits for it)."""

    def status() -> dict | None:
        body = session.get(f"{url}/v1/job/{job_id}", timeout=10).json()
        return body if body["status"] in ("completed", "failed") else None

    return wait_until(status, what=f"job {job_id} finished")


def token_session(url: str, app_id: str = "a") -> requests.Session:
    """A session whose requests carry a fresh engine token of `app_id` (any credentials do on loopback;
    another appId is another tenant)."""
    session = requests.Session()
    token = session.post(
        f"{url}/oauth2/token:generate",
        json={"type": "application", "appId": app_id, "appSecret": "b"},
        timeout=10,
    ).json()["accessToken"]
    session.headers["x-api-key"] = token
    return session


# The start of a script that runs the official `symbl` SDK in a subprocess against the engine at argv[1]:
# the SDK pointed there before `import symbl`, its 30 s job-poll sleep shortened inside `symbl.jobs_api.Job`
# only. Exposes `json`, `sys`, `time`, `host`, `symbl`.
SDK_PREAMBLE = r"""
import json, sys, time, types

host = sys.argv[1]

from symbl_rest import Configuration
cfg = Configuration()
cfg.host = host
Configuration.set_default(cfg)

import symbl
import symbl.jobs_api.Job as job_module

_sleep = time.sleep
job_module.time = types.SimpleNamespace(sleep=lambda seconds: _sleep(0.2))
"""


def run_sdk_script(script: str, tmp_path: Path) -> str:
    """Run `script` (SDK_PREAMBLE + calls) against a fresh engine in a subprocess; its stdout. Skips when the
    official SDK is not installed."""
    pytest.importorskip("symbl", reason="install the SDK as in the README's test command")
    with running_engine(Settings(data_dir=tmp_path / "data")) as server:
        done = subprocess.run(
            [sys.executable, "-c", script, server.url],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def check_docs_page_steps(steps: dict) -> None:
    """What tests/test_sdk_conformance.py checks of its SDK script's report (`run_sdk`: each step's fields by
    step name), for running that script against other deployments of the engine."""
    first = steps["process_file"]
    assert first["status"] == "completed" and first["name"] == "new meeting"
    assert first["topics"] and first["topic_sentiment"] in ("positive", "neutral", "negative")
    assert first["messages"][0].startswith("Good morning") and first["first_word"] == "Good"
    assert first["speaker"] == "Jon Snow" and first["members"] == ["Jon Snow"]  # channelMetadata honoured
    assert first["action_items"] and first["questions"]
    assert isinstance(first["follow_ups"], list)

    assert steps["process_url"]["status"] == "completed" and steps["process_url"]["topics"]
    assert steps["process_url"]["messages"] > 3

    append = steps["append_file"]
    assert append["status"] == "completed" and append["conversation_id"] == first["conversation_id"]
    assert append["job_id"] != append["first_job_id"]
    assert append["messages"] > len(first["messages"])
    assert steps["append_url"]["status"] == "completed"
    assert steps["append_url"]["messages"] > append["messages"] and steps["append_url"]["topics"]

    later = steps["wait_false"]
    assert later["returned_status"] == "in_progress"  # the SDK returned before the job ended
    assert later["completed"] is True and later["status"] == "completed" and later["messages"] > 3
