"""Reading a request's parts (JSON body, boolean query flags, wire options), refusing bad ones as a 400."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from bot.engine import limits
from bot.engine.server.service import current_service
from bot.engine.wire_options import InvalidOption
from bot.errors import ApiError

T = TypeVar("T")


def json_body() -> Any:
    """The body parsed as JSON whatever its Content-Type, or None when it is not JSON. Nesting is checked
    before parsing, and text that no UTF-8 can carry (an unpaired surrogate escape such as \\ud800) after:
    both are 400s here rather than a RecursionError or UnicodeEncodeError (a 500) further on."""
    raw = _bounded_body(current_service().settings.engine_max_json_bytes)
    if limits.json_too_deep(raw):
        raise ApiError(400, f"The JSON body nests deeper than {limits.MAX_JSON_DEPTH} levels.")
    try:
        body = json.loads(raw)
    except ValueError:  # not JSON, or not in a Unicode encoding
        return None
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        message = (
            "The JSON body holds an unpaired surrogate escape (such as \\ud800): send valid Unicode text."
        )
        raise ApiError(400, message) from None
    return body


def _bounded_body(limit: int) -> bytes:
    """The body, refused with a 413 once it is known to pass `limit`: by its Content-Length before any of
    it is read, or (chunked) as soon as the bytes read pass it. Never parsed beyond that."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, _json_too_large(limit))
    chunks, size = [], 0
    while chunk := request.stream.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, _json_too_large(limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _json_too_large(limit: int) -> str:
    return (
        f"The JSON body is larger than the engine's {limit:,}-byte limit (SYMBL_ENGINE_MAX_JSON_BYTES): "
        "send a long transcript in parts (PUT /v1/process/text/{conversationId} appends)."
    )


def flag(name: str, default: bool) -> bool:
    """A `true`/`false` query parameter (case-insensitive); absent or empty means `default`."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false, not {raw!r}.")
    return raw.lower() == "true"


def parsed(parse: Callable[[], T]) -> T:
    """`parse()`, with an `InvalidOption` it raises answered as a 400 carrying its message."""
    try:
        return parse()
    except InvalidOption as err:
        raise ApiError(400, str(err)) from None
