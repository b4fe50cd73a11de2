"""Reading a request's parts (JSON body, boolean query flags, wire options), refusing bad ones as a 400."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from bot.engine import limits
from bot.engine.wire_options import InvalidOption
from bot.errors import ApiError

T = TypeVar("T")


def json_body() -> Any:
    """The body parsed as JSON whatever its Content-Type, or None when it is not JSON. Nesting is checked
    before parsing, and text that no UTF-8 can carry (an unpaired surrogate escape such as \\ud800) after:
    both are 400s here rather than a RecursionError or UnicodeEncodeError (a 500) further on."""
    raw = request.get_data(cache=True)
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
