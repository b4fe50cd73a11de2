"""A threaded HTTP server on an ephemeral loopback port, and the base class the fake servers build on."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def serve_in_thread(handler: Callable[..., BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A threaded HTTP server on an ephemeral loopback port, serving from a daemon thread.

    Stop it with `shutdown()` then `server_close()`; its port is `server_address[1]`.
    """
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return httpd


class FakeServer:
    """A fake HTTP service: every request goes to `handle(h, raw_body)`; `h._reply(...)` answers it."""

    def __init__(self) -> None:
        self.httpd = serve_in_thread(_handler_for(self))
        self.port = self.httpd.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, h: Any, raw: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookReceiver(FakeServer):
    """A webhook endpoint that answers 204 at once and keeps every JSON body it was sent, in order."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        super().__init__()

    def handle(self, h: Any, raw: bytes) -> None:
        self.received.append(json.loads(raw))
        h._reply(204, b"", "text/plain")


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            server.handle(self, self._body())

        do_POST = do_PUT = do_DELETE = do_GET

    return Handler
