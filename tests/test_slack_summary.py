"""bot/slack/render/summary.py: rendering, empty sections left out, escaping, and hard caps on oversized
input."""

from __future__ import annotations

import copy
import json

import pytest

from bot.slack.render.summary import MAX_BLOCKS, _split_long, escape, render_summary, status_text
from bot.slack.replies import answer, home_view
from tests.support.slack import validate_blocks
from tests.support.symbl import INSIGHTS


def test_a_long_topic_list_is_folded_after_the_best_eight_never_cut():
    topics = [{"text": f"topic number {n}", "type": "topic", "score": 1 - n / 100} for n in range(1, 21)]
    [message] = render_summary({**INSIGHTS, "topics": topics}, title="planning.mp3", recording_id=7)
    [section] = [t for t in _texts(message) if t.startswith("*Topics*")]
    lines = section.splitlines()[1:]
    assert lines[:8] == [f"• topic number {n}" for n in range(1, 9)]
    assert lines[8:] == ["_Also discussed:_ " + " · ".join(f"topic number {n}" for n in range(9, 21))]


# Titles that, escaped, leave a section heading no room (issue 21 finding 1: `_split_long` looped forever on a
# limit <= 0 and the App Home had a section over 3,000 characters): 576 `&` in a file name, a link's last path
# segment as long as the URL cap allows, a title of words.
LONG_TITLES = ["&" * 576 + ".mp3", "x" * 4096, "<a> " * 1000]


def _texts(message):
    return [b["text"]["text"] for b in message.blocks if b["type"] == "section"]


def test_sections_owner_due_date_speakers_duration_and_sentiment():
    [message] = render_summary(INSIGHTS, title="standup.mp3", recording_id=7)
    blocks = json.dumps(message.blocks)
    assert message.blocks[0]["type"] == "header" and "standup.mp3" in message.blocks[0]["text"]["text"]
    context = message.blocks[1]["elements"][0]["text"]
    assert "0:52" in context and "Sam, Priya" in context and "positive" in context
    sections = _texts(message)
    assert sections[0].startswith("*Topics*") and "payment crash" in sections[0]
    assert "Fix the payment crash — _Priya_, due Fri 15 Mar 2024" in sections[1]
    assert sections[2].startswith("*Follow-ups*") and sections[3].startswith("*Questions*")
    assert message.metadata == {
        "event_type": "symbl_summary",
        "event_payload": {"recording_id": 7, "part": 1, "parts": 1},
    }
    assert "Summary of standup.mp3" in message.text and "1 action items" in message.text
    assert "<!" not in blocks


def test_speakers_carry_their_share_of_the_talk_time_when_the_provider_measured_it():
    analytics = {
        "members": [
            {"name": "Sam", "talkTime": {"seconds": 30}},
            {"name": "Priya", "talkTime": {"seconds": 10}},
        ]
    }
    [message] = render_summary({**INSIGHTS, "analytics": analytics}, title="standup.mp3", recording_id=7)
    assert "Sam 75%, Priya 25%" in message.blocks[1]["elements"][0]["text"]
    unmeasured = {"members": [{"name": "Sam", "talkTime": {"seconds": 0}}, {"name": "Priya"}]}
    for insights in ({**INSIGHTS, "analytics": unmeasured}, {**INSIGHTS, "analytics": {}}, INSIGHTS):
        [message] = render_summary(insights, title="standup.mp3", recording_id=7)
        assert "%" not in message.blocks[1]["elements"][0]["text"]


def test_empty_sections_are_left_out():
    insights = {**INSIGHTS, "followUps": [], "questions": [], "topics": []}
    [message] = render_summary(insights, title="x", recording_id=1)
    assert [t.split("\n")[0] for t in _texts(message)] == ["*Action items*"]
    [empty] = render_summary({}, title="x", recording_id=1)
    assert "No topics" in _texts(empty)[0]


def test_text_from_the_transcript_is_escaped():
    insights = copy.deepcopy(INSIGHTS)
    insights["topics"] = [{"text": "<!channel> & <https://evil.example|click>"}]
    [message] = render_summary(insights, title="<b>", recording_id=1)
    topics = _texts(message)[0]
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in topics


def test_oversized_input_is_split_within_slack_limits():
    insights = copy.deepcopy(INSIGHTS)
    insights["topics"] = [{"text": f"topic number {i} " + "word " * 30} for i in range(400)]
    insights["actionItems"] = [{"text": "x" * 5000, "assignee": {"name": "Priya"}}] * 30
    messages = render_summary(insights, title="long meeting", recording_id=3)
    assert len(messages) > 1
    for part, message in enumerate(messages, start=1):
        assert len(message.blocks) <= MAX_BLOCKS < 50
        assert all(len(t) <= 3000 for t in _texts(message))
        assert message.metadata["event_payload"] == {"recording_id": 3, "part": part, "parts": len(messages)}
        assert len(message.text) <= 3000
    every = "\n".join(t for m in messages for t in _texts(m))
    assert all(f"topic number {i} " in every for i in range(400))
    assert every.count("x" * 100) >= 30


def test_status_texts_per_stage():
    assert "Queued" in status_text("queued", "a.mp3")
    assert "Transcribing" in status_text("transcribing", "a.mp3")
    assert "Extracting" in status_text("extracting", "a.mp3")
    assert "Done" in status_text("done", "a.mp3")
    assert "files:read" in status_text("failed", "a.mp3", "missing `files:read`")


@pytest.mark.timeout(30)  # the loop this pins never ended
@pytest.mark.parametrize("title", LONG_TITLES)
def test_a_long_title_answers_within_slack_limits(title):
    lines = ["• " + "word " * 700, "• " + "&amp;" * 700, "• short"]
    reply = answer(f"Topics — {escape(title)}", lines)
    validate_blocks(reply.blocks)
    text = "".join(b["text"]["text"] for b in reply.blocks)
    assert "word word" in text and "• short" in text and "&amp;&amp;" in text
    assert all(len(b["text"]["text"]) <= 3000 for b in reply.blocks)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("title", LONG_TITLES)
def test_a_long_title_renders_the_summary_and_the_app_home_within_slack_limits(title):
    for message in render_summary(INSIGHTS, title=title, recording_id=1, conversation_id="c1"):
        validate_blocks(message.blocks)
        assert len(message.text) <= 3000
    item = ("• Fix the payment crash", True)
    entries = [
        {"title": title, "channel_id": "C1", "conversation_id": "c1", "date": 0, "items": [item], "url": url}
        for url in ("https://example.slack.com/archives/C1/p1", None)
    ]
    view = home_view(entries)
    validate_blocks(view["blocks"], max_blocks=100)
    assert "Fix the payment crash" in json.dumps(view)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("limit", [-3000, -1, 0, 1, 2, 4, 7, 100])
def test_split_long_ends_for_any_limit_and_never_cuts_an_escape(limit):
    line = "&amp;" * 300 + "x" * 50
    pieces = _split_long(line, limit)
    assert "".join(pieces) == line
    assert all(1 <= len(p) <= max(limit, 5) for p in pieces)
    if limit >= 5:
        assert all(p.count("&") == p.count(";") for p in pieces[:-1])
