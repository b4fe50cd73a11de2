"""Optional details from Slack: an owner's Slack user, permalinks, channel members, admin flags, time zones.

They enrich a note or an answer; without them it is still the note. So a lookup never raises: Slack refusing
(`missing_scope`, `user_not_found` …), unreachable, rate limited past the client's retries, or answering `ok`
without the fields its method documents (a malformed answer) all give the caller's fallback, which is plain
text (a name instead of a mention, a title instead of a link). A step that raised instead was retried as an
internal error until the note was given up.

Each (method, reason) is logged once per process at WARNING, repeats at DEBUG: a workspace missing a scope
would otherwise log it for every note.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

T = TypeVar("T")

# What reading a malformed answer raises: a missing field (KeyError), null or a wrong type where an object,
# list or string was documented (TypeError, AttributeError), a value that does not parse (ValueError).
MALFORMED = (KeyError, TypeError, AttributeError, ValueError)


class Enrichments:
    """Runs optional Slack lookups: any failure is the fallback, logged once per method and reason."""

    def __init__(self) -> None:
        self._logged: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def ask(
        self, method: str, call: Callable[[], T], fallback: T, *, absent: Mapping[str, T] | None = None
    ) -> T:
        """`call()` (the Web API call and the reading of its answer), or `fallback` when it fails.

        `absent`: Slack error codes that are an answer ("no such user"), with the value each stands for;
        they are not logged.
        """
        try:
            return call()
        except SlackApiError as err:
            code = str(err.response.get("error") or f"HTTP {err.response.status_code}")
            if absent and code in absent:
                return absent[code]
            self._note(method, code)
        except SlackClientError as err:  # no answer: connection refused, timeout
            self._note(method, f"{err.__class__.__name__}: {err}")
        except MALFORMED as err:
            self._note(method, f"malformed answer ({err.__class__.__name__}: {err})")
        return fallback

    def _note(self, method: str, reason: str) -> None:
        key = (method, reason.split(":", 1)[0])
        with self._lock:
            first = key not in self._logged
            self._logged.add(key)
        level = logging.WARNING if first else logging.DEBUG
        log.log(level, "%s failed (%s); going on without it", method, reason)


def text_field(value: Any) -> str:
    """A string field of an answer; anything else is a malformed answer (TypeError)."""
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def object_field(value: Any) -> dict[str, Any]:
    """An object field of an answer; anything else is a malformed answer (TypeError)."""
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def list_field(value: Any) -> list[Any]:
    """A list field of an answer; anything else is a malformed answer (TypeError)."""
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value
