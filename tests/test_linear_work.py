"""Crafted transcripts cost work in proportion to their size (issue 21, finding 4).

Each test counts the operation that used to grow with the square of the input (comparisons of people,
sentences per pysbd call) for an input and one twice its size; none measures time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pysbd
import pytest

from bot.engine.insights import people as people_module
from bot.engine.insights import text as text_module
from bot.engine.insights.people import People
from bot.engine.insights.text import SEGMENT_WINDOW, split_sentences
from bot.transcript_import import parse_transcript

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.timeout(60)  # a hang guard: joined one line at a time, this took minutes
def test_a_txt_utterance_of_many_continuation_lines_is_one_message():
    text = "Ann: hi\n" + "ok\n" * 1_000_000 + "Bob: bye"
    first, second = parse_transcript(text, "txt", start_time=START)
    assert first["from"] == {"name": "Ann"} and second["from"] == {"name": "Bob"}
    assert first["payload"]["content"] == "hi" + " ok" * 1_000_000


def test_continuation_lines_keep_their_words_and_speakers():
    text = "Ann: we ship\n  on   Friday\nBob: fine\nthen\nNote: agenda"
    messages = parse_transcript(text, "txt", start_time=START)
    assert [(m.get("from", {}).get("name"), m["payload"]["content"]) for m in messages] == [
        ("Ann", "we ship on Friday"),
        ("Bob", "fine then Note: agenda"),
    ]


def _comparisons(monkeypatch, n: int) -> int:
    """Person comparisons and first-name derivations while People serves n messages of n new speakers."""
    count = 0
    real_eq = people_module.Person.__eq__
    real_first = people_module.Person.first_name.fget

    def eq(self, other):
        nonlocal count
        count += 1
        return real_eq(self, other)

    def first_name(self):
        nonlocal count
        count += 1
        return real_first(self)

    messages = [
        {
            "id": str(i),
            "text": f"P{i:05d}, can you send it?",
            "from": {"id": f"u{i}", "name": f"P{i:05d} Lee"},
        }
        for i in range(n)
    ]
    with monkeypatch.context() as patch:
        patch.setattr(people_module.Person, "__eq__", eq)
        patch.setattr(people_module.Person, "first_name", property(first_name))
        people = People(None, messages)
        for message in messages:
            speaker = people.speaker_of(message)
            assert people.other_party(speaker) is None
            [(named, _, _)] = people.named_in(message["text"])
            assert people.by_first_name(named.first_name) == named == speaker
    return count


def test_people_work_grows_linearly_when_every_message_has_a_new_speaker(monkeypatch):
    small, large = _comparisons(monkeypatch, 500), _comparisons(monkeypatch, 1000)
    assert large <= 2.2 * small, (small, large)


def test_the_other_party_of_a_two_person_call():
    ann, bob = ({"id": "a", "name": "Ann Lee"}, {"id": "b", "name": "Bob Ray"})
    two = People(None, [{"id": "1", "text": "x", "from": ann}, {"id": "2", "text": "y", "from": bob}])
    speaker_ann, speaker_bob = two.speakers
    assert two.other_party(speaker_ann) == speaker_bob and two.other_party(speaker_bob) == speaker_ann
    assert two.other_party(None) is None
    three = People(None, [{"id": str(i), "text": "x", "from": {"name": n}} for i, n in enumerate("ABC")])
    assert three.other_party(three.speakers[0]) is None


class CountingSegmenter:
    """pysbd's segmenter, recording the sentences of each call."""

    def __init__(self) -> None:
        self.real = pysbd.Segmenter(language="en", clean=False)
        self.calls: list[int] = []
        self.chars = 0

    def segment(self, text: str) -> list[str]:
        out = self.real.segment(text)
        self.calls.append(len(out))
        self.chars += len(text)
        return out


def test_pysbd_sees_a_bounded_window_of_a_message_of_many_short_sentences(monkeypatch):
    counting = CountingSegmenter()
    monkeypatch.setattr(text_module, "_segmenter", lambda: counting)
    text = "Ok. " * 5000
    assert split_sentences(text) == ["Ok."] * 5000
    assert max(counting.calls) <= SEGMENT_WINDOW + 1
    assert counting.chars <= 2 * len(text)


def test_windowed_sentences_are_pysbds_sentences():
    text = (
        'Dr. Smith comes at 3 p.m. tomorrow! Really? Yes... maybe. See e.g. the plan.\nOk. "Go." Then left. '
        * 60
    )
    whole = pysbd.Segmenter(language="en", clean=False).segment(text.strip())
    assert split_sentences(text) == [s.strip() for s in whole if s.strip()]
