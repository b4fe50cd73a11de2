"""Refusing unauthenticated uploads while their headers arrive, before waitress buffers the body.

waitress reads a whole request body (past `inbuf_overflow` into a temporary file) before the WSGI app runs,
so a check in Flask comes after an unauthenticated 250 MiB upload was already on disk. `channel_class(...)`
makes a waitress channel whose request parser asks `refuse(method, path, headers)` as soon as the headers
are complete; a refusal ends the request there with a JSON 401 and the connection is closed, the body
unread. Bodies small enough to stay in memory (at most `spill_bytes`, not chunked) are left to the Flask
check, so ordinary clients still read a normal 401 answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.utilities import Error

Refuse = Callable[[str, str, Mapping[str, str]], str | None]


class Unauthorized(Error):
    code = 401
    reason = "Unauthorized"

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        body = json.dumps({"message": self.body}).encode()
        return f"{self.code} {self.reason}", [("Content-Type", "application/json")], body


def _large(parser: HTTPRequestParser, spill_bytes: int) -> bool:
    return parser.chunked or parser.content_length > spill_bytes


def channel_class(refuse: Refuse, *, spill_bytes: int) -> type[HTTPChannel]:
    """A waitress channel class whose parser refuses large unauthenticated bodies at the headers."""

    class EarlyAuthParser(HTTPRequestParser):
        _checked = False
        error: Error | None  # waitress's, declared for mypy (waitress has no type information)

        def received(self, data: bytes) -> int:
            consumed = super().received(data)
            if self._checked or not self.headers_finished or self.error is not None:
                return consumed
            self._checked = True
            if not _large(self, spill_bytes):
                return consumed
            refusal = refuse(self.command or "", self.path or "", self.headers)
            if refusal:
                self.close()  # drops what was buffered of the body
                self.body_rcv = None
                self.error = Unauthorized(refusal)
                self.completed = True
                return len(data)  # the rest of this read is body: not a next request
            return consumed

    class EarlyAuthChannel(HTTPChannel):
        parser_class = EarlyAuthParser

    return EarlyAuthChannel
