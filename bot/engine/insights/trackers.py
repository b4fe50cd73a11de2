"""Trackers found in a conversation (contract §5.11): where each vocabulary phrase was said.

A phrase matches a run of a message's words in one of three ways, tried in this order:
- **exact**: the same words, ignoring case and punctuation ("Budget approval" ~ "budget approval,");
- **stemmed**: the same words after `text.stem` ("release notes" ~ "release note");
- **similar** (optional): every content word of the phrase (stop words dropped) has a *similar word* in the
  message, all of them inside a window of at most (phrase words + `SIMILAR_SLACK`) words, in any order.
  Two words are similar when their stems are equal, or share a prefix of at least `MIN_PREFIX` letters that
  leaves at most `MAX_TAIL` letters of the shorter one ("approval" ~ "approve", "pricing" ~ "price"; not
  "presentation" ~ "preserve"). So "approve the budget" is found for the phrase "budget approval".

Each (tracker, phrase) reports every message it was said in once, at the character offset where the match
starts. Lookups go through an index of the conversation's words, so a long meeting and a large vocabulary
cost one pass over each plus the candidate positions, not messages × phrases × words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, TypedDict

from bot.engine.detection_options import Tracker

from .text import stem

SIMILAR_SLACK = 3
MIN_PREFIX = 4
MAX_TAIL = 2
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
# Words that carry no topic of their own: dropped from a phrase before the similar match.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "about",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "we",
        "you",
        "i",
        "he",
        "she",
        "they",
        "our",
        "your",
        "my",
        "his",
        "her",
        "their",
        "me",
        "us",
        "them",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "just",
        "so",
        "if",
        "then",
        "than",
        "there",
        "here",
        "what",
        "which",
        "who",
        "how",
        "when",
        "where",
        "why",
        "not",
        "no",
        "any",
        "some",
        "all",
        "more",
        "most",
        "very",
        "too",
        "also",
    ]
)

Way = Literal["exact", "stem", "similar"]


class MessageRef(TypedDict):
    id: str
    text: str
    offset: int


class TrackerMatch(TypedDict):
    type: str  # "vocabulary": a phrase of the tracker's vocabulary was said
    value: str  # that phrase, as the tracker lists it
    messageRefs: list[MessageRef]
    insightRefs: list[dict]  # insights that quote the match: not linked by this engine, always []


class TrackerResult(TypedDict):
    id: str
    name: str
    matches: list[TrackerMatch]


@dataclass(frozen=True)
class Word:
    lower: str
    stem: str
    start: int  # character offset in the message


@dataclass(frozen=True)
class Found:
    """One phrase said in one message (what the benchmark scores; `way` is not on the wire)."""

    tracker: str
    phrase: str
    message_index: int
    offset: int
    way: Way


def message_words(text: str) -> list[Word]:
    return [Word(m.group().lower(), stem(m.group().lower()), m.start()) for m in _WORD.finditer(text)]


@lru_cache(maxsize=65536)  # the same word pairs recur through a conversation and a vocabulary
def similar_words(a: str, b: str) -> bool:
    """Equal stems, or a shared prefix of MIN_PREFIX+ letters leaving at most MAX_TAIL of the shorter."""
    if a == b:
        return True
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared >= MIN_PREFIX and min(len(a), len(b)) - shared <= MAX_TAIL


class _Index:
    """The conversation's words, with positions by stem and by prefix (the similar match's key)."""

    def __init__(self, texts: list[str]):
        self.words = [message_words(text) for text in texts]
        self.by_stem: dict[str, list[tuple[int, int]]] = {}
        self.by_prefix: dict[str, list[tuple[int, int]]] = {}
        for m, words in enumerate(self.words):
            for p, word in enumerate(words):
                self.by_stem.setdefault(word.stem, []).append((m, p))
                self.by_prefix.setdefault(word.stem[:MIN_PREFIX], []).append((m, p))

    def sequence(self, stems: list[str], lowers: list[str], exact: bool) -> Iterable[tuple[int, int]]:
        """(message, word position) where the phrase's words start, exactly or by stem."""
        for m, p in self.by_stem.get(stems[0], []):
            run = self.words[m][p : p + len(stems)]
            key = [w.lower for w in run] if exact else [w.stem for w in run]
            if key == (lowers if exact else stems):
                yield m, p

    def similar_positions(self, word: str) -> dict[int, list[int]]:
        """Word positions similar to `word`, by message. Similar words share their first MIN_PREFIX letters
        (or, shorter, are equal), so the prefix index holds every candidate."""
        found: dict[int, list[int]] = {}
        for m, p in self.by_prefix.get(word[:MIN_PREFIX], []):
            if similar_words(word, self.words[m][p].stem):
                found.setdefault(m, []).append(p)
        return found

    def window(self, content: list[str], size: int) -> Iterable[tuple[int, int]]:
        """(message, first word position) of a window of `size` words holding a similar word for each of
        `content`, in any order: only messages holding all of them are searched."""
        positions = [self.similar_positions(word) for word in content]
        messages = set(positions[0]).intersection(*positions[1:])
        for m in sorted(messages):
            lists = [found[m] for found in positions]
            for start in sorted({p - offset for p in lists[0] for offset in range(size)}):
                if start >= 0 and all(any(start <= p < start + size for p in ps) for ps in lists):
                    yield m, min(p for ps in lists for p in ps if start <= p < start + size)
                    break


def find_phrases(texts: list[str], trackers: Iterable[Tracker], *, similar: bool = True) -> list[Found]:
    """Every (tracker, phrase, message) match in `texts` (the messages' texts, in order)."""
    index = _Index(texts)
    found: list[Found] = []
    for tracker in trackers:
        for phrase in tracker["vocabulary"]:
            found += _phrase(index, tracker["name"], phrase, similar)
    return found


def _phrase(index: _Index, tracker: str, phrase: str, similar: bool) -> list[Found]:
    words = message_words(phrase)
    if not words:
        return []
    lowers, stems = [w.lower for w in words], [w.stem for w in words]
    done: dict[int, Found] = {}
    ways: list[tuple[Way, Iterable[tuple[int, int]]]] = [
        ("exact", index.sequence(stems, lowers, exact=True)),
        ("stem", index.sequence(stems, lowers, exact=False)),
    ]
    content = [s for w, s in zip(lowers, stems, strict=True) if w not in STOPWORDS]
    if similar and content:
        ways.append(("similar", index.window(content, len(words) + SIMILAR_SLACK)))
    for way, hits in ways:
        for m, p in hits:
            if m not in done:
                done[m] = Found(tracker, phrase, m, index.words[m][p].start, way)
    return sorted(done.values(), key=lambda f: f.message_index)


def find_trackers(
    messages: list[dict], trackers: Iterable[Tracker], *, similar: bool = True
) -> list[TrackerResult]:
    """`GET …/trackers`: each tracker said at least once, with a match per phrase said (Symbl lists only the
    trackers it found)."""
    trackers = list(trackers)
    texts = [str(m.get("text") or "") for m in messages]
    refs: dict[tuple[str, str], list[MessageRef]] = {}
    for f in find_phrases(texts, trackers, similar=similar):
        ref: MessageRef = {
            "id": str(messages[f.message_index].get("id")),
            "text": texts[f.message_index],
            "offset": f.offset,
        }
        refs.setdefault((f.tracker, f.phrase), []).append(ref)
    results: list[TrackerResult] = []
    for tracker in trackers:
        matches: list[TrackerMatch] = [
            {"type": "vocabulary", "value": phrase, "messageRefs": refs[key], "insightRefs": []}
            for phrase in tracker["vocabulary"]
            if (key := (tracker["name"], phrase)) in refs
        ]
        if matches:
            results.append({"id": tracker["id"], "name": tracker["name"], "matches": matches})
    return results
