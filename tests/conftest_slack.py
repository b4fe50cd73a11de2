"""Fixtures for the Slack bot tests (imported by tests/test_slack_*.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import Bot
from tests.slack_fakes import FakeSlack, FileServer, StubSymbl, bot_settings, running_bot


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


@pytest.fixture
def bot(tmp_path: Path, fake_slack: FakeSlack, stub_symbl: StubSymbl) -> Iterator[tuple[Bot, str]]:
    with running_bot(bot_settings(tmp_path / "data", fake_slack, stub_symbl)) as running:
        yield running
