"""Which topic candidates a participant would list: a learned ranking of the phrases `topics` finds.

A meeting yields more candidate phrases than a note lists (YAKE's keyphrases, noun phrases, words said
again and again). Ranked by how many messages say them, the phrases said once fall behind any word said
twice, yet the terms people list are mostly said once or twice ("controlled drugs register", "Datix").
So each candidate is described by named binary features (how often and by how many people it is said, its
length in words and letters, YAKE's rank, capitals, where it is first said, and how common its words are in
a background of other meetings: a word nearly every meeting says, "draft" or "phone", names no subject) and
scored by a logistic regression, fitted by `bench/train_topics.py` on the gold topic terms of
shared/eval/workplace. The background is the stems of the AMI/ICSI meetings of shared/eval (CC BY 4.0, see
`models/ATTRIBUTION.md`), stored in the model file with each stem's number of meetings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import action_model
from .action_model import ActionModel
from .text import stem

MODEL_NAME = "topic_ranking_v1.json"
# sha256 of the shipped model file; bench/train_topics.py prints the new value when it writes the file.
MODEL_SHA256 = "a88d7978fa7c1793e81a49c3618ae248ec733b68efa2ef1e4cc85593d3fcfc0d"

# Bucket edges of each measured feature: a candidate has the feature "name<=edge" of the first edge its
# value does not exceed, else "name>last edge".
MENTION_EDGES = (1, 2, 4, 8)
WORD_EDGES = (1, 2)
RANK_EDGES = (5, 15, 40, 80)
CAPITALISED_EDGES = (0.1, 0.5, 0.9)
FIRST_SAID_EDGES = (0.25, 0.5, 0.75)
VARIANT_EDGES = (0, 1)
SPEAKER_EDGES = (1, 2)
LETTER_EDGES = (4, 6, 8)
BACKGROUND_SHARE_EDGES = (0.0, 0.05, 0.2, 0.5, 0.8)


@dataclass(frozen=True)
class Background:
    """How many background meetings say each stem."""

    meetings: int
    meetings_saying: dict[str, int]

    def share(self, word: str) -> float:
        return self.meetings_saying.get(stem(word.lower()), 0) / max(1, self.meetings)


@dataclass(frozen=True)
class TopicRanker:
    model: ActionModel  # weights over `candidate_features`; its threshold and radius are unused
    background: Background

    def scores(self, rows: list[list[str]]) -> list[float]:
        return self.model.probabilities(rows)


@dataclass(frozen=True)
class MeetingFacts:
    """What a candidate's features need of its meeting."""

    position: dict[str, int]  # message id → index
    speaker_of: dict[str, str]  # message id → speaker id
    capitalised: dict[str, float]  # lower-case word → share of its sentence-internal uses capitalised
    yake_phrases: int  # candidates ranked below this came from YAKE, the rest are noun phrases


@dataclass(frozen=True)
class RankedPhrase:
    """One candidate as the ranking sees it."""

    text: str
    rank: int  # its order among the candidates (YAKE's best first)
    message_ids: list[str]
    variants: int
    recurring_word: bool  # a single word kept because the meeting keeps saying it
    acronym: bool
    generic: bool  # holds a word of vocabulary.GENERIC_NOUNS


def candidate_features(phrase: RankedPhrase, meeting: MeetingFacts, background: Background) -> list[str]:
    words = phrase.text.split() or [phrase.text]
    first = min((meeting.position.get(m, 0) for m in phrase.message_ids), default=0)
    speakers = {meeting.speaker_of.get(m, "") for m in phrase.message_ids}
    shares = [background.share(w) for w in words]
    features = [
        _bucket("mentions", len(phrase.message_ids), MENTION_EDGES),
        _bucket("words", len(words), WORD_EDGES),
        _bucket("rank", phrase.rank, RANK_EDGES),
        "yake" if phrase.rank < meeting.yake_phrases else "noun_phrase",
        _bucket(
            "capitalised",
            sum(meeting.capitalised.get(w.lower(), 0.0) for w in words) / len(words),
            CAPITALISED_EDGES,
        ),
        _bucket("first_said", first / max(1, len(meeting.position)), FIRST_SAID_EDGES),
        _bucket("variants", phrase.variants, VARIANT_EDGES),
        _bucket("speakers", len(speakers), SPEAKER_EDGES),
        _bucket("letters", sum(map(len, words)) / len(words), LETTER_EDGES),
        _bucket("rarest_share", min(shares), BACKGROUND_SHARE_EDGES),
        _bucket("commonest_share", max(shares), BACKGROUND_SHARE_EDGES),
    ]
    flags = {
        "acronym": phrase.acronym,
        "digit": any(c.isdigit() for c in phrase.text),
        "recurring_word": phrase.recurring_word,
        "generic_noun": phrase.generic,
    }
    return features + [name for name, present in flags.items() if present]


def _bucket(name: str, value: float, edges: Iterable[float]) -> str:
    edges = tuple(edges)
    for edge in edges:
        if value <= edge:
            return f"{name}<={edge}"
    return f"{name}>{edges[-1]}"


def load_ranker(path: Path | None = None, expected_sha256: str | None = None) -> TopicRanker:
    """The ranking at `path` (default: the one shipped in the package), its sha256 checked first."""
    path = path or action_model.model_path(MODEL_NAME)
    expected = expected_sha256 or MODEL_SHA256
    body = action_model.verified_body(path, expected)
    model = action_model.model_from_body(path, body)
    try:
        background = body["background"]
        return TopicRanker(
            model,
            Background(
                int(background["meetings"]),
                {str(k): int(v) for k, v in background["meetings_saying"].items()},
            ),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise action_model.not_a_model(path, error) from None


@lru_cache(maxsize=1)
def shipped_ranker() -> TopicRanker:
    return load_ranker()
