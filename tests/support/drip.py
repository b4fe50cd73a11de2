"""A peer that answers slowly on purpose: the head of its answer at once, then one byte every `interval`.

Stands in for the probe's slow links and webhook endpoints (issue 21, findings 5 and 6): the bytes keep
coming, so no per-read timeout ever fires. `close()` ends every answer still dripping.
"""

from __future__ import annotations

import threading
from typing import Any

from tests.support.http import FakeServer


class DripServer(FakeServer):
    """Answers every request 200 with `head` at once, then a byte every `interval` s up to `length` bytes."""

    def __init__(
        self, head: bytes, *, interval: float, length: int = 1 << 20, content_type: str = "audio/mpeg"
    ):
        self.head = head
        self.interval = interval
        self.length = length
        self.content_type = content_type
        self.answering = threading.Event()  # set once an answer has started
        self.requests: list[str] = []
        self._closing = threading.Event()
        super().__init__()
        self.httpd.handle_error = lambda request, address: None  # a client that gave up: expected

    def handle(self, h: Any, raw: bytes) -> None:
        self.requests.append(f"{h.command} {h.path}")
        h.send_response(200)
        h.send_header("Content-Type", self.content_type)
        h.send_header("Content-Length", str(self.length))
        h.end_headers()
        h.wfile.write(self.head)
        h.wfile.flush()
        self.answering.set()
        sent = len(self.head)
        while sent < self.length and not self._closing.wait(self.interval):
            h.wfile.write(b"\x00")
            h.wfile.flush()
            sent += 1
        h.close_connection = True

    def close(self) -> None:
        self._closing.set()
        super().close()
