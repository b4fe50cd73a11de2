"""Which stored list a question about a meeting is answered from (bot.ask.routing)."""

from __future__ import annotations

import pytest

from bot.ask.routing import route


@pytest.mark.parametrize(
    "question, kind, speaker",
    [
        ("Who owns the release notes?", "owner", None),
        ("who is doing the vendor contract", "owner", None),
        ("Who's handling the boiler company?", "owner", None),
        ("Who is responsible for the screening log?", "owner", None),
        ("When is the training deck due?", "due", None),
        ("when will the release notes be ready?", "due", None),
        ("What's the deadline for the explainer?", "due", None),
        ("What did we decide about the warehouse roof?", "decision", None),
        ("Was there a decision on telemetry?", "decision", None),
        ("did we agree on the price?", "decision", None),
        ("Did Priya mention the payment crash?", "speaker", "Priya"),
        ("did sam say anything about checkout", "speaker", "sam"),
        ("Did Priya Patel talk about the budget?", "speaker", "Priya Patel"),
        ("What questions came up?", "questions", None),
        ("Which questions were asked about pricing?", "questions", None),
        ("What did the group discuss about the remote control?", "search", None),
        ("did we talk about the budget?", "search", None),  # "we" is not a speaker
        ("Why was the menu display chosen?", "search", None),
    ],
)
def test_route(question, kind, speaker):
    found = route(question)
    assert (found.kind, found.speaker) == (kind, speaker)


@pytest.mark.parametrize(
    "question, topic",
    [
        ("Who owns the release notes?", "release notes"),
        ("When is the training deck due?", "training deck"),
        ("What did we decide about the warehouse roof?", "warehouse roof"),
        ("Did Priya mention the payment crash?", "payment crash"),
    ],
)
def test_topic_leaves_out_the_cue_words(question, topic):
    assert route(question).topic == topic
