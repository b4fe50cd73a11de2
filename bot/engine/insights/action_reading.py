"""Reading one turn for an action item: its sentences, the commitment or request form of each, who owes the
work and when, and the data the extractor passes between its steps (`Conversation`, `Phrasing`, `Candidate`).

Pure reading, no choice of items: `actions` decides which turns hold one, `action_wording` writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import action_model
from .action_cues import (
    ACCEPTANCE,
    ACTION_ITEM,
    ADDRESSEE,
    AFTER_MEETING,
    ASSIGNED_TO_YOU,
    CUES,
    DELEGATION,
    ELLIPTICAL_ASK,
    FOLLOW_UP,
    FOLLOW_UP_CUE,
    GROUP,
    HABITUAL,
    IMPERATIVE,
    LEADING_SOFTENER,
    MINUTED,
    NAMED,
    NAMED_PLAN,
    NAMED_SUBJECT,
    NEED_FROM_YOU,
    ORDER_TAKEN,
    PUT_ME_DOWN,
    RECEIVED,
    REPORTED_PROMISE,
    REQUEST_CUE,
    REQUEST_CUES,
    ROLE,
    ROLE_SUBJECT,
    SOFT_COMMITMENT,
    SPEAKER,
    TAKES_IT_ON,
    TRAILING_TAG,
    VOCATIVE,
    YOU_WILL_CUE,
    Cue,
)
from .dates import MONTHS, WEEKDAYS, DueDate, find_due_date
from .parked import is_parked
from .people import People, Person
from .text import capitalise_first, content_words, remove_fillers, split_sentences, words
from .vocabulary import STOPWORDS

# Messages either side in which a request and its acceptance are one exchange.
EXCHANGE_REACH = 2


# An acceptance names its task by pronoun ("Sure, I'll send them over"): the request it answers says what
# "them" is, so the item is written from the request's task under the accepter's name.
TASK_PRONOUN = re.compile(r"\b(?:it|them|that|this|those|these|both)\b", re.IGNORECASE)


# "Is a date said" needs some reference day; which one does not matter.
ANY_DAY = datetime(2024, 1, 3, tzinfo=UTC)


# The presenter narrating the meeting itself (a narrow part of `IN_MEETING`, which the model weighs).
NARRATION = re.compile(
    r"^(?:just |quickly |now |briefly )*(?:walk (?:you|\w+) through|take (?:you|\w+) through|show you|"
    r"go (?:through|over) (?:this|these|that|it|the slides?)\b|(?:write|note|jot) (?:it|that|this|them) down|"
    r"(?:have a )?look at (?:this|these|that|it)\W*$|share (?:my|the|your) screen|stop sharing|"
    r"(?:pull|bring) (?:it|that|this|them) up\b)",
    re.IGNORECASE,
)


# "have a go", "do it together": a commitment form with nothing to do in it.
NO_TASK = re.compile(
    r"^(?:(?:have a go|give it a go|give it a try|try|do it together|do that together)\W*$|"
    # "I'll be on the ward all week", "I'll go last": where one is, not what one does.
    r"be\b(?!\s+(?!willing\b)\w+ing\b)|go (?:first|last|next)\b|"
    # Not doing it, or not yet: "I'll not spend next year's budget tonight", "I'll consider joining",
    # "I'll leave the seating plan for now", "I'll shelve the blog", "I'll defer the playground to May".
    r"not\b|consider\b|shelve\b|leave (?:[\w'-]+ ){0,4}?(?:for now|as it is|as is|alone)\b|"
    r"(?:defer|postpone) (?:[\w'-]+ ){0,4}?(?:to|until|till)\b|have (?:my|our|his|her|their) hands full\b|"
    # A committee's motions: "I'll second", "I'll propose", "I'll second the amendment", "I'll stay".
    r"(?:second|propose)(?:\s+(?:that|it|this|the (?:motion|amendment|minutes)))?\W*$|stay\W*$|"
    # Goodbyes: "I'll see you both at the offsite", "I'll let you go", "talk to you soon".
    r"(?:see|catch) (?:you|y'all|everyone|everybody)\b|let (?:you|y'all|everyone|everybody) go\b|"
    r"(?:talk|speak) to (?:you|y'all|everyone) (?:later|soon|then|tomorrow|next)\b)",
    re.IGNORECASE,
)


# Capitalised words after "let's have/get" that are no one: "let's get Monday's numbers"…
NOT_A_NAME = (
    frozenset(
        re.findall(
            r"\w+",
            "the a an this that these those it them everyone everybody someone somebody our my your their",
        )
    )
    | frozenset(WEEKDAYS)
    | frozenset(MONTHS)
)


# A request put to someone by any of its forms, a named person's included ("Yusuf, …", "Priya, the slides?").
# Work handed to a named person without asking them: "let's have Priya…", "Sara to update…".
HANDED_OVER = (DELEGATION, MINUTED)


RUN_ON_I = re.compile(r"(?P<before>\w+)\s+I\s+(?=\w)")


BINDS_A_CLAUSE = frozenset(
    re.findall(
        r"\w+",
        "before after when once if as until till so because that which and but than while where what whether "
        "unless since though although how why who whom think know guess hope mean",
    )
)


MYSELF = re.compile(r",?\s+myself\b", re.IGNORECASE)


TRAILING_WORD = re.compile(r"[\s,]+([\w'-]+)\W*$")


# The words a run-on clause leaves dangling at its end once the next one is cut off ("…tonight and then").
DANGLING = re.compile(
    r"(?:[,\s]+(?:and|but|so|or|then|oh|also|plus|since|because|cause|as|while|though|although|when|once|"
    r"after|until|till|if|unless|whenever))+\W*$",
    re.IGNORECASE,
)
# "ask Marta, she saw most of your work", "fix the login bug, it's blocking the release", "write a summary,
# one page is plenty", "re-record the voiceover, the audio was muffled": a comment on the task in a clause
# of its own, which the item need not carry.
COMMENT_CLAUSE = re.compile(
    r",\s+(?:(?:she|he|they|it|we|you|that)(?:'s|'re|'ve|'ll|'d)?\s+\w+.*|(?:[\w-]+\s+){1,2}(?:is|are|was|"
    r"were)\s+[\w-]+\s*[.!]?)$",
    re.IGNORECASE,
)


# "push them for revised rates, because if they invoke it I want it on paper", "send by monday but some forms
# were not uploaded yet": the reason or the caveat after the task, in a clause with a subject of its own.
REASON_OR_CAVEAT = re.compile(
    r",?\s+(?:because|'cause|cos)\s+\S.*$|,?\s+cause\s+(?:i|we|they|he|she|it|you|the|there|if)\b.*$|"
    r",?\s+but\s+(?:some|the|they|it|there|that|this|we|he|she|you|i|nobody|no one|none)\b(?!\s*$).*$|"
    # "…by twelve so we should have something before the peak": what follows from it, a clause of its own
    r",?\s+so\s+(?:that\s+)?(?:we|they|he|she|it|you|nobody)\s+(?:should|will|can|'ll|won't|don't|have)\b.*$|"
    # "…before Thursday, and we'll decide who writes it on Thursday": the group's part, said after
    r",\s+and\s+(?:then\s+)?we(?:'ll| will)\s.*$|"
    # "Update the old one, don't start over": what not to do besides
    r",\s+(?:don't|do not|no need to)\s+\w+.*$",
    re.IGNORECASE,
)


NEXT_CLAUSE = re.compile(r"\s+(?=I(?:'ll|'m| will| am)\b)")
# "…tomorrow morning, and on Friday I'm presenting the roadmap": the time that opens the next clause.
NEXT_CLAUSE_TIME = re.compile(r",?\s+and\s+(?:then\s+)?(?:on|by|this|next|from)\s+[^,]*$", re.IGNORECASE)


def clauses_of(sentence: str) -> list[str]:
    """A run of commitments split where each "I'll…"/"I'm…" begins, with the time said just before one."""
    clauses = NEXT_CLAUSE.split(sentence)
    for index in range(len(clauses) - 1):
        lead = NEXT_CLAUSE_TIME.search(clauses[index])
        if lead and lead.start() > 0:
            clauses[index + 1] = lead.group(0).strip(" ,") + " " + clauses[index + 1]
            clauses[index] = clauses[index][: lead.start()]
    return clauses


# A verb (and a particle or two) whose object is a pronoun: the thing to do is named in another sentence.
# "her", like "that", only before a pause or a particle: "call her recruiter" names its object.
PRONOUN_OBJECT = re.compile(
    r"^(?:\w+\s+){1,3}?(?:(?:it|them|him|the (?:old|new|other|same|first|second|last) ones?)\b|"
    r"(?:her|that|this|those|these)\b(?=\s*(?:$|[,.!?;]|"
    r"(?:one|over|up|out|through|off|round|across|\w+ed|done|sorted|today|tonight|tomorrow|by|before|on|to|"
    r"for|with|in|next|after|first|"
    r"myself|too|as well|this (?:week|morning|afternoon|evening|month)|later|again|about|when|once|if|and|"
    r"at|soon|asap|back|now|right|straight|then|\w+ly)\b)))",
    re.IGNORECASE,
)


@dataclass
class Candidate:
    kind: str
    score: float
    message_index: int
    message_ids: list[str]
    text: str
    speaker: Person | None
    assignee: Person | None
    due: DueDate | None
    definitive: bool
    action_phrase: str
    content: set[str] = field(default_factory=set)
    phrase_message_id: str = ""  # the message the action phrase was said in


@dataclass(frozen=True)
class Conversation:
    messages: list[dict]
    people: People
    reference_time: datetime
    hours: float
    # None: the model shipped in the package. bench/ passes models fitted without the meeting scored.
    model: action_model.ActionModel | None = None
    # Turn index → its sentences read for their forms (`phrasings_of`), filled as they are asked for.
    read_turns: dict[int, tuple[Phrasing, ...]] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Phrasing:
    """One sentence of an item read for its owner: the form that matched and what follows it."""

    index: int  # message index
    sentence: str
    cue: Cue | None
    rest: str
    speaker: Person | None
    task_words: frozenset[str]  # content words after the form, the due date left out ("do it today": none)
    passed_on_for: Person | None = None  # whose promise a "she's told me she'll…" passes on (`reported_form`)


# "Tom's going to finalise the press release": read as "Tom is going to…", the form a named or role subject
# is matched in (the model's own features read the turn as said).
NAME_IS_GOING = re.compile(
    r"\b(?!(?:It|That|This|There|Here|What|Who|He|She|Let|Everyone|Everybody)\b)([A-Z][a-z]+)'s "
    r"(going to|gonna)\b"
)


# The object said first: "and the malawi data i will send by monday", "The slides, I'll finish tonight."
FRONTED_OBJECT = re.compile(
    r"^(?:(?:and|so|oh|then|as for)\W+)*(?P<object>(?:the|our|my|your|those|these|their)\s+"
    r"(?:(?!(?:is|are|was|were|has|have|had|be|been|isn't|aren't|wasn't)\b)[\w'-]+\s+){0,4}?"
    r"(?!(?:is|are|was|were|has|have|had|be|been|isn't|aren't|wasn't)\b)[\w'-]+)\s*,?\s+"
    r"(?:i|we)(?:'ll|\s+will|\s+can|'m going to|\s+am going to)\s+(?P<verb>[a-z]+)"
    r"(?P<after>\s+(?:by|today|tonight|tomorrow|this|next|on|over|to|first|before|after|asap|later|soon|in)\b.*"
    r"|\s*[.!]?$)",
    re.IGNORECASE,
)


def with_fronted_object(sentence: str, rest: str) -> str:
    """The task with the object put back after its verb, when the sentence said it first."""
    fronted = FRONTED_OBJECT.match(sentence)
    if fronted is None or not rest.lower().startswith(fronted["verb"].lower()):
        return rest
    thing = fronted["object"][:1].lower() + fronted["object"][1:]  # "The slides" → "the slides"
    return f"{fronted['verb']} {thing}{fronted['after']}".strip()


# Whose promise a "she'll…" passes on: a name said before it in the turn. Capitalised, unless the turn is in
# speech-recogniser style, where only a name that opens a clause about its person counts ("ok so tamsin is on
# a late today but she messaged me…").
CAPITALISED = re.compile(r"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
ABOUT_THEM = (
    r"(?:is|isnt|isn't|couldnt|couldn't|cant|can't|wasnt|wasn't|has|had|said|says|messaged|emailed|'s|on|"
    # "Ffion can take it. … she's already said yes", "so marek owns the gateway firmware hes said hell…"
    r"from|in|can|owns|does|runs|leads|manages|handles)\b"
)
NAME_OPENS = re.compile(
    r"(?:^|[.!?,]\s+|\b(?:and|but|so|thats|that's|its|it's)\s+)"
    r"(?:(?:ok|okay|so|and|but|um|uh|yeah|right|well|also|oh)\W+)*(?P<name>[A-Za-z]+)\s+" + ABOUT_THEM
)
NAME_ABOUT = re.compile(r"\s*" + ABOUT_THEM)


def reported_person(people: People, said_before: str, speaker: Person | None) -> Person | None:
    """The person last named in `said_before` who is not the speaker: a known one, or a name as said."""
    names = [
        m.group(1)
        for m in CAPITALISED.finditer(said_before)
        if m.group(1).lower() not in NOT_A_NAME | STOPWORDS
        and (
            m.start() > 0
            and said_before[: m.start()].rstrip()[-1:] not in ".!?"
            or NAME_ABOUT.match(said_before[m.end() :])
        )
    ]
    names += [
        m["name"] for m in NAME_OPENS.finditer(said_before) if m["name"].lower() not in NOT_A_NAME | STOPWORDS
    ]
    if not names:
        return None
    name = max(names, key=said_before.rfind)
    person = people.by_first_name(name)
    if person == speaker or (speaker is not None and name.lower() == speaker.first_name.lower()):
        return None
    return person or Person("", capitalise_first(name), "")


def reported_form(
    people: People, said_before: str, sentence: str, speaker: Person | None
) -> tuple[Cue, str, Person] | None:
    """A promise passed on for someone else ("she's told me she'll size the work by the 3rd"), or a named
    person's plan in the present with a date ("Dmitri is sending the price list on Monday"): (cue, rest,
    person), or None."""
    promised = REPORTED_PROMISE.search(sentence)
    if promised:
        # "Ailsa said she'll…", "Nikhil has agreed to…": the name is the subject
        who = promised.group("who") or promised.group("who_to") or promised.group("who_asked")
        person: Person | None
        if who and who.lower() not in NOT_A_NAME | STOPWORDS:
            named = people.by_first_name(who) or Person("", who, "")
            person = None if named == speaker else named
        else:
            person = reported_person(people, f"{said_before} {sentence[: promised.start()]}".strip(), speaker)
        if person is not None:
            return (
                Cue(REPORTED_PROMISE, NAMED, "will"),
                promised.group("rest")
                or promised.group("to")
                or promised.group("asked")
                or promised.group("also"),
                person,
            )
    plan = NAMED_PLAN.search(sentence)
    if plan and plan["name"].lower() not in NOT_A_NAME | STOPWORDS and find_due_date(plan["rest"], ANY_DAY):
        person = people.by_first_name(plan["name"]) or Person("", plan["name"], "")
        if person != speaker:
            return Cue(NAMED_PLAN, NAMED, "is"), plan["rest"], person
    return None


def phrasings_of(conversation: Conversation, indices: list[int]) -> list[Phrasing]:
    """The sentences of these turns, each read for its form; a turn is read once per conversation, as the
    extractor and its backstops ask for the same turns many times (sentence splitting is the cost)."""
    found: list[Phrasing] = []
    for index in indices:
        read = conversation.read_turns.get(index)
        if read is None:
            read = conversation.read_turns[index] = _phrasings_of_turn(conversation, index)
        found += read
    return found


def _phrasings_of_turn(conversation: Conversation, index: int) -> tuple[Phrasing, ...]:
    found = []
    message = conversation.messages[index]
    speaker = conversation.people.speaker_of(message)
    said_before = ""
    for sentence in _with_handed_on_apart(split_sentences(str(message.get("text") or ""))):
        # "I'll get Jill -- she's our accountant -- to go through the small print": no aside in the task
        sentence = PARENTHETICAL.sub(" ", NAME_IS_GOING.sub(r"\1 is \2", remove_fillers(sentence)))
        if not sentence:
            continue
        cue, rest = commitment_form(conversation.people, sentence)
        passed_on_for = None
        if cue is None or cue.owner not in (SPEAKER, NAMED):
            reported = reported_form(conversation.people, said_before, sentence, speaker)
            if reported is not None:
                cue, rest, passed_on_for = reported
        said_before += " " + sentence
        rest = clean_rest(with_fronted_object(sentence, rest)) if cue else ""
        task = without_due(rest, find_due_date(rest, conversation.reference_time))
        words_of_task = frozenset(content_words(task, STOPWORDS))
        found.append(Phrasing(index, sentence, cue, rest, speaker, words_of_task, passed_on_for))
    return tuple(found)


# "I'll put the letter together for next Friday, and Kwame can post it out": the speaker's own task, then one
# handed on by name, which is its own sentence.
HANDED_ON_AFTER_OWN = re.compile(
    r"^(?P<own>.*\bI(?:'ll| will| can|'m going to)\s.*?),?\s+and\s+"
    r"(?P<other>(?-i:[A-Z][a-z]+)(?:'ll| will| can| could| is going to)\s.*)$",
    re.IGNORECASE,
)


PARENTHETICAL = re.compile(r"\s+(?:--|\u2014|\u2013)\s+[^\u2014\u2013]+?\s+(?:--|\u2014|\u2013)\s+")


def _with_handed_on_apart(sentences: list[str]) -> list[str]:
    apart = []
    for sentence in sentences:
        handed = HANDED_ON_AFTER_OWN.match(sentence)
        if handed and handed["other"].split()[0].lower() not in NOT_A_NAME | STOPWORDS:
            apart += [handed["own"].rstrip(" ,") + ".", handed["other"]]
        else:
            apart.append(sentence)
    return apart


def _absent_named(sentence: str, subject: re.Match) -> bool:
    """ "…so Sam will do the duplicate inspection first thing": someone not in the meeting, named mid-sentence
    with "will" (a capitalised word opening a sentence is as often a team or a place)."""
    name = subject.group("name")
    return (
        subject.group("modal") in ("'ll", " will", " is going to")
        and subject.start() > 0
        and sentence[: subject.start()].rstrip()[-1:] not in ".!?"
        and name.lower() not in NOT_A_NAME | STOPWORDS
    )


# After "would you", a new clause: the request was a tag on the order before it.
TAG_THEN_CLAUSE = re.compile(r"(?:we|i|they|he|she|it|there|that's|it's)\b", re.IGNORECASE)


def commitment_form(people: People, sentence: str) -> tuple[Cue | None, str]:
    """The commitment or request form of a sentence and what follows it, or (None, "")."""
    minuted = MINUTED.search(sentence)
    if minuted and people.by_first_name(minuted.group("name")) is not None:
        return Cue(MINUTED, NAMED, "will"), minuted.group("rest")
    delegated = DELEGATION.search(sentence)
    if delegated and delegated.group("name").lower() not in NOT_A_NAME and "'" not in delegated.group("name"):
        return Cue(DELEGATION, NAMED, "will"), delegated.group("rest")
    subject = NAMED_SUBJECT.search(sentence)
    if subject and (
        people.by_first_name(subject.group("name")) is not None or _absent_named(sentence, subject)
    ):
        modal = subject.group("modal").strip().replace("'ll", "will")
        return Cue(NAMED_SUBJECT, NAMED, modal), subject.group("rest")
    put_down = PUT_ME_DOWN.search(sentence)
    if put_down:
        # "…the playground quotes — I'll get three before the next meeting": the thing ends at the dash
        return Cue(PUT_ME_DOWN, SPEAKER, "will do"), re.split(r"\s[\u2014\u2013-]\s", put_down.group("rest"))[
            0
        ]
    for cue in CUES:
        m = cue.pattern.search(sentence)
        if m and cue is REQUEST_CUE and m.start() > 0 and TAG_THEN_CLAUSE.match(m.group("rest")):
            # "give him a ring would you we need two more lorries": the order is before the tag
            return REQUEST_CUE, sentence[: m.start()].strip(" ,")
        if m:
            if cue is YOU_WILL_CUE and RECEIVED.match(m.group("rest")):
                # "I'll own the runbook, you'll have a draft before the go/no-go": the task is what the
                # speaker takes on; what the hearer will have is when.
                before = sentence[: m.start()]
                own = next(
                    (o for o in (c.pattern.search(before) for c in CUES if c.owner == SPEAKER) if o), None
                )
                if own is not None:
                    speakers = next(c for c in CUES if c.owner == SPEAKER and c.pattern is own.re)
                    return speakers, own.group("rest") + sentence[m.start() :]
            return cue, m.group("rest")
    role = ROLE_SUBJECT.search(sentence)
    if role:
        return Cue(ROLE_SUBJECT, ROLE, role.group("modal")), role.group("rest")
    assigned = ASSIGNED_TO_YOU.pattern.search(sentence)
    if assigned:
        return ASSIGNED_TO_YOU, assigned.group("rest")
    wanted = NEED_FROM_YOU.search(sentence)
    if wanted:
        tail = without_trailing_name(people, wanted.group("tail"))
        return Cue(NEED_FROM_YOU, ADDRESSEE, "will"), f"provide {wanted.group('thing')}{tail}"
    asked = ELLIPTICAL_ASK.match(sentence)
    if asked and people.by_first_name(asked.group("name")) is not None:
        return Cue(ELLIPTICAL_ASK, ADDRESSEE, "will"), f"handle {asked.group('rest')}"
    soft = SOFT_COMMITMENT.pattern.search(sentence)
    if soft:
        return SOFT_COMMITMENT, soft.group("rest")
    ordered = IMPERATIVE.match(sentence)
    if ordered and (ordered.group("name") is None or people.by_first_name(ordered.group("name"))):
        rest = ordered.group("rest")
        return Cue(IMPERATIVE, ADDRESSEE, "will"), rest[:1].lower() + rest[1:]
    return None, ""


def without_trailing_name(people: People, text: str) -> str:
    """ "by thursday jakub" → "by thursday": the person addressed at the end, as speech-to-text writes it."""
    last = TRAILING_WORD.search(text)
    return text[: last.start()] if last and people.by_first_name(last.group(1)) is not None else text


def kind_of(sentence: str, assignee: Person | None, task: str = "") -> str:
    """A follow-up is a topic parked for later, or a meeting or reply nobody in particular owes; what a
    person takes on ("I'll set up a call with the duty managers") is an action item, even beside a topic
    put off in the same sentence ("I'll get a quote before Thursday, and we'll decide on Thursday": `task`,
    the part the person takes on, parks nothing)."""
    if task and assignee is not None and not is_parked(task):
        return ACTION_ITEM
    if is_parked(sentence) or (assignee is None and FOLLOW_UP_CUE.search(sentence)):
        return FOLLOW_UP
    return ACTION_ITEM


def object_is_pronoun(rest: str) -> bool:
    """ "raise it with her", "send them over", "reach out to her": the task's object is said elsewhere."""
    return bool(PRONOUN_OBJECT.match(rest))


def said_for_now(phrasing: Phrasing) -> bool:
    """Work done in the meeting itself or out of habit, not a task to track: "I'll walk you through the
    numbers", "I'll write it down", "I'll have a go", "I write up the notes after every meeting"; or where one
    will be, whenever ("I'll be on the ward all next week, so grab me anytime")."""
    if phrasing.cue is None:
        return False
    if NO_TASK.match(phrasing.rest):
        return True
    if AFTER_MEETING.search(phrasing.sentence):
        return False
    if NARRATION.match(phrasing.rest) and find_due_date(phrasing.rest, ANY_DAY) is not None:
        return False  # "I'll go through it by Wednesday": a date makes the walk-through work to do
    return bool(HABITUAL.search(phrasing.sentence) or NARRATION.match(phrasing.rest))


def next_turn_of_another(conversation: Conversation, index: int, speaker: Person | None) -> int | None:
    for later in range(index + 1, min(index + 1 + EXCHANGE_REACH, len(conversation.messages))):
        if conversation.people.speaker_of(conversation.messages[later]) != speaker:
            return later
    return None


def names_no_task(phrasing: Phrasing) -> bool:
    """The item's own words name no task: "leave it with me", "I'll grab that", "yep, by eleven"."""
    # "…scan the handwritten pages, I'll do that tomorrow": a task named after the form outweighs a "do that"
    # elsewhere in the sentence.
    named_after_form = phrasing.cue is not None and len(phrasing.task_words) >= 2
    if TAKES_IT_ON.search(phrasing.rest if named_after_form else phrasing.sentence):
        return True
    if phrasing.cue and object_is_pronoun(phrasing.rest):
        return True
    if phrasing.cue is None:
        return len(content_words(without_acknowledgement(phrasing.sentence), STOPWORDS)) < 2
    return len(phrasing.task_words) < 2 and (bool(TASK_PRONOUN.search(phrasing.rest)) or not phrasing.rest)


# Words a sentence cut off in mid-flow ends on ("I'll have to.", "I'll get the."), and the light verbs a
# commitment of no task is made of ("I'll do some.", "User will have."): what a recogniser writes when a
# speaker breaks off.
DANGLING_WORDS = frozenset(
    ["to", "a", "an", "the", "of", "for", "with", "by", "and", "or", "but"]
    + ["my", "your", "our", "their", "if", "because", "t"]
)
LIGHT_WORDS = frozenset(
    ["have", "do", "get", "take", "be", "go", "make", "some", "t", "to", "a", "in", "new", "more", "one"]
)
# A cut-off commitment is short: a long one may end on "to" or "with" as English does ("…when I need to").
CUT_OFF_WORDS = 3


def cut_off(phrasing: Phrasing) -> bool:
    """The commitment breaks off before its task: the sentence ends within CUT_OFF_WORDS words of the form,
    on a dangling word, on light verbs alone or on a word cut to a letter ("Project will have to.",
    "Marketing will have t.", "User will d.")."""
    said = words(phrasing.rest)
    if not said:
        return False  # "Sure, I will.": a yes, whose task the request names
    sentence = words(phrasing.sentence)
    ends_there = sentence[-len(said) :] == said
    return (
        phrasing.cue is not None
        and ends_there
        and len(said) <= CUT_OFF_WORDS
        and (said[-1] in DANGLING_WORDS or set(said) <= LIGHT_WORDS or _a_cut_word(said[-1]))
    )


def _a_cut_word(word: str) -> bool:
    """A word of one letter that is no word ("User will d."): the recogniser caught its first sound."""
    return len(word) == 1 and word.isalpha() and word not in ("a", "i")


def _delivered_by_speaker(sentence: str, cue: Cue) -> bool:
    """ "You'll have the full RCA by Friday": the speaker's promise to deliver it."""
    said = cue.pattern.search(sentence) if cue is YOU_WILL_CUE else None
    return said is not None and bool(RECEIVED.match(said.group("rest")))


def bare_answer(sentence: str) -> bool:
    """A reply that names nothing but perhaps a date: "Before Thursday, yep.", "ok thursday works"."""
    said = without_acknowledgement(sentence)
    due = find_due_date(said, ANY_DAY)
    return len(content_words(without_due(said, due), STOPWORDS) - {"work", "works", "fine", "good"}) < 2


def owner_of(conversation: Conversation, phrasing: Phrasing):
    """(owner kind, person) of a phrasing with a form: who will do what it says."""
    index, sentence, speaker = phrasing.index, phrasing.sentence, phrasing.speaker
    cue = phrasing.cue
    assert cue is not None, "owner_of reads a phrasing with a form"
    if cue.pattern in (REPORTED_PROMISE, NAMED_PLAN):
        return NAMED, phrasing.passed_on_for
    handed = cue.pattern.search(sentence) if cue.pattern in HANDED_OVER else None
    if handed:
        # Someone not in the meeting is named all the same: the note says whose the work is.
        name = handed.group("name")
        return NAMED, conversation.people.by_first_name(name) or Person("", name, "")
    named = named_subject(conversation.people, sentence, speaker)
    if named is not None:
        return NAMED, named
    absent = NAMED_SUBJECT.search(sentence) if cue.pattern is NAMED_SUBJECT else None
    if absent is not None:  # "so Sam will do the duplicate inspection first thing", Sam not speaking
        return NAMED, Person("", absent.group("name"), "")
    if cue.owner == SPEAKER or _delivered_by_speaker(sentence, cue):
        return SPEAKER, speaker
    if cue.owner == ADDRESSEE:
        return ADDRESSEE, addressee_of(conversation, index, sentence, speaker)
    if cue.owner == ROLE:
        return ROLE, None
    if (
        speaker is not None
        and WE_WILL.match(sentence)
        and addressed_just_before(conversation, index, speaker)
    ):
        # "Ola, that's your team." / "Yes, we'll fix the pipeline this sprint.": Ola answers for the team.
        return NAMED, speaker
    return GROUP, None


# A group's promise said by one person: "we'll fix it", not "we should" or "we need to".
WE_WILL = re.compile(r"^(?:(?:yes|yeah|yep|sure|ok|okay|right|fine)\W+)*we(?:'ll| will)\b", re.IGNORECASE)


def addressed_just_before(conversation: Conversation, index: int, speaker: Person) -> bool:
    """The turn before, by someone else, speaks to `speaker` by name ("Ola, that's your team.")."""
    if index == 0:
        return False
    before = conversation.messages[index - 1]
    asker = conversation.people.speaker_of(before)
    if asker is None or asker == speaker:
        return False
    return any(
        named_subject(conversation.people, sentence, asker) == speaker
        for sentence in split_sentences(str(before.get("text") or ""))
    )


def named_subject(people: People, sentence: str, speaker: Person | None) -> Person | None:
    """A known person the sentence speaks to ("Priya, please…") or about ("Priya will…")."""
    for person, _, name in people.named_in(sentence):
        if person == speaker:
            continue
        vocative = re.compile(VOCATIVE.format(name=re.escape(name)))
        subject = NAMED_SUBJECT.search(sentence)
        if vocative.search(sentence) or (subject and subject.group("name") == name):
            return person
    return None


def _asks_of_someone(sentence: str) -> bool:
    """A question, an order or a request, which someone can take on."""
    return (
        sentence.rstrip().endswith("?")
        or bool(IMPERATIVE.match(sentence))
        or any(cue.pattern.search(sentence) for cue in REQUEST_CUES)
    )


# An answer that takes the request on in its own words, not with a "Sure." first.
TAKES_ON_IN_ANSWER = re.compile(
    r"\bI(?:'ll| will)\b(?! (?:not|never|try|see|think|let you know)\b)", re.IGNORECASE
)


def addressee_of(
    conversation: Conversation, index: int, sentence: str, speaker: Person | None
) -> Person | None:
    """Whom "you" means: whoever accepts in the next message, or the other party of a two-person call."""
    messages = conversation.messages
    if index + 1 < len(messages):
        responder = conversation.people.speaker_of(messages[index + 1])
        answer = str(messages[index + 1].get("text") or "").strip()
        # "Can you find another company?" / "I've got two quotes already. I'll book the cheaper one today.";
        # not after "You'll have the full RCA by Friday", the speaker's own promise.
        taken = (
            ACCEPTANCE.match(answer)
            or ORDER_TAKEN.match(answer)
            or (TAKES_ON_IN_ANSWER.search(answer) and _asks_of_someone(sentence))
        )
        if responder and responder != speaker and taken:
            return responder
    return conversation.people.other_party(speaker)


def clean_rest(rest: str) -> str:
    # A run-on turn ("chase legal today I'll just walk over there", "chase them today I know their lead"):
    # the task ends where the next clause begins, unless a word before binds it ("before I leave").
    # "give her a heads-up; she's said she can turn it round": a semicolon ends the task
    rest = clauses_of(rest)[0].split(";")[0]
    rest = DANGLING.sub("", COMMENT_CLAUSE.sub("", REASON_OR_CAVEAT.sub("", rest)))
    for clause in RUN_ON_I.finditer(rest):
        if clause["before"].lower() not in BINDS_A_CLAUSE:
            rest = rest[: clause.start("before") + len(clause["before"])]
            break
    # "I'll write it myself": the emphasis says nothing the owner's name does not.
    rest = MYSELF.sub("", rest)
    rest = TRAILING_TAG.sub("", rest.strip())
    return LEADING_SOFTENER.sub("", rest).strip(" ,")


def without_due(rest: str, due: DueDate | None) -> str:
    if due is None:
        return rest
    return re.sub(r"\s+", " ", re.sub(re.escape(due.text), "", rest, flags=re.IGNORECASE)).strip(" ,")


def hearer_of(conversation: Conversation, index: int, speaker: Person | None) -> Person | None:
    """Whom a speaker's "you" means: the other party of a two-person call, else the person who spoke just
    before (who asked), if that is someone else."""
    other = conversation.people.other_party(speaker)
    if other is not None:
        return other
    if index > 0:
        previous = conversation.people.speaker_of(conversation.messages[index - 1])
        if previous is not None and previous != speaker:
            return previous
    return None


# "Yes, …", "Sure. …", "Okay, so …": the answer that opens a reply is not part of the task, so an item kept
# as said does not start with it. Only stripped when punctuation closes it ("Sure thing", "Fine-tune the
# model" stay) and something follows.
ACKNOWLEDGEMENT = re.compile(
    r"^(?:(?:yes|yeah|yep|yup|sure|ok|okay|alright|all right|of course|no problem|absolutely|definitely|fine|"
    r"great|sounds good|will do)\s*[,.!;:]+\s*)+(?:(?:so|and|then)\s+)?(?=\S)",
    re.IGNORECASE,
)


def without_acknowledgement(sentence: str) -> str:
    return ACKNOWLEDGEMENT.sub("", sentence.strip(), count=1)
