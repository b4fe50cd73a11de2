"""Names of the people who may speak in a Slack recording: the uploader and the channel's members.

The offline engine takes them as its `members` option (an extension of the Symbl API) and uses them as the
vocabulary for naming diarized speakers ("Sam, can you…" → Sam Patel, sam@…). Only the embedded engine gets
them: the Symbl cloud does not document the option.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.authz import Directory, profile_of
from bot.slack.enrichment import list_field, text_field

# A large channel's member list is no hint about who is in one meeting, and long hotword lists hurt
# recognition; past this size only the uploader is named.
MAX_CHANNEL_MEMBERS = 40


def known_speakers(
    client: WebClient, directory: Directory, *, team_id: str, channel_id: str, uploader: str | None
) -> list[dict[str, str]]:
    """`[{name, email}]` for the uploader and the channel's members (uploader first); [] when Slack cannot
    say."""
    users = {u["id"]: u for u in directory.users(client, team_id) if u.get("id")}
    ids = [uploader] if uploader else []
    ids += [m for m in _channel_members(client, directory, channel_id) if m != uploader]
    people = []
    for user_id in ids:
        person = _person(users.get(user_id))
        if person and person not in people:
            people.append(person)
    return people


def _channel_members(client: WebClient, directory: Directory, channel_id: str) -> list[str]:
    def members() -> list[str]:
        answer = client.conversations_members(channel=channel_id, limit=MAX_CHANNEL_MEMBERS + 1)
        return [text_field(m) for m in list_field(answer["members"])]

    found: list[str] = directory.enrichments.ask("conversations.members", members, [])
    return found if len(found) <= MAX_CHANNEL_MEMBERS else []


def _person(user: dict[str, Any] | None) -> dict[str, str] | None:
    if not user:
        return None
    profile = profile_of(user)
    name = profile.get("real_name") or user.get("real_name") or profile.get("display_name") or ""
    if not isinstance(name, str) or not name.strip():
        return None
    person = {"name": name.strip()}
    if isinstance(profile.get("email"), str) and profile["email"]:
        person["email"] = profile["email"]
    return person
