"""Request checks the engine makes before any work: Host/Origin (DNS rebinding) and JSON nesting depth.

- A browser tricked by DNS rebinding sends requests to a local engine under the attacker's name, so a `Host`
  (or `Origin`) that names a host must be loopback (`localhost`) or configured (SYMBL_ENGINE_ALLOWED_HOSTS);
  IP literals are fine, since rebinding needs a name. Requests without either header (HTTP/1.0 tools) pass.
- JSON deeper than `MAX_JSON_DEPTH` is refused before it is parsed: Python's parser recurses, and a deep
  document would otherwise end as a RecursionError (a 500) in json.loads or later in json.dumps.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

MAX_JSON_DEPTH = 32
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def _host_name(value: str, *, with_scheme: bool) -> str | None:
    """The host of a Host header (`name[:port]`) or an Origin (`scheme://name[:port]`); None if malformed."""
    try:
        parts = parse_url(value if with_scheme else "http://" + value)
    except (LocationParseError, ValueError, UnicodeError):
        return None
    if parts.auth or (not with_scheme and (parts.path or parts.query)):
        return None
    return (parts.host or "").strip("[]").rstrip(".").lower() or None


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    if host in LOOPBACK_NAMES or host.endswith(".localhost") or host in set(allowed):
        return True
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def rebinding_refusal(host_header: str | None, origin: str | None, allowed: Iterable[str]) -> str | None:
    """Why a request's Host or Origin is refused, or None when both are acceptable."""
    allowed = tuple(allowed)
    if host_header:
        host = _host_name(host_header, with_scheme=False)
        if host is None or not host_allowed(host, allowed):
            return "Host not allowed: set SYMBL_ENGINE_ALLOWED_HOSTS to serve this name."
    if origin:
        host = _host_name(origin, with_scheme=True) if origin != "null" else None
        if host is None or not host_allowed(host, allowed):
            return "Cross-origin requests are not allowed."
    return None


def json_too_deep(text: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """True when `text` nests arrays/objects deeper than `max_depth` (strings are skipped, not counted)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif char in "]}":
            depth -= 1
    return False
