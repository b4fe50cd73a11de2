"""What the engine needs from wherever it keeps media: the `MediaStore` protocol.

A job's input reaches the store in two steps: its bytes stream into a local `staging` file first (the size
limits are enforced while they stream, and an upload is probed with FFmpeg there), then `keep` moves the
checked file into the store and returns the reference the job row keeps (`media_path`). Whatever reads it back
asks for a `local_copy`, because the decoder needs a file; `delete` and `delete_conversation` end its life.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol


class MediaStore(Protocol):
    @property
    def local_dir(self) -> Path:
        """The folder on this machine's disk that staging and local copies use (what /healthz measures)."""
        ...

    def staging(self, conversation_id: str, name: str) -> Path:
        """Where to write `name` before `keep`; the caller creates its folder and removes it on failure."""
        ...

    def keep(self, staged: Path, conversation_id: str, name: str) -> str:
        """Store the staged file as the conversation's `name`; the reference to keep. `staged` is gone after,
        stored or not. Raises MediaStoreError when the store cannot take it."""
        ...

    def ref(self, conversation_id: str, name: str) -> str:
        """The reference `keep` gives `name` (to delete what may or may not have been kept)."""
        ...

    def local_copy(self, ref: str) -> AbstractContextManager[Path]:
        """The media as a local file named like the reference, for as long as the context lasts. Raises
        StorageFull when the local disk cannot hold it, MediaStoreError when the store cannot give it."""
        ...

    def delete(self, ref: str) -> None:
        """Remove the media; one already gone is fine."""
        ...

    def delete_conversation(self, conversation_id: str) -> None:
        """Remove every media of the conversation."""
        ...

    def sweep_local(self, untouched_since: float) -> int:
        """Delete the local staging files and copies not written since `untouched_since` (epoch seconds):
        what a process killed mid-upload or mid-job left on this machine's disk. How many went."""
        ...
