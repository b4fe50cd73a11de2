"""The plain functions behind the commands: parser, transcripts, reminder times, owner matching, button
caps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import UsageError
from bot.slack.authz import match_user
from bot.slack.commands import grammar, registry
from bot.slack.commands.grammar import Command
from bot.slack.commands.registry import parse
from bot.slack.queries import reminder_time
from bot.slack.render.summary import MAX_BLOCKS, render_summary
from bot.slack.render.transcripts import render
from bot.slack.replies import Reply
from storage.action_items import item_key


@pytest.mark.parametrize(
    "text, expected",
    [
        ("topics", Command("topics")),
        ("TOPICS 123 --share", Command("topics", conversation_id="123", share=True)),
        ("actions public", Command("actions", share=True)),
        (
            "append <https://a.example/x.mp3|x.mp3> to 42",
            Command("append", url="https://a.example/x.mp3", conversation_id="42"),
        ),
        (
            "append https://a.example/x.mp3?a=1&amp;b=2",
            Command("append", url="https://a.example/x.mp3?a=1&b=2"),
        ),
        ("transcript 7 .srt", Command("transcript", conversation_id="7", fmt="srt")),
        ('search "pricing page" launch', Command("search", words="pricing page launch")),
        ("forget abc", Command("forget", conversation_id="abc")),
        ("", Command("help")),
    ],
)
def test_parse(text, expected):
    assert parse(text) == expected


def test_usage_errors_name_the_subcommand():
    with pytest.raises(UsageError) as err:
        parse("append")
    assert err.value.usage is not None and err.value.usage.startswith("`/symbl append <url>")


MESSAGES = [
    {"text": "Hello  there", "from": {"name": "Ann"}, "timeOffset": 0.0, "duration": 1.5},
    {"text": "Hi", "from": {"name": "Bo"}, "timeOffset": 3661.25, "duration": 0.5},
]


def test_transcript_formats():
    assert render(MESSAGES, "txt") == "[0:00] Ann: Hello there\n[1:01:01] Bo: Hi\n"
    assert render(MESSAGES, "srt").startswith(
        "1\n00:00:00,000 --> 00:00:01,500\nAnn: Hello there\n\n2\n01:01:01,250"
    )
    assert render(MESSAGES, "vtt").startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n<v Ann>Hello there")
    assert (
        render(MESSAGES, "md", title="Sync")
        == "# Sync\n\n**[0:00] Ann:** Hello there\n\n**[1:01:01] Bo:** Hi\n"
    )


def test_reminders_go_at_nine_local_on_the_due_date_or_the_next_morning():
    now = datetime(2024, 3, 12, 15, 0, tzinfo=UTC).timestamp()
    due = reminder_time("2024-03-15T00:00:00Z", 3600, now)
    assert datetime.fromtimestamp(due, UTC) == datetime(2024, 3, 15, 8, 0, tzinfo=UTC)  # 09:00 at UTC+1
    for past_or_none in ("2024-03-01", None, "garbage"):
        at = reminder_time(past_or_none, -5 * 3600, now)
        assert datetime.fromtimestamp(at, UTC) == datetime(2024, 3, 13, 14, 0, tzinfo=UTC)  # 09:00 at UTC-5


def test_owners_match_only_when_unambiguous():
    users = [
        {"id": "U1", "name": "priya", "real_name": "Priya Raman", "profile": {"email": "p@x.io"}},
        {"id": "U2", "name": "sam", "real_name": "Sam Lee", "profile": {"email": "sam@x.io"}},
        {"id": "U3", "name": "sam.k", "real_name": "Sam Kay", "profile": {"email": "samk@x.io"}},
    ]
    assert match_user(users, {"name": "Priya"}) == "U1"
    assert match_user(users, {"name": "priya raman"}) == "U1"
    assert match_user(users, {"name": "Sam"}) is None  # two Sams
    assert match_user(users, {"name": "Sam", "email": "SAMK@x.io"}) == "U3"
    assert match_user(users, {"name": "Speaker 1"}) is None


def test_many_action_items_stay_within_slacks_block_limits():
    items = [{"text": f"Do thing number {i} " + "x" * 200, "assignee": {"name": "Ann"}} for i in range(60)]
    insights = {"actionItems": items, "topics": [{"text": "t"}], "messages": []}
    done = {item_key(items[0]): "U9"}
    messages = render_summary(insights, title="big", recording_id=1, conversation_id="c1", done=done)
    assert all(len(m.blocks) <= MAX_BLOCKS for m in messages)
    blocks = [b for m in messages for b in m.blocks]
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(buttons) == 2 * 11  # the first twelve get buttons, minus the one that is done
    text = str(blocks)
    assert "~Do thing number 0" in text and "done by <@U9>" in text and "Do thing number 59" in text


def test_a_subcommand_is_one_registry_entry_and_one_function(monkeypatch):
    """The README's recipe: an entry naming a parser and a handler is parsed, listed in help and answered."""

    def risks(services, inv, cmd):
        return Reply(text=f"risks of {cmd.conversation_id} shared={cmd.share}", share=cmd.share)

    entry = registry.Subcommand(
        "risks", registry.ABOUT_CONVERSATION, "Risks raised.", grammar.optional_conversation, risks
    )
    monkeypatch.setattr(registry, "SUBCOMMANDS", (*registry.SUBCOMMANDS, entry))
    cmd = registry.parse("risks 42 --share")
    assert cmd == Command("risks", conversation_id="42", share=True)
    assert "• `/symbl risks [conversation-id] [--share]` — Risks raised." in registry.help_text()
    assert registry.is_command("<@U0BOT> risks")
    assert registry.run(None, None, cmd).text == "risks of 42 shared=True"
    with pytest.raises(UsageError) as err:
        registry.parse("risks 1 2")
    assert registry.usage_text(err.value) == (
        "Too many arguments: `1 2`. Usage: `/symbl risks [conversation-id] [--share]` — Risks raised."
    )


def test_a_question_is_taken_as_typed_so_an_apostrophe_is_no_quote():
    cmd = parse("ask who's doing the release notes? --share")
    assert (cmd.name, cmd.words, cmd.share) == ("ask", "who's doing the release notes?", True)
