"""Fixtures for the Slack bot tests, loaded by tests/test_slack_*.py as a pytest plugin.

SLACK_* and SYMBL_* variables are cleared around every test by tests/conftest.py (a stray SLACK_CLIENT_ID
would switch Bolt to OAuth; stray Symbl credentials would change the provider).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack.app import Bot
from tests.slack_fakes import FakeSlack, FileServer, StubSymbl, bot_settings, running_bot


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
