"""Is a conversation in English? The insights (summary, topics, action items, questions, follow-ups) are
made by English rules and word lists, so on any other language they would be confident nonsense; the
engine leaves them out and every note says why (issue 10).

The test is the share of the words that are among English's most common function words: about 40 % of
running English, a few percent of German, Spanish or French text (their "in", "a", "so" …). It needs no
model, works the same on transcribed speech and on uploaded transcripts, and a `languageCode` the user
gave wins over it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The commonest English words that are rare as words of other European languages.
ENGLISH_MARKERS = frozenset(
    [
        "the",
        "and",
        "to",
        "of",
        "is",
        "that",
        "it",
        "you",
        "we",
        "i",
        "this",
        "for",
        "be",
        "are",
        "was",
        "with",
        "have",
        "not",
        "they",
        "on",
        "at",
        "but",
        "what",
        "can",
        "will",
        "so",
        "if",
        "just",
        "do",
        "there",
        "about",
        "my",
        "your",
        "our",
        "would",
        "all",
        "one",
        "get",
        "know",
        "think",
        "yeah",
        "okay",
    ]
)
MIN_ENGLISH_SHARE = 0.12  # English meetings of shared/eval: 0.27–0.49; German, Spanish, French: ~0
MIN_WORDS = 8  # fewer words say nothing about the language: treated as English
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

NOT_ENGLISH_NOTE = (
    "Summary, topics, action items and questions are made for English only, and this conversation is {what}, "
    "so none are listed. Its transcript stays in the language spoken."
)


def english_share(texts: Iterable[str]) -> tuple[float, int]:
    """(share of words that are English markers, number of words) over `texts`."""
    words = [w.lower() for text in texts for w in _WORD.findall(text)]
    if not words:
        return 0.0, 0
    return sum(w in ENGLISH_MARKERS for w in words) / len(words), len(words)


def is_english(messages: list[dict], language_code: str | None = None) -> bool:
    """Whether English insights fit these messages: the given `languageCode` decides, else the words do."""
    if language_code:
        return language_code.split("-")[0].lower() == "en"
    share, count = english_share(str(m.get("text") or "") for m in messages)
    return count < MIN_WORDS or share >= MIN_ENGLISH_SHARE


def not_english_note(language_code: str | None = None) -> str:
    what = f"in another language ({language_code})" if language_code else "not in English"
    return NOT_ENGLISH_NOTE.format(what=what)
