"""Content words of a question or a sentence, lower-cased and lightly stemmed, for lexical matching.

The stop list also holds the words every question about a meeting carries ("discuss", "meeting", "group"):
they would match every sentence and rank none.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP_TEXT = """a about above after again against all also am an and any are as at be because been before
    being below
    between both but by can could did do does doing done down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor not of off
    on once only or other our ours out over own same she should so some such than that the their theirs them
    then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yeah okay ok um uh mm hmm so well like really right
    gonna think thought say said says talk talked mention mentioned discuss discussed discussion meeting
    group team tell told anything something someone everyone anyone thing things let us get got going
    know kind sort mean bit lot came come asked raised"""
STOPWORDS = frozenset(_STOP_TEXT.split())


def stem(word: str) -> str:
    """A light suffix strip (plural, -ing, -ed): enough for "crashes"/"crash", "decided"/"decide"."""
    word = word.split("'")[0]
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def content_terms(text: str) -> list[str]:
    """The stemmed content words of `text`, in order, repeats kept (BM25 counts them)."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


def plain_words(text: str) -> list[str]:
    """The content words unstemmed, as a full-text index should be asked for them."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]
