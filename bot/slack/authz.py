"""Who may see what: Slack channel membership, workspace admins, and Slack users behind speaker names.

Membership comes from `users.conversations` (one paginated call per user lists every channel they are in),
which scales with one user's channels rather than with one `conversations.members` call per channel a search
touches. Answers are cached briefly (`MEMBERSHIP_TTL`): a user who leaves a channel loses access within a
minute. Any failure to ask Slack counts as "not a member" — queries fail closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

MEMBERSHIP_TTL = 60.0
DIRECTORY_TTL = 600.0
# users.list is Tier 2 (20 calls a minute): a scan stops after this many pages of USERS_PAGE (Slack advises
# ≤ 200). Past that the workspace is too big for a name to mean one person anyway; emails are looked up.
USERS_PAGE = 200
MAX_USER_PAGES = 10
CHANNEL_TYPES = "public_channel,private_channel,mpim,im"


class _TtlCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl
        self._clock = clock
        self._values: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and hit[0] > self._clock():
                return hit[1]
        value = compute()
        if value is not None:  # a failed lookup is asked again next time, not remembered
            with self._lock:
                self._values[key] = (self._clock() + self._ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class Directory:
    """Membership, admin flags and the user list of each workspace, cached."""

    def __init__(self, *, membership_ttl: float = MEMBERSHIP_TTL, directory_ttl: float = DIRECTORY_TTL):
        self._channels = _TtlCache(membership_ttl)
        self._admins = _TtlCache(membership_ttl)
        self._users = _TtlCache(directory_ttl)
        self._by_email = _TtlCache(directory_ttl)

    def channels_of(self, client: WebClient, team_id: str, user_id: str) -> frozenset[str]:
        """The channels (and DMs) the user is a member of; empty when Slack cannot tell us."""
        return self._channels.get((team_id, user_id), lambda: _user_channels(client, user_id)) or frozenset()

    def can_read(self, client: WebClient, team_id: str, user_id: str, channel_id: str) -> bool:
        return channel_id in self.channels_of(client, team_id, user_id)

    def is_admin(self, client: WebClient, team_id: str, user_id: str) -> bool:
        return bool(self._admins.get((team_id, user_id), lambda: _is_admin(client, user_id)))

    def users(self, client: WebClient, team_id: str) -> list[dict[str, Any]]:
        return self._users.get(team_id, lambda: _all_users(client)) or []

    def slack_user_for(self, client: WebClient, team_id: str, person: dict[str, Any] | None) -> str | None:
        """The Slack user a speaker/owner is, matched by email, then by name, only when exactly one
        matches."""
        if not isinstance(person, dict):
            return None
        email = str(person.get("email") or "").strip().lower()
        if email:  # one users.lookupByEmail (Tier 3) instead of scanning the workspace
            found = self._by_email.get((team_id, email), lambda: _user_by_email(client, email))
            if found:
                return found
        return match_user(self.users(client, team_id), {**person, "email": None})


def match_user(users: list[dict[str, Any]], person: dict[str, Any]) -> str | None:
    email = str(person.get("email") or "").strip().lower()
    if email:
        found = {u["id"] for u in users if (u.get("profile") or {}).get("email", "").lower() == email}
        if len(found) == 1:
            return found.pop()
    name = _norm(person.get("name"))
    if not name:
        return None
    # A name matches a user's handle, real or display name, or its first word ("Priya" for "Priya Raman"): a
    # speaker called "Sam" is nobody when the workspace has a "sam" and a "Sam Kay".
    found = {u["id"] for u in users if name in _names(u) | {n.split(" ")[0] for n in _names(u)}}
    return found.pop() if len(found) == 1 else None


def _norm(value: Any) -> str:
    return " ".join(str(value or "").lower().split())


def _names(user: dict[str, Any]) -> set[str]:
    profile = user.get("profile") or {}
    return {
        n
        for n in (
            _norm(user.get("name")),
            _norm(user.get("real_name")),
            _norm(profile.get("real_name")),
            _norm(profile.get("display_name")),
        )
        if n
    }


def _user_channels(client: WebClient, user_id: str) -> frozenset[str] | None:
    found: set[str] = set()
    try:
        for page in client.users_conversations(
            user=user_id, types=CHANNEL_TYPES, exclude_archived=True, limit=999
        ):
            found.update(c["id"] for c in page.get("channels") or [])
    except (SlackApiError, SlackClientError) as err:
        log.warning("users.conversations for %s failed: %s", user_id, err)
        return None
    return frozenset(found)


def _is_admin(client: WebClient, user_id: str) -> bool | None:
    try:
        user = client.users_info(user=user_id)["user"]
    except (SlackApiError, SlackClientError) as err:
        log.warning("users.info for %s failed: %s", user_id, err)
        return None
    return bool(user.get("is_admin") or user.get("is_owner"))


def _all_users(client: WebClient) -> list[dict[str, Any]] | None:
    """Every active human of the workspace, or [] (remembered) when it is larger than MAX_USER_PAGES pages."""
    users: list[dict[str, Any]] = []
    try:
        for number, page in enumerate(client.users_list(limit=USERS_PAGE), start=1):
            users += [u for u in page.get("members") or [] if not u.get("deleted") and not u.get("is_bot")]
            if number >= MAX_USER_PAGES and (page.get("response_metadata") or {}).get("next_cursor"):
                log.info("users.list: over %s users; speakers are matched by email only", len(users))
                return []
    except (SlackApiError, SlackClientError) as err:
        log.warning("users.list failed: %s", err)
        return None
    return users


def _user_by_email(client: WebClient, email: str) -> str | None:
    """The user id, "" when Slack knows no such user (remembered), None when Slack could not answer."""
    try:
        return str(client.users_lookupByEmail(email=email)["user"]["id"])
    except SlackApiError as err:
        if err.response.get("error") == "users_not_found":
            return ""
        log.warning("users.lookupByEmail failed: %s", err.response.get("error"))
    except SlackClientError as err:
        log.warning("users.lookupByEmail failed: %s", err)
    return None
