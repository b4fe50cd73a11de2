"""Issue 24 (Build 3): every CLI command ends a failure with one `Error:` line and exit status 1, no
traceback; `symbl-bot --verbose …` shows the traceback as well.

The first-run failures a new user meets: a token Slack refuses, Slack unreachable, the port in use (`serve`
and `engine`), a bad language code and a folder given to `process`. `serve` and `engine` run as real
processes (the installed entry point, as a user runs them) against the fake Slack on loopback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.media import SAMPLE
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack


def assert_one_error_line(stderr: str, returncode: int, needle: str) -> None:
    """Exit status 1, and stderr ends with the one `Error:` line; before it at most INFO log lines (`serve`
    in thread mode starts its embedded engine while it builds the bot), no ERROR lines, no traceback."""
    lines = stderr.strip().splitlines()
    assert returncode == 1, stderr
    assert [line for line in lines if line.startswith("Error:")] == lines[-1:], stderr
    assert needle in lines[-1], lines[-1]
    assert "Traceback" not in stderr and " ERROR " not in stderr, stderr


def symbl_bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SYMBL_"))} | env
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=full, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.fixture
def serve_env(tmp_path: Path, fake_slack: FakeSlack) -> dict[str, str]:
    return {
        "SYMBL_BOT_DATA_DIR": str(tmp_path / "data"),
        "SYMBL_ENGINE_MODEL": "tiny.en",
        "SLACK_API_URL": fake_slack.api_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }


def test_serve_with_a_token_slack_refuses(serve_env):
    done = symbl_bot("serve", "--port", "0", env=serve_env | {"SLACK_BOT_TOKEN": "xoxb-revoked"})
    assert_one_error_line(done.stderr, done.returncode, "Slack refused SLACK_BOT_TOKEN (invalid_auth)")


def test_serve_with_slack_unreachable(serve_env):
    with socket.socket() as closed:  # a port nobody listens on: connection refused at once
        closed.bind(("127.0.0.1", 0))
        unreachable = f"http://127.0.0.1:{closed.getsockname()[1]}/api/"
    done = symbl_bot("serve", "--port", "0", env=serve_env | {"SLACK_API_URL": unreachable})
    assert_one_error_line(done.stderr, done.returncode, "Slack could not be reached")


@pytest.mark.parametrize("mode", ["process", "thread"])
def test_serve_on_a_port_in_use(serve_env, busy_port, mode):
    done = symbl_bot("serve", "--port", str(busy_port), env=serve_env | {"SYMBL_BOT_BACKGROUND": mode})
    assert_one_error_line(done.stderr, done.returncode, f":{busy_port}: Address already in use")


def test_verbose_adds_the_traceback(serve_env, busy_port):
    done = symbl_bot("--verbose", "serve", "--port", str(busy_port), env=serve_env)
    assert done.returncode == 1 and "Traceback (most recent call last)" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: Cannot listen on")


def test_engine_on_a_port_in_use(tmp_path, busy_port):
    env = {"SYMBL_BOT_DATA_DIR": str(tmp_path / "data"), "SYMBL_ENGINE_MODEL": "tiny.en"}
    done = symbl_bot("engine", "--port", str(busy_port), env=env)
    assert_one_error_line(done.stderr, done.returncode, f"Cannot listen on 127.0.0.1:{busy_port}")


def _process(*args: str) -> tuple[str, int]:
    result = CliRunner().invoke(main, ["process", *args])
    return result.output, result.exit_code


@pytest.mark.parametrize("code", ["xx", "english", "zz-ZZ"])
def test_process_with_a_bad_language_code(code):
    output, status = _process(str(SAMPLE), "--language", code)
    assert_one_error_line(output, status, f"languageCode {code!r} is not a language")


def test_process_given_a_folder(tmp_path):
    output, status = _process(str(tmp_path))
    assert_one_error_line(output, status, "is a folder")


def test_an_unexpected_error_is_one_line_naming_its_class(monkeypatch):
    """A bug is still one line, with what to run to see where it happened."""

    def broken(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr("bot.cli.process.run_process", broken)
    output, status = _process(str(SAMPLE))
    assert_one_error_line(output, status, "unexpected KeyError: 'oops' (symbl-bot --verbose")


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (("engine-worker",), {}, "set SYMBL_ENGINE_DATABASE_URL"),
        (("engine", "--workers", "0"), {}, "--workers 0 serves the API only"),
        (
            ("engine-worker", "--device", "cuda"),
            {"SYMBL_ENGINE_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"},
            "finds no CUDA device",
        ),
    ],
)
def test_engine_nodes_refuse_a_setup_that_could_never_run_a_job(tmp_path, args, env, needle):
    done = symbl_bot(*args, env={"SYMBL_BOT_DATA_DIR": str(tmp_path / "data"), **env})
    assert_one_error_line(done.stderr, done.returncode, needle)
