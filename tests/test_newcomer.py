"""A newcomer's first runs: bad settings, a `.env` beside a non-editable install, one-line errors.

These go through real processes (`python -m bot`, a wheel installed into a folder) because the bugs they pin
only showed there: a `.env` was found only from the checkout's folder, a bad number printed a traceback.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.report import render_text
from bot.config import Settings
from bot.slack.app import bolt_app, slack_client
from tests.slack_fakes import BOT_TOKEN, SIGNING_SECRET

ROOT = Path(__file__).resolve().parent.parent


def _env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SYMBL_", "PYTHONPATH"))}
    return {**clean, **extra}


def _symbl_bot(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "variable, value, args",
    [
        ("SYMBL_ENGINE_PORT", "abc", ["engine"]),
        ("SYMBL_BOT_POLL_SECONDS", "fast", ["jobs", "list"]),
        ("SYMBL_MAX_FILE_BYTES", "inf", ["serve"]),
    ],
)
@pytest.mark.slow
def test_a_bad_number_is_one_error_line(tmp_path, variable, value, args):
    done = _symbl_bot(args, cwd=tmp_path, env=_env(**{variable: value, "SYMBL_BOT_DATA_DIR": str(tmp_path)}))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Error: {variable} must be a{' finite' if value == 'inf' else ''} number, got {value!r}."
    ]


@pytest.mark.slow
def test_the_working_directory_env_file_is_read_after_a_non_editable_install(tmp_path):
    """`pip install .` (not -e), then `symbl-bot` run from a project folder elsewhere reads its .env."""
    source = tmp_path / "source"  # a copy, so the build leaves no build/ or egg-info in the checkout
    for package in ("bot", "handlers", "storage"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    installed = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(installed),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text("SYMBL_BOT_DATA_DIR=from-dotenv\n")
    env = _env(PYTHONPATH=str(installed))

    where = subprocess.run(
        [sys.executable, "-c", "import bot; print(bot.__file__)"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(installed)  # the wheel's copy, not the checkout's
    done = _symbl_bot(["jobs", "list"], cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "No recordings."
    assert (project / "from-dotenv" / "bot.db").is_file()


def test_the_printed_note_counts_one_message_in_the_singular():
    one = {"messages": [{"text": "Hi.", "from": {"name": "Ann"}, "timeOffset": 0.0, "duration": 1.0}]}
    two = {"messages": one["messages"] * 2}
    assert render_text(one, title="Sync").splitlines()[1] == "Duration 0:01, 1 message"
    assert render_text(two, title="Sync").splitlines()[1].endswith(", 2 messages")


def test_serve_builds_the_bolt_app_without_warnings(monkeypatch, caplog, fake_slack):
    """SLACK_BOT_TOKEN in the environment (as for `serve`) and our own client: Bolt has nothing to say."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    settings = Settings(
        slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=fake_slack.api_url
    )
    with caplog.at_level(logging.INFO):
        app = bolt_app(settings, slack_client(settings))
    assert app.client.token == BOT_TOKEN
    assert [r.getMessage() for r in caplog.records if r.name.startswith("slack_bolt")] == []
