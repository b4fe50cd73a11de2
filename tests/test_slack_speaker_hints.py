"""The Slack uploader's and channel members' names as the engine's `members` hint
(bot/slack/speaker_hints)."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.slack.authz import Directory
from bot.slack.speaker_hints import MAX_CHANNEL_MEMBERS, known_speakers
from tests.slack_fakes import BOT_TOKEN, TEAM

CHANNEL = "C0CHAN"


def user(user_id: str, real_name: str, email: str = "") -> dict:
    return {
        "id": user_id,
        "name": real_name.split()[0].lower(),
        "real_name": real_name,
        "profile": {"real_name": real_name, "email": email},
    }


def test_uploader_first_then_channel_members(fake_slack):
    fake_slack.users = {
        "U1": user("U1", "Sam Patel", "sam@example.com"),
        "U2": user("U2", "Lee Jordan"),
        "U3": user("U3", "Maria Garcia", "maria@example.com"),
    }
    fake_slack.members[CHANNEL] = {"U1", "U3"}
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)

    people = known_speakers(client, Directory(), team_id=TEAM, channel_id=CHANNEL, uploader="U2")

    assert people == [
        {"name": "Lee Jordan"},
        {"name": "Sam Patel", "email": "sam@example.com"},
        {"name": "Maria Garcia", "email": "maria@example.com"},
    ]


def test_a_large_channel_gives_only_the_uploader(fake_slack):
    fake_slack.users = {f"U{i}": user(f"U{i}", f"Person{i} Example") for i in range(MAX_CHANNEL_MEMBERS + 5)}
    fake_slack.members[CHANNEL] = set(fake_slack.users)
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)

    people = known_speakers(client, Directory(), team_id=TEAM, channel_id=CHANNEL, uploader="U3")

    assert people == [{"name": "Person3 Example"}]
