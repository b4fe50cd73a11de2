"""Issue 11: Slack as Slack really is. Each case runs against the strict fake (tests/support/slack.py).

Which test pins which item of the issue is in each test's name and docstring.
"""

from __future__ import annotations

import copy
import json
import threading

import pytest

from bot.slack.render.summary import render_summary
from storage import recordings as repo
from tests.media import SAMPLE
from tests.slack_fakes import (
    INSIGHTS,
    TEAM,
    StubSymbl,
    bot_settings,
    deliver,
    deliver_as_slack,
    event_envelope,
    file_access_stub,
    file_share_event,
    file_shared_event,
    interaction,
    message_shortcut,
    running_bot,
    slash_command,
    wait_for,
)
from tests.support.slack import BlocksRefused, validate_blocks

pytest_plugins = ("tests.conftest_slack",)

CHANNEL = "C0CHAN"
TS = "1699999999.000200"
AUDIO = SAMPLE.read_bytes()
NASTY = "<!channel> AT&T <b>"


def _upload(fake_slack, url, name="standup.mp3", file_id="F1", ts=TS, **envelope):
    file = fake_slack.add_file(file_id, name, AUDIO)
    assert deliver(url, event_envelope(file_share_event(file, ts=ts), **envelope)).status_code == 200
    return file


def _status_text(fake_slack, ts=TS) -> str:
    statuses = fake_slack.statuses(CHANNEL, ts)
    return statuses[0]["text"] if statuses else ""


def _bot_with(tmp_path, fake_slack, insights, **overrides):
    stub = StubSymbl(insights=insights)
    return stub, running_bot(bot_settings(tmp_path / "data", fake_slack, stub, **overrides))


def _mrkdwn(message: dict) -> str:
    """The top-level `text` and every mrkdwn text object: what Slack parses for <!channel>, links and &-escapes
    (plain_text objects, such as the header, are shown as written)."""
    found = [message.get("text") or ""]

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node.get("text") or "")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks"))
    return "\n".join(found)


# --- the strict fake itself ------------------------------------------------------------------------------------


def test_the_fake_refuses_what_slack_refuses():
    good = [{"type": "section", "block_id": "a", "text": {"type": "mrkdwn", "text": "x"}}]
    validate_blocks(good)
    refused = [
        good * 2,  # duplicate block_id
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}],
        [{"type": "actions", "elements": [{"type": "button", "action_id": "a", "value": "v" * 2001,
                                           "text": {"type": "plain_text", "text": "ok"}}]}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51,
        [{"type": "no_such_block"}],
    ]
    for blocks in refused:
        with pytest.raises(BlocksRefused):
            validate_blocks(blocks)


# --- items 1, 2, 3 and the acceptance summary ------------------------------------------------------------------


def test_item1_duplicate_action_items_still_post_one_summary(tmp_path, fake_slack):
    """Item 1: the engine emits the same action item twice (a recap) → unique block ids, summary accepted."""
    insights = copy.deepcopy(INSIGHTS)
    insights["actionItems"] = insights["actionItems"] * 2
    stub, bot = _bot_with(tmp_path, fake_slack, insights)
    with bot as (app, url):
        _upload(fake_slack, url)
        wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
        assert ("chat.postMessage", "invalid_blocks") not in fake_slack.refused
        assert str(fake_slack.summaries(CHANNEL, TS)[0]["blocks"]).count("Fix the payment crash") == 1
    stub.close()


def test_item2_a_permanent_slack_refusal_edits_the_status_into_one_clear_message(tmp_path, fake_slack):
    """Item 2: Slack refuses the summary for good → the status message says so (not "Extracting…" forever)."""
    stub, bot = _bot_with(tmp_path, fake_slack, INSIGHTS)
    fake_slack.refuse("chat.postMessage", "is_archived", when=lambda body: bool(body.get("metadata")))
    with bot as (app, url):
        _upload(fake_slack, url)
        wait_for(lambda: repo.get(app.store, 1) and repo.get(app.store, 1).state == "failed")
        wait_for(lambda: "Could not summarize" in _status_text(fake_slack))
        assert len(fake_slack.statuses(CHANNEL, TS)) == 1
        assert "archived" in _status_text(fake_slack)
    stub.close()


def _acceptance_insights() -> dict:
    speakers = [{"id": f"s{i}", "name": f"{NASTY} speaker {i}"} for i in range(40)]
    items = [{"text": f"{NASTY} item {i} " + "do the thing " * 3, "assignee": {"name": f"{NASTY} speaker {i % 40}"}}
             for i in range(150)]
    items[3] = {"text": f"{NASTY} " + "long " * 700, "assignee": {"name": "Priya"}}  # 3,500+ characters
    items += items[:5]  # duplicates, as a recap repeats commitments
    return {
        "messages": INSIGHTS["messages"],
        "members": speakers,
        "topics": [{"text": f"{NASTY} topic {i}"} for i in range(200)],
        "actionItems": items,
        "followUps": [{"text": f"{NASTY} follow up", "assignee": {"name": NASTY}}],
        "questions": [{"text": f"{NASTY} question?"}] * 3,
    }


def test_acceptance_summary_of_duplicates_long_items_many_topics_and_speakers_is_accepted_and_reads_well(
        tmp_path, fake_slack):
    """Issue 11 acceptance: duplicates, a 3,500-character item, 150 action items, 200 topics, 40 speakers and
    `<!channel> AT&T <b>` everywhere are accepted by the strict fake and read well."""
    insights = _acceptance_insights()
    stub, bot = _bot_with(tmp_path, fake_slack, insights)
    with bot as (app, url):
        _upload(fake_slack, url, name=f"{NASTY}.m4a")
        wait_for(lambda: repo.get(app.store, 1) and repo.get(app.store, 1).state == "posted", timeout=60)
        assert not [r for r in fake_slack.refused if r[1] == "invalid_blocks"]
        parts = fake_slack.summaries(CHANNEL, TS)
        every = "\n".join(_mrkdwn(m) for m in parts + fake_slack.statuses(CHANNEL, TS))
        assert "<!channel>" not in every and "<b>" not in every and "AT&T" not in every
        assert "&lt;!channel&gt; AT&amp;T &lt;b&gt;" in every
        texts = "\n".join(json.dumps(m["blocks"]) for m in parts)
        for i in range(200):
            assert f"topic {i}\\n" in texts or f"topic {i}\"" in texts, i
        for i in set(range(150)) - {3}:  # item 3 is the long one
            assert f" item {i} " in texts, i
        assert texts.count(" item 7 ") == 1  # the duplicate is listed once
        assert texts.count("long") >= 700  # the 3,500-character item is kept whole, split over sections
        context = parts[0]["blocks"][1]["elements"][0]["text"]
        assert "speaker 0" in context and len(context) < 1000  # 40 names would not read well in a context line
    stub.close()


def test_item3_over_long_item_and_60_speakers_fit_slack_limits():
    """Item 3: an action item over 3,000 characters, and a speaker list of 60+ names in the facts context."""
    insights = copy.deepcopy(INSIGHTS)
    insights["actionItems"] = [{"text": "word " * 800, "assignee": {"name": "Priya"}}]
    insights["members"] = [{"name": f"Person number {i} with a long name"} for i in range(80)]
    for message in render_summary(insights, title="t", recording_id=1, conversation_id="c1"):
        validate_blocks(message.blocks)


# --- item 9 ----------------------------------------------------------------------------------------------------


def test_item9_title_is_escaped_in_the_notification_text_and_commands_echo_escaped(bot, fake_slack):
    """Item 9: `Summary of <!channel> AT&T….m4a` in the top-level text; error echoes of user text."""
    app, url = bot
    _upload(fake_slack, url, name=f"{NASTY}.m4a")
    wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
    for message in fake_slack.thread(CHANNEL, TS):
        assert "<!channel>" not in message["text"] and "AT&T" not in message["text"], message["text"]
    unknown = slash_command(url, "<!channel>&x", response_url=fake_slack.response_url()).json()
    assert "<!channel>" not in unknown["text"] and "&lt;!channel&gt;&amp;x" in unknown["text"]
    answer = slash_command(url, "list <!here>", response_url=fake_slack.response_url()).json()
    assert "<!here>" not in answer["text"] and "&lt;!here&gt;" in answer["text"]
