"""The Summary API's paragraph (`GET /v1/conversations/{id}/summary`): a few sentences of the meeting, chosen
from the transcript itself, each tied to the message it came from (`messageRefs`).

Extractive on purpose: no language model that fits 2 CPU cores writes a better summary than the meeting's own
most central sentences (measured in bench/summary.py against AMI's human abstracts, with lead-N and random
baselines). A sentence scores by how much of the meeting's recurring vocabulary it carries (TF·IDF over
messages, normalised by its length to the power `LENGTH_EXPONENT`); sentences are then picked greedily with
a redundancy penalty (MMR) until the word budget is spent, and told in the order they were said. Each
sentence is lightly rewritten: fillers and stutters removed, and the speaker named ("Priya: …") so a
reader knows whose view or commitment it is. The closing item lists the action items with their owners.
English only: `summarize` is not called for other languages (see bot.language).
"""

from __future__ import annotations

import math
from collections import Counter

from .people import People
from .text import as_sentence, insight_id, remove_fillers, split_sentences, stem, words
from .vocabulary import STOPWORDS

# Chosen by leave-series-out cross-validation on shared/eval meetings + train (bench/summary.py --tune).
MIN_SENTENCE_WORDS = 6
LENGTH_EXPONENT = 0.4
REDUNDANCY = 0.5  # MMR weight of a sentence's overlap with those already chosen
WORDS_PER_MINUTE = 6.0
MIN_WORDS, MAX_WORDS = 40, 160
MAX_ACTION_ITEMS_IN_SUMMARY = 3
POOL_SIZE = 80


def word_budget(minutes: float) -> int:
    """How many words the summary may take: grows with the meeting, within [MIN_WORDS, MAX_WORDS]."""
    return int(min(MAX_WORDS, max(MIN_WORDS, WORDS_PER_MINUTE * minutes)))


class _Sentence:
    __slots__ = ("index", "length", "message_id", "speaker", "terms", "text")

    def __init__(self, message_id: str, index: int, text: str, speaker: str, terms: list[str]):
        self.message_id = message_id
        self.index = index
        self.text = text
        self.speaker = speaker
        self.terms = terms
        self.length = len(text.split())


def _terms(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 2]


def candidate_sentences(messages: list[dict], people: People) -> list[_Sentence]:
    """Sentences worth quoting: long enough to say something, fillers removed, with their speaker's name."""
    found: list[_Sentence] = []
    for message in messages:
        speaker = people.speaker_of(message)
        name = speaker.name if speaker else ""
        for sentence in split_sentences(remove_fillers(str(message.get("text") or ""))):
            terms = _terms(sentence)
            if len(sentence.split()) >= MIN_SENTENCE_WORDS and len(terms) >= 3 and not sentence.endswith("?"):
                found.append(_Sentence(str(message.get("id")), len(found), sentence, name, terms))
    return found


def _weights(sentences: list[_Sentence]) -> dict[str, float]:
    """TF·IDF of each term over the meeting's sentences: recurring but not ubiquitous vocabulary weighs
    most."""
    frequency: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    for s in sentences:
        frequency.update(s.terms)
        spread.update(set(s.terms))
    n = len(sentences)
    return {
        term: math.log1p(count) * math.log((n + 1) / spread[term])
        for term, count in frequency.items()
        if count > 1
    }


def _overlap(sentence: _Sentence, covered: set[str]) -> float:
    terms = set(sentence.terms)
    return len(terms & covered) / len(terms) if terms else 1.0


def choose(sentences: list[_Sentence], budget: int, exclude: frozenset[str] = frozenset()) -> list[_Sentence]:
    """Central sentences within `budget` words, redundancy-penalised (MMR), in spoken order; sentences of the
    messages in `exclude` are not quoted (they still count for what is central)."""
    weights = _weights(sentences)
    sentences = [s for s in sentences if s.message_id not in exclude]
    if not weights or not sentences:
        return []

    def relevance(s: _Sentence) -> float:
        return sum(weights.get(t, 0.0) for t in set(s.terms)) / (s.length**LENGTH_EXPONENT)

    base = {s.index: relevance(s) for s in sentences}
    top = max(base.values()) or 1.0
    chosen: list[_Sentence] = []
    covered: set[str] = set()
    used = 0
    # Only the most central sentences can win; bounding the pool keeps MMR's quadratic step cheap on long
    # meetings.
    pool = sorted(sentences, key=lambda s: (-base[s.index], s.index))[:POOL_SIZE]
    while pool and budget - used >= MIN_SENTENCE_WORDS:
        gains = {s.index: base[s.index] / top - REDUNDANCY * _overlap(s, covered) for s in pool}
        best = max(pool, key=lambda s: (gains[s.index], -s.index))
        pool.remove(best)
        if gains[best.index] <= 0:
            break
        if used + best.length > budget:
            continue
        chosen.append(best)
        covered |= set(best.terms)
        used += best.length
    return sorted(chosen, key=lambda s: s.index)


def _by_speaker(picked: list[_Sentence]) -> list[tuple[str, list[_Sentence]]]:
    """Consecutive quotes of one speaker as one run, so each run carries its own speaker's label once: the
    note reads the summary as one paragraph, where an unlabelled sentence would seem the previous
    speaker's."""
    runs: list[tuple[str, list[_Sentence]]] = []
    for sentence in picked:
        if runs and runs[-1][0] == sentence.speaker:
            runs[-1][1].append(sentence)
        else:
            runs.append((sentence.speaker, [sentence]))
    return runs


def _labelled(speaker: str, sentences: list[_Sentence]) -> str:
    text = " ".join(as_sentence(s.text) for s in sentences)
    return f"{speaker}: {text}" if speaker else text


def _next_steps(action_items: list[dict]) -> tuple[dict | None, set[str]]:
    """The closing "Next steps: …" item with each owner named, and the messages it already covers."""
    owned, refs = [], []
    for item in action_items[:MAX_ACTION_ITEMS_IN_SUMMARY]:
        owner = str((item.get("assignee") or {}).get("name") or "")
        text = str(item.get("text") or "").rstrip(".")
        if not text:
            continue
        first_name = owner.split()[0] if owner.split() else ""
        owned.append(text if not owner or first_name in text else f"{owner}: {text}")
        refs += [str(m) for m in item.get("messageIds") or [] if str(m) not in refs]
    if not owned:
        return None, set()
    text = "Next steps: " + "; ".join(owned) + "."
    item = {"id": insight_id("summary", text, refs), "text": text, "messageRefs": [{"id": r} for r in refs]}
    return item, set(refs)


def summarize(
    messages: list[dict], people: People, *, minutes: float, action_items: list[dict] | None = None
) -> list[dict]:
    """The summary items `[{id, text, messageRefs: [{id}]}]` of an English conversation, in Symbl's shape.

    Empty when the transcript has nothing quotable (a few words of small talk).
    """
    closing, covered = _next_steps(action_items or [])
    # A commitment the closing line states is not quoted a second time above it.
    picked = choose(candidate_sentences(messages, people), word_budget(minutes), frozenset(covered))
    items = []
    for speaker, sentences in _by_speaker(picked):
        text = _labelled(speaker, sentences)
        refs = list(dict.fromkeys(s.message_id for s in sentences))
        items.append(
            {"id": insight_id("summary", text, refs), "text": text, "messageRefs": [{"id": r} for r in refs]}
        )
    if closing:
        items.append(closing)
    return items
