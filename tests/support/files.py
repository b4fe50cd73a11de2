"""One file host for the tests' links: registered blobs, a folder on disk, and redirects.

It records every request with its Authorization header, so a test can assert that a refused link was never
fetched, or that no Slack token went to a third-party host.
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.support.http import FakeServer


class FileServer(FakeServer):
    """Serves `add()`ed blobs, then files under `directory` (when given); `redirect()` adds a 302."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory).resolve() if directory is not None else None
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, str | None]] = []  # (path, Authorization header)
        self._lock = threading.Lock()
        super().__init__()

    @property
    def url(self) -> str:
        return self.base

    def add(self, path: str, data: bytes, content_type: str = "audio/mpeg") -> str:
        """Serve `data` at `path` (starting with /); returns its URL."""
        self.blobs[path] = (data, content_type)
        return self.base + path

    def redirect(self, path: str, location: str) -> str:
        """Answer `path` with a 302 to `location`; returns the URL of `path`."""
        self.redirects[path] = location
        return self.base + path

    def handle(self, h: Any, raw: bytes) -> None:
        path = urlsplit(h.path).path
        with self._lock:
            self.requests.append((path, h.headers.get("Authorization")))
        if path in self.redirects:
            h.send_response(302)
            h.send_header("Location", self.redirects[path])
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        blob = self.blobs.get(path) or self._from_directory(path)
        if blob is None:
            return h._reply(404, b"not found", "text/plain")
        h._reply(200, blob[0], blob[1])

    def _from_directory(self, path: str) -> tuple[bytes, str] | None:
        if self.directory is None:
            return None
        file = (self.directory / unquote(path).lstrip("/")).resolve()
        if not file.is_relative_to(self.directory) or not file.is_file():
            return None
        return file.read_bytes(), mimetypes.guess_type(file.name)[0] or "application/octet-stream"
