"""Identifiers in the form Symbl's own take: 16-digit decimal strings."""

from __future__ import annotations

import hashlib
import secrets

_LOWEST, _SPAN = 10**15, 9 * 10**15  # always 16 digits, never a leading zero


def new_conversation_id() -> str:
    return new_id()


def new_id() -> str:
    """A fresh random id (conversations, trackers): never derived from content, so a tracker deleted and
    created again under the same name is a new tracker."""
    return str(_LOWEST + secrets.randbelow(_SPAN))


def stable_id(*parts: object) -> str:
    """An id derived from content, so re-running on the same input yields the same id."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return str(_LOWEST + int.from_bytes(digest[:8], "big") % _SPAN)
