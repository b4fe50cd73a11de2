"""Fixtures every test module may use: a clean environment, and the fake servers the Slack tests run against.

The fakes live in `tests/support/` (and tests/slack_fakes.py); a module asks for one by naming the fixture.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

from bot.config import APP_NAME, Settings
from bot.engine.server import EngineServer
from bot.slack.app import Bot
from tests.engine_api_support import ScriptedEngine, running_engine
from tests.slack_fakes import FakeSlack, bot_settings, running_bot
from tests.support import postgres
from tests.support.files import FileServer
from tests.support.symbl import StubSymbl

# Stray credentials from a developer's shell must not change modes under test (a SLACK_CLIENT_ID switches Bolt
# to OAuth; SYMBL_APP_ID switches the bot to the cloud provider), nor a proxy send test downloads elsewhere.
_PREFIXES = ("SLACK_", "SYMBL_", "DATABASE_URL")
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every `engine` test (the real speech model) is also `slow`: `pytest -m "not slow"` leaves it out."""
    for item in items:
        if item.get_closest_marker("engine") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(_PREFIXES) or name.lower() in _PROXY_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("SYMBL_BOT_DATA_DIR", str(tmp_path / "data"))
    # The default data folder is the user's (platformdirs, bot/config.py): a test that unsets
    # SYMBL_BOT_DATA_DIR, or builds a Settings() without data_dir, lands in its own folder, never the
    # developer's (`_users_data_folder_untouched` checks). Subprocesses inherit both variables.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    if sys.platform == "darwin":  # platformdirs ignores XDG there: ~/Library/Application Support
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Whisper base is the default model but about twice as slow: tests that do not test the model choice pin
    # tiny.en (those that do, e.g. tests/test_languages.py, delete or override this).
    monkeypatch.setenv("SYMBL_ENGINE_MODEL", "tiny.en")


def _listing(folder: Path) -> list[tuple[str, int]]:
    if not folder.is_dir():
        return []
    entries = [*folder.glob("*"), *folder.glob("*/*")]
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in entries)


@pytest.fixture(scope="session", autouse=True)
def _users_data_folder_untouched() -> Iterator[None]:
    """Nothing in the suite writes into the real user's data folder (read before any test changes HOME or
    XDG_DATA_HOME)."""
    real = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    before = _listing(real)
    yield
    assert _listing(real) == before, f"a test wrote into the user's data folder {real}"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[postgres.PostgresCluster]:
    """One throwaway PostgreSQL cluster for the session; skipped where initdb or psycopg is absent."""
    if not postgres.available():
        pytest.skip("PostgreSQL's initdb is not installed")
    pytest.importorskip("psycopg", reason="the [postgres] extra is not installed")
    cluster = postgres.PostgresCluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def bot_database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the bot's state goes, once per backend: a SQLite file, or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return tmp_path / "bot.db"
    return request.getfixturevalue("postgres_cluster").new_database()


@pytest.fixture(params=["sqlite", "postgres"])
def engine_database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the engine's state goes, once per backend: a SQLite file or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return tmp_path / "engine.db"
    return request.getfixturevalue("postgres_cluster").new_database()


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


# --- the engine's HTTP API over a ScriptedEngine (tests/test_engine_server.py, tests/test_text_api.py) -----
# A module that needs other settings or a real engine defines its own `settings` / `engine`; pytest prefers
# the module's.


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", allow_private_urls=True, max_file_bytes=5 * 1024**2)


@pytest.fixture
def engine() -> ScriptedEngine:
    """Scripted speech-to-text, so each job takes milliseconds (text jobs never call it)."""
    return ScriptedEngine()


@pytest.fixture
def server(settings: Settings, engine: ScriptedEngine) -> Iterator[EngineServer]:
    """A real engine server on an ephemeral loopback port, over whichever `settings` and `engine` apply."""
    with running_engine(settings, engine) as srv:
        yield srv
