"""Local HTTP servers for the tests: a threaded server on loopback, and a condition poller."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def wait_for(
    condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02, *, message: str | None = None
) -> Any:
    """Poll `condition` until it returns something truthy; fail with a clear message at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                message or f"condition not met within {timeout}s: {getattr(condition, '__name__', condition)}"
            )
        time.sleep(interval)


def serve_in_thread(handler: Callable[..., BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A threaded HTTP server on an ephemeral loopback port, serving from a daemon thread.

    Stop it with `shutdown()` then `server_close()`; its port is `server_address[1]`.
    """
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return httpd


class LocalServer:
    def __init__(self, handler_factory: Callable[[LocalServer], type]):
        self.httpd = serve_in_thread(handler_factory(self))
        self.port = self.httpd.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def request_handler(server: Any) -> type:
    """A handler class that passes every request (and its body) to `server.handle(handler, body)`."""

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

        def do_POST(self) -> None:
            server.handle(self, self._body())

        def do_PUT(self) -> None:
            server.handle(self, self._body())

        def do_DELETE(self) -> None:
            server.handle(self, self._body())

    return Handler
