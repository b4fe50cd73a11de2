"""Issue 24 (Build 7): what the bot asks Slack only to enrich a note never blocks it.

An owner's Slack user (users.lookupByEmail, users.list), permalinks (chat.getPermalink), the clicker's time
zone (users.info) and the channel's members: when Slack refuses, fails or answers `ok` without the fields
the method documents, the note is posted once, with owners as plain names, links as plain titles, and the
failure logged once. (A malformed users.lookupByEmail answer used to raise in `owners_of`, the step was
retried as an internal error five times, and no note was posted.)
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.authz import Directory
from bot.slack.speaker_hints import known_speakers
from storage import recordings as repo
from tests.slack_fakes import (
    BOT_TOKEN,
    TEAM,
    FakeSlack,
    block_action,
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    interaction,
    running_bot,
    slash_command,
    wait_for,
)
from tests.support.symbl import INSIGHTS, StubSymbl

CHANNEL = "C0CHAN"
AUDIO = b"ID3" + b"\x00" * 2048
# U0PRIYA by email only: no Slack user is called "P. Raman", so the users.list fallback finds nobody.
OWNER = {"name": "P. Raman", "email": "priya@example.com"}

Fault = Callable[[FakeSlack, str], None]
FAULTS: dict[str, Fault] = {
    "ok without its fields": lambda slack, method: slack.malform(method),
    "ok with null fields": lambda slack, method: slack.malform(
        method, {"ok": True, "user": None, "permalink": None, "channel": None}
    ),
    "refused": lambda slack, method: slack.refuse(method, "fatal_error"),
    "HTTP 500": lambda slack, method: slack.fail_next(method, 500, times=50, error="internal_error"),
}


@pytest.fixture
def stub() -> StubSymbl:
    insights = copy.deepcopy(INSIGHTS)
    insights["actionItems"][0]["assignee"] = dict(OWNER)
    server = StubSymbl(insights=insights)
    yield server
    server.close()


@pytest.fixture
def running(tmp_path, fake_slack, stub):
    fake_slack.add_user("U0PRIYA", "Priya Raman", email=OWNER["email"], channels=(CHANNEL,))
    fake_slack.add_user("U0ALICE", "Alice", channels=(CHANNEL,))
    with running_bot(bot_settings(tmp_path / "data", fake_slack, stub)) as (app, url):
        yield app, url


def _note(fake_slack: FakeSlack, app, url: str, number: int) -> dict:
    """Upload recording `number`; return its note, the only one, once its row is posted."""
    ts = f"1699999999.00{number:04d}"
    file = fake_slack.add_file(f"F{number}", f"standup{number}.mp3", AUDIO)
    assert deliver(url, event_envelope(file_share_event(file, ts=ts))).status_code == 200
    wait_for(
        lambda: repo.get(app.store, number) and repo.get(app.store, number).state in ("posted", "failed")
    )
    rec = repo.get(app.store, number)
    assert rec.state == "posted" and rec.attempts == 0, (rec.state, rec.last_error)
    [note] = fake_slack.summaries(CHANNEL, ts)
    return note


def _owner_line(note: dict) -> str:
    return next(b["text"]["text"] for b in note["blocks"] if "Fix the payment crash" in str(b.get("text")))


def test_an_owner_found_by_email_is_mentioned(running, fake_slack):
    """The control: with Slack answering, the owner is the Slack user."""
    app, url = running
    assert "<@U0PRIYA>" in _owner_line(_note(fake_slack, app, url, 1))


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failed_owner_lookup_posts_the_note_once_with_the_owner_as_plain_text(
    running, fake_slack, fault, caplog
):
    app, url = running
    FAULTS[fault](fake_slack, "users.lookupByEmail")
    caplog.set_level(logging.DEBUG, logger="bot.slack.enrichment")
    for number in (1, 2):
        line = _owner_line(_note(fake_slack, app, url, number))
        assert "P. Raman" in line and "<@" not in line
    warnings = [
        r for r in caplog.records if r.name == "bot.slack.enrichment" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1 and "users.lookupByEmail" in warnings[0].getMessage()
    assert len(fake_slack.calls_to("users.lookupByEmail")) >= 2  # asked again for the second note


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failed_directory_scan_leaves_owners_plain_too(running, fake_slack, fault):
    """users.list is the fallback when the email is unknown: its failure is plain text as well."""
    app, url = running
    fake_slack.refuse("users.lookupByEmail", "users_not_found")
    FAULTS[fault](fake_slack, "users.list")
    line = _owner_line(_note(fake_slack, app, url, 1))
    assert "P. Raman" in line and "<@" not in line


def _ask(fake_slack: FakeSlack, url: str, text: str) -> dict:
    response_url = fake_slack.response_url()
    response = slash_command(url, text, response_url=response_url, user="U0ALICE", channel=CHANNEL)
    assert response.status_code == 200
    ack = response.json() if response.text else {}
    return ack if ack.get("text") else wait_for(lambda: fake_slack.responses_to(response_url))[0]


@pytest.mark.parametrize("fault", FAULTS)
def test_without_permalinks_the_note_posts_and_listings_show_plain_titles(running, fake_slack, fault):
    app, url = running
    FAULTS[fault](fake_slack, "chat.getPermalink")
    note = _note(fake_slack, app, url, 1)
    assert "<@U0PRIYA>" in _owner_line(note)  # the owner lookup itself worked
    listing = json.dumps(_ask(fake_slack, url, "list"))
    assert "standup1.mp3" in listing and "test.slack.com/archives" not in listing
    deliver(
        url, event_envelope({"type": "app_home_opened", "user": "U0PRIYA", "channel": "D0P", "tab": "home"})
    )
    [home] = wait_for(lambda: fake_slack.calls_to("views.publish"))
    assert "Fix the payment crash" in json.dumps(home.body["view"])


@pytest.mark.parametrize("fault", FAULTS)
def test_without_the_clickers_time_zone_a_reminder_is_set_in_utc(running, fake_slack, fault):
    app, url = running
    FAULTS[fault](fake_slack, "users.info")
    note = _note(fake_slack, app, url, 1)
    [remind] = [
        e
        for b in note["blocks"]
        for e in b.get("elements") or []
        if e.get("action_id") == "action_item_remind"
    ]
    response_url = fake_slack.response_url()
    interaction(
        url,
        block_action(
            "action_item_remind",
            remind["value"],
            user="U0ALICE",
            channel=CHANNEL,
            message_ts=note["ts"],
            response_url=response_url,
        ),
    )
    [confirmation] = wait_for(lambda: fake_slack.responses_to(response_url))
    assert "I'll remind you on" in confirmation["text"] and "09:00" in confirmation["text"]
    [scheduled] = fake_slack.calls_to("chat.scheduleMessage")
    assert int(scheduled.body["post_at"]) % 86400 == 9 * 3600  # 09:00 UTC


@pytest.mark.parametrize("fault", FAULTS)
def test_without_the_channels_members_the_recording_is_still_transcribed(tmp_path, fake_slack, fault):
    """conversations.members names the people who may speak (embedded engine only): a hint, never a gate."""
    fake_slack.add_user("U0ALICE", "Alice", channels=(CHANNEL,))
    FAULTS[fault](fake_slack, "conversations.members")
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    people = known_speakers(client, Directory(), team_id=TEAM, channel_id=CHANNEL, uploader="U0ALICE")
    assert people == [{"name": "Alice", "email": "alice@example.com"}]  # the uploader, from users.list


def test_the_fake_answers_unknown_method_for_what_it_does_not_model(fake_slack):
    """The fake is strict: a method it does not model is Slack's `unknown_method`, never a silent ok."""
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    with pytest.raises(SlackApiError) as raised:
        client.api_call("reactions.add", params={"channel": CHANNEL, "name": "tada", "timestamp": "1.2"})
    assert raised.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as raised:
        client.chat_getPermalink(channel=CHANNEL, message_ts="1.000")  # no such message
    assert raised.value.response["error"] == "message_not_found"
