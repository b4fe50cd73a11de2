"""Writing an action item: the owner's commitment in the third person ("Priya will send the release notes
by Friday."), with "you", "me" and "myself" resolved, and the context a bare "leave it with me" takes on."""

from __future__ import annotations

import re

from .action_cues import (
    ADDRESSEE,
    DELEGATION,
    FIRST_PERSON,
    GROUP,
    NAMED,
    NAMED_PLAN,
    NAMED_SUBJECT,
    REPORTED_PROMISE,
    ROLE,
    ROLE_SUBJECT,
    SPEAKER,
    Cue,
)
from .action_reading import Phrasing, object_is_pronoun, without_acknowledgement
from .dates import MONTHS, WEEKDAYS
from .people import Person
from .text import as_sentence, capitalise_first, clip_words, content_words
from .vocabulary import STOPWORDS

# Not "you all", "you guys", "you both": "let you all go" names more than the one who asked.
YOU = re.compile(
    r"(?<!\bof )\byou\b(?!'| all\b| guys\b| both\b| two\b| lot\b)",
    re.IGNORECASE,  # "the rest of you"
)


# "you need" → "Sam needs": the present tense verbs that follow a subject "you" in a task.
YOU_DO = re.compile(
    # not the object of "let", "make", "help", "see": "let you know" → "let Gary know"
    r"(?<!\blet )(?<!\bmake )(?<!\bhelp )(?<!\bsee )\byou "
    r"(?P<adverb>(?:still|really|also|just|already|actually|usually) )?"
    r"(?P<verb>need|want|have|think|like|know|prefer|use|do|get)\b",
    re.IGNORECASE,
)


THIRD_PERSON = {"have": "has", "do": "does"}
# "the projects you've led" → "the projects Leo has led".
YOU_CONTRACTED = re.compile(r"\byou(?P<verb>'ve|'re|'ll|'d)\b", re.IGNORECASE)
CONTRACTED_VERB = {"'ve": "has", "'re": "is", "'ll": "will", "'d": "would"}


RELATIVE_BEFORE = re.compile(r"(?:,\s*|\b)(?:which|that)\s*$", re.IGNORECASE)


ASKER = re.compile(r"\b(?:me|my)\b", re.IGNORECASE)


CONTEXT_WORDS = 16


def days_capitalised(text: str) -> str:
    """ "…finished by friday" (speech-to-text's lower case) → "…finished by Friday"."""
    return WEEKDAY_WORD.sub(lambda m: m[0].capitalize(), text)


WEEKDAY_WORD = re.compile(r"\b(?:" + "|".join(WEEKDAYS) + r")\b")


def due_after_task(phrase: str) -> str:
    """A date said apart from its task, written after it: "Give me until Monday." → "…by Monday"."""
    return UNTIL.sub("by", mid_sentence(phrase))


UNTIL = re.compile(r"^(?:until|till|til)\b", re.IGNORECASE)


def mid_sentence(phrase: str) -> str:
    """A phrase said at a sentence's start, written inside one: "Tomorrow" → "tomorrow", "End of next week" →
    "end of next week"; days and months keep their capital ("by friday" → "by Friday")."""
    return " ".join(
        w.capitalize()
        if w.lower() in WEEKDAYS or w.lower() in MONTHS
        else w.lower()
        if w[:1].isupper() and w[1:].islower()
        else w
        for w in phrase.split()
    )


def asker_named(request: Phrasing) -> str:
    """The request's task with its asker's "me"/"my" named: "get me the figures" → "get Ama the figures"."""
    if request.speaker is None or not request.speaker.first_name:
        return request.rest
    name = request.speaker.first_name
    return ASKER.sub(lambda m: name if m.group(0).lower() == "me" else f"{name}'s", request.rest)


BARE_REPLY_WORDS = frozenset(["fair", "enough", "worries", "problem", "true", "sense", "thanks", "cheers"])


def context_sentence(best: Phrasing, phrasings: list[Phrasing], earlier: list[Phrasing]) -> str:
    """Where the task a bare commitment takes on is named, nearest first: the same sentence before the
    form ("lets just start a shared tracker i'll set it up tonight"), the same turn's other sentences ("I'll
    grab that one. Thank-you letters, out this week."), the latest request or question of someone else
    just before, else the sentence of those turns that says the most; clipped to CONTEXT_WORDS words."""
    # "fair enough", "no worries": an answer's opening names nothing; nor does "I did that last quarter".
    informative = lambda text: (  # noqa: E731
        len(content_words(text, STOPWORDS) - BARE_REPLY_WORDS) >= 2 and not DONE_BY_PRONOUN.match(text)
    )
    before = before_form(best)
    if CONTRASTED.search(before):
        before = ""  # "Marketing owns that, but I'll make sure it goes out": a clause of its own
    # An offer taken up later ("…attached to the motion. I can prepare that." / "Please do.") is read among
    # the earlier turns, where the rest of its turn is.
    same_turn = list(
        dict.fromkeys(
            p.sentence for p in phrasings + earlier if p.index == best.index and p.sentence != best.sentence
        )
    )
    latest_first = sorted(earlier, key=lambda p: -p.index)
    # "Mrs Patel, can you own that?", "Get it done before the end of the month.": a request by pronoun names
    # no more than the yes to it.
    by_pronoun = lambda p: (  # noqa: E731
        p.cue is not None and p.cue.owner in (ADDRESSEE, NAMED) and object_is_pronoun(p.rest)
    )
    asked = [
        p.sentence
        for p in latest_first
        if (
            p.sentence.rstrip().endswith("?")
            or (
                p.speaker != best.speaker
                and p.cue is not None
                and p.cue.owner in (ADDRESSEE, NAMED)
                and p.cue.pattern not in (REPORTED_PROMISE, NAMED_PLAN)  # news of someone's plan asks nothing
            )
        )
        and not by_pronoun(p)
    ]
    # "Okay, let's do the async version." / "I'll pick that up.": what the group settled on just before.
    # Short remarks ("Oh no, I forgot.") rarely name the task, nor does a remark about something just said
    # ("it's been on the list for a week"): the nearest sentence that says more.
    said_phrasings = [
        p
        for p in latest_first
        if len(content_words(p.sentence, STOPWORDS)) >= 3
        and not by_pronoun(p)
        and not REFERS_BACK.match(p.sentence)
    ]
    said = [p.sentence for p in said_phrasings]
    # A plan settled before the talk moved on ("Park the bags, we'll pick it up later." / "Oh, the mixer is
    # tripping again.") is not what a later yes takes on.
    latest_said = said_phrasings[0].index if said_phrasings else -1
    proposed = [
        p.sentence
        for p in latest_first
        if p.cue is not None and p.cue.owner == GROUP and len(p.task_words) >= 2 and p.index >= latest_said
    ][:1]
    # A promise passed on answers the question put to the one passing it ("Aiko, the phase two animations,
    # where are they?" / "…He told me he'd have them by the twentieth."): the question names the task.
    passed_on = best.cue is not None and best.cue.pattern is REPORTED_PROMISE
    order = [before, *asked, *same_turn] if passed_on else [before, *same_turn, *asked]
    for sentence in [*order, *proposed, *said]:
        if sentence and informative(sentence):
            return clip_words(without_acknowledgement(sentence).rstrip(" ,.!?"), CONTEXT_WORDS)
    return ""


CONTRASTED = re.compile(r"\bbut\W*$", re.IGNORECASE)
# "I did that last quarter", "we've done it before": work done already, named elsewhere.
DONE_BY_PRONOUN = re.compile(
    r"^\W*(?:i|we)(?:\s+have|\s+had|'ve|'d)?\s+(?:did|done)\s+(?:that|it|this|those|them)\b", re.IGNORECASE
)
# A sentence whose subject is what was just said ("it's been on the list for a week", "that's the problem").
REFERS_BACK = re.compile(r"^\W*(?:it|it's|its|that|that's|thats|this|this is)\b", re.IGNORECASE)


def before_form(phrasing: Phrasing) -> str:
    """The words of the sentence before its commitment or request form."""
    if phrasing.cue is None:
        return ""
    m = phrasing.cue.pattern.search(phrasing.sentence)
    return phrasing.sentence[: m.start()] if m else ""


def you_resolved(rest: str, hearer: Person | None) -> str:
    """ "get back to you next week" → "get back to Anna next week"; unchanged when nobody is known, and
    "your" is left alone (a possessive needs the name's form, which a rule would get wrong)."""
    if hearer is None or not hearer.first_name:
        return rest
    name = hearer.first_name
    rest = YOU_DO.sub(
        lambda m: f"{name} {m['adverb'] or ''}{THIRD_PERSON.get(m['verb'].lower(), m['verb'] + 's')}", rest
    )
    rest = YOU_CONTRACTED.sub(lambda m: f"{name} {CONTRACTED_VERB[m['verb'].lower()]}", rest)
    return YOU.sub(name, rest)


# A request of two: "could you and Femi split that".
ASKED_WITH = re.compile(r"^and (?P<other>[\w'-]+)\s+(?P<rest>\S.*)", re.IGNORECASE)


def normalised_text(sentence: str, rest: str, owner: str, cue: Cue, assignee: Person | None) -> str:
    """A third-person sentence ("Priya will send the release notes…") when that is a safe rewrite;
    otherwise the sentence as said. First-person words left in the rest would change meaning, so they
    make us keep the original, less a leading acknowledgement ("Yes, I will…" → "I will…")."""
    said = as_sentence(without_acknowledgement(sentence))
    role = ROLE_SUBJECT.search(sentence) if owner == ROLE else None
    if role:  # "Um the Marketing Expert will uh will take a look…" → "The Marketing Expert will take a look…"
        return as_sentence(capitalise_first(" ".join(role.group("role", "modal", "rest"))))
    delegated = DELEGATION.search(sentence) if cue.pattern is DELEGATION else None
    if delegated and assignee is not None:  # "Tom from legal will check the clause."
        return as_sentence(f"{assignee.first_name}{delegated.group('team') or ''} will {rest}")
    if owner == NAMED:
        subject = NAMED_SUBJECT.search(sentence)
        if subject and assignee and subject.group("name") == assignee.first_name:
            # "Kwame can post it out", listed, is what Kwame will do.
            modal = " will" if subject.group("modal") == " can" else subject.group("modal")
            return as_sentence(f"{subject.group('name')}{modal} {subject.group('rest')}")
    if FIRST_PERSON.search(rest) or not rest:
        return said
    together = ASKED_WITH.match(rest) if cue.owner == ADDRESSEE else None
    if together and assignee is not None:  # "could you and Femi split the tags" → "Nia and Femi will split…"
        return as_sentence(
            f"{assignee.first_name} and {capitalise_first(together['other'])} {cue.modal} {together['rest']}"
        )
    if owner in (SPEAKER, NAMED, ADDRESSEE) and assignee is not None:
        return as_sentence(f"{assignee.first_name} {cue.modal} {rest}")
    if owner == GROUP:
        # A named subject's "can"/"could" ("Anna can take it", with Anna not found among the others) is
        # said of the group as a plain "will".
        modal = cue.modal if cue.modal in ("will", "needs to", "should") else "will"
        return as_sentence(f"The team {modal} {rest}")
    if owner == ADDRESSEE:
        return as_sentence(capitalise_first(rest))
    return said
