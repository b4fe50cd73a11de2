"""Scoring of insights on the workplace meetings of shared/eval/workplace (its README's rule).

Shared by `bench/workplace.py` (the report) and `bench/train_actions.py` (constants chosen by
cross-validation on the same scores), so both read the meetings and score them one way:
- an item is *found* when its text contains one of a gold item's `any` keywords, matched one to one
  (a maximum bipartite matching, so one long item cannot claim two gold items);
- precision counts listed items matched to some gold item;
- owner: the listed assignee's name contains the gold owner; due: the listed due phrase and the gold one share
  a date word (a `null` gold due must come back empty);
- decisions, questions and follow-ups by the same keyword rule; topic terms by containment either way;
- sentiment: `negative_line` marked negative, `positive_line` positive.
Text is compared lower-cased and accent-folded ("Tomas" matches "Tomás").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Lower case without accents: how the README compares text (the product's own, which names are compared by).
from bot.engine.insights.text import folded as fold

WORKPLACE = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "workplace"
# A Wednesday morning: "by Friday", "next Tuesday" resolve to real dates.
REFERENCE_TIME = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
SECONDS_PER_LINE = 6.0

# The eval README's naive commitment regex, listed unranked (no cap on the workplace set).
BASELINE_PATTERN = re.compile(
    r"\b(?:i'll|i will|i'm going to|i am going to|we'll|we will|we're going to|we need to|we have to|"
    r"we should|you need to|you have to|you should|let's|let me|i have to|i need to|gonna|going to)\b",
    re.IGNORECASE,
)
DATE_WORDS = re.compile(
    r"\b(?:today|tonight|tomorrow|morning|afternoon|evening|noon|midday|lunch|eod|week|weekend|month|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"\d+(?:st|nd|rd|th)?|first|second|third|\w+teenth|\w+tieth|twentieth|thirtieth|\w+-\w+(?:st|nd|rd|th)|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
)


@dataclass
class WorkplaceMeeting:
    meeting_id: str
    speech_style: bool  # written like speech-recogniser output
    messages: list[dict]
    gold: dict
    kind: str

    @property
    def hours(self) -> float:
        return len(self.messages) * SECONDS_PER_LINE / 3600


def speech_style(lines: list[dict]) -> bool:
    text = " ".join(line["text"] for line in lines)
    return text == text.lower() and text.count(".") < len(lines) / 4


def to_messages(lines: list[dict]) -> list[dict]:
    """The meeting as the Text API's messages: named speakers, one line every few seconds."""
    messages = []
    for index, line in enumerate(lines):
        start = REFERENCE_TIME + timedelta(seconds=SECONDS_PER_LINE * index)
        end = start + timedelta(seconds=SECONDS_PER_LINE - 1)
        speaker = line["speaker"]
        messages.append(
            {
                "id": str(index),
                "text": line["text"],
                "from": {"id": speaker, "name": speaker, "email": ""},
                "startTime": start.isoformat().replace("+00:00", "Z"),
                "endTime": end.isoformat().replace("+00:00", "Z"),
                "timeOffset": SECONDS_PER_LINE * index,
                "duration": SECONDS_PER_LINE - 1,
            }
        )
    return messages


def load(path: Path) -> WorkplaceMeeting:
    raw = json.loads(path.read_text())
    return WorkplaceMeeting(
        path.stem, speech_style(raw["lines"]), to_messages(raw["lines"]), raw["gold"], raw.get("kind", "")
    )


def meeting_paths(folder: Path = WORKPLACE) -> list[Path]:
    return sorted(folder.glob("*.json"))


def load_all(folder: Path = WORKPLACE) -> list[WorkplaceMeeting]:
    return [load(p) for p in meeting_paths(folder)]


def match(listed: list[str], gold: list[list[str]]) -> dict[int, int]:
    """A maximum one-to-one matching {gold index: listed index}: listed text contains a gold keyword."""
    folded = [fold(text) for text in listed]
    edges = [[j for j, text in enumerate(folded) if any(fold(k) in text for k in keys)] for keys in gold]
    owner_of: dict[int, int] = {}

    def augment(g: int, seen: set[int]) -> bool:
        for j in edges[g]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner_of or augment(owner_of[j], seen):
                owner_of[j] = g
                return True
        return False

    for g in range(len(gold)):
        augment(g, set())
    return {g: j for j, g in owner_of.items()}


@dataclass
class Counts:
    """Summable counts of one or more meetings."""

    gold: int = 0
    listed: int = 0
    found: int = 0
    owners_right: int = 0
    dues_right: int = 0
    distractors_listed: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    @property
    def precision(self) -> float:
        return self.found / self.listed if self.listed else 0.0

    @property
    def f1(self) -> float:
        r, p = self.recall, self.precision
        return 2 * r * p / (r + p) if r + p else 0.0


@dataclass
class Listed:
    """One listed item as the scorer reads it."""

    text: str
    owner: str = ""
    due: str = ""
    message_ids: list[str] = field(default_factory=list)


def due_right(listed_due: str, gold_due: str | None) -> bool:
    if gold_due is None:
        return not listed_due
    said = set(DATE_WORDS.findall(fold(listed_due)))
    return bool(said & set(DATE_WORDS.findall(fold(gold_due))))


def score_items(listed: list[Listed], gold_items: list[dict], not_actions: Iterable[int] = ()) -> Counts:
    pairs = match([item.text for item in listed], [item["any"] for item in gold_items])
    owners = sum(1 for g, j in pairs.items() if fold(gold_items[g]["owner"]) in fold(listed[j].owner))
    dues = sum(1 for g, j in pairs.items() if due_right(listed[j].due, gold_items[g].get("due")))
    distractor_ids = {str(i) for i in not_actions}
    distractors = sum(
        1
        for j, item in enumerate(listed)
        if j not in pairs.values() and item.message_ids and item.message_ids[-1] in distractor_ids
    )
    return Counts(len(gold_items), len(listed), len(pairs), owners, dues, distractors)


def score_keyword_lists(listed_texts: list[str], gold: list[list[str]]) -> Counts:
    pairs = match(listed_texts, gold)
    return Counts(len(gold), len(listed_texts), len(pairs))


def topic_terms_found(topic_texts: list[str], terms: list[str]) -> int:
    topics = [fold(t) for t in topic_texts]
    return sum(
        1 for term in terms if any(fold(term) in t or (len(t) > 3 and t in fold(term)) for t in topics)
    )


def listed_action_items(action_items: list[dict]) -> list[Listed]:
    """The API's action items (contract §5.5) as the scorer reads them."""
    result = []
    for item in action_items:
        due = next(
            (e["text"] for e in item.get("entities") or [] if e.get("type") in ("date", "daterange")), ""
        )
        result.append(
            Listed(
                item["text"],
                (item.get("assignee") or {}).get("name") or "",
                due,
                [str(m) for m in item.get("messageIds") or []],
            )
        )
    return result


def baseline_items(meeting: WorkplaceMeeting) -> list[Listed]:
    """The naive regex: every matching line, as said, its speaker as owner."""
    return [
        Listed(m["text"], m["from"]["name"], "", [m["id"]])
        for m in meeting.messages
        if BASELINE_PATTERN.search(m["text"])
    ]


@dataclass
class MeetingResult:
    meeting: WorkplaceMeeting
    actions: Counts
    baseline: Counts
    decisions: Counts
    questions: Counts
    follow_ups: Counts
    topic_terms: int
    topic_terms_found: int
    sentiment_lines: int
    sentiment_right: int


def score_meeting(meeting: WorkplaceMeeting, insights: dict, polarity: Callable[[str], str]) -> MeetingResult:
    """`insights`: the API's bodies ({actionItems, decisions, questions, followUps, topics}); `polarity`:
    a message id → "positive"/"negative"/"neutral"."""
    gold = meeting.gold
    texts = lambda key: [str(item.get("text") or "") for item in insights.get(key) or []]  # noqa: E731
    sentiment_right = int(polarity(str(gold["negative_line"])) == "negative") + int(
        polarity(str(gold["positive_line"])) == "positive"
    )
    return MeetingResult(
        meeting,
        score_items(
            listed_action_items(insights.get("actionItems") or []), gold["action_items"], gold["not_actions"]
        ),
        score_items(baseline_items(meeting), gold["action_items"], gold["not_actions"]),
        score_keyword_lists(texts("decisions"), [d["any"] for d in gold.get("decisions") or []]),
        score_keyword_lists(texts("questions"), gold.get("questions") or []),
        score_keyword_lists(texts("followUps"), gold.get("follow_ups") or []),
        len(gold["topic_terms"]),
        topic_terms_found(texts("topics"), gold["topic_terms"]),
        2,
        sentiment_right,
    )
