"""A real full disk for tests: a tiny tmpfs mounted on a directory (root only; the test skips elsewhere)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


class TinyDisk:
    """A mounted tmpfs of a few KiB; `free()` unmounts it early, so the directory has room again."""

    def __init__(self, mount_point: Path, size: str):
        self.mount_point = mount_point
        self.size = size
        self.mounted = False

    def mount(self) -> TinyDisk:
        self.mount_point.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.size}", "tmpfs", str(self.mount_point)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root)")
        self.mounted = True
        return self

    def free(self) -> None:
        """Unmount (lazily: a process may still hold a file there); the directory below is writable again."""
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.mount_point)], check=False)
            self.mounted = False


@contextlib.contextmanager
def tiny_disk(mount_point: Path, size: str = "256k") -> Iterator[TinyDisk]:
    disk = TinyDisk(mount_point, size).mount()
    try:
        yield disk
    finally:
        disk.free()
