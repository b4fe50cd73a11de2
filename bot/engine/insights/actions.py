"""Action items and follow-ups: who will do what, by when.

Which messages hold an action item is learned: `action_model` scores every message from the features of
`action_features` (its words, commitment and request forms, its neighbours, its place in the meeting) and
picks every confident one (the threshold chosen by cross-validation; no cap). Speech-recogniser text is read
through `speech_text`. Rules do only what the model cannot: find the owner (the
speaker of "I will…", the person addressed by "Sam, can you…" or who accepts it, the person named as the
subject), the due date (`dates`), write the item in the third person ("Sam will update the release
checklist today."), find the task a bare "leave it with me" takes on in the turns around it, and merge the
same commitment said twice (a request and its acceptance, a recap).
Follow-ups are topics parked for later (`parked`) and meetings or replies nobody in particular owes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from . import action_features, action_model
from .action_cues import (
    ABOUT_SOMETHING_ELSE,
    ACCEPTANCE,
    ACTION_ITEM,
    ADDRESSEE,
    AFTER_MEETING,
    ASKS_ABOUT_OBLIGATION,
    ASSIGNED_TO_YOU,
    CUES,
    DECLINED,
    DELEGATION,
    ELLIPTICAL_ASK,
    FIRST_PERSON,
    FOLLOW_UP,
    FOLLOW_UP_CUE,
    FUTURE,
    GROUP,
    HABITUAL,
    HEDGE,
    IN_MEETING,
    LEADING_SOFTENER,
    MINUTED,
    NAMED,
    NAMED_SUBJECT,
    NEED_FROM_YOU,
    NEXT_STEPS_REACH,
    OFFER_QUESTION,
    OPINION_REQUEST,
    PLEASE_CUE,
    PRAISE,
    REPORTED_PAST,
    REQUEST_CUES,
    RIGHT_NOW,
    ROLE,
    ROLE_SUBJECT,
    ROUND_QUESTION,
    SPEAKER,
    STATE_QUESTION,
    TAKES_IT_ON,
    TRAILING_TAG,
    VOCATIVE,
    YES_TO_OFFER,
    Cue,
    next_steps_round,
)
from .dates import MONTHS, WEEKDAYS, DueDate, find_due_date
from .parked import is_parked
from .people import People, Person
from .text import as_sentence, capitalise_first, content_words, insight_id, remove_fillers, split_sentences
from .vocabulary import STOPWORDS

__all__ = [
    "ACTION_ITEM",
    "FOLLOW_UP",
    "NEXT_STEPS_REACH",
    "Candidate",
    "Conversation",
    "find_candidates",
    "next_steps_round",
    "ranked",
    "to_symbl",
]

YOU = re.compile(r"\byou\b(?!')", re.IGNORECASE)
# "you need" → "Sam needs": the present tense verbs that follow a subject "you" in a task.
YOU_DO = re.compile(
    r"\byou (?P<adverb>(?:still|really|also|just|already|actually|usually) )?"
    r"(?P<verb>need|want|have|think|like|know|prefer|use|do|get)\b",
    re.IGNORECASE,
)
THIRD_PERSON = {"have": "has", "do": "does"}
# "Yes, …", "Sure. …", "Okay, so …": the answer that opens a reply is not part of the task, so an item kept
# as said does not start with it. Only stripped when punctuation closes it ("Sure thing", "Fine-tune the
# model" stay) and something follows.
ACKNOWLEDGEMENT = re.compile(
    r"^(?:(?:yes|yeah|yep|yup|sure|ok|okay|alright|all right|of course|no problem|absolutely|definitely|fine|"
    r"great|sounds good|will do)\s*[,.!;:]+\s*)+(?:(?:so|and|then)\s+)?(?=\S)",
    re.IGNORECASE,
)
# A recap repeats most of a commitment's content words; two different tasks of one meeting rarely share
# more than half of them.
RECAP_OVERLAP = 0.6
# Messages either side in which a request and its acceptance are one exchange.
EXCHANGE_REACH = 2
# An acceptance names its task by pronoun ("Sure, I'll send them over"): the request it answers says what
# "them" is, so the item is written from the request's task under the accepter's name.
TASK_PRONOUN = re.compile(r"\b(?:it|them|that|this|those|these)\b", re.IGNORECASE)
# Turns before an item in which the task it takes on may have been said ("the key art?" … "I'll grab that").
CONTEXT_REACH = 3
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
    r"be\b(?!\s+\w+ing\b)|go (?:first|last|next)\b|"
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
REQUEST_FORMS = (*(cue.pattern for cue in REQUEST_CUES), NAMED_SUBJECT, ELLIPTICAL_ASK, *HANDED_OVER)
BARE_YES = re.compile(
    r"(?:(?:yes|yeah|yep|yup|ok|okay|alright|all right|right|fine|mm-hmm|uh-huh)\W*)+", re.I
)
# "program a secondary infusion on this one": the thing in front of them, so work done in the room.
AT_HAND = re.compile(r"\b(?:on|with|in|to) (?:this|these|that) (?:ones?|screen|slide|board)\b", re.IGNORECASE)
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
ADVERB_AFTER_I = re.compile(
    r"\b(I(?:'m| am|'ll| will))\s+(?:also|just|then|definitely|really)\s+", re.IGNORECASE
)
# The words a run-on clause leaves dangling at its end once the next one is cut off ("…tonight and then").
DANGLING = re.compile(r"(?:[,\s]+(?:and|but|so|or|then|oh|also|plus))+\W*$", re.IGNORECASE)
CONDITION = re.compile(r"\b(?:if|unless|otherwise|in case|once)\b", re.IGNORECASE)
# "I'll need someone to cover the desk": asking for help, not taking a task on.
ASKS_FOR_HELP = re.compile(
    r"^(?:need|want|have)\s+(?:someone|somebody|anyone|anybody|you|help)\b", re.IGNORECASE
)
IN_A_MONTH = re.compile(r"\bin (?:" + "|".join(MONTHS) + r")\b", re.IGNORECASE)
NEXT_CLAUSE = re.compile(r"\s+(?=I(?:'ll|'m| will| am)\b)")
RELATIVE_BEFORE = re.compile(r"(?:,\s*|\b)(?:which|that)\s*$", re.IGNORECASE)
# Taking up someone's offer: "Yes, please do.", "Perfect, do that.", "That'd help."
CONFIRMS = re.compile(
    r"^(?:(?:yes|yeah|yep|ok|okay|perfect|great|sure|good|brilliant|lovely|please)\b[\s,.!]*)*"
    r"(?:please\s+)?(?:do (?:that|it|so)\b|do\b\s*[.!]?$|go (?:for it|ahead)|"
    r"that(?:'d| would) (?:help|be great)|"
    r"sounds good|that works)",
    re.IGNORECASE,
)
ASKER = re.compile(r"\b(?:me|my)\b", re.IGNORECASE)
# A verb (and a particle or two) whose object is a pronoun: the thing to do is named in another sentence.
PRONOUN_OBJECT = re.compile(
    r"^(?:\w+\s+){1,3}?(?:(?:it|them|her|him)\b|(?:that|this|those|these)\b(?=\s*(?:$|[,.!?;]|"
    r"(?:one|over|up|out|through|off|today|tonight|tomorrow|by|before|on|to|for|with|in|next|after|first|"
    r"myself|too|as well)\b)))",
    re.IGNORECASE,
)
# Where one commitment sentence joins two tasks: "…by Monday and run…", "…this week, and then block…".
CONJOINED = re.compile(r",?\s+and\s+(?:then\s+)?|,\s+then\s+", re.IGNORECASE)
# The second part starts with a verb of its own (a word, not "the"/"a"/a number): "run the smoke test".
TASK_START = re.compile(
    r"^(?!(?:the|a|an|my|our|their|his|her|its|this|that|it|they|we|i|you|if|when|once|unless|so|because|"
    r"but|as|then|maybe)\b)[a-z]+\b"
)
CONTEXT_WORDS = 16


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


@dataclass(frozen=True)
class Phrasing:
    """One sentence of an item read for its owner: the form that matched and what follows it."""

    index: int  # message index
    sentence: str
    cue: Cue | None
    rest: str
    speaker: Person | None
    task_words: frozenset[str]  # content words after the form, the due date left out ("do it today": none)


def speaker_key(message: dict) -> str:
    speaker = message.get("from") or {}
    return str(speaker.get("id") or speaker.get("name") or "")


def find_candidates(conversation: Conversation) -> list[Candidate]:
    """The items the model picks (every kind, best first within the cap the caller applies later)."""
    messages = conversation.messages
    if not messages:
        return []
    model = conversation.model or action_model.shipped_model()
    probabilities = model.probabilities(action_features.conversation_features(messages, speaker_key))
    chosen = action_model.pick_items(probabilities, len(messages), model.threshold, model.radius)
    groups = action_model.group_items(probabilities, chosen, model.threshold, model.radius)
    for index in _accepted_requests(conversation, set(chosen)):
        # Listed at the confidence the threshold asks for: the exchange, not the model, vouches for it.
        probabilities[index] = max(probabilities[index], model.threshold)
        chosen.append(index)
        groups[index] = {index}
    taken = {i for cited in groups.values() for i in cited}
    candidates = []
    for index in sorted(chosen):
        cited = _with_acceptance(conversation, groups[index], taken)
        candidate = _candidate(conversation, index, cited, probabilities[index])
        if candidate is not None:
            candidates += _split_conjoined(candidate, conversation.reference_time)
            candidates += _further_commitments(conversation, index, candidate)
    return _merge_repeats(candidates)


def _further_commitments(conversation: Conversation, index: int, first: Candidate) -> list[Candidate]:
    """The speaker's other commitments in the same turn ("I'll send the checklist tonight. I'm also going to
    call the auditor tomorrow.", or run on: "…tonight and then im going to call the auditor"): an item each,
    when the turn's first item is the speaker's own and the further task says when."""
    message = conversation.messages[index]
    speaker = conversation.people.speaker_of(message)
    if speaker is None or first.assignee != speaker or first.kind != ACTION_ITEM:
        return []
    reference_time = conversation.reference_time
    found: list[Candidate] = []
    taken = [frozenset(content_words(first.text, STOPWORDS))]
    for sentence in split_sentences(str(message.get("text") or "")):
        for clause in NEXT_CLAUSE.split(remove_fillers(sentence)):
            clause = ADVERB_AFTER_I.sub(r"\1 ", clause)  # "I'm also going to…" is "I'm going to…"
            cue, rest = _form(conversation.people, clause)
            if cue is None or cue.owner != SPEAKER:
                continue
            rest = _clean_rest(rest)
            due = find_due_date(rest, reference_time) or find_due_date(clause, reference_time)
            task = frozenset(content_words(_without_due(rest, due), STOPWORDS))
            said = Phrasing(index, clause, cue, rest, speaker, task)
            # A task of its own says when; a further clause that does not restates the first ("I'll do it, I
            # did that at my last place"), and one on a condition hangs on it ("…and if there's no date by
            # Friday, I'll escalate").
            if due is None or len(task) < 2 or any(len(task & t) >= len(task) / 2 for t in taken):
                continue
            if (
                _said_for_now(said)
                or HEDGE.search(clause)
                or CONDITION.search(clause)
                or DECLINED.search(clause)
                or ASKS_FOR_HELP.match(rest)
            ):
                continue
            text = _normalised_text(
                clause, _you_resolved(rest, _hearer(conversation, index, speaker)), SPEAKER, cue, speaker
            )
            if due is not None and due.text.lower() not in text.lower():
                text = as_sentence(text.rstrip(".!?") + " " + _mid_sentence(due.text))
            taken.append(task)
            found.append(
                replace(
                    first,
                    kind=_kind(clause, speaker),
                    text=text,
                    due=due,
                    definitive=True,
                    action_phrase=_without_due(rest, due),
                    content=set(task),
                    message_ids=[str(message.get("id"))],
                )
            )
    return found


def _accepted_requests(conversation: Conversation, chosen: set[int]) -> list[int]:
    """Requests with a task, put to someone who says yes in the next turn ("Yusuf, please keep negotiating
    and report back in January." / "Will do."), and work handed to someone by name, that the model passed
    over: it learned from AMI, where most
    requests are talk about the design on the table, and a bare "Consider it done." tells it little."""
    messages, people = conversation.messages, conversation.people
    found = []
    for index in range(len(messages)):
        if index in chosen:
            continue
        if _delegates(conversation, index):
            found.append(index)
            continue
        if index + 1 == len(messages) or index + 1 in chosen:
            continue
        answer = remove_fillers(str(messages[index + 1].get("text") or "")).strip()
        asker, answerer = people.speaker_of(messages[index]), people.speaker_of(messages[index + 1])
        if asker is None or answerer in (None, asker) or not _says_yes(answer):
            continue
        # A bare "Yeah." is as often "I hear you" as "I will": it takes on only a request pointed at someone.
        pointed_only = BARE_YES.fullmatch(answer) is not None
        for phrasing in _phrasings(conversation, [index]):
            named = _named_subject(people, phrasing.sentence, asker) is not None
            if _hands_out_work(phrasing, pointed_only and not named):
                found.append(index)
                break
    return found


def _delegates(conversation: Conversation, index: int) -> bool:
    """The turn hands a task to someone by name ("Let's ask Tom from legal to check the clause", "Sara to
    update the runbook"), which needs nobody's yes."""
    text = str(conversation.messages[index].get("text") or "")
    if not any(form.search(text) for form in HANDED_OVER):  # before splitting sentences, which costs
        return False
    return any(
        p.cue is not None and p.cue.pattern in HANDED_OVER and _hands_out_work(p, pointed_only=False)
        for p in _phrasings(conversation, [index])
    )


def _says_yes(answer: str) -> bool:
    """ "Will do.", "Consider it done.", or a bare time ("Tomorrow morning.", "By Friday, yes.")."""
    if DECLINED.search(answer) or answer.endswith("?"):
        return False
    if ACCEPTANCE.match(answer):
        return True
    said = Phrasing(0, answer, None, "", None, frozenset())
    return (
        find_due_date(answer, ANY_DAY) is not None and _bare_answer(said) and not REPORTED_PAST.search(answer)
    )


def _hands_out_work(phrasing: Phrasing, pointed_only: bool) -> bool:
    """A request put to someone ("can you…", "please…", "Yusuf, …", "Priya, the slides?"; not the "you have
    to…" of design talk), with a task named in it that points past the meeting ("please keep negotiating",
    not "can you see my screen" or "would you like to start"). `pointed_only`: only one that says please
    or gives a time (the caller knows whether it names the person)."""
    if phrasing.cue is None or phrasing.cue.pattern not in REQUEST_FORMS or not phrasing.task_words:
        return False
    pointed = phrasing.cue.owner == NAMED or phrasing.cue.pattern in (PLEASE_CUE.pattern, ELLIPTICAL_ASK)
    pointed = (
        pointed
        or bool(AFTER_MEETING.search(phrasing.rest))
        or find_due_date(phrasing.rest, ANY_DAY) is not None
    )
    if pointed_only and not pointed:
        return False
    if phrasing.cue.owner == NAMED and phrasing.cue.modal in ("can", "could"):
        return False  # "so the user can select the colour": what someone is able to do, not a task
    sentence = phrasing.sentence
    if OPINION_REQUEST.search(sentence) or ASKS_ABOUT_OBLIGATION.search(sentence) or HEDGE.search(sentence):
        return False
    rest = LEADING_SOFTENER.sub("", phrasing.rest)
    if RIGHT_NOW.search(rest) or AT_HAND.search(rest) or NO_TASK.match(rest) or NARRATION.match(rest):
        return False
    # "keep negotiating and report back in January": a verb of the meeting room, but work for after it.
    later = (
        bool(AFTER_MEETING.search(rest) or IN_A_MONTH.search(rest))
        or find_due_date(rest, ANY_DAY) is not None
    )
    return not IN_MEETING.match(rest) or later


def _split_conjoined(candidate: Candidate, reference_time: datetime) -> list[Candidate]:
    """Two tasks with a date each in one sentence ("…update the checklist by Monday and run the smoke test
    on the 27th") are two items, the second under the same owner; one date for both stays one item."""
    if (
        candidate.assignee is None
        or not candidate.text.startswith(candidate.assignee.first_name)
        or "(re: " in candidate.text
    ):
        return [candidate]
    for joint in CONJOINED.finditer(candidate.text):
        first, second = candidate.text[: joint.start()], candidate.text[joint.end() :]
        first_due, second_due = find_due_date(first, reference_time), find_due_date(second, reference_time)
        if first_due is None or second_due is None or not TASK_START.match(second):
            continue
        modal = candidate.text[len(candidate.assignee.first_name) :].split()[0]
        head = replace(
            candidate, text=as_sentence(first), due=first_due, content=content_words(first, STOPWORDS)
        )
        tail = replace(
            candidate,
            text=as_sentence(f"{candidate.assignee.first_name} {modal} {second}"),
            due=second_due,
            content=content_words(second, STOPWORDS),
        )
        return [head, tail]
    return [candidate]


def _with_acceptance(conversation: Conversation, cited: set[int], taken: set[int]) -> list[int]:
    """The cited messages plus the answer to a request among them ("Can you…?" / "Sure, I'll…"), unless
    another item cites it: the answer says who owes the work and often when."""
    messages, people = conversation.messages, conversation.people
    last = max(cited)
    if (
        last + 1 < len(messages)
        and last + 1 not in taken
        and _says_yes(remove_fillers(str(messages[last + 1].get("text") or "")).strip())
        and people.speaker_of(messages[last + 1]) != people.speaker_of(messages[last])
        and _asks(str(messages[last].get("text") or ""))
    ):
        cited = cited | {last + 1}
    return sorted(cited)


def _asks(text: str) -> bool:
    """A request or question, which the next turn may accept ("ok thanks everyone" after a commitment does
    not accept anything)."""
    return text.rstrip().endswith("?") or any(
        cue.owner == ADDRESSEE and cue.pattern.search(text) for cue in CUES
    )


def _phrasings(conversation: Conversation, indices: list[int]) -> list[Phrasing]:
    found = []
    for index in indices:
        message = conversation.messages[index]
        speaker = conversation.people.speaker_of(message)
        for sentence in split_sentences(str(message.get("text") or "")):
            sentence = remove_fillers(sentence)
            if not sentence:
                continue
            cue, rest = _form(conversation.people, sentence)
            rest = _clean_rest(rest) if cue else ""
            task = _without_due(rest, find_due_date(rest, conversation.reference_time))
            found.append(
                Phrasing(index, sentence, cue, rest, speaker, frozenset(content_words(task, STOPWORDS)))
            )
    return found


def _form(people: People, sentence: str) -> tuple[Cue | None, str]:
    """The commitment or request form of a sentence and what follows it, or (None, "")."""
    minuted = MINUTED.search(sentence)
    if minuted and people.by_first_name(minuted.group("name")) is not None:
        return Cue(MINUTED, NAMED, "will"), minuted.group("rest")
    delegated = DELEGATION.search(sentence)
    if delegated and delegated.group("name").lower() not in NOT_A_NAME and "'" not in delegated.group("name"):
        return Cue(DELEGATION, NAMED, "will"), delegated.group("rest")
    subject = NAMED_SUBJECT.search(sentence)
    if subject and people.by_first_name(subject.group("name")) is not None:
        modal = subject.group("modal").strip().replace("'ll", "will")
        return Cue(NAMED_SUBJECT, NAMED, modal), subject.group("rest")
    for cue in CUES:
        m = cue.pattern.search(sentence)
        if m:
            return cue, m.group("rest")
    role = ROLE_SUBJECT.search(sentence)
    if role:
        return Cue(ROLE_SUBJECT, ROLE, role.group("modal")), role.group("rest")
    assigned = ASSIGNED_TO_YOU.pattern.search(sentence)
    if assigned:
        return ASSIGNED_TO_YOU, assigned.group("rest")
    wanted = NEED_FROM_YOU.search(sentence)
    if wanted:
        tail = _without_trailing_name(people, wanted.group("tail"))
        return Cue(NEED_FROM_YOU, ADDRESSEE, "will"), f"provide {wanted.group('thing')}{tail}"
    asked = ELLIPTICAL_ASK.match(sentence)
    if asked and people.by_first_name(asked.group("name")) is not None:
        return Cue(ELLIPTICAL_ASK, ADDRESSEE, "will"), f"handle {asked.group('rest')}"
    return None, ""


def _without_trailing_name(people: People, text: str) -> str:
    """ "by thursday jakub" → "by thursday": the person addressed at the end, as speech-to-text writes it."""
    last = TRAILING_WORD.search(text)
    return text[: last.start()] if last and people.by_first_name(last.group(1)) is not None else text


def _best_phrasing(phrasings: list[Phrasing], chosen_index: int) -> Phrasing:
    """The sentence the item is written from: the owner's own commitment with a task in it, else a request
    or assignment with a task, else any commitment form, else the chosen message as said."""
    with_task = [p for p in phrasings if p.cue and p.task_words]
    for owners in ((SPEAKER, NAMED), (ADDRESSEE, GROUP, ROLE)):
        match = [p for p in with_task if p.cue and p.cue.owner in owners]
        if match:
            return max(match, key=lambda p: (p.index == chosen_index, len(p.task_words)))
    formed = [p for p in phrasings if p.cue]
    own = [p for p in phrasings if p.index == chosen_index] or phrasings
    return (formed or [max(own, key=lambda p: len(p.sentence))])[0]


def _candidate(
    conversation: Conversation, index: int, cited: list[int], probability: float
) -> Candidate | None:
    """The item of a chosen message, or None when nobody owns it (no commitment form and nobody it answers,
    or a group's with no task: "The team will pick this up again") or it is work for the meeting itself."""
    phrasings = _phrasings(conversation, cited) or [Phrasing(index, "", None, "", None, frozenset())]
    earlier = _phrasings(
        conversation, [i for i in range(max(0, index - CONTEXT_REACH), index) if i not in cited]
    )
    best = _best_phrasing(phrasings, index)
    speaker = conversation.people.speaker_of(conversation.messages[index])
    offer = _offer_taken_up(earlier, best, speaker)
    if offer is not None:
        # "I can thaw a vial today." / "Yes, please do.", or "I can put a cost comparison together." … "Before
        # Thursday, yep.": the offer is the item, its speaker the owner, the answer adds the date.
        phrasings, best = phrasings + [offer], offer
    if best.cue is not None:
        owner, assignee = _owner(conversation, best.index, best.sentence, best.cue, best.speaker)
        speaker = best.speaker
    else:
        assignee = _named_subject(conversation.people, best.sentence, speaker)
        owner = NAMED if assignee else None
        if assignee is None and _answers_a_request(conversation.people, earlier, best, speaker):
            # "Before Thursday, yep." after "Rahul, can you get me the cost comparison?": the answer is
            # the commitment, its speaker the owner, the request its task.
            owner, assignee = SPEAKER, speaker
    due = _first_due_date(phrasings, best, conversation.reference_time)
    rest = best.rest
    request = _answered_request(conversation, phrasings + earlier, best) if owner == SPEAKER else None
    if request is not None:
        # The request's own date stays in place unless the answer set another ("…next week?" / "…today").
        asked_by = find_due_date(request.rest, conversation.reference_time)
        kept = asked_by is None or due is None or asked_by.text.lower() == due.text.lower()
        due = due or asked_by
        # The request's "you" is the one who took it on: "send me a list of what you still need" → "…what
        # Sam still needs".
        asked = _you_resolved(_asker_named(request), assignee)
        rest = asked if kept else _without_due(asked, asked_by)
    if best.cue is not None:
        if owner == SPEAKER and request is None:
            rest = _you_resolved(rest, _hearer(conversation, best.index, best.speaker))
        text = _normalised_text(best.sentence, rest, owner, best.cue, assignee)
        if RELATIVE_BEFORE.search(_before_form(best)):
            # "…a laminated card, which I'll put on every pump": the task's object is the clause before.
            text = as_sentence(_without_acknowledgement(best.sentence))
    elif request is not None and assignee is not None:
        text = as_sentence(f"{assignee.first_name} will {rest}")
    else:
        text = as_sentence(_without_acknowledgement(best.sentence))
    if due is not None and due.text.lower() not in text.lower():
        text = as_sentence(text.rstrip(".!?") + " " + _mid_sentence(due.text))
    group_without_task = owner == GROUP and len(best.task_words) < 2
    # A role's item stands without a named task ("Legal will handle it"): the context below names it.
    nameless = best.cue is None or (_names_no_task(best) and owner != ROLE)
    if (assignee is None and nameless) or group_without_task:
        return None
    if _said_for_now(best) or _turned_down(conversation, best) or _takes_a_compliment(conversation, best):
        return None
    if request is not None and request.index not in cited:
        cited = sorted({*cited, request.index})
    if request is None and _names_no_task(best):
        # "Leave it with me." / "I'll grab that.": what was taken on is said around it.
        context = _context_sentence(best, phrasings, earlier)
        if context and context.rstrip("…").lower() not in text.lower():
            text = as_sentence(f"{text.rstrip('.!?')} (re: {context})")
    said = " ".join(p.sentence for p in phrasings)
    return Candidate(
        kind=_kind(best.sentence, assignee),
        score=round(probability, 3),
        message_index=index,
        message_ids=[str(conversation.messages[i].get("id")) for i in cited],
        text=text,
        speaker=speaker,
        assignee=assignee,
        due=due,
        definitive=not HEDGE.search(best.sentence) and not best.sentence.rstrip().endswith("?"),
        action_phrase=_without_due(rest, due) if best.cue else "",
        content=content_words(rest if best.cue else said, STOPWORDS),
        phrase_message_id=str(conversation.messages[best.index].get("id")),
    )


def _mid_sentence(phrase: str) -> str:
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


def _kind(sentence: str, assignee: Person | None) -> str:
    """A follow-up is a topic parked for later, or a meeting or reply nobody in particular owes; what a
    person takes on ("I'll set up a call with the duty managers") is an action item."""
    if is_parked(sentence) or (assignee is None and FOLLOW_UP_CUE.search(sentence)):
        return FOLLOW_UP
    return ACTION_ITEM


def _asker_named(request: Phrasing) -> str:
    """The request's task with its asker's "me"/"my" named: "get me the figures" → "get Ama the figures"."""
    if request.speaker is None or not request.speaker.first_name:
        return request.rest
    name = request.speaker.first_name
    return ASKER.sub(lambda m: name if m.group(0).lower() == "me" else f"{name}'s", request.rest)


def _object_is_pronoun(rest: str) -> bool:
    """ "raise it with her", "send them over", "reach out to her": the task's object is said elsewhere."""
    return bool(PRONOUN_OBJECT.match(rest))


def _said_for_now(phrasing: Phrasing) -> bool:
    """Work done in the meeting itself or out of habit, not a task to track: "I'll walk you through the
    numbers", "I'll write it down", "I'll have a go", "I write up the notes after every meeting"."""
    if phrasing.cue is None or AFTER_MEETING.search(phrasing.sentence):
        return False
    rest = phrasing.rest
    return bool(HABITUAL.search(phrasing.sentence) or NARRATION.match(rest) or NO_TASK.match(rest))


def _turned_down(conversation: Conversation, best: Phrasing) -> bool:
    """Taken on and turned down in one breath ("I'm happy to in principle, but I'm out all of November"),
    or a request whose answer does so."""
    if DECLINED.search(best.sentence):
        return True
    if best.cue is None or best.cue.owner not in (ADDRESSEE, NAMED):
        return False
    answer = _next_turn_of_another(conversation, best.index, best.speaker)
    return answer is not None and bool(DECLINED.search(str(conversation.messages[answer].get("text") or "")))


def _takes_a_compliment(conversation: Conversation, best: Phrasing) -> bool:
    """ "Nice work, Kofi, that was the right call." / "I'll take that.": praise and thanks, not a task."""
    if best.cue is None and PRAISE.search(best.sentence):
        return True
    if not _names_no_task(best) or best.index == 0:
        return False
    before = conversation.messages[best.index - 1]
    return conversation.people.speaker_of(before) != best.speaker and bool(
        PRAISE.search(str(before.get("text") or ""))
    )


def _next_turn_of_another(conversation: Conversation, index: int, speaker: Person | None) -> int | None:
    for later in range(index + 1, min(index + 1 + EXCHANGE_REACH, len(conversation.messages))):
        if conversation.people.speaker_of(conversation.messages[later]) != speaker:
            return later
    return None


def _answers_a_request(
    people: People, earlier: list[Phrasing], best: Phrasing, speaker: Person | None
) -> bool:
    """The chosen turn, with no commitment form of its own, answers a request or question of someone else:
    the turn just before, or one a little earlier that named this speaker ("Grace, could you take the
    release notes?" … "Okay. Release notes by Wednesday, then.")."""
    if speaker is None or best.sentence.rstrip().endswith("?") or not earlier:
        return False
    if REPORTED_PAST.search(best.sentence) and not FUTURE.search(best.sentence):
        return False  # "We corrected the configuration on Sunday.": what was done, not what will be
    if ABOUT_SOMETHING_ELSE.match(_without_acknowledgement(best.sentence)) and not FIRST_PERSON.search(
        best.sentence
    ):
        return False
    last = max(p.index for p in earlier)
    for p in earlier:
        asked = (
            p.sentence.rstrip().endswith("?")
            and not STATE_QUESTION.match(p.sentence)
            and not ROUND_QUESTION.search(p.sentence)
        )
        asks = asked or (p.cue is not None and p.cue.owner in (ADDRESSEE, NAMED))
        if p.speaker in (None, speaker) or not asks:
            continue
        if p.index == last or any(person == speaker for person, _, _ in people.named_in(p.sentence)):
            return True
    return False


def _names_no_task(phrasing: Phrasing) -> bool:
    """The item's own words name no task: "leave it with me", "I'll grab that", "yep, by eleven"."""
    if TAKES_IT_ON.search(phrasing.sentence) or (phrasing.cue and _object_is_pronoun(phrasing.rest)):
        return True
    if phrasing.cue is None:
        return len(content_words(_without_acknowledgement(phrasing.sentence), STOPWORDS)) < 2
    return len(phrasing.task_words) < 2 and (bool(TASK_PRONOUN.search(phrasing.rest)) or not phrasing.rest)


def _context_sentence(best: Phrasing, phrasings: list[Phrasing], earlier: list[Phrasing]) -> str:
    """Where the task a bare commitment takes on is named, nearest first: the same sentence before the
    form ("lets just start a shared tracker i'll set it up tonight"), the same turn's other sentences ("I'll
    grab that one. Thank-you letters, out this week."), the latest request or question of someone else
    just before, else the sentence of those turns that says the most; clipped to CONTEXT_WORDS words."""
    informative = lambda text: len(content_words(text, STOPWORDS)) >= 2  # noqa: E731
    before = _before_form(best)
    same_turn = [p.sentence for p in phrasings if p.index == best.index and p.sentence != best.sentence]
    latest_first = sorted(earlier, key=lambda p: -p.index)
    asked = [
        p.sentence
        for p in latest_first
        if p.sentence.rstrip().endswith("?")
        or (p.speaker != best.speaker and p.cue is not None and p.cue.owner in (ADDRESSEE, NAMED))
    ]
    # Short remarks ("Oh no, I forgot.") rarely name the task: the nearest sentence that says more.
    said = [p.sentence for p in latest_first if len(content_words(p.sentence, STOPWORDS)) >= 3]
    for sentence in [before, *same_turn, *asked, *said]:
        if sentence and informative(sentence):
            words = _without_acknowledgement(sentence).rstrip(" ,.!?").split()
            return " ".join(words[:CONTEXT_WORDS]) + ("…" if len(words) > CONTEXT_WORDS else "")
    return ""


def _before_form(phrasing: Phrasing) -> str:
    """The words of the sentence before its commitment or request form."""
    if phrasing.cue is None:
        return ""
    m = phrasing.cue.pattern.search(phrasing.sentence)
    return phrasing.sentence[: m.start()] if m else ""


def _offer_taken_up(earlier: list[Phrasing], best: Phrasing, speaker: Person | None) -> Phrasing | None:
    """The offer this turn settles: someone else's just before that it confirms ("I can thaw a vial." / "Yes,
    please do."), or the speaker's own from a few turns back when this turn names no task ("Before
    Thursday, yep.")."""
    asked = _offer_asked(earlier, best, speaker)
    if asked is not None:
        return asked
    offers = [p for p in earlier if p.cue is not None and p.cue.owner == SPEAKER and p.task_words]
    if not offers:
        return None
    if CONFIRMS.match(best.sentence):
        last = max(p.index for p in earlier)
        confirmed = [p for p in offers if p.index == last and p.speaker not in (None, speaker)]
        return confirmed[-1] if confirmed else None
    if best.cue is None and speaker is not None and _bare_answer(best) and not _asks(best.sentence):
        # Only when nothing with a task was said since: a request in between is what the answer takes on.
        tasks = [p for p in earlier if p.cue is not None and p.cue.owner != GROUP and p.task_words]
        latest = max(tasks, key=lambda p: p.index)
        return latest if latest in offers and latest.speaker == speaker else None
    return None


def _offer_asked(earlier: list[Phrasing], best: Phrasing, speaker: Person | None) -> Phrasing | None:
    """The offer put as a question just before that this turn says yes to ("Shall I draft a business case?" /
    "Yes please, by the end of the month."), read as its speaker's commitment."""
    if speaker is None or not earlier or best.cue is not None or not YES_TO_OFFER.match(best.sentence):
        return None
    last = max(p.index for p in earlier)
    for p in reversed(earlier):
        m = OFFER_QUESTION.pattern.search(p.sentence)
        if p.index != last or p.speaker in (None, speaker) or m is None:
            continue
        rest = _clean_rest(m.group("rest"))
        task = frozenset(content_words(rest, STOPWORDS))
        return Phrasing(p.index, p.sentence, OFFER_QUESTION, rest, p.speaker, task) if task else None
    return None


def _bare_answer(phrasing: Phrasing) -> bool:
    """A reply that names nothing but perhaps a date: "Before Thursday, yep.", "ok thursday works"."""
    said = _without_acknowledgement(phrasing.sentence)
    due = find_due_date(said, ANY_DAY)
    return len(content_words(_without_due(said, due), STOPWORDS) - {"work", "works", "fine", "good"}) < 2


def _answered_request(
    conversation: Conversation, phrasings: list[Phrasing], best: Phrasing
) -> Phrasing | None:
    """The earlier request whose task a pronoun in the accepted commitment stands for, when it says more
    ("Can you send the slides to the client?" / "Sure, I'll send them." → send the slides to the client).
    Its "me" and "my" are the asker's (`_asker_named`); not when it says "I", which no rewrite keeps right."""
    if best.cue is not None and best.task_words and not _object_is_pronoun(best.rest):
        return None
    requests = [
        p
        for p in phrasings
        if p.index < best.index
        and p.cue is not None
        and p.cue.owner in (ADDRESSEE, NAMED)
        and p.speaker != best.speaker
        and len(p.task_words) > len(best.task_words)
        and not FIRST_PERSON.search(ASKER.sub("", p.rest))
        and _asked_of(conversation, p, best.speaker)
        and p.cue.pattern not in HANDED_OVER  # "Let's get Mei to sign it off." / "I'll ping her.": Mei's task
    ]
    return max(requests, key=lambda p: p.index) if requests else None


def _asked_of(conversation: Conversation, request: Phrasing, speaker: Person | None) -> bool:
    """The request was put to this speaker: it names them, or they are the first to answer it. Not one
    another person answered ("Can you get those reconciled?" / Amara: "Consider it done." / Kwame: "I'll
    get it over to HR"), whose task is theirs."""
    if any(person == speaker for person, _, _ in conversation.people.named_in(request.sentence)):
        return True
    answer = _next_turn_of_another(conversation, request.index, request.speaker)
    return answer is None or conversation.people.speaker_of(conversation.messages[answer]) == speaker


def _first_due_date(phrasings: list[Phrasing], best: Phrasing, reference_time: datetime) -> DueDate | None:
    """The due date of the item's task, else of its sentence ("If legal signs off this week, I'll migrate the
    accounts next Monday": Monday), else the first one said in the exchange ("…today" in the answer)."""
    own_task = find_due_date(best.rest, reference_time) if best.rest else None
    if own_task is not None:
        return own_task
    for phrasing in sorted(phrasings, key=lambda p: p is not best):
        due = find_due_date(phrasing.sentence, reference_time)
        if due is not None:
            return due
    return None


def _owner(conversation: Conversation, index: int, sentence: str, cue: Cue, speaker: Person | None):
    handed = cue.pattern.search(sentence) if cue.pattern in HANDED_OVER else None
    if handed:
        # Someone not in the meeting is named all the same: the note says whose the work is.
        name = handed.group("name")
        return NAMED, conversation.people.by_first_name(name) or Person("", name, "")
    named = _named_subject(conversation.people, sentence, speaker)
    if named is not None:
        return NAMED, named
    if cue.owner == SPEAKER:
        return SPEAKER, speaker
    if cue.owner == ADDRESSEE:
        return ADDRESSEE, _addressee(conversation, index, sentence, speaker)
    if cue.owner == ROLE:
        return ROLE, None
    return GROUP, None


def _named_subject(people: People, sentence: str, speaker: Person | None) -> Person | None:
    """A known person the sentence speaks to ("Priya, please…") or about ("Priya will…")."""
    for person, _, name in people.named_in(sentence):
        if person == speaker:
            continue
        vocative = re.compile(VOCATIVE.format(name=re.escape(name)))
        subject = NAMED_SUBJECT.search(sentence)
        if vocative.search(sentence) or (subject and subject.group("name") == name):
            return person
    return None


def _addressee(
    conversation: Conversation, index: int, sentence: str, speaker: Person | None
) -> Person | None:
    """Whom "you" means: whoever accepts in the next message, or the other party of a two-person call."""
    messages = conversation.messages
    if index + 1 < len(messages):
        responder = conversation.people.speaker_of(messages[index + 1])
        if (
            responder
            and responder != speaker
            and ACCEPTANCE.match(str(messages[index + 1].get("text") or "").strip())
        ):
            return responder
    return conversation.people.other_party(speaker)


def _clean_rest(rest: str) -> str:
    # A run-on turn ("chase legal today I'll just walk over there", "chase them today I know their lead"):
    # the task ends where the next clause begins, unless a word before binds it ("before I leave").
    rest = DANGLING.sub("", NEXT_CLAUSE.split(rest, maxsplit=1)[0])
    for clause in RUN_ON_I.finditer(rest):
        if clause["before"].lower() not in BINDS_A_CLAUSE:
            rest = rest[: clause.start("before") + len(clause["before"])]
            break
    # "I'll write it myself": the emphasis says nothing the owner's name does not.
    rest = MYSELF.sub("", rest)
    rest = TRAILING_TAG.sub("", rest.strip())
    return LEADING_SOFTENER.sub("", rest).strip(" ,")


def _without_due(rest: str, due: DueDate | None) -> str:
    if due is None:
        return rest
    return re.sub(r"\s+", " ", re.sub(re.escape(due.text), "", rest, flags=re.IGNORECASE)).strip(" ,")


def _hearer(conversation: Conversation, index: int, speaker: Person | None) -> Person | None:
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


def _you_resolved(rest: str, hearer: Person | None) -> str:
    """ "get back to you next week" → "get back to Anna next week"; unchanged when nobody is known, and
    "your" is left alone (a possessive needs the name's form, which a rule would get wrong)."""
    if hearer is None or not hearer.first_name:
        return rest
    name = hearer.first_name
    rest = YOU_DO.sub(
        lambda m: f"{name} {m['adverb'] or ''}{THIRD_PERSON.get(m['verb'].lower(), m['verb'] + 's')}", rest
    )
    return YOU.sub(name, rest)


def _without_acknowledgement(sentence: str) -> str:
    return ACKNOWLEDGEMENT.sub("", sentence.strip(), count=1)


def _normalised_text(sentence: str, rest: str, owner: str, cue: Cue, assignee: Person | None) -> str:
    """A third-person sentence ("Priya will send the release notes…") when that is a safe rewrite;
    otherwise the sentence as said. First-person words left in the rest would change meaning, so they
    make us keep the original, less a leading acknowledgement ("Yes, I will…" → "I will…")."""
    said = as_sentence(_without_acknowledgement(sentence))
    role = ROLE_SUBJECT.search(sentence) if owner == ROLE else None
    if role:  # "Um the Marketing Expert will uh will take a look…" → "The Marketing Expert will take a look…"
        return as_sentence(capitalise_first(" ".join(role.group("role", "modal", "rest"))))
    delegated = DELEGATION.search(sentence) if cue.pattern is DELEGATION else None
    if delegated and assignee is not None:  # "Tom from legal will check the clause."
        return as_sentence(f"{assignee.first_name}{delegated.group('team') or ''} will {rest}")
    if owner == NAMED:
        subject = NAMED_SUBJECT.search(sentence)
        if subject and assignee and subject.group("name") == assignee.first_name:
            return as_sentence(sentence[subject.start() :])
    if FIRST_PERSON.search(rest) or not rest:
        return said
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


def _merge_repeats(candidates: list[Candidate]) -> list[Candidate]:
    """A commitment said twice (a request and its acceptance just after, or a recap at the end) is one
    item citing both; the better-scored wording is kept."""
    merged: list[Candidate] = []
    for candidate in candidates:
        twin = next((m for m in reversed(merged) if _same_item(m, candidate)), None)
        if twin is None:
            merged.append(candidate)
            continue
        if _request_then_acceptance(twin, candidate):
            # The owner's own words, unless they name no task ("Sure, leave it with me.").
            keep, other = (candidate, twin) if len(candidate.content) >= 2 else (twin, candidate)
            keep.assignee = keep.assignee or other.assignee
        else:
            keep, other = (candidate, twin) if candidate.score > twin.score else (twin, candidate)
        order = {mid: i for i, mid in enumerate(twin.message_ids + candidate.message_ids)}
        keep.message_ids = sorted(set(keep.message_ids) | set(other.message_ids), key=order.__getitem__)
        keep.due = keep.due or other.due
        keep.content |= other.content
        merged[merged.index(twin)] = keep
    return merged


def _same_item(earlier: Candidate, later: Candidate) -> bool:
    if earlier.kind != later.kind:
        return False
    if _request_then_acceptance(earlier, later):
        return True
    if not earlier.content or not later.content:
        return False
    overlap = len(earlier.content & later.content) / len(earlier.content | later.content)
    if later.message_index - earlier.message_index <= EXCHANGE_REACH:
        # A request answered by someone else shares few words with the answer.
        return overlap >= 0.3
    same_owner = earlier.assignee is None or later.assignee is None or earlier.assignee == later.assignee
    return same_owner and min(len(earlier.content), len(later.content)) >= 2 and overlap >= RECAP_OVERLAP


def _request_then_acceptance(earlier: Candidate, later: Candidate) -> bool:
    """ "Diego, can you comp breakfast?" / "Sure, leave it with me.": one task, asked of someone who takes it
    on in the next turns."""
    return (
        0 < later.message_index - earlier.message_index <= EXCHANGE_REACH
        and earlier.assignee is not None
        and earlier.speaker != earlier.assignee
        and later.speaker == later.assignee == earlier.assignee
    )


def ranked(candidates: list[Candidate], kind: str, limit: int | None, threshold: float) -> list[Candidate]:
    """The `limit` best items (all with None) of one kind at or above `threshold`, back in the order they
    were said."""
    eligible = [c for c in candidates if c.kind == kind and c.score >= threshold]
    best = sorted(eligible, key=lambda c: (-c.score, c.message_index))[:limit]
    return sorted(best, key=lambda c: c.message_index)


def to_symbl(candidate: Candidate) -> dict:
    """The contract's ConversationActionItem / ConversationFollowUp (§5.5, §5.6)."""
    item = {
        "id": insight_id(candidate.kind, candidate.text, candidate.message_ids),
        "text": candidate.text,
        "type": candidate.kind,
        "score": candidate.score,
        "messageIds": candidate.message_ids,
        "entities": _entities(candidate),
        "phrases": [{"type": "action_phrase", "text": candidate.action_phrase}]
        if candidate.action_phrase
        else [],
        "definitive": candidate.definitive,
        "from": candidate.speaker.from_payload() if candidate.speaker else {},
        "assignee": candidate.assignee.model_from() if candidate.assignee else {},
    }
    if candidate.due is not None:
        item["dueBy"] = candidate.due.iso()
    return item


def _entities(candidate: Candidate) -> list[dict]:
    entities = []
    if candidate.assignee is not None:
        offset = candidate.text.find(candidate.assignee.first_name)
        if offset >= 0:
            value = {**candidate.assignee.from_payload(), "assignee": True}
            entities.append(
                {"type": "person", "text": candidate.assignee.first_name, "offset": offset, "value": value}
            )
    if candidate.due is not None:
        offset = candidate.text.lower().find(candidate.due.text.lower())
        if offset >= 0:
            entities.append(
                {
                    "type": candidate.due.kind,
                    "text": candidate.text[offset : offset + len(candidate.due.text)],
                    "offset": offset,
                    "value": candidate.due.day.isoformat(),
                }
            )
    return entities
