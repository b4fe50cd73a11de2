"""Reading a request's parts (JSON body, boolean query flags, wire options), refusing bad ones as a 400."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from bot.engine import limits
from bot.engine.wire_options import InvalidOption
from bot.errors import ApiError

T = TypeVar("T")


def json_body() -> Any:
    """The body parsed as JSON whatever its Content-Type, or None; nesting is checked before parsing."""
    raw = request.get_data(cache=True)
    if limits.json_too_deep(raw):
        raise ApiError(400, f"The JSON body nests deeper than {limits.MAX_JSON_DEPTH} levels.")
    return request.get_json(silent=True, force=True)


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
