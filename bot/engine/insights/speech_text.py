"""Speech-recogniser text read like typed text: contractions, "I" and people's names restored.

Speech-to-text output and transcripts in its style are lower case and drop apostrophes ("ill chase legal
today", "im on it", "can you ping priya"). Every extractor's patterns are written for "I'll", "I'm" and
"Priya", so the insights read a normalised copy of each message; the transcript itself is never changed.
The rewrite is deliberately narrow: only spellings that are unambiguous in meeting talk are restored
("ill" is "I'll" unless it follows a word that makes it "sick"; "well", "were", "its", "id" are left alone).
One word the recogniser drops is put back too: the "'ll" of a plan ("I swap the alarm tomorrow").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from .action_cues import TASK_VERB, WEAK_TASK_VERB
from .dates import find_due_date
from .vocabulary import STOPWORDS

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
    "lemme": "let me",
    "gimme": "give me",
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
# After these "ill" is the adjective ("so ill last week") unless a verb follows ("so ill get the order in").
_DEGREE_WORDS = frozenset(["very", "so", "too", "really", "quite", "seriously"])
_AFTER_ILL = frozenset(
    ["just", "also", "probably", "definitely", "still", "try", "go", "get", "be", "have", "do", "see", "let"]
)
# Words before which "hell"/"shell" is the noun, whatever follows: "what the hell do we", "a shell company",
# "bloody hell get in"; after any other word, before a verb, it is he'll/she'll ("hes in at eight hell have
# it pulled").
_HELL_NOUN_BEFORE = frozenset(
    ["the", "a", "of", "to", "like", "bloody", "oh", "as", "hell", "egg", "sea", "one", "this", "that", "no"]
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
# Words after which a "well" or "were" begins a clause of its own, so may be the "we'll"/"we're" it sounds as.
_CLAUSE_START = frozenset(
    ["", "and", "so", "but", "yeah", "yes", "yep", "ok", "okay", "then", "um", "uh", "right"]
)

# Whisper, tiny.en above all, often drops the "'ll" of "I'll": "Yes, I update the build checklist Monday",
# "I swap the alarm on truck twelve tomorrow". The present tense of a task with a time still to come is a
# plan, so it is read as the commitment it was; what people feel or did is not ("I appreciate the honesty
# today", "I spoke to them on Monday", "I logged it today", "I already filed it this morning").
_PRESENT_OF_A_PLAN = re.compile(r"\bI (?=(?P<verb>[a-z][a-z-]+)(?![\w'])(?P<rest>[^.?!;]*)(?P<end>[.?!;]?))")
_NOT_A_PLAN = frozenset(
    [
        "admit",
        "agree",
        "appreciate",
        "assume",
        "believe",
        "bet",
        "doubt",
        "expect",
        "feel",
        "figure",
        "forget",
        "hate",
        "hope",
        "imagine",
        "love",
        "miss",
        "prefer",
        "propose",
        "realise",
        "realize",
        "recommend",
        "suggest",
        "reckon",
        "recall",
        "remember",
        "suppose",
        "understand",
        "wish",
        "wonder",
        "worry",
        "already",
        "usually",
        "genuinely",
        "honestly",
        "apparently",
        "obviously",
        "personally",
        "sometimes",
        "often",
        "ate",
        "began",
        "bought",
        "brought",
        "built",
        "caught",
        "chose",
        "did",
        "drew",
        "drove",
        "fell",
        "felt",
        "flew",
        "forgot",
        "found",
        "gave",
        "grew",
        "heard",
        "held",
        "kept",
        "knew",
        "left",
        "led",
        "lost",
        "met",
        "ran",
        "rang",
        "sang",
        "sat",
        "saw",
        "sent",
        "sold",
        "spent",
        "spoke",
        "stood",
        "taught",
        "threw",
        "told",
        "took",
        "understood",
        "woke",
        "won",
        "wore",
        "wrote",
    ]
)
_HABIT = re.compile(
    r"\b(?:every|each|always|usually|normally|typically|weekly|daily|monthly|(?:mon|tues|wednes|thurs|fri|"
    r"satur|sun)days)\b",
    re.IGNORECASE,
)
_ANY_DAY = datetime(2024, 1, 3, tzinfo=UTC)  # only whether a time is said matters, not which day


def _is_task_verb(word: str) -> bool:
    return bool(TASK_VERB.match(word + " ") or WEAK_TASK_VERB.match(word + " "))


def is_speech_style(text: str) -> bool:
    """Lower case without apostrophes or sentence punctuation: how speech-to-text writes."""
    return text == text.lower() and "'" not in text


def normalise(text: str, names: Iterable[str] = ()) -> str:
    """`text` with contractions, a lone "i", the given first names (lower case) and a plan's dropped "'ll"
    restored."""
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
        elif lower == "ill" and (
            previous not in _ILL_ADJECTIVE_BEFORE
            or (previous in _DEGREE_WORDS and (following in _AFTER_ILL or _is_task_verb(following)))
        ):
            token = "I'll"  # "so ill get the order in": a degree word, then a verb, opens a clause
        elif (
            lower in ("hell", "shell")
            and token == lower
            and previous not in _HELL_NOUN_BEFORE
            and (following in _AFTER_ILL or _is_task_verb(following))
        ):
            token = "he'll" if lower == "hell" else "she'll"  # "rafa said hell have the export ready by four"
        elif lower == "id" and following in _ID_VERBS:
            token = "I'd"
        elif lower == "well" and token == lower and previous in _CLAUSE_START and _is_task_verb(following):
            token = "we'll"  # "yeah well send the contract over": not the "well," that opens a sentence
        elif (
            lower == "were"
            and previous in _CLAUSE_START
            and (following.endswith("ing") or following == "gonna")
        ):
            token = "we're"  # "were renegotiating with the carriers": not "they were going"
        elif lower in CONTRACTIONS and token == lower:
            token = CONTRACTIONS[lower]
        elif lower in known and token == lower:
            token = lower.capitalize()
        out.append(token)
        previous = lower
    return _PRESENT_OF_A_PLAN.sub(_plan_as_commitment, "".join(out))


# Past tenses without "-ed" ("I slept for fourteen hours on Saturday"): what was done, not a plan. Only
# forms that are not also the present ("read", "put", "set", "cut" are left out).
_IRREGULAR_PAST = frozenset(
    [
        "slept",
        "sent",
        "spoke",
        "went",
        "got",
        "told",
        "rang",
        "took",
        "made",
        "met",
        "found",
        "left",
        "paid",
        "wrote",
        "bought",
        "brought",
        "caught",
        "thought",
        "heard",
        "saw",
        "did",
        "had",
        "was",
        "were",
        "came",
        "gave",
        "kept",
        "lost",
        "ran",
        "sat",
        "stood",
        "won",
        "built",
        "spent",
        "sold",
        "taught",
        "understood",
        "forgot",
        "drove",
        "flew",
        "fell",
        "felt",
        "held",
        "began",
        "drank",
        "ate",
        "knew",
        "grew",
        "threw",
        "swore",
        "tore",
        "wore",
        "woke",
        "chose",
        "froze",
        "broke",
        "sang",
        "sank",
        "shook",
        "stole",
        "struck",
        "hung",
        "lent",
        "meant",
        "fed",
        "led",
        "sought",
        "dealt",
    ]
)


def _plan_as_commitment(match: re.Match) -> str:
    verb, rest = match["verb"], match["rest"]
    if (
        verb in STOPWORDS
        or verb in _NOT_A_PLAN
        or verb in _IRREGULAR_PAST
        or verb.endswith(("ed", "ing", "ly"))
        or match["end"] == "?"
        or _HABIT.search(rest)
    ):
        return match[0]
    due = find_due_date(rest, _ANY_DAY)
    # A clock time alone says when, not whether it is still to come ("I rang the agency at seven").
    if due is None or due.text.lower().startswith("at "):
        return match[0]
    return "I'll "


def speaker_names(messages: list[dict], members: list[dict] | None = None) -> set[str]:
    """Lower-case first names of everyone who speaks or is a member."""
    people = [m.get("from") or {} for m in messages] + list(members or [])
    return {str(p.get("name") or "").split()[0].lower() for p in people if str(p.get("name") or "").split()}


def normalise_messages(messages: list[dict], members: list[dict] | None = None) -> list[dict]:
    """Copies of `messages` whose `text` is normalised (other keys shared, unchanged)."""
    names = speaker_names(messages, members)
    return [{**m, "text": normalise(str(m.get("text") or ""), names)} for m in messages]
