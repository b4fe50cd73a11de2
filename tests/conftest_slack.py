"""Fixtures for the Slack bot tests (imported by tests/test_slack_*.py)."""

from __future__ import annotations

import dataclasses
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.app import Bot, build_bot
from bot.config import Settings
from tests.slack_fakes import BOT_TOKEN, SIGNING_SECRET, FakeSlack, FileServer, StubSymbl


@pytest.fixture(autouse=True)
def no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stray SLACK_CLIENT_ID would switch Bolt to OAuth; stray Symbl credentials would change the provider."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "SYMBL_")):
            monkeypatch.delenv(name)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack()
    yield server
    server.close()


@pytest.fixture
def stub_symbl() -> Iterator[StubSymbl]:
    server = StubSymbl()
    yield server
    server.close()


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    server = FileServer()
    yield server
    server.close()


def bot_settings(data_dir: Path, fake_slack: FakeSlack, stub_symbl: StubSymbl | None, **overrides: Any) -> Settings:
    settings = Settings(
        data_dir=data_dir,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        poll_seconds=0.1,
    )
    if stub_symbl is not None:
        settings = dataclasses.replace(settings, symbl_app_id="app", symbl_app_secret="secret",
                                       symbl_api_url=stub_symbl.base)
    return dataclasses.replace(settings, **overrides)


@contextmanager
def running_bot(settings: Settings, **kwargs: Any) -> Iterator[tuple[Bot, str]]:
    """The bot in HTTP mode on an ephemeral port with its real scheduler; yields (bot, base URL)."""
    bot = build_bot(settings, **kwargs)
    try:
        bot.start_background()
        url = bot.start_http()
        yield bot, url
    finally:
        bot.close()
        bot.store.close()


@pytest.fixture
def bot(tmp_path: Path, fake_slack: FakeSlack, stub_symbl: StubSymbl) -> Iterator[tuple[Bot, str]]:
    with running_bot(bot_settings(tmp_path / "data", fake_slack, stub_symbl)) as running:
        yield running
