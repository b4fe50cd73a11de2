"""A peer that answers slowly on purpose: the head of its answer at once, then one byte every `interval`.

Stands in for the probe's slow links and webhook endpoints (issue 21, findings 5 and 6): the bytes keep
coming, so no per-read timeout ever fires. `close()` ends every answer still dripping.
"""

from __future__ import annotations

import threading
from typing import Any

from tests.support.http import FakeServer


class DripServer(FakeServer):
    """Answers every request with the raw bytes `head` at once, then `drip` every `interval` s, `count` times.

    `media()` drips a media body after complete headers; `headers()` never finishes its headers.
    """

    def __init__(self, head: bytes, *, interval: float, drip: bytes = b"\x00", count: int = 1 << 20):
        self.head = head
        self.interval = interval
        self.drip = drip
        self.count = count
        self.answering = threading.Event()  # set once an answer has started
        self.requests: list[str] = []
        self._closing = threading.Event()
        super().__init__()
        self.httpd.handle_error = lambda request, address: None  # a client that gave up: expected

    @classmethod
    def media(cls, first: bytes, *, interval: float, length: int = 1 << 20) -> DripServer:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nContent-Length: {length}\r\n\r\n".encode()
        return cls(head + first, interval=interval, count=length - len(first))

    @classmethod
    def headers(cls, *, interval: float) -> DripServer:
        return cls(b"HTTP/1.1 200 OK\r\nX-Slow: ", interval=interval, drip=b"a", count=60_000)

    def handle(self, h: Any, raw: bytes) -> None:
        self.requests.append(f"{h.command} {h.path}")
        h.close_connection = True
        try:
            h.wfile.write(self.head)
            h.wfile.flush()
            self.answering.set()
            for _ in range(self.count):
                if self._closing.wait(self.interval):
                    return
                h.wfile.write(self.drip)
                h.wfile.flush()
        except OSError:  # the client gave up
            return

    def close(self) -> None:
        self._closing.set()
        super().close()
