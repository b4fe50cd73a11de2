"""A forward HTTP proxy on loopback, as `HTTP_PROXY` names one, recording what went through it.

It takes absolute-form requests (`GET http://host:port/path HTTP/1.1`) for plain-http targets and relays
each with http.client, adding a `Via` header. `hosts` is the proxy's own DNS: names it resolves that its
clients may not (as behind a corporate proxy). No CONNECT tunnels: the tests' hosts are plain http.
"""

from __future__ import annotations

import http.client
import threading
from typing import Any
from urllib.parse import urlsplit

from tests.support.http import FakeServer

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade",
}  # fmt: skip


class ForwardProxy(FakeServer):
    def __init__(self, hosts: dict[str, str] | None = None) -> None:
        self.hosts = dict(hosts or {})
        self.requests: list[tuple[str, str]] = []  # (method, the absolute URL asked for)
        self.authorizations: list[str | None] = []  # each request's Proxy-Authorization header
        self._lock = threading.Lock()
        super().__init__()

    def handle(self, h: Any, raw: bytes) -> None:
        with self._lock:
            self.requests.append((h.command, h.path))
            self.authorizations.append(h.headers.get("Proxy-Authorization"))
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
