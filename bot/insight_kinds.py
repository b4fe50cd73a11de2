"""The kinds of insight a meeting note lists, in one table: adding a kind is one row here plus its extractor.

Every part that lists insights reads this table: the engine's API (`GET /v1/conversations/{id}/<path>`), the
engine's store, the Symbl client (what a note fetches), the CLI note, the Slack note and its fallback text,
and the search index. The item shapes at the wire are the `TypedDict`s below (contract §5.3–5.6; decisions
are our extension, in the shape of a follow-up without owner or date).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NotRequired, TypedDict


class Person(TypedDict, total=False):
    id: str
    name: str
    email: str
    userId: str


class Entity(TypedDict):
    type: str
    text: str
    offset: int
    value: object


class Phrase(TypedDict):
    type: str
    text: str


class ActionItem(TypedDict):
    """An action item or follow-up (contract §5.5, §5.6)."""

    id: str
    text: str
    type: str
    score: float
    messageIds: list[str]
    entities: list[Entity]
    phrases: list[Phrase]
    definitive: bool
    assignee: Person
    dueBy: NotRequired[str]


class Decision(TypedDict):
    """What the group decided (our extension; `GET …/decisions`)."""

    id: str
    text: str
    type: Literal["decision"]
    score: float
    messageIds: list[str]
    entities: list[Entity]
    phrases: list[Phrase]


LineStyle = Literal["text", "assigned"]  # "text": the item as said; "assigned": with owner and due date


@dataclass(frozen=True)
class InsightKind:
    key: str  # key of the API's body, of the stored conversation and of `--json`
    path: str  # GET /v1/conversations/{id}/<path>
    title: str  # the note's section heading
    noun: str  # plural, for counts ("3 decisions")
    line: LineStyle
    symbl: bool  # served by Symbl itself; False: our extension, which another host may answer 404 to


KINDS: tuple[InsightKind, ...] = (
    InsightKind("topics", "topics", "Topics", "topics", "text", True),
    InsightKind("actionItems", "action-items", "Action items", "action items", "assigned", True),
    InsightKind("decisions", "decisions", "Decisions", "decisions", "text", False),
    InsightKind("followUps", "follow-ups", "Follow-ups", "follow-ups", "assigned", True),
    InsightKind("questions", "questions", "Questions", "questions", "text", True),
)
BY_KEY = {kind.key: kind for kind in KINDS}
KEYS = tuple(kind.key for kind in KINDS)
