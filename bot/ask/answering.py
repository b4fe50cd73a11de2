"""A question and some meetings → at most `max_quotes` quoted sentences, or none ("I could not find that").

Routed questions (owner, due date, decision, questions asked, one speaker's words) answer from the note's own
lists and quote the sentence each item came from; when no item is close enough, or for any other question,
the meetings' sentences are searched: BM25 picks candidates that share words with the question, WordLlama's
cosine orders them, and a floor keeps a weak best match from being passed off as an answer.
The constants are chosen by `bench/ask.py` (cross-validated by meeting series), not by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.ask.passages import Meeting, Passage, passages_of, sentences, source_passages
from bot.ask.routing import Route, route
from bot.ask.similarity import bm25, cosine
from bot.ask.terms import content_terms

ITEM_LISTS = {"owner": "actionItems", "due": "actionItems", "decision": "decisions", "questions": "questions"}


@dataclass(frozen=True)
class AskOptions:
    # Cosine floor under which the best sentence is not an answer; bench/ask.py, leave-series-out.
    floor: float = 0.4
    max_quotes: int = 3  # bench/ask.py, leave-series-out ROUGE-L F1 over 1–3
    candidates: int = 30  # BM25's best sentences that the embedding re-orders


@dataclass(frozen=True)
class Quote:
    passage: Passage
    score: float


@dataclass(frozen=True)
class Answer:
    route: Route
    quotes: tuple[Quote, ...] = ()
    item: dict[str, Any] | None = None  # the action item or decision the quotes back, for its owner and date

    @property
    def found(self) -> bool:
        return bool(self.quotes)


def answer(question: str, meetings: list[Meeting], options: AskOptions | None = None) -> Answer:
    options = options or AskOptions()
    how = route(question)
    if how.kind in ITEM_LISTS:
        found = _from_items(how, meetings, options)
        if found.found:
            return found
    if how.kind == "speaker":
        said = [p for m in meetings for p in passages_of(m) if _same_person(p.speaker, how.speaker or "")]
        return Answer(how, select(ranked(how.topic, said, options), options))
    quotes = select(ranked(question, [p for m in meetings for p in passages_of(m)], options), options)
    return Answer(how, quotes)


def ranked(query: str, passages: list[Passage], options: AskOptions) -> list[Quote]:
    """Candidates sharing a content word with the query, best embedding match first (no floor yet)."""
    lexical = bm25(query, [p.text for p in passages])
    best = sorted((i for i, s in enumerate(lexical) if s > 0), key=lambda i: -lexical[i])[
        : options.candidates
    ]
    picked = [passages[i] for i in best]
    scores = cosine(query, [p.text for p in picked])
    return sorted((Quote(p, float(s)) for p, s in zip(picked, scores, strict=True)), key=lambda q: -q.score)


def select(candidates: list[Quote], options: AskOptions) -> tuple[Quote, ...]:
    """Up to `max_quotes` above the floor, one per message (a run-on turn is not three answers)."""
    out: list[Quote] = []
    for quote in candidates:
        if quote.score < options.floor or len(out) >= options.max_quotes:
            break
        if all(q.passage.message_id != quote.passage.message_id for q in out):
            out.append(quote)
    return tuple(out)


def _from_items(how: Route, meetings: list[Meeting], options: AskOptions) -> Answer:
    pairs = [(m, i) for m in meetings for i in m.insights.get(ITEM_LISTS[how.kind]) or [] if i.get("text")]
    if not pairs:
        return Answer(how)
    if how.kind == "questions" and not content_terms(how.topic):  # "what questions came up?": the first few
        quotes = [Quote(_quote_of(m, i), 1.0) for m, i in pairs[: options.max_quotes]]
        return Answer(how, tuple(quotes))
    texts = [_item_text(m, i) for m, i in pairs]
    scores = cosine(how.topic or "", texts) if content_terms(how.topic) else [0.0] * len(texts)
    best = max(range(len(pairs)), key=lambda k: scores[k])
    if scores[best] < options.floor or not set(content_terms(how.topic)) & set(content_terms(texts[best])):
        return Answer(how)
    meeting, item = pairs[best]
    return Answer(how, (Quote(_quote_of(meeting, item), float(scores[best])),), item)


def _item_text(meeting: Meeting, item: dict[str, Any]) -> str:
    """What an item is matched on: its own words and the sentence it came from (owners speak in pronouns)."""
    return " ".join([str(item.get("text", "")), *(p.text for p in source_passages(meeting, item))])


def _quote_of(meeting: Meeting, item: dict[str, Any]) -> Passage:
    """The sentence of the item's source message closest to the item, or the item's own text."""
    text = str(item.get("text", ""))
    pieces = [
        Passage(p.conversation_id, p.message_id, p.speaker, p.seconds, s)
        for p in source_passages(meeting, item)
        for s in sentences(p.text)
    ]
    if pieces:
        scores = cosine(text, [p.text for p in pieces])
        return pieces[int(max(range(len(pieces)), key=lambda k: scores[k]))]
    speaker = (item.get("from") or {}).get("name") or ""
    return Passage(meeting.conversation_id, str(item.get("id", "")), str(speaker), None, text)


def _same_person(speaker: str, name: str) -> bool:
    """ "Priya" asks about "Priya Patel"; case and a trailing possessive do not matter."""
    asked = name.casefold().removesuffix("'s").split()
    said = speaker.casefold().split()
    return bool(asked) and said[: len(asked)] == asked
