"""A WSGI middleware in front of Bolt for HTTP mode: body cap and Slack signature before any parsing.

Bolt reads the whole request body and parses its JSON or form before it checks the signature, so an unsigned
request could make the bot hold (and parse) as much as the server accepts. `SignedRequestGuard` reads at
most `max_bytes` of a POST to the guarded paths — refusing a larger `Content-Length` at once, and a chunked
body as soon as it passes the cap — then verifies the signature with slack_sdk's `SignatureVerifier` and
hands Bolt the bytes it read. Refusals are 401/413 with one log line and no traceback; Bolt never sees them.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

READ_CHUNK = 1 << 16

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict, StartResponse], Iterable[bytes]]


class RequestTooLarge(Exception):
    pass


class SignedRequestGuard:
    """Wraps a WSGI app; POSTs to `paths` must be at most `max_bytes` and carry a valid Slack signature."""

    def __init__(self, app: WsgiApp, signing_secret: str | None, *, max_bytes: int, paths: Iterable[str]):
        self.app = app
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.max_bytes = max_bytes
        self.paths = frozenset(paths)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") not in self.paths:
            return self.app(environ, start_response)
        try:
            body = self._read_body(environ)
        except RequestTooLarge:
            return _refuse(environ, start_response, 413, "Payload Too Large", f"over {self.max_bytes} bytes")
        if self.verifier is not None and not self._signed(body, environ):
            return _refuse(environ, start_response, 401, "Unauthorized", "bad or missing Slack signature")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    def _read_body(self, environ: dict) -> bytes:
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise RequestTooLarge
        remaining = int(declared) if declared.isdigit() else None  # None: chunked, read to the end
        stream = environ["wsgi.input"]
        parts: list[bytes] = []
        size = 0
        while remaining is None or remaining > 0:
            chunk = stream.read(READ_CHUNK if remaining is None else min(READ_CHUNK, remaining))
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_bytes:
                raise RequestTooLarge
            parts.append(chunk)
            if remaining is not None:
                remaining -= len(chunk)
        return b"".join(parts)

    def _signed(self, body: bytes, environ: dict) -> bool:
        assert self.verifier is not None
        try:
            return self.verifier.is_valid(
                body,
                environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                environ.get("HTTP_X_SLACK_SIGNATURE"),
            )
        except (ValueError, UnicodeDecodeError):  # a timestamp that is not a number, a body that is not UTF-8
            return False


def _refuse(environ: dict, start_response: StartResponse, status: int, reason: str, why: str) -> list[bytes]:
    log.warning("refused %s %s from %s: %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
                environ.get("REMOTE_ADDR", "?"), why)  # fmt: skip
    body = f"{status} {reason}\n".encode()
    start_response(
        f"{status} {reason}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
