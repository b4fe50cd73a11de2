"""Who may see what: Slack channel membership, workspace admins, and Slack users behind speaker names.

Membership comes from `users.conversations` (one paginated call per user lists every channel they are in),
which scales with one user's channels rather than with one `conversations.members` call per channel a search
touches. Answers are cached briefly (`MEMBERSHIP_TTL`): a user who leaves a channel loses access within a
minute. Any failure to ask Slack counts as "not a member" — queries fail closed. Who a speaker or owner is
(users.lookupByEmail, users.list) is an enrichment: a failure or a malformed answer leaves them a plain name
(bot.slack.enrichment).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.slack.enrichment import Enrichments, list_field, object_field, text_field

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
        self.enrichments = Enrichments()  # every lookup here, and the other optional ones (permalinks …)

    def channels_of(self, client: WebClient, team_id: str, user_id: str) -> frozenset[str]:
        """The channels (and DMs) the user is a member of; empty when Slack cannot tell us."""
        return (
            self._channels.get((team_id, user_id), lambda: _user_channels(self.enrichments, client, user_id))
            or frozenset()
        )

    def can_read(self, client: WebClient, team_id: str, user_id: str, channel_id: str) -> bool:
        return channel_id in self.channels_of(client, team_id, user_id)

    def is_admin(self, client: WebClient, team_id: str, user_id: str) -> bool:
        return bool(
            self._admins.get((team_id, user_id), lambda: _is_admin(self.enrichments, client, user_id))
        )

    def users(self, client: WebClient, team_id: str) -> list[dict[str, Any]]:
        return self._users.get(team_id, lambda: _all_users(self.enrichments, client)) or []

    def slack_user_for(self, client: WebClient, team_id: str, person: dict[str, Any] | None) -> str | None:
        """The Slack user a speaker/owner is, matched by email, then by name, only when exactly one
        matches."""
        if not isinstance(person, dict):
            return None
        email = str(person.get("email") or "").strip().lower()
        if email:  # one users.lookupByEmail (Tier 3) instead of scanning the workspace
            found = self._by_email.get(
                (team_id, email), lambda: _user_by_email(self.enrichments, client, email)
            )
            if found:
                return found
        return match_user(self.users(client, team_id), {**person, "email": None})


def match_user(users: list[dict[str, Any]], person: dict[str, Any]) -> str | None:
    email = str(person.get("email") or "").strip().lower()
    if email:
        found = {u["id"] for u in users if _norm(profile_of(u).get("email")) == email}
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


def profile_of(user: dict[str, Any]) -> dict[str, Any]:
    """A users.info / users.list member's `profile`; {} when it is missing or not an object."""
    profile = user.get("profile")
    return profile if isinstance(profile, dict) else {}


def _names(user: dict[str, Any]) -> set[str]:
    profile = profile_of(user)
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


def _user_channels(ask: Enrichments, client: WebClient, user_id: str) -> frozenset[str] | None:
    def channels() -> frozenset[str]:
        pages = client.users_conversations(
            user=user_id, types=CHANNEL_TYPES, exclude_archived=True, limit=999
        )
        return frozenset(
            text_field(object_field(c)["id"]) for page in pages for c in list_field(page["channels"])
        )

    return ask.ask("users.conversations", channels, None)


def _is_admin(ask: Enrichments, client: WebClient, user_id: str) -> bool | None:
    def admin() -> bool:
        user = object_field(client.users_info(user=user_id)["user"])
        return bool(user.get("is_admin") or user.get("is_owner"))

    return ask.ask("users.info", admin, None)


def _all_users(ask: Enrichments, client: WebClient) -> list[dict[str, Any]] | None:
    """Every active human of the workspace, or [] (remembered) when it is larger than MAX_USER_PAGES pages."""

    def scan() -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = []
        for number, page in enumerate(client.users_list(limit=USERS_PAGE), start=1):
            members = [object_field(u) for u in list_field(page["members"])]
            users += [u for u in members if _is_person(u)]
            if number >= MAX_USER_PAGES and (page.get("response_metadata") or {}).get("next_cursor"):
                log.info("users.list: over %s users; speakers are matched by email only", len(users))
                return []
        return users

    return ask.ask("users.list", scan, None)


def _is_person(user: dict[str, Any]) -> bool:
    return isinstance(user.get("id"), str) and not user.get("deleted") and not user.get("is_bot")


def _user_by_email(ask: Enrichments, client: WebClient, email: str) -> str | None:
    """The user id, "" when Slack knows no such user (remembered), None when Slack could not answer."""

    def lookup() -> str:
        return text_field(object_field(client.users_lookupByEmail(email=email)["user"])["id"])

    return ask.ask("users.lookupByEmail", lookup, None, absent={"users_not_found": ""})
