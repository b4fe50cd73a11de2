"""Who the diarized speakers are: names from what is said and what is known, and over-split voices merged.

Diarization gives labels ("Speaker 2"); people give names. This module reads the transcript the way a
listener does:

- a vocative answered by the next speaker ("Sam, can you…" / "Sure, I'll…") names that next speaker;
- thanks or a greeting ("Thanks, Lee") names the speaker just before;
- a self-introduction ("I'm Priya", "this is Priya from…") names the speaker;

and combines it with the names the caller knows (`channelMetadata`, the `members` hint). Each clue is a
vote; a label takes a name only when the votes for it clearly win, because a wrong name is worse than
"Speaker 2". Two labels are one person when they take the same name, or when every time one follows the
other it is in the middle of a sentence (the voice model split one person's sentence in two).

It works on `Turn`s (label, text, times) so it needs nothing of the engine but its messages.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import jellyfish

from bot.engine.insights.text import folded, rough_sentences
from bot.engine.insights.vocabulary import CALENDAR_WORDS

GENERIC_LABEL = re.compile(r"^(?:Speaker|Channel) \d+$")
# Capitalised words that start a sentence or follow "I'm" without being anyone's name.
NOT_NAMES = (
    frozenset(
        [
            "yes",
            "yeah",
            "yep",
            "no",
            "nope",
            "okay",
            "ok",
            "sure",
            "right",
            "alright",
            "well",
            "so",
            "and",
            "but",
            "then",
            "now",
            "great",
            "good",
            "fine",
            "thanks",
            "thank",
            "please",
            "sorry",
            "hello",
            "hi",
            "hey",
            "morning",
            "afternoon",
            "evening",
            "everyone",
            "everybody",
            "guys",
            "team",
            "all",
            "folks",
            "there",
            "here",
            "actually",
            "also",
            "anyway",
            "just",
            "really",
            "maybe",
            "perhaps",
            "look",
            "listen",
            "wait",
            "hmm",
            "um",
            "uh",
            "oh",
            "so-so",
            "cool",
            "nice",
            "perfect",
            "may",  # a month, though not in CALENDAR_WORDS (there it would hide the modal)
            "today",
            "tomorrow",
            "yesterday",
            "i",
            "you",
            "we",
            "they",
            "he",
            "she",
            "it",
            "this",
            "that",
            "going",
            "glad",
            "happy",
            "sure",
            "not",
            "afraid",
            "done",
            "back",
            "fine",
            "available",
            "free",
            "new",
            "here",
            "still",
            "working",
            "also",
            "ah",
            "aha",
            "eh",
            "er",
            "oh",
            "ooh",
            "wow",
            "whoa",
            "yo",
            "gee",
            "gosh",
            "god",
            "jeez",
            "jesus",
            "christ",
            "lord",
            "man",
            "dude",
            "mate",
            "boss",
            "sir",
            "madam",
        ]
    )
    | CALENDAR_WORDS
)
# Case-sensitive inside patterns that are not: a name is written with its capital.
NAME = r"(?-i:([A-Z][a-z]+(?:-[A-Z][a-z]+)?))"
# Words that may open a sentence before the name it addresses.
LEAD_IN = r"okay|ok|so|and|right|great|good|alright|well|now"
# "Sam, can you…", "Okay, Sam, please…", "So Sam, what do you think?"
VOCATIVE_START = re.compile(
    r"^(?:(?:" + LEAD_IN + r"|thanks|thank you)[,.]?\s+)*" + NAME + r",\s*"
    r"(?=(?:can|could|would|will|please|do|did|are|is|have|what|how|when|where|why|which|any|maybe|you|i|"
    r"let|let's|go|over|your)\b)",
    re.IGNORECASE,
)
# "…, Sam?" at the end of a question: asked of Sam.
VOCATIVE_END = re.compile(r",\s*" + NAME + r"\s*\?\s*$")
# Recogniser text loses the question mark and runs sentences on, so a known member's name is also taken as
# addressed at a sentence's start whatever follows ("Matias, grappling hook,"), between commas before a
# request ("…out Thursday, Priya, you want to start.") and closing a sentence ("Next, the boss fight, Ravi,").
KNOWN_VOCATIVE = (
    re.compile(r"^(?:(?:" + LEAD_IN + r"|next|then)[,.]?\s+)*" + NAME + r",\s*\S"),
    re.compile(
        r",\s*" + NAME + r",\s*(?=(?:can|could|would|will|please|do|are|what|how|when|you|your|any|maybe)\b)"
    ),
    re.compile(r",\s*" + NAME + r"\s*[.?!,]?\s*$"),
)
THANKS = re.compile(
    r"^(?:(?:okay|ok|great|good|right|perfect)[,.!]?\s+)?(?:thanks|thank you|cheers)[,!]?\s+" + NAME + r"\b",
    re.IGNORECASE,
)
GREETING = re.compile(
    r"^(?:hi|hello|hey|morning|good morning|good afternoon)[,!]?\s+" + NAME + r"\b", re.IGNORECASE
)
SELF_INTRO = re.compile(
    r"(?:^|[.!?,]\s+|\b(?:and|hi|hello|hey|yes|yeah|okay|so)[,]?\s+)(?:i'm|i am|my name is|my name's)\s+"
    + NAME
    + r"\b(?!\s+(?:is|was|will|has|said|says|told))",
    re.IGNORECASE,
)
# "This is Priya from…" / "it's Priya here": only with the words that make it an introduction, since
# "this is Philips" names a brand as often as a person.
THIS_IS_INTRO = re.compile(
    r"^(?:(?:hi|hello|hey|yes|yeah|okay|so)[,]?\s+)*(?:this is|it's)\s+"
    + NAME
    + r"(?:\s+[A-Z][a-z]+)?\s+(?:from|here|speaking|calling|with)\b",
    re.IGNORECASE,
)
NAME_HERE = re.compile(r"^(?:hi|hello|hey|yes|yeah)?[,]?\s*" + NAME + r"\s+here\b", re.IGNORECASE)
# Openings of an answer to a request: the next speaker took it on.
ANSWER = re.compile(
    r"^(?:sure|yes|yeah|yep|ok|okay|of course|absolutely|certainly|no problem|will do|definitely|right|"
    r"i'll|i will|i can|i could|i'm on it|i think|i have|i've|i did|i'm|i am|good question|well|um|uh|so)\b",
    re.IGNORECASE,
)
SENTENCE_END = (".", "?", "!")
# Votes a label's name needs, and how far it must lead the runner-up.
MIN_VOTES = 1.0
LEAD_FACTOR = 2.0
# A sentence that one label starts and another finishes within this many seconds is one voice split in two.
CONTINUATION_GAP_SECONDS = 0.6
MIN_CONTINUATIONS = 2

VOTE_ANSWERED_VOCATIVE = 1.0
VOTE_UNANSWERED_VOCATIVE = 0.5
VOTE_THANKS = 1.0
VOTE_GREETING = 0.5
VOTE_SELF_INTRO = 2.0
# How alike (Jaro-Winkler, accents folded) a heard word and a known first name must be for the word to be
# taken as that name misheard: "Matias" for Mateus (0.84), "Rashi" for Rashid, "Layla" for Laila.
NAME_SIMILARITY = 0.84
MIN_HEARD_NAME_LENGTH = 3


@dataclass(frozen=True)
class Turn:
    """One message: who (the diarization label or a known name), what, when (seconds)."""

    label: str
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class KnownPerson:
    """A name the caller knows may be in the recording (channel metadata, meeting members, Slack users)."""

    name: str
    email: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else ""


@dataclass(frozen=True)
class Identity:
    """Who a label turned out to be: a name (with e-mail when known), or the label it keeps."""

    name: str
    email: str | None = None


def identify(
    turns: list[Turn], known: list[KnownPerson] | tuple[KnownPerson, ...] = ()
) -> dict[str, Identity]:
    """The identity of every generic label in `turns` ("Speaker 2" → Priya, or → the label it merges into).

    Labels that already carry a name are left alone and are not in the result. A label nothing names keeps
    its own name, unless it merges into another label by turn-taking, in which case it takes that label's.
    """
    labels = list(dict.fromkeys(t.label for t in turns if GENERIC_LABEL.match(t.label)))
    if not labels:
        return {}
    known_names = KnownNames(known, _common_words(turns))
    votes = _votes(turns, known_names)
    names = {label: _winner(votes.get(label, {})) for label in labels}
    names.update(_by_elimination(labels, names, _mentioned(turns, known_names), known_names))
    groups = _merged_groups(labels, names, _continuations(turns))
    identities: dict[str, Identity] = {}
    for group in groups:
        name = next((names[label] for label in group if names[label]), None)
        person = known_names.person(name) if name else None
        identity = (
            Identity(person.name, person.email) if person else Identity(name) if name else Identity(group[0])
        )
        for label in group:
            identities[label] = identity
    return identities


class KnownNames:
    """The first names of the known people, found as a recogniser writes them: exactly, or misheard."""

    def __init__(
        self, known: list[KnownPerson] | tuple[KnownPerson, ...], common: frozenset[str] = frozenset()
    ):
        # Words the transcript also writes in lower case are never a name misheard ("Market" is no Mark).
        self._ordinary = common | NOT_NAMES
        by_first: dict[str, KnownPerson] = {}
        shared: set[str] = set()
        for person in known:
            key = folded(person.first_name)
            if not key:
                continue
            if key in by_first and by_first[key].name != person.name:
                shared.add(key)  # a first name two people share names neither
            by_first.setdefault(key, person)
        self._by_first = {k: v for k, v in by_first.items() if k not in shared}
        # A channel may have hundreds of members and a transcript thousands of capitalised words.
        self._heard: dict[str, KnownPerson | None] = {}

    def person(self, word: str) -> KnownPerson | None:
        """The one known person `word` names: their first name, or a word that sounds alike and is like
        no other known first name as much."""
        if word not in self._heard:
            self._heard[word] = self._person(word)
        return self._heard[word]

    def _person(self, word: str) -> KnownPerson | None:
        key = folded(word)
        if key in self._by_first:
            return self._by_first[key]
        if len(key) < MIN_HEARD_NAME_LENGTH or word.lower() in self._ordinary:
            return None
        alike = sorted(
            ((jellyfish.jaro_winkler_similarity(key, first), first) for first in self._by_first), reverse=True
        )
        if not alike or alike[0][0] < NAME_SIMILARITY or (len(alike) > 1 and alike[1][0] == alike[0][0]):
            return None
        return self._by_first[alike[0][1]]

    def could_be(self, word: str) -> bool:
        """A known first name (or one misheard); else a capitalised word that is no common word
        ("Basically, you…")."""
        return self.person(word) is not None or word.lower() not in self._ordinary

    def first_names(self) -> set[str]:
        return {person.first_name for person in self._by_first.values()}

    def canonical(self, word: str) -> str:
        """The known first name `word` stands for, else `word` written as a name."""
        person = self.person(word)
        return person.first_name if person else word[:1].upper() + word[1:].lower()


def _common_words(turns: list[Turn]) -> frozenset[str]:
    """Words the transcript also writes in lower case, singular or plural ("acupressures" makes
    "Acupressure, you could…" no vocative): ordinary words, whatever starts a sentence."""
    lower = {w for t in turns for w in re.findall(r"\b[a-z][a-z'-]+\b", t.text)}
    return frozenset(
        lower | {w[:-1] for w in lower if w.endswith("s")} | {w[:-2] for w in lower if w.endswith("es")}
    )


def _votes(turns: list[Turn], names: KnownNames) -> dict[str, dict[str, float]]:
    """label → {name: votes}; a vote against (the speaker says "Sam, can you…", so is not Sam) is negative."""
    votes: dict[str, dict[str, float]] = {}

    def vote(label: str | None, name: str, weight: float) -> None:
        if label is not None and GENERIC_LABEL.match(label):
            tally = votes.setdefault(label, {})
            tally[name] = tally.get(name, 0.0) + weight

    for index, turn in enumerate(turns):
        sentences = rough_sentences(turn.text)
        for sentence in sentences:
            if sentence.endswith("?"):  # "It's Ada Longmund?" asks who someone is
                continue
            for pattern in (SELF_INTRO, THIS_IS_INTRO, NAME_HERE):
                match = pattern.search(sentence)
                if match and names.could_be(match.group(1)):
                    vote(turn.label, names.canonical(match.group(1)), VOTE_SELF_INTRO)
        addressed = next(filter(None, (_addressed(s, names) for s in sentences)), None)
        if addressed:
            vote(turn.label, addressed, -VOTE_ANSWERED_VOCATIVE)
            answer = _next_other(turns, index)
            if answer is not None:
                answered = ANSWER.match(turns[answer].text.strip())
                vote(
                    turns[answer].label,
                    addressed,
                    VOTE_ANSWERED_VOCATIVE if answered else VOTE_UNANSWERED_VOCATIVE,
                )
        for pattern, weight, pick in (
            (THANKS, VOTE_THANKS, _previous_other),
            (GREETING, VOTE_GREETING, _next_other),
        ):
            match = pattern.match(sentences[0]) if sentences else None
            if match and names.could_be(match.group(1)):
                name = names.canonical(match.group(1))
                vote(turn.label, name, -weight)
                other = pick(turns, index)
                if other is not None:
                    vote(turns[other].label, name, weight)
    return votes


def _mentioned(turns: list[Turn], names: KnownNames) -> dict[str, set[str]]:
    """label → the known people's first names it says: people seldom say their own name, so none of them."""
    said: dict[str, set[str]] = {}
    for turn in turns:
        if any(p.search(turn.text) for p in (SELF_INTRO, THIS_IS_INTRO, NAME_HERE)):
            continue
        for word in re.findall(r"\b[A-Z][a-z]+\b", turn.text):
            person = names.person(word)
            if person is not None:
                said.setdefault(turn.label, set()).add(person.first_name)
    return said


def _by_elimination(
    labels: list[str], names: dict[str, str | None], mentioned: dict[str, set[str]], known: KnownNames
) -> dict[str, str]:
    """Names for unnamed labels that only one known person can be: not named by the votes for another label
    and never said by the label itself ("Priya, you want to start?", "Grace, could you…": the chair who names
    everyone else is the one name they never say). A name only one label is left with; none when the caller
    knows no one, or more people than there are voices to tell apart."""
    found: dict[str, str] = {}
    while True:
        taken = {n for n in names.values() if n} | set(found.values())
        open_names = known.first_names() - taken
        single: dict[str, list[str]] = {}
        for label in labels:
            if names[label] or label in found:
                continue
            left = open_names - mentioned.get(label, set())
            if len(left) == 1:
                single.setdefault(next(iter(left)), []).append(label)
        new = {claimants[0]: name for name, claimants in single.items() if len(claimants) == 1}
        if not new:
            return found
        found.update(new)


def _addressed(sentence: str, names: KnownNames) -> str | None:
    """The name `sentence` addresses, if any: any name in the written forms, a known one in spoken ones."""
    for pattern in (VOCATIVE_START, VOCATIVE_END):
        match = pattern.search(sentence)
        if match and names.could_be(match.group(1)):
            return names.canonical(match.group(1))
    for pattern in KNOWN_VOCATIVE:
        match = pattern.search(sentence)
        if match and names.person(match.group(1)) is not None:
            return names.canonical(match.group(1))
    return None


def _next_other(turns: list[Turn], index: int) -> int | None:
    """The next turn by someone else, if it comes straight after (no third voice in between)."""
    for later in range(index + 1, min(index + 3, len(turns))):
        if turns[later].label != turns[index].label:
            return later
    return None


def _previous_other(turns: list[Turn], index: int) -> int | None:
    for earlier in range(index - 1, max(-1, index - 3), -1):
        if turns[earlier].label != turns[index].label:
            return earlier
    return None


def _winner(tally: dict[str, float]) -> str | None:
    """The name the votes clearly favour, or None when they are too few or too split."""
    ranked = sorted(tally.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < MIN_VOTES:
        return None
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return ranked[0][0] if runner_up <= 0 or ranked[0][1] >= LEAD_FACTOR * runner_up else None


def _continuations(turns: list[Turn]) -> dict[frozenset[str], tuple[int, int]]:
    """Per pair of labels: (changes from one to the other mid-sentence, changes at a sentence end)."""
    counts: dict[frozenset[str], tuple[int, int]] = {}
    for before, after in itertools.pairwise(turns):
        if before.label == after.label:
            continue
        pair = frozenset((before.label, after.label))
        mid, ends = counts.get(pair, (0, 0))
        split = (
            not before.text.rstrip().endswith(SENTENCE_END)
            and after.start - before.end <= CONTINUATION_GAP_SECONDS
        )
        counts[pair] = (mid + 1, ends) if split else (mid, ends + 1)
    return counts


def _merged_groups(
    labels: list[str], names: dict[str, str | None], continuations: dict[frozenset[str], tuple[int, int]]
) -> list[list[str]]:
    """Labels grouped into people: same name, or a voice that only ever hands over mid-sentence."""
    parent = {label: label for label in labels}

    def root(label: str) -> str:
        while parent[label] != label:
            label = parent[label]
        return label

    def group_name(label: str) -> str | None:
        return next((names[other] for other in labels if root(other) == root(label) and names[other]), None)

    def join(a: str, b: str) -> None:
        first, second = sorted((root(a), root(b)), key=labels.index)
        parent[second] = first

    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            if names[a] and names[a] == names[b]:
                join(a, b)
    for pair, (mid, ends) in sorted(continuations.items(), key=lambda item: -item[1][0]):
        a, b = sorted(pair, key=lambda label: labels.index(label) if label in parent else len(labels))
        if a not in parent or b not in parent or root(a) == root(b):
            continue
        name_a, name_b = group_name(a), group_name(b)
        if mid >= MIN_CONTINUATIONS and ends == 0 and not (name_a and name_b and name_a != name_b):
            join(a, b)
    groups: dict[str, list[str]] = {}
    for label in labels:
        groups.setdefault(root(label), []).append(label)
    return list(groups.values())
