"""Speech-recogniser text read like typed text: contractions, "I" and people's names restored.

Speech-to-text output and transcripts in its style are lower case and drop apostrophes ("ill chase legal
today", "im on it", "can you ping priya"). Every extractor's patterns are written for "I'll", "I'm" and
"Priya", so the insights read a normalised copy of each message; the transcript itself is never changed.
The rewrite is deliberately narrow: only spellings that are unambiguous in meeting talk are restored
("ill" is "I'll" unless it follows a word that makes it "sick"; "well", "were", "its", "id" are left alone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Contractions written without their apostrophe → the spelling the patterns know.
CONTRACTIONS = {
    "im": "I'm",
    "ive": "I've",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "cant": "can't",
    "wont": "won't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "thats": "that's",
    "whats": "what's",
    "theres": "there's",
    "heres": "here's",
    "lets": "let's",
    "youre": "you're",
    "youll": "you'll",
    "youve": "you've",
    "youd": "you'd",
    "theyre": "they're",
    "theyll": "they'll",
    "theyve": "they've",
    "weve": "we've",
    "itll": "it'll",
    "thatll": "that'll",
    "whos": "who's",
    "wheres": "where's",
    "hows": "how's",
    "shes": "she's",
    "hes": "he's",
    "gotta": "got to",
    "wanna": "want to",
}
# "ill" is "I'll" except after words that make it the adjective ("she's ill", "feeling ill").
_ILL_ADJECTIVE_BEFORE = frozenset(
    [
        "is",
        "was",
        "be",
        "been",
        "being",
        "are",
        "were",
        "am",
        "feel",
        "feels",
        "feeling",
        "felt",
        "fell",
        "falls",
        "very",
        "so",
        "too",
        "really",
        "quite",
        "seriously",
        "critically",
        "mentally",
        "terminally",
        "gravely",
        "she's",
        "he's",
        "they're",
        "i'm",
        "you're",
        "we're",
    ]
)
# "id" is "I'd" only before the verbs that follow it in talk ("id like", "id rather"); elsewhere an ID.
_ID_VERBS = frozenset(
    ["like", "love", "rather", "say", "prefer", "need", "want", "guess", "suggest", "think", "imagine"]
)
# First names that are also everyday words: capitalising them would turn "will" or "chase" into people.
_COMMON_WORD_NAMES = frozenset(
    [
        "will",
        "may",
        "mark",
        "grant",
        "bill",
        "pat",
        "sue",
        "rose",
        "joy",
        "hope",
        "faith",
        "june",
        "april",
        "august",
        "amber",
        "ray",
        "rob",
        "jack",
        "frank",
        "dean",
        "drew",
        "chase",
        "guy",
        "sky",
        "summer",
        "art",
        "gene",
        "max",
        "penny",
        "carol",
        "dawn",
        "eve",
        "holly",
        "ivy",
        "lily",
        "iris",
        "jade",
        "ruby",
        "pearl",
        "sandy",
        "victor",
        "hunter",
        "mason",
        "taylor",
        "page",
        "paige",
        "rich",
        "sunny",
        "an",
    ]
)
_TOKEN = re.compile(r"[A-Za-z']+|[^A-Za-z']+")


def is_speech_style(text: str) -> bool:
    """Lower case without apostrophes or sentence punctuation: how speech-to-text writes."""
    return text == text.lower() and "'" not in text


def normalise(text: str, names: Iterable[str] = ()) -> str:
    """`text` with contractions, a lone "i" and the given first names (lower case) restored."""
    known = {n for n in names if n and n not in _COMMON_WORD_NAMES}
    tokens = _TOKEN.findall(text)
    previous = ""
    out = []
    for index, token in enumerate(tokens):
        lower = token.lower()
        if not token[:1].isalpha():
            out.append(token)
            continue
        following = next((t.lower() for t in tokens[index + 1 :] if t[:1].isalpha()), "")
        if lower == "i":
            token = "I"
        elif lower == "ill" and previous not in _ILL_ADJECTIVE_BEFORE:
            token = "I'll"
        elif lower == "id" and following in _ID_VERBS:
            token = "I'd"
        elif lower in CONTRACTIONS and token == lower:
            token = CONTRACTIONS[lower]
        elif lower in known and token == lower:
            token = lower.capitalize()
        out.append(token)
        previous = lower
    return "".join(out)


def speaker_names(messages: list[dict], members: list[dict] | None = None) -> set[str]:
    """Lower-case first names of everyone who speaks or is a member."""
    people = [m.get("from") or {} for m in messages] + list(members or [])
    return {str(p.get("name") or "").split()[0].lower() for p in people if str(p.get("name") or "").split()}


def normalise_messages(messages: list[dict], members: list[dict] | None = None) -> list[dict]:
    """Copies of `messages` whose `text` is normalised (other keys shared, unchanged)."""
    names = speaker_names(messages, members)
    return [{**m, "text": normalise(str(m.get("text") or ""), names)} for m in messages]
