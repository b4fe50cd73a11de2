"""Killing `symbl-bot engine` mid-job (SIGKILL) and starting it again on the same data directory: the
interrupted job and the one queued behind it both complete, and nothing submitted is lost.

Runs the real engine (the packaged speech model) in a real subprocess.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from bot.providers.symbl.client import SymblClient
from tests.engine_api_support import SAMPLE
from tests.support.wait import wait_until

pytestmark = pytest.mark.engine


def start_engine(data_dir):
    env = {**os.environ, "SYMBL_BOT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from bot.cli import main; main()",
            "engine",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    line = proc.stdout.readline()  # "symbl-bot engine listening on http://…", printed once bound
    assert "listening on" in line, f"engine did not start: {line!r}"
    return proc, line.rsplit(" ", 1)[-1].strip()


def test_a_job_interrupted_by_sigkill_completes_after_a_restart(tmp_path):
    data_dir = tmp_path / "data"
    proc, url = start_engine(data_dir)
    try:
        client = SymblClient(url, "local", "local", retries=1, backoff=0.05)
        first = client.submit_file(SAMPLE, {"name": "standup"})
        appended = client.append_file(SAMPLE, first.conversation_id)
        wait_until(lambda: client.job_status(first.job_id) == "in_progress", timeout=120, interval=0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        proc.stdout.close()  # the pipe of the killed process: closed here, not left to the garbage collector

    proc, url = start_engine(data_dir)
    try:
        client = SymblClient(url, "local", "local")  # the restarted engine listens on a new port
        wait_until(
            lambda: client.job_status(appended.job_id) in ("completed", "failed"), timeout=300, interval=0.2
        )
        assert client.job_status(first.job_id) == "completed"
        assert client.job_status(appended.job_id) == "completed"
        messages = client.get_messages(first.conversation_id)
        texts = [m["text"] for m in messages]
        half = len(texts) // 2
        assert half > 3 and texts[:half] == texts[half:]  # both recordings, once each, in order
        assert "Good morning" in texts[0]
        assert client.get_topics(first.conversation_id)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)
        proc.stdout.close()
