"""The default media store: files under one folder on local disk, `<folder>/<conversation id>/<name>`.

These are the paths the engine always used, so jobs stored before the media store existed resume unchanged
(a job's reference is the file's path). Staging happens in place: `keep` is a rename, a local copy the file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
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

    def sweep_local(self, untouched_since: float) -> int:
        # Uploads stream into `<job>.part` beside the stored media; a finished upload is renamed.
        return remove_untouched(self._folder.glob("*/*.part"), untouched_since)


def remove_untouched(paths: Iterable[Path], untouched_since: float) -> int:
    """Delete the files and folders among `paths` last modified before `untouched_since`; how many went."""
    removed = 0
    for path in paths:
        try:
            if path.stat().st_mtime >= untouched_since:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed += 1
        except FileNotFoundError:  # its own process finished with it meanwhile
            continue
    return removed
