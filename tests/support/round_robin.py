"""A round-robin HTTP reverse proxy on loopback: a load balancer stand-in in front of several API nodes.

Behind a load balancer, consecutive requests of one client — even on one keep-alive connection — may land on
different nodes. This proxy makes that certain rather than likely: each request goes to the next backend in
turn, so a client's token, upload, job polls and reads alternate between nodes. It relays the method, path
and query, body and end-to-end headers (not Host, not the hop-by-hop ones), and counts what each backend
served. Request bodies must carry a Content-Length (no chunked uploads), as every client in the tests does.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler
from types import TracebackType

import requests
import urllib3

from tests.support.http import serve_in_thread

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
    "trailer", "trailers", "transfer-encoding", "upgrade",
}  # fmt: skip


class RoundRobinProxy:
    """`url` answers every request from the next of `backends` (base URLs) in turn. `served[i]` counts the
    requests backend i answered; `log` lists them as (backend index, method, path, status)."""

    def __init__(self, backends: Sequence[str]) -> None:
        self.backends = [url.rstrip("/") for url in backends]
        self.served = [0] * len(self.backends)
        self.log: list[tuple[int, str, str, int]] = []
        self._next = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy._forward(self)

            do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

        self.httpd = serve_in_thread(Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def _forward(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            index, self._next = self._next, (self._next + 1) % len(self.backends)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        skip = HOP_BY_HOP | {"host", "content-length"}
        headers = {k: v for k, v in h.headers.items() if k.lower() not in skip}
        try:
            with requests.Session() as session:
                session.trust_env = False  # no proxy from the environment
                session.headers.clear()  # the client's headers only, none of requests' defaults
                answer = session.request(
                    h.command, self.backends[index] + h.path, data=body, headers=headers,
                    allow_redirects=False, stream=True, timeout=120,
                )  # fmt: skip
                content = answer.raw.read(decode_content=False)  # relayed as sent, compressed or not
        except (requests.RequestException, urllib3.exceptions.HTTPError) as err:
            h.send_error(502, explain=str(err))
            return
        with self._lock:
            self.served[index] += 1
            self.log.append((index, h.command, h.path, answer.status_code))
        h.send_response_only(answer.status_code)  # the backend's own Date and Server are relayed
        for key, value in answer.headers.items():
            if key.lower() not in skip:
                h.send_header(key, value)
        h.send_header("Content-Length", str(len(content)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(content)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> RoundRobinProxy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
