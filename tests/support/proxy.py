"""A forward HTTP proxy on loopback, as `HTTP_PROXY`/`HTTPS_PROXY` name one, recording what went through it.

Plain-http targets come as absolute-form requests (`GET http://host:port/path HTTP/1.1`), relayed with
http.client (a `Via` header added); https ones as `CONNECT host:port`, answered with a byte tunnel, so TLS
runs between the client and the target. `hosts` is the proxy's own DNS: names it resolves that its clients
may not (as behind a corporate proxy).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

from tests.support.http import FakeServer, _handler_for, serve_in_thread

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade",
}  # fmt: skip


class ForwardProxy(FakeServer):
    def __init__(self, hosts: dict[str, str] | None = None) -> None:
        self.hosts = dict(hosts or {})
        self.requests: list[tuple[str, str]] = []  # (method, the absolute URL or CONNECT's host:port)
        self.authorizations: list[str | None] = []  # each request's Proxy-Authorization header
        self._lock = threading.Lock()
        proxy = self

        class Handler(_handler_for(self)):  # type: ignore[misc]
            def do_CONNECT(self) -> None:
                proxy.tunnel(self)

        self.httpd = serve_in_thread(Handler)
        self.port = self.httpd.server_address[1]

    def _record(self, h: Any) -> None:
        with self._lock:
            self.requests.append((h.command, h.path))
            self.authorizations.append(h.headers.get("Proxy-Authorization"))

    def handle(self, h: Any, raw: bytes) -> None:
        self._record(h)
        target = urlsplit(h.path)
        if target.scheme != "http" or not target.hostname:
            return h._reply(400, b"an absolute http URL is expected", "text/plain")
        upstream = http.client.HTTPConnection(
            self.hosts.get(target.hostname, target.hostname), target.port or 80, timeout=30
        )
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            upstream.request(h.command, target.path + (f"?{target.query}" if target.query else ""),
                             body=raw or None, headers=headers)  # fmt: skip
            answer = upstream.getresponse()
            body = answer.read()
        except OSError as err:
            return h._reply(502, f"upstream unreachable: {err.__class__.__name__}".encode(), "text/plain")
        finally:
            upstream.close()
        skipped = HOP_BY_HOP | {"content-length", "content-type"}  # _reply sets these two
        relayed = {k: v for k, v in answer.getheaders() if k.lower() not in skipped}
        content_type = answer.getheader("Content-Type") or "application/octet-stream"
        h._reply(answer.status, body, content_type, {**relayed, "Via": "1.1 test-proxy"})

    def tunnel(self, h: Any) -> None:
        self._record(h)
        host, _, port = h.path.rpartition(":")
        try:
            upstream = socket.create_connection((self.hosts.get(host, host), int(port)), timeout=30)
        except (OSError, ValueError):
            return h._reply(502, b"upstream unreachable", "text/plain")
        h.send_response(200, "Connection established")
        h.end_headers()
        h.close_connection = True
        back = threading.Thread(target=_pump, args=(upstream, h.connection), daemon=True)
        back.start()
        _pump(h.connection, upstream)
        back.join(30)
        upstream.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes until `source` ends, then end `sink`'s sending side."""
    with contextlib.suppress(OSError):
        while data := source.recv(1 << 16):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
