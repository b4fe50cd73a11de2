"""Parked topics: what the group explicitly put off to a later meeting ("Let's revisit controller remapping
at the next planning", "lets park that till the new year"), and meetings the group settles on ("let's
schedule a call with the vendor"). They are the note's follow-ups (contract §5.6's shape, no owner); what a
person takes on is an action item (`actions`).

A turn parks a topic when it defers with a first-person-plural or imperative verb of revisiting and says
when or on what condition ("at the next sync", "once the backlog's down", "next time", "in two weeks").
"""

from __future__ import annotations

import re
from datetime import datetime

from .action_cues import FOLLOW_UP
from .dates import find_due_date
from .people import People
from .text import as_sentence, clip_words, content_words, insight_id, remove_fillers, split_sentences
from .vocabulary import STOPWORDS

DEFER = re.compile(
    r"\b(?:let'?s|let us|we(?:'ll| will| can| should)|i want to|we need to)\s+"
    r"(?:(?:just|probably|maybe|perhaps|really|also|definitely)\s+|not\s+\w+\s+\w+\s+now\s+)?"
    r"(?:revisit|come back to|circle back (?:to|on)|park|table|check back on|check in (?:again|on)|"
    r"pick (?:\w+ ){0,3}up|bring (?:it|that|this) back|reconvene|look at (?:\w+\s+){0,4}?again|talk about|"
    r"go through|decide|"
    r"make the call|put (?:\w+\s+){0,3}on (?:the|our|next \w+'s) (?:\w+\s+)?agenda|"
    r"give (?:that|this|it) its own|"
    r"check (?:\w+\s+){0,3}again|look at|do that|talk|catch up|touch base|regroup|sync up|meet again|"
    # "Let's hold the pothole data for next time", "leave the kitchens till next week's meeting", "We will
    # take the climate scenarios next quarter", "let's skip Thursday": put off only with a time (LATER); but
    # "let's hold the decision until the references are back" decides to wait.
    r"push|punt|defer|postpone|move (?:that|this|it|them)|hold off on|skip|"
    r"(?:hold|leave|take) (?:[\w'-]+ ){0,4}?"
    r"(?=(?:(?:till|until|for) (?:now|later|next|the next)|next|offline)\b))\b",
    re.IGNORECASE,
)
LATER = re.compile(
    r"\b(?:next (?:time|meeting|call|sync|week|planning|standup|review|month|quarter)|next week'?s|"
    r"(?:for|at|in|until|till) (?:the|our) next \w+|"
    r"at (?:the|our) (?:\w+[\s-]){0,3}?(?:meeting|review|sync|call|planning|standup|huddle|kickoff|committee|"
    r"session)|at the \w+'?s?\s+(?:sync|standup|call)|once\b|after (?:the|a|we)\b|till|until|"
    r"in (?:a|two|three|a couple of|few) (?:weeks?|months?|days?)|tomorrow|"
    r"on (?:monday|tuesday|wednesday|thursday|friday)|"
    r"(?:monday|tuesday|wednesday|thursday|friday)(?:'s)?\b|new year|later|offline|"
    r"on (?:the|our|next \w+'s) (?:\w+\s+)?agenda|"
    r"its own review|at (?:the )?(?:four|three|two|one|five|\d)\b|(?:in|by|until|till|after|during) q[1-4]|"
    r"at some point|(?:another|some other) (?:time|day)|down the (?:line|road)|not (?:today|now|yet))",
    re.IGNORECASE,
)


# The group settling on a meeting nobody in particular owes: "let's schedule a call with the vendor".
SCHEDULES = re.compile(
    r"\b(?:let'?s|let us|we(?:'ll| will| should| need to))\s+"
    r"(?:schedule|set up|arrange|book|organi[sz]e|have|plan|meet)\b(?:\s+(?:a|an|another|the))?"
    r"(?:\s+follow(?:-| )?up)?\s*(?:meeting|call|sync|session|check-in|catch-up|with)\b",
    re.IGNORECASE,
)


# A parked topic named by a pronoun ("come back to that", "revisit the whole thing").
REFERS_BACK = re.compile(
    r"\b(?:revisit|come back to|circle back (?:to|on)|park|table|pick|push|look at|decide on|talk about)\s+"
    r"(?:(?:that|this|it|them|those)\b|the whole thing)",
    re.IGNORECASE,
)
# Reach and clip of what a parked "that" stands for: the nearest sentence of three content words or more.
CONTEXT_TURNS = 3
CONTEXT_WORDS = 16


def _said_before(messages: list[dict], index: int, same_turn: list[str]) -> str:
    earlier = [
        remove_fillers(s)
        for m in messages[max(0, index - CONTEXT_TURNS) : index]
        for s in split_sentences(str(m.get("text") or ""))
    ]
    for sentence in reversed(earlier + same_turn):
        if len(content_words(sentence, STOPWORDS)) >= 3:
            return clip_words(sentence.rstrip(" ,.!?"), CONTEXT_WORDS)
    return ""


# Verbs that put a topic off by themselves: "Let's park that.", "Let's table the pricing question."
PUT_OFF = re.compile(
    r"\b(?:let'?s|let us|we(?:'ll| will| should))\s+(?:just\s+)?(?:park|table|punt)\b|"
    # "Parked until the spring guidance."
    r"^(?:(?:ok|okay|so|right)\W+)*(?:parked|tabled) (?:until|till|for)\b|"
    # "Agreed, the CD ladder is tabled until Hartwell is clearer."
    r"\b(?:is|are|gets|get|stays|remains) (?:tabled|parked) (?:until|till|for)\b|"
    # "put the review bot in the parking lot", "…on repeat defects, but it can wait"
    r"\bin the parking lot\b|\bbut (?:that|it|this|those) can wait\b",
    re.I,
)


def is_parked(sentence: str) -> bool:
    """Deferred to a later time or meeting, or a meeting the group settles on."""
    return bool(
        (DEFER.search(sentence) and LATER.search(sentence))
        or PUT_OFF.search(sentence)
        or SCHEDULES.search(sentence)
    )


def find_parked(
    messages: list[dict], people: People, taken: set[str], reference_time: datetime
) -> list[dict]:
    """Follow-ups for the turns that park a topic, except those already listed (`taken` message ids); a
    date said with it ("on Monday") is its `dueBy`."""
    found = []
    for index, message in enumerate(messages):
        message_id = str(message.get("id"))
        if message_id in taken:
            continue
        sentences = [remove_fillers(s) for s in split_sentences(str(message.get("text") or ""))]
        parked = next((s for s in sentences if is_parked(s)), None)
        if parked is None:
            continue
        text = as_sentence(parked)
        if REFERS_BACK.search(parked):
            # "Let's come back to that next month": what "that" is was said just before.
            about = _said_before(messages, index, sentences[: sentences.index(parked)])
            text = as_sentence(f"{text.rstrip('.!?')} (re: {about})") if about else text
        speaker = people.speaker_of(message)
        due = find_due_date(text, reference_time)
        found.append(
            {
                "id": insight_id(FOLLOW_UP, text, [message_id]),
                "text": text,
                "type": FOLLOW_UP,
                "score": 0.9,
                "messageIds": [message_id],
                "entities": [],
                "phrases": [],
                "definitive": True,
                "from": speaker.from_payload() if speaker else {},
                "assignee": {},
                **({"dueBy": due.iso()} if due else {}),
            }
        )
    return found
