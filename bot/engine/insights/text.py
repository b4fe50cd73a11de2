"""Small text helpers shared by the insight extractors: sentences, fillers, tokens, stable ids."""

from __future__ import annotations

import bisect
import re
import unicodedata
from functools import lru_cache

import pysbd

from bot.engine.ids import stable_id

# Disfluencies that speech-to-text and manual meeting transcripts keep; they carry no content and would
# otherwise leak into action-item text and keyphrases.
FILLERS = frozenset(
    {"um", "uh", "erm", "er", "ah", "eh", "hmm", "hm", "mm", "mmm", "mm-hmm", "uh-huh", "huh"}
)

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d+")
_FILLER_TOKEN = re.compile(
    r"(?<![\w'\-])(?:"
    + "|".join(sorted((re.escape(f) for f in FILLERS), key=len, reverse=True))
    + r")(?![\w'\-])[,.]?\s*",
    re.IGNORECASE,
)
# "I'll I'll send", "we we should": a stutter, contractions included, so cues still see "I'll send".
_REPEATED_WORD = re.compile(r"\b(\w+(?:'\w+)?)(?:,?\s+\1\b)+", re.IGNORECASE)
_INNER_SENTENCE_END = re.compile(r"[.!?]\s+\S")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_SPACES = re.compile(r"\s+")
# Where a sentence may end, counted to size pysbd's windows (its work grows with the square of the sentences
# in one call: a message of a thousand "Ok." cost it 40 × what ordinary text of the same length does).
_CANDIDATE_END = re.compile(r"[.!?]\s|\n")
SEGMENT_WINDOW = 40  # candidate ends per pysbd call


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[str]:
    """Sentences of one message. pysbd costs ~0.2 ms a call, so single-sentence messages (most
    dialogue turns) skip it to keep an hour of transcript well under the speed budget."""
    text = text.strip()
    if not text:
        return []
    if not _INNER_SENTENCE_END.search(text):
        return [text]
    return [s.strip() for s in _segments(text) if s.strip()]


def rough_sentences(text: str) -> list[str]:
    """Sentences split wherever . ! or ? meet a space: no pysbd, for a cue tested on every turn."""
    return [s for s in _SENTENCE_BREAK.split(text.strip()) if s]


def folded(text: str) -> str:
    """Lower case without accents ("Tomás" → "tomas"), as names and keywords are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _segments(text: str) -> list[str]:
    """pysbd's sentences of `text`, segmented a window of SEGMENT_WINDOW candidate ends at a time, so the work
    is linear in the text. A window's last sentence may be cut by the window, so it is segmented again at the
    head of the next one (pysbd's segments, with clean=False, are the text cut in pieces: lengths add up)."""
    ends = [m.end() for m in _CANDIDATE_END.finditer(text)]
    segmenter = _segmenter()
    sentences: list[str] = []
    start = 0
    while True:
        first = bisect.bisect_right(ends, start)
        if len(ends) - first <= SEGMENT_WINDOW:
            return sentences + segmenter.segment(text[start:])
        stop = ends[first + SEGMENT_WINDOW - 1]
        window = segmenter.segment(text[start:stop])
        kept = window[:-1]
        taken = sum(map(len, kept))
        if taken < (stop - start) // 2 or "".join(window) != text[start:stop]:
            # One long sentence (or pieces that are not the text's): the whole window, so every window
            # moves on by at least half its length.
            kept, taken = window, stop - start
        sentences += kept
        start += taken


def remove_fillers(text: str) -> str:
    without_fillers = _FILLER_TOKEN.sub("", text)
    without_stutter = _REPEATED_WORD.sub(r"\1", without_fillers)
    return _SPACES.sub(" ", without_stutter).strip(" ,")


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str, stopwords: frozenset[str]) -> set[str]:
    return {stem(w) for w in words(text) if w not in stopwords and w not in FILLERS and len(w) > 2}


def stem(word: str) -> str:
    """Lemma-ish form good enough to match "notes"/"note" and "crashes"/"crash" without a tagger."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch"), ("xes", "x")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + keep
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def capitalise_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def as_sentence(text: str) -> str:
    text = capitalise_first(text.strip(" ,;:-"))
    if text and text[-1] not in ".!?":
        text += "."
    return text


def clip_words(text: str, limit: int) -> str:
    """The first `limit` words of `text`, with "…" when some were cut: a context quoted inside an item."""
    said = text.split()
    return " ".join(said[:limit]) + ("…" if len(said) > limit else "")


def insight_id(kind: str, text: str, message_ids: list[str]) -> str:
    """Same kind, text and sources → same id, so re-running on the same transcript yields the same ids."""
    return stable_id(kind, text, *message_ids)
