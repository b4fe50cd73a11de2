"""Topics: keyphrases of the whole conversation (YAKE), merged, ranked, and tied back to the messages."""

from __future__ import annotations

import math
from dataclasses import dataclass

# yake 0.7.3's metadata disagrees with itself: `License: LGPLv3` but the classifier says GPLv3. We use it
# unmodified as a separate installed package, which either licence permits; revisit before redistributing
# a bundled build.
import yake

from . import sentiment as sentiment_
from .text import insight_id, remove_fillers, stem, words
from .vocabulary import CALENDAR_WORDS, CONVERSATIONAL, FUNCTION_WORDS, GENERIC_NOUNS, STOPWORDS

# Backchannels ("yeah, okay") add nothing to keyphrases but cost YAKE time on an hour of talk.
MIN_WORDS_FOR_TOPICS = 4
CANDIDATES = 60
# YAKE ranks frequent single words high; a two- or three-word phrase names a topic more usefully
# ("payment crash" over "payment"), so single words count as if ranked this many times lower.
SINGLE_WORD_RANK_FACTOR = 2.5


@dataclass
class TopicCandidate:
    text: str
    key: str  # stemmed words joined by spaces, for matching variants ("release note" ~ "release notes")
    rank: int
    message_ids: list[str]


def topic_limit(hours: float) -> int:
    """About ten topics for a short meeting, growing slowly with length (18 for two hours)."""
    return 10 + round(8 * math.log2(1 + max(0.0, hours - 0.5)) / math.log2(2.5)) if hours > 0.5 else 10


def find_topics(messages: list[dict], message_scores: dict[str, float], hours: float, threshold: float,
                names: frozenset[str] = frozenset()) -> list[dict]:
    """Topics of the conversation; `names` (lower-case first names of people) are never topics."""
    stemmed = {str(m.get("id")): " " + " ".join(stem(w) for w in words(str(m.get("text") or ""))) + " "
               for m in messages}
    found: list[TopicCandidate] = []
    for rank, phrase in enumerate(_keyphrases(messages)):
        key = " ".join(stem(w) for w in words(phrase))
        if not _is_topic_like(phrase, names) or any(_repeats(key, t.key) for t in found):
            continue
        message_ids = [mid for mid, text in stemmed.items() if f" {key} " in text]
        if message_ids:
            weight = rank * (SINGLE_WORD_RANK_FACTOR if " " not in key else 1.0)
            found.append(TopicCandidate(_display(phrase), key, round(weight), message_ids))
    found.sort(key=lambda t: t.rank)
    limit = topic_limit(hours)
    kept = _drop_contained_singletons(found)[:limit]
    topics = [_topic(t, position, len(kept), kept, message_scores) for position, t in enumerate(kept)]
    return [t for t in topics if t["score"] >= threshold]


def _keyphrases(messages: list[dict]) -> list[str]:
    sentences = []
    for message in messages:
        cleaned = remove_fillers(str(message.get("text") or ""))
        if len(cleaned.split()) >= MIN_WORDS_FOR_TOPICS or (len(messages) < 50 and cleaned):
            sentences.append(cleaned.rstrip(" .,;:!?") + ".")
    if not sentences:
        return []
    extractor = yake.KeywordExtractor(lan="en", n=3, top=CANDIDATES, dedup_lim=0.8, stopwords=set(STOPWORDS))
    return [phrase for phrase, _ in extractor.extract_keywords(" ".join(sentences))]


def _is_topic_like(phrase: str, names: frozenset[str]) -> bool:
    tokens = words(phrase)
    if not tokens or any(t in CONVERSATIONAL or t in CALENDAR_WORDS or t in names for t in tokens):
        return False
    # A function word inside a phrase ("fix the payment", "bug is fixed") marks a clause, not a noun
    # phrase; "of" is the exception that names things ("speed of light").
    if any(t in FUNCTION_WORDS and t != "of" for t in tokens) or tokens[-1] == "of":
        return False
    if len(tokens) == 1:
        return len(tokens[0]) >= 4 and not tokens[0].isdigit() and tokens[0] not in GENERIC_NOUNS
    return not all(t in GENERIC_NOUNS for t in tokens)


def _repeats(key: str, kept_key: str) -> bool:
    """Same words as a phrase already kept, or a part of it ("app release" after "mobile app release")."""
    tokens, kept_tokens = key.split(), kept_key.split()
    return tokens == kept_tokens or (len(tokens) > 1 and f" {key} " in f" {kept_key} ")


def _display(phrase: str) -> str:
    # Keep acronyms ("LCD") as written; everything else lower case, as topic lists read.
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in phrase.split())


def _drop_contained_singletons(found: list[TopicCandidate]) -> list[TopicCandidate]:
    """A single word that only ever occurs inside one kept phrase ("payment" of "payment crash") repeats it."""
    phrases = [t for t in found if " " in t.key]
    return [t for t in found if " " in t.key
            or not any(set(t.message_ids) <= set(p.message_ids) and f" {t.key} " in f" {p.key} " for p in phrases)]


def _topic(candidate: TopicCandidate, position: int, count: int, kept: list[TopicCandidate],
           message_scores: dict[str, float]) -> dict:
    scores = [message_scores.get(mid, 0.0) for mid in candidate.message_ids]
    mean = sum(scores) / len(scores) if scores else 0.0
    parents = [{"type": "topic", "text": p.text} for p in kept
               if p is not candidate and " " not in p.key and f" {p.key} " in f" {candidate.key} "]
    return {
        "id": insight_id("topic", candidate.text, candidate.message_ids),
        "text": candidate.text,
        "type": "topic",
        # YAKE ranks but its raw scores are not comparable across transcripts, so the score is the rank
        # mapped into (0.5, 1]: every kept topic passes the default threshold, the best score highest.
        "score": round(0.98 - 0.45 * position / max(1, count), 3),
        "messageIds": candidate.message_ids,
        "entities": [],
        "sentiment": sentiment_.sentiment(mean),
        "parentRefs": parents,
    }
