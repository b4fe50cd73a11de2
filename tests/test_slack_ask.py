"""`/symbl ask` and a question to `@symbl` in a note's thread, end to end through the strict fake Slack.

The workspace is test_slack_commands.py's: #general's standup (Sam, Priya) and a private channel's board
meeting whose words ("zanzibar", "acquisition") must never be quoted to anyone outside it.
"""

from __future__ import annotations

import pytest

from tests.slack_fakes import bot_settings, deliver, event_envelope, running_bot, wait_for
from tests.test_slack_commands import PRIVATE, PUBLIC, TS, _populate, _text, ask, assert_no_secret


@pytest.fixture
def world(tmp_path, fake_slack, stub_symbl):
    """test_slack_commands.py's workspace: a private channel's conversation, then one in #general."""
    with running_bot(bot_settings(tmp_path / "data", fake_slack, stub_symbl)) as running:
        yield _populate(running, fake_slack, stub_symbl)


SUMMARY_LINK = "https://test.slack.com/archives/C0CHAN/p"


def test_ask_quotes_the_sentence_with_speaker_time_and_a_link_to_the_note(world, fake_slack):
    _, body = ask(world, fake_slack, "ask what crashes on checkout?")
    dumped = _text(body)
    assert "The payment screen crashes on checkout." in dumped
    assert "*Sam*, 0:00" in dumped and SUMMARY_LINK in dumped and "|standup.mp3>" in dumped
    assert body["response_type"] == "ephemeral"
    assert_no_secret(body)


def test_owner_questions_answer_from_the_action_items(world, fake_slack):
    _, body = ask(world, fake_slack, "ask who owns the payment crash fix?")
    assert "Fix the payment crash" in _text(body) and "_Priya_" in _text(body)


def test_a_failing_permalink_leaves_the_quote_without_a_link(world, fake_slack):
    fake_slack.refuse("chat.getPermalink", "internal_error")
    _, body = ask(world, fake_slack, "ask what crashes on checkout?")
    dumped = _text(body)
    assert "The payment screen crashes on checkout." in dumped and "*standup.mp3*" in dumped
    assert SUMMARY_LINK not in dumped


def test_another_channels_meeting_is_never_quoted(world, fake_slack):
    for user in ("U0ALICE", "U0MALLORY"):
        _, body = ask(world, fake_slack, "ask when does the zanzibar acquisition close?", user=user)
        assert "could not find that" in _text(body) or "member" in _text(body)
        assert_no_secret(body)
        # Asking "in" the private channel without being in it (a forged channel id) gets nothing either.
        _, body = ask(world, fake_slack, "ask zanzibar acquisition", user=user, channel=PRIVATE)
        assert "only answer about the meetings of channels you are a member of" in _text(body)
        assert_no_secret(body)
    _, body = ask(
        world, fake_slack, "ask is the zanzibar acquisition closing?", user="U0CAROL", channel=PRIVATE
    )
    assert "The zanzibar acquisition closes in May." in _text(body)


def test_an_unrelated_question_is_not_guessed(world, fake_slack):
    _, body = ask(world, fake_slack, "ask what is the weather like in Lisbon?")
    assert body["text"] == "I could not find that in this channel's meetings."


def test_a_question_to_the_app_in_the_notes_thread_is_answered_there(world, fake_slack):
    mention = {
        "type": "app_mention",
        "user": "U0BOB",
        "text": "<@U0BOT> what's crashing on checkout?",  # an apostrophe is no shell quote here
        "ts": "1699999999.000900",
        "thread_ts": TS,
        "channel": PUBLIC,
    }
    assert deliver(world["url"], event_envelope(mention)).status_code == 200
    [answer] = wait_for(lambda: fake_slack.calls_to("chat.postEphemeral"))
    assert answer.body["thread_ts"] == TS and answer.body["user"] == "U0BOB"
    dumped = _text(answer.body)
    assert "The payment screen crashes on checkout." in dumped and SUMMARY_LINK in dumped
    deliver(
        world["url"],
        event_envelope(
            {**mention, "text": "<@U0BOT> who owns the zanzibar memo?", "ts": "1699999999.000910"}
        ),
    )
    wait_for(lambda: len(fake_slack.calls_to("chat.postEphemeral")) >= 2)
    last = fake_slack.calls_to("chat.postEphemeral")[-1].body
    assert "I could not find that in *standup.mp3*." in _text(last)
    assert_no_secret(last)
