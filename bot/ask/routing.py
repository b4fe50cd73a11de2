"""Which stored insight a question is about: a few phrasings map to the note's own lists, the rest is a
search of what was said.

Rules, not a model: the cue words ("who owns", "due", "decided", "did Sam say") carry the meaning and
there are no labelled questions to learn them from. Each rule has its table of examples in
tests/test_ask_routing.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["owner", "due", "decision", "speaker", "questions", "search"]

_QUESTIONS = re.compile(r"^\s*(?:what|which|any)\s+(?:open\s+|other\s+)?questions?\b", re.IGNORECASE)
_SPEAKER = re.compile(
    r"\b(?:did|has|had)\s+(?P<name>[\w'.-]+(?:\s+[A-Z][\w'.-]*)?)\s+"
    r"(?P<verb>mention|say|talk\s+about|bring\s+up|raise|ask\s+about|speak\s+about|comment\s+on)\b\s*(?P<topic>.*)",
    re.IGNORECASE,
)
_PRONOUNS = "we you they anyone someone everyone anybody somebody the group team he she it i people nobody"
_NOT_A_NAME = frozenset(_PRONOUNS.split())
_OWNER = re.compile(
    r"\bwho(?:'s|\s+is|\s+was|\s+will)?\s+(?:own(?:s|ing)?|doing|do|handl(?:es|ing)|responsible|taking|"
    r"on|assigned|going\s+to|in\s+charge|working\s+on|picking\s+up|follow(?:ing)?\s+up)\b|\bwhose\s+(?:job|task)\b",
    re.IGNORECASE,
)
_DUE = re.compile(
    r"\b(?:due|deadline|by\s+when)\b|^\s*when\s+(?:is|are|will|should|does|do|'s|must)\b|^\s*when's\b",
    re.IGNORECASE,
)
_DECISION = re.compile(r"\b(?:decid\w*|decision\w*|agree\w*|settled?|conclu\w*)\b", re.IGNORECASE)
# Cue words left out of the topic a rule's items are matched against.
_CUES = re.compile(
    r"\b(?:who|whose|when|what|which|is|was|are|were|will|did|does|do|due|deadline|owns?|owning|doing|"
    r"handl\w*|responsible|for|decid\w*|decision\w*|agree\w*|settled?|on|we|the|about|in|charge|"
    r"questions?|asked|by|going|to|taking|assigned|working|picking|up|follow\w*)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Route:
    kind: Kind
    topic: str  # what the question is about, cue words removed (may be empty: "what questions came up?")
    speaker: str | None = None  # for "did <Name> say …"


def topic_of(text: str) -> str:
    return " ".join(re.sub(r"[?!.,]", " ", _CUES.sub(" ", text)).split())


def route(question: str) -> Route:
    """The route a question takes; `search` when no rule claims it."""
    text = " ".join(question.split())
    if _QUESTIONS.search(text):
        return Route("questions", topic_of(text))
    said = _SPEAKER.search(text)
    if said and said.group("name").lower() not in _NOT_A_NAME:
        return Route("speaker", topic_of(said.group("topic")) or said.group("topic"), said.group("name"))
    if _OWNER.search(text):
        return Route("owner", topic_of(text))
    if _DUE.search(text):
        return Route("due", topic_of(text))
    if _DECISION.search(text):
        return Route("decision", topic_of(text))
    return Route("search", text)
