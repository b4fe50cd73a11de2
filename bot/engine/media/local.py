"""The default media store: files under one folder on local disk, `<folder>/<conversation id>/<name>`.

These are the paths the engine always used, so jobs stored before the media store existed resume unchanged
(a job's reference is the file's path). Staging happens in place: `keep` is a rename, a local copy the file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LocalMediaStore:
    def __init__(self, folder: Path | str):
        self._folder = Path(folder)
        self._folder.mkdir(parents=True, exist_ok=True)

    @property
    def local_dir(self) -> Path:
        return self._folder

    def staging(self, conversation_id: str, name: str) -> Path:
        return self._folder / conversation_id / name

    def keep(self, staged: Path, conversation_id: str, name: str) -> str:
        return str(staged.rename(self._folder / conversation_id / name))

    def ref(self, conversation_id: str, name: str) -> str:
        return str(self._folder / conversation_id / name)

    @contextmanager
    def local_copy(self, ref: str) -> Iterator[Path]:
        yield Path(ref)

    def delete(self, ref: str) -> None:
        Path(ref).unlink(missing_ok=True)

    def delete_conversation(self, conversation_id: str) -> None:
        shutil.rmtree(self._folder / conversation_id, ignore_errors=True)
