"""Issue 24 (Build 4): one data folder per user by default, whatever directory a command runs from.

It was `./data`: `process`, `doctor` and `jobs list` each made one in the working directory, with a 142 MB
copy of the assembled speech model, four after one afternoon. Now the default is the platform's user data
folder (platformdirs; here XDG_DATA_HOME, which tests/conftest.py points at a temporary folder),
SYMBL_BOT_DATA_DIR overrides it, and `./data` is used only when asked for.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from tests.media import SAMPLE, read_pcm, write_audio


@pytest.fixture
def user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default applies: SYMBL_BOT_DATA_DIR unset; the user's folder under the test's XDG_DATA_HOME."""
    monkeypatch.delenv("SYMBL_BOT_DATA_DIR")
    return tmp_path / "xdg-data" / "symbl-bot"


def _directories(tmp_path: Path) -> list[Path]:
    folders = [tmp_path / "meetings" / "monday", tmp_path / "elsewhere"]
    for folder in folders:
        folder.mkdir(parents=True)
    return folders


def test_the_default_is_the_users_data_folder_from_any_directory(user_folder, tmp_path, monkeypatch):
    for folder in _directories(tmp_path):
        monkeypatch.chdir(folder)
        settings = Settings.from_env()
        assert settings.data_dir == user_folder and settings.model_cache_dir == user_folder / "models"


def test_symbl_bot_data_dir_overrides_and_dot_data_is_a_choice(user_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYMBL_BOT_DATA_DIR", "./data")
    assert Settings.from_env().data_dir.resolve() == tmp_path / "data"


def test_jobs_list_from_two_directories_uses_one_database(user_folder, tmp_path, monkeypatch):
    for folder in _directories(tmp_path):
        monkeypatch.chdir(folder)
        result = CliRunner().invoke(main, ["jobs", "list"])
        assert result.exit_code == 0, result.output
        assert list(folder.iterdir()) == []  # no ./data
    assert (user_folder / "bot.db").is_file()


@pytest.mark.engine
def test_process_from_two_directories_leaves_one_model_copy(user_folder, tmp_path, monkeypatch):
    """Whisper base ships in two packages and is assembled into the data folder's models/ on first use."""
    monkeypatch.setenv("SYMBL_ENGINE_MODEL", "base")
    recording = write_audio(tmp_path / "hello.wav", read_pcm(SAMPLE, seconds=3), "wav")
    for folder in _directories(tmp_path):
        monkeypatch.chdir(folder)
        result = CliRunner().invoke(main, ["process", str(recording), "--json", "--quiet"])
        assert result.exit_code == 0, result.output
        assert list(folder.iterdir()) == []
    copies = list(user_folder.glob("models/*/model.bin"))
    assert len(copies) == 1 and copies[0].parent.name.startswith("base-")


def test_doctor_points_at_an_earlier_versions_dot_data(user_folder, tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "bot.db").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    output = CliRunner().invoke(main, ["doctor"]).output
    assert (
        str(user_folder) in output and "the ./data here (an earlier version's default) is not used" in output
    )
