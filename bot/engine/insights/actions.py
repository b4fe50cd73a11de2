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

This module decides which turns hold an item and who owns it; `action_reading` reads a turn (its forms,
owner, date), `action_wording` writes the item, and `passed_over` lists the exchanges that hold one whatever
the model scored them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from . import action_features, action_model
from .action_cues import (
    ABOUT_SOMETHING_ELSE,
    ACTION_ITEM,
    ADDRESSEE,
    CUES,
    DECLINED,
    FIRST_PERSON,
    FOLLOW_UP,
    FUTURE,
    GROUP,
    HEDGE,
    IMPERATIVE,
    NAMED,
    NAMED_PLAN,
    NAMED_SUBJECT,
    NEXT_STEPS_REACH,
    OFFER_QUESTION,
    OFFERED_WISH,
    PRAISE,
    REPORTED_PAST,
    REPORTED_PROMISE,
    ROLE,
    ROUND_QUESTION,
    SPEAKER,
    STATE_QUESTION,
    TAKES_IT_ON,
    TURNED_DOWN,
    WISHED_STATE,
    YES_TO_OFFER,
    Cue,
    next_steps_round,
)
from .action_reading import (
    ANY_DAY,
    EXCHANGE_REACH,
    HANDED_OVER,
    Candidate,
    Conversation,
    Phrasing,
    bare_answer,
    clean_rest,
    cut_off,
    hearer_of,
    kind_of,
    named_subject,
    names_no_task,
    next_turn_of_another,
    object_is_pronoun,
    owner_of,
    phrasings_of,
    said_for_now,
    without_acknowledgement,
    without_due,
)
from .action_wording import (
    ASKER,
    RELATIVE_BEFORE,
    asker_named,
    before_form,
    context_sentence,
    days_capitalised,
    due_after_task,
    normalised_text,
    you_resolved,
)
from .dates import DueDate, find_due_date
from .passed_over import accepted_requests, further_commitments, hands_out_work, says_yes
from .people import People, Person
from .text import as_sentence, content_words, insight_id, remove_fillers, rough_sentences, words
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

# A recap repeats most of a commitment's content words; two different tasks of one meeting rarely share
# more than half of them.
RECAP_OVERLAP = 0.6
# Turns before an item in which the task it takes on may have been said ("the key art?" … "I'll grab that").
CONTEXT_REACH = 3
# Not doing something is no task: "I'll leave the tray zone alone", "I'll stay out of it".
ABSTAINS = re.compile(
    r"^(?:leave\b.*\balone|stay out of|keep (?:out|away) (?:of|from)|not (?:touch|change)|shout\W*$)\b", re.I
)
# "Can you write up the capper issue?" / "Already done.": nothing left to do.
ALREADY_DONE = re.compile(
    r"^(?:(?:yes|yeah|yep|oh|ah)\W+)*(?:already done|done already|(?:it's|that's|it is|that is) "
    r"(?:already )?done|(?:i|we)(?:'ve| have)? already (?:done|did|sent|written|logged|booked|fixed)\b)",
    re.IGNORECASE,
)
NEEDS_A_THING = re.compile(r"^(?:also |still )?(?:need|want|require)s?\b(?! to\b)", re.IGNORECASE)
# Taking back a task: "hold off on the letter", "scratch the Thursday call", "forget the survey".
WITHDRAWAL = re.compile(
    r"\b(?:hold off(?: on)?|scratch|forget(?: about)?|never mind|no need (?:to|for)|cancel|"
    r"don't bother(?: with)?)\s+(?P<rest>(?:the|that|this|those|your|my)\b.*)",
    re.IGNORECASE,
)
# A joke: laughed at as it is said ("someone should just stand there with a clipboard all day ha") or by the
# next speaker ("I'll just go out there with a bucket of tarmac." / "Ha. Don't tempt me.").
_LAUGH = r"ha|haha|hah|heh|lol"
LAUGHED_AT = re.compile(rf"\b(?:{_LAUGH}|just kidding|only joking)\W*$|[(\[]laugh", re.IGNORECASE)
LAUGHS_BACK = re.compile(
    rf"^\W*(?:{_LAUGH}|don't tempt me|you wish|in your dreams|nice try)\b|^\W*[(\[]laugh", re.I
)
# What is said back to a promise or a joke, not a task of its own: "I'll hold you to that."
STOCK_REPLY = re.compile(
    r"\b(?:i'll|i will) (?:hold you to (?:that|it)|take your word for it|believe it when i see it)\b", re.I
)
# Turns after a task in which a withdrawal naming one of its words takes it back; further on, two of them.
WITHDRAWAL_REACH = 2
WITHDRAWAL_FAR_REACH = 12
# Work put to nobody in particular: "Somebody needs to talk to the principal", "we need someone to cover".
SOMEONE_NEEDS = re.compile(
    r"\b(?:(?:someone|somebody|anyone|anybody) (?:needs to|should|has to|must|ought to|will have to)|"
    r"(?:we|i) (?:need|want) (?:someone|somebody) to)\s+(?P<rest>\S.*)",
    re.IGNORECASE,
)
# …or asked of whoever will: "can someone pull the temperature logs". Taken by a bare "I can do that", not by
# a yes in other words ("I'll email it to Ingrid after the call"), which says the task its own way.
SOMEONE_ASKED = re.compile(
    r"\b(?:can|could|will|would) (?:someone|somebody|anyone|anybody)\s+(?P<rest>\S.*)", re.IGNORECASE
)
# An answer that gives a time first: "Before the winter readiness review, so mid-November."
TIME_FIRST = re.compile(
    r"^(?:before|by|after|until|till|ahead of|no later than|end of|in time for)\b", re.IGNORECASE
)
# Asking for the date of what was just taken on: "By when?", "When can we have the quotes?".
WHEN_ASKED = re.compile(r"\b(?:by when|when (?:can|could|will|would|do|does|should)\b)[^?]*\?", re.IGNORECASE)
# Taking up someone's offer: "Yes, please do.", "Perfect, do that.", "That'd help."
CONFIRMS = re.compile(
    r"^(?:(?:yes|yeah|yep|ok|okay|perfect|great|sure|good|brilliant|lovely|please)\b[\s,.!]*)*"
    r"(?:please\s+)?(?:do (?:that|it|so)\b|do\b\s*(?:[,.!]\s*(?:thanks|thank you|cheers)\b.*)?[.!]?$|"
    r"go (?:for it|ahead)|"
    r"that(?:'d| would) (?:help|be great)|"
    r"sounds good|that works)",
    re.IGNORECASE,
)
# Where one commitment sentence joins two tasks: "…by Monday and run…", "…this week, and then block…".
CONJOINED = re.compile(r",?\s+and\s+(?:then\s+)?|,\s+then\s+", re.IGNORECASE)
# "ring their coordinator today and have an answer by Thursday": the second part is what the first yields.
REPORTS_BACK = re.compile(
    r"(?:have (?:an answer|answers|news|an update|something)|get back to|let \w+ know|report back|"
    r"come back to)\b",
    re.IGNORECASE,
)
# The meeting's own running, which the chair does by speaking ("I'll close the meeting at 11:42."), and
# a goodbye ("speak next week", "I've got to jump, sorry").
RUNS_THE_MEETING = re.compile(
    r"^(?:close|open|adjourn|end|start|chair|wrap up|call) (?:the|this|today's) (?:meeting|session|call)\b"
    r"|^(?:speak|talk|see you|catch up) (?:soon|next|then|later|tomorrow|on)\b"
    r"|^let (?:you|everyone|y'all|the rest of you) (?:all |guys )?(?:go|get back|crack on)\b"
    r"|^(?:hang back|stay behind|stick around|hold on)\b"
    # A committee's procedure: "I'll call us to order", "I'll entertain a motion", "I'll move that, as read".
    r"|^call (?:\w+\s+){0,3}to order\b|^entertain (?:a|the|any) motion\b|^second (?:that|the motion|it)\b"
    r"|^move (?:that|it|the motion)\s*(?:[,.!]|$|as (?:stated|written|read|drafted))"
    r"|^(?:put|take) (?:it|that|this|the motion) to (?:a |the )?vote\b"
    r"|^(?:jump|run|dash|drop|hop|head|go)(?: off)?\b[\s,.!]*(?:sorry|now|in a (?:sec|second|minute))?\W*$",
    re.IGNORECASE,
)
# A goodbye with no form of its own: "Thanks, Jordan, speak next week.", "Cheers all, see you Monday."
SIGN_OFF = re.compile(
    r"^(?:thanks|thank you|cheers|bye|goodbye|right|ok|okay)\b[^.!?]*\b(?:speak|talk|see you|catch you)\b"
    r"(?: (?:soon|next|then|later|tomorrow|on|all|everyone)\b|\W*$)",
    re.IGNORECASE,
)
# The second part starts with a verb of its own (a word, not "the"/"a"/a number): "run the smoke test".
TASK_START = re.compile(
    r"^(?!(?:the|a|an|my|our|their|his|her|its|this|that|it|they|we|i|you|if|when|once|unless|so|because|"
    r"but|as|then|maybe)\b)[a-z]+\b"
)


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
    for index in accepted_requests(conversation, set(chosen)):
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
            candidates += further_commitments(conversation, index, candidate)
    position = {str(m.get("id")): i for i, m in enumerate(messages)}
    return [c for c in _merge_repeats(candidates) if not _withdrawn(conversation, c, position)]


def _withdrawn(conversation: Conversation, candidate: Candidate, position: dict[str, int]) -> bool:
    """Taken back a turn or two later ("I'll draft a warning letter today." … "Actually, hold off on the
    letter.", or the owner's own "Scratch the Thursday call, I'll book it for Wednesday instead."): a
    withdrawn task is no item. The withdrawal must name something of the task."""
    messages = conversation.messages
    said_at = max([candidate.message_index, *(position.get(mid, -1) for mid in candidate.message_ids)])
    for later in range(said_at + 1, min(said_at + 1 + WITHDRAWAL_FAR_REACH, len(messages))):
        text = str(messages[later].get("text") or "")
        if not WITHDRAWAL.search(text):  # before splitting sentences, which costs
            continue
        for sentence in rough_sentences(text):
            withdrawal = WITHDRAWAL.search(sentence)
            named = (
                content_words(withdrawal.group("rest"), STOPWORDS) & candidate.content
                if withdrawal
                else set()
            )
            if len(named) >= (1 if later - said_at <= WITHDRAWAL_REACH else 2):
                return True
    return False


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
        if (
            first_due is None
            or second_due is None
            or not TASK_START.match(second)
            or REPORTS_BACK.match(second)
        ):
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
        and says_yes(remove_fillers(str(messages[last + 1].get("text") or "")).strip())
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


def _best_phrasing(phrasings: list[Phrasing], chosen_index: int) -> Phrasing:
    """The sentence the item is written from: the owner's own commitment with a task in it, else a request
    or assignment with a task, else any commitment form, else the chosen message as said."""
    phrasings = [
        replace(p, cue=None, rest="", task_words=frozenset()) if _yes_then_a_need(p) else p for p in phrasings
    ]
    with_task = [p for p in phrasings if p.cue and p.task_words]
    for owners in ((SPEAKER, NAMED), (ADDRESSEE, GROUP, ROLE)):
        match = [p for p in with_task if p.cue and p.cue.owner in owners]
        if match:
            # The speaker's own named task before one handed on beside it ("I'll draft the questions, and
            # Osman can print them"), which further_commitments lists after it; not "I'll mention it to her".
            return max(
                match,
                key=lambda p: (
                    p.index == chosen_index,
                    not _handed_on_beside_own(p, match),
                    # "I'm treating this as a breach. I'll notify the ICO.": what will be done, not what is
                    p.cue is not None and p.cue.modal != "is",
                    len(p.task_words),
                ),
            )
    formed = [p for p in phrasings if p.cue]
    own = [p for p in phrasings if p.index == chosen_index] or phrasings
    return (formed or [max(own, key=lambda p: len(p.sentence))])[0]


def _handed_on_beside_own(phrasing: Phrasing, others: list[Phrasing]) -> bool:
    """ "…and Osman can print them" after the speaker's own named task in the same turn."""
    return (
        phrasing.cue is not None
        and phrasing.cue.pattern is NAMED_SUBJECT
        and any(
            q.index == phrasing.index
            and q.cue is not None
            and q.cue.owner == SPEAKER
            and not names_no_task(q)
            for q in others
        )
    )


# A yes before what the taker will need: "I can take that, but…", "Sure, …".
TAKEN_BEFORE_A_NEED = re.compile(
    r"\b(?:i can (?:take|do|handle|own) (?:that|it|this)|sure|yes|yeah|yep|happy to|no problem)\b", re.I
)


def _yes_then_a_need(phrasing: Phrasing) -> bool:
    """ "I can take that, but I'll need the pharmacy ones from Tomasz": what the speaker will need is no task,
    and the yes before it takes on what was asked."""
    if (
        phrasing.cue is None
        or phrasing.cue.owner not in (SPEAKER, GROUP)
        or not NEEDS_A_THING.match(phrasing.rest)
    ):
        return False
    before = phrasing.sentence[: max(0, phrasing.sentence.lower().find(phrasing.rest.lower()))]
    return bool(TAKEN_BEFORE_A_NEED.search(before))


def _candidate(
    conversation: Conversation, index: int, cited: list[int], probability: float
) -> Candidate | None:
    """The item of a chosen message, or None when nobody owns it (no commitment form and nobody it answers,
    or a group's with no task: "The team will pick this up again") or it is work for the meeting itself."""
    # "Then I'll close the meeting at 11:42.": the chair's running of the meeting, no task and no date.
    spoken = phrasings_of(conversation, cited)
    read = [p for p in spoken if not (p.cue and RUNS_THE_MEETING.match(p.rest))]
    if spoken and not read:
        return None  # "I'll move that, as stated." answering "Do I hear a motion?" takes on nothing
    phrasings = read or [Phrasing(index, "", None, "", None, frozenset())]
    earlier = phrasings_of(
        conversation, [i for i in range(max(0, index - CONTEXT_REACH), index) if i not in cited]
    )
    best = _best_phrasing(phrasings, index)
    speaker = conversation.people.speaker_of(conversation.messages[index])
    opening = next((p.sentence for p in phrasings if p.index == index), "")
    offer = _offer_taken_up(earlier, best, speaker, opening)
    if offer is not None:
        # "I can thaw a vial today." / "Yes, please do.", or "I can put a cost comparison together." … "Before
        # Thursday, yep.": the offer is the item, its speaker the owner, the answer adds the date.
        phrasings, best = phrasings + [offer], offer
    if best.cue is not None:
        owner, assignee = owner_of(conversation, best)
        speaker = best.speaker
    else:
        assignee = named_subject(conversation.people, best.sentence, speaker)
        owner = NAMED if assignee else None
        if assignee is None and _answers_a_request(conversation.people, earlier, best, speaker):
            # "Before Thursday, yep." after "Rahul, can you get me the cost comparison?": the answer is
            # the commitment, its speaker the owner, the request its task.
            owner, assignee = SPEAKER, speaker
    if cut_off(best):
        return None  # "Project will have to.": the speaker broke off before saying what
    due = _first_due_date(phrasings, best, conversation.reference_time)
    rest = best.rest
    request = _answered_request(conversation, phrasings + earlier, best) if owner == SPEAKER else None
    if request is not None:
        # The request's own date stays in place unless the answer set another ("…next week?" / "…today").
        asked_by = find_due_date(request.rest, conversation.reference_time)
        kept = asked_by is None or due is None or asked_by.text.lower() == due.text.lower()
        # "Read their annual reports and draft an agenda. Send it to me by the twelfth." / "Will do."
        due = due or asked_by or _said_by_in_turn(conversation, request, phrasings + earlier)
        # The request's "you" is the one who took it on: "send me a list of what you still need" → "…what
        # Sam still needs".
        asked = you_resolved(asker_named(request), assignee)
        rest = asked if kept else without_due(asked, asked_by)
    if best.cue is not None:
        if owner == SPEAKER and request is None:
            rest = you_resolved(rest, hearer_of(conversation, best.index, best.speaker))
        elif best.cue.owner == ADDRESSEE and request is None and assignee is not None:
            rest = asker_named(replace(best, rest=rest))  # "sit in on a call with me" → "…with Rachel"
        text = normalised_text(best.sentence, rest, owner, best.cue, assignee)
        if RELATIVE_BEFORE.search(before_form(best)):
            # "…a laminated card, which I'll put on every pump": the task's object is the clause before.
            text = as_sentence(without_acknowledgement(best.sentence))
    elif request is not None and assignee is not None:
        text = as_sentence(f"{assignee.first_name} will {rest}")
    else:
        text = as_sentence(without_acknowledgement(best.sentence))
    if due is not None and due.text.lower() not in text.lower():
        text = as_sentence(text.rstrip(".!?") + " " + due_after_task(due.text))
    # "We'll also need a nurse for those sessions": what the group needs, not what anyone will do.
    group_without_task = owner == GROUP and (len(best.task_words) < 2 or bool(NEEDS_A_THING.match(best.rest)))
    # A role's item stands without a named task ("Legal will handle it"): the context below names it.
    nameless = best.cue is None or (names_no_task(best) and owner != ROLE)
    if (assignee is None and nameless) or group_without_task:
        return None
    if (
        said_for_now(best)
        or _turned_down(conversation, best)
        or TURNED_DOWN.search(str(conversation.messages[best.index].get("text") or ""))
        or _takes_a_compliment(conversation, best)
    ):
        return None
    if _a_joke(conversation, best) or (best.cue is None and SIGN_OFF.match(best.sentence)):
        return None
    if best.cue is not None and ABSTAINS.match(best.rest):
        return None
    if (
        best.cue is not None
        and best.cue.pattern is IMPERATIVE
        and (assignee is None or not hands_out_work(best, pointed_only=False))
    ):
        return None  # an order to nobody the talk names, or work for the room ("Look at this.")
    if request is not None and request.index not in cited:
        cited = sorted({*cited, request.index})
    needed = _needed_just_before(conversation, best) if request is None and owner == SPEAKER else None
    if needed and assignee is not None and assignee.first_name:
        # "…we need to get the letters out by Friday, I can do those": what was needed is the task.
        text = as_sentence(f"{assignee.first_name} will {needed}")
        if due is not None and due.text.lower() not in text.lower():
            text = as_sentence(text.rstrip(".!?") + " " + due_after_task(due.text))
    elif request is None and names_no_task(best):
        # "Leave it with me." / "I'll grab that.": what was taken on is said around it.
        context = context_sentence(best, phrasings, earlier)
        if context and context.rstrip("…").lower() not in text.lower():
            text = as_sentence(f"{text.rstrip('.!?')} (re: {context})")
    owner_name = assignee.name_words if assignee is not None else frozenset()
    if len([w for w in words(text) if w not in owner_name]) <= 1:
        return None  # "Yeah.", "Pay.": a reply or a scrap of speech, which names no work
    said = " ".join(p.sentence for p in phrasings)
    return Candidate(
        kind=kind_of(best.sentence, assignee, rest if best.cue is not None and owner == SPEAKER else ""),
        score=round(probability, 3),
        message_index=index,
        message_ids=[str(conversation.messages[i].get("id")) for i in cited],
        text=text,
        speaker=speaker,
        assignee=assignee,
        due=due,
        definitive=not HEDGE.search(best.sentence) and not best.sentence.rstrip().endswith("?"),
        action_phrase=without_due(rest, due) if best.cue else "",
        content=content_words(rest if best.cue else said, STOPWORDS),
        phrase_message_id=str(conversation.messages[best.index].get("id")),
    )


# What the speaker has just said is needed, ending where the yes to it begins: "we need to get the eight week
# letters out by friday" before "i can do those".
NEEDED_BEFORE = re.compile(
    r"\b(?:we|someone|somebody|they)\s+(?:need|needs|have|has|'ve got|ve got|'ll need|will need)\s+to\s+"
    r"(?P<task>[^.!?;]+?)[\s,;:-]*$",
    re.IGNORECASE,
)
# The yes that takes on what was just said to be needed, and nothing more.
DOES_THOSE = re.compile(
    r"^(?:i can|i'll|i will|let me)\s+(?:do|take|sort|handle|own)\s+(?:those|that|it|them|this)\b[\s\w]*$",
    re.IGNORECASE,
)


def _needed_just_before(conversation: Conversation, best: Phrasing) -> str:
    """The task of "i can do those" when the same turn has just said what is needed, else ""."""
    if best.cue is None or best.cue.owner != SPEAKER:
        return ""
    form = best.cue.pattern.search(best.sentence)
    said = best.sentence[form.start() :] if form else best.sentence
    if not DOES_THOSE.match(said.strip(" ,.!?")):
        return ""
    # The turn's sentences before this one, as phrasings_of read them (kept on the conversation)
    turn = [p.sentence for p in phrasings_of(conversation, [best.index])]
    said_before = turn[: turn.index(best.sentence)] if best.sentence in turn else []
    needed = NEEDED_BEFORE.search(" ".join([*said_before, before_form(best)]))
    if needed is None or len(content_words(needed["task"], STOPWORDS)) < 2:
        return ""
    return clean_rest(needed["task"])


def _said_by_in_turn(conversation: Conversation, request: Phrasing, read: list[Phrasing]) -> DueDate | None:
    """The date another sentence of the request's turn puts on it by pronoun ("Send it to me by the 12th");
    `read` holds the turn's sentences already, so it is not split again."""
    for phrasing in read:
        if (
            phrasing.index == request.index
            and phrasing.sentence != request.sentence
            and phrasing.cue is not None
            and object_is_pronoun(phrasing.rest)
        ):
            due = find_due_date(phrasing.rest, conversation.reference_time)
            if due is not None:
                return due
    return None


def _turned_down(conversation: Conversation, best: Phrasing) -> bool:
    """Taken on and turned down in one breath ("I'm happy to in principle, but I'm out all of November"),
    or a request whose answer does so."""
    if DECLINED.search(best.sentence):
        return True
    if best.cue is None or best.cue.owner not in (ADDRESSEE, NAMED):
        return False
    answer = next_turn_of_another(conversation, best.index, best.speaker)
    said = str(conversation.messages[answer].get("text") or "") if answer is not None else ""
    return bool(DECLINED.search(said) or ALREADY_DONE.match(said) or TURNED_DOWN.search(said))


def _a_joke(conversation: Conversation, best: Phrasing) -> bool:
    """Said in jest: laughed at in the sentence or by the next speaker, or a stock reply to a joke."""
    if LAUGHED_AT.search(best.sentence) or STOCK_REPLY.search(best.sentence):
        return True
    answer = next_turn_of_another(conversation, best.index, best.speaker)
    return answer is not None and bool(
        LAUGHS_BACK.match(str(conversation.messages[answer].get("text") or ""))
    )


def _takes_a_compliment(conversation: Conversation, best: Phrasing) -> bool:
    """ "Nice work, Kofi, that was the right call." / "I'll take that.": praise and thanks, not a task."""
    if best.cue is None and PRAISE.search(best.sentence):
        return True
    if not names_no_task(best) or best.index == 0:
        return False
    before = conversation.messages[best.index - 1]
    return conversation.people.speaker_of(before) != best.speaker and bool(
        PRAISE.search(str(before.get("text") or ""))
    )


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
    if ABOUT_SOMETHING_ELSE.match(without_acknowledgement(best.sentence)) and not FIRST_PERSON.search(
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


def _offer_taken_up(
    earlier: list[Phrasing], best: Phrasing, speaker: Person | None, opening: str = ""
) -> Phrasing | None:
    """The offer this turn settles: someone else's just before that it confirms ("I can thaw a vial." / "Yes,
    please do."), or the speaker's own from a few turns back when this turn names no task ("Before
    Thursday, yep.")."""
    asked = _offer_asked(earlier, best, speaker, opening)
    if asked is not None:
        return asked
    offers = [p for p in earlier if p.cue is not None and p.cue.owner == SPEAKER and p.task_words]
    if not offers:
        return None
    if CONFIRMS.match(best.sentence):
        last = max(p.index for p in earlier)
        confirmed = [p for p in offers if p.index == last and p.speaker not in (None, speaker)]
        return confirmed[-1] if confirmed else None
    answers_when = _answers_when(earlier, best, speaker)
    if (
        best.cue is None
        and speaker is not None
        and (bare_answer(best.sentence) or answers_when)
        and not _asks(best.sentence)
    ):
        # Only when nothing with a task was said since: a request in between is what the answer takes on.
        tasks = [p for p in earlier if p.cue is not None and p.cue.owner != GROUP and p.task_words]
        latest = max(tasks, key=lambda p: p.index)
        return latest if latest in offers and latest.speaker == speaker else None
    return None


def _answers_when(earlier: list[Phrasing], best: Phrasing, speaker: Person | None) -> bool:
    """A date given to someone else's "By when?" just before ("Before the winter readiness review, so
    mid-November."): the due date of what the speaker took on, however many words it names."""
    due = find_due_date(best.sentence, ANY_DAY)
    said = without_acknowledgement(best.sentence)
    if (
        not earlier
        or due is None
        or not (said.lower().startswith(due.text.lower()) or TIME_FIRST.match(said))
    ):
        return False  # "And Dolores said she'd go through the numbers by the twentieth" is an item of its own
    last = max(p.index for p in earlier)
    return any(
        p.index == last and p.speaker not in (None, speaker) and WHEN_ASKED.search(p.sentence)
        for p in earlier
    )


def _offer_asked(
    earlier: list[Phrasing], best: Phrasing, speaker: Person | None, opening: str = ""
) -> Phrasing | None:
    """The offer put as a question just before that this turn says yes to ("Shall I draft a business case?" /
    "Yes please, by the end of the month."), read as its speaker's commitment."""
    if speaker is None or not earlier:
        return None
    # "Yes please. That's yours once the list lands.": the yes may open the turn before the sentence read.
    yes = best.sentence if YES_TO_OFFER.match(best.sentence) else opening
    if not YES_TO_OFFER.match(yes) or (best.cue is not None and not CONFIRMS.match(best.sentence)):
        return None  # "Yes, please do." confirms; "Yes, and send me the file" asks for more
    last = max(p.index for p in earlier)
    for p in reversed(earlier):
        if p.index != last or p.speaker in (None, speaker):
            continue
        # "Shall I draft a business case?", or a wish: "I'd like to bring an action plan to the next meeting."
        cue = OFFER_QUESTION if OFFER_QUESTION.pattern.search(p.sentence) else OFFERED_WISH
        m = cue.pattern.search(p.sentence)
        if m is None or (cue is OFFERED_WISH and not _wish_answered(p, earlier, m.group("rest"))):
            continue
        rest = clean_rest(m.group("rest"))
        task = frozenset(content_words(rest, STOPWORDS))
        return Phrasing(p.index, p.sentence, cue, rest, p.speaker, task) if task else None
    return None


def _wish_answered(wish: Phrasing, earlier: list[Phrasing], rest: str) -> bool:
    """A wish a yes can take up: a deed, with no question after it in its turn (the yes answers that)."""
    after = [p for p in earlier if p.index == wish.index]
    asked_after = any(p.sentence.rstrip().endswith("?") for p in after[after.index(wish) :])
    return not asked_after and not WISHED_STATE.match(rest)


def _answered_request(
    conversation: Conversation, phrasings: list[Phrasing], best: Phrasing
) -> Phrasing | None:
    """The earlier request whose task a pronoun in the accepted commitment stands for, when it says more
    ("Can you send the slides to the client?" / "Sure, I'll send them." → send the slides to the client).
    Its "me" and "my" are the asker's (`asker_named`); not when it says "I", which no rewrite keeps right."""
    if best.cue is not None and best.task_words and not object_is_pronoun(best.rest):
        return None
    requests = [
        p
        for p in phrasings
        if p.index < best.index
        and p.cue is not None
        and p.cue.owner in (ADDRESSEE, NAMED)
        and p.speaker != best.speaker
        # "do the same on DC1 and DC3" names its task in words content_words does not count
        and (
            len(p.task_words) > len(best.task_words)
            or (not best.task_words and len(p.rest.split()) >= 4 and not object_is_pronoun(p.rest))
        )
        and not FIRST_PERSON.search(ASKER.sub("", p.rest))
        and _asked_of(conversation, p, best.speaker)
        and p.cue.pattern not in HANDED_OVER  # "Let's get Mei to sign it off." / "I'll ping her.": Mei's task
        # "could you and Femi split that": asked of two, and no task text once "you" is cut off
        and not re.match(r"(?:and|or)\s", p.rest, re.IGNORECASE)
    ]
    if requests:
        return max(requests, key=lambda p: p.index)
    return _someone_needed(phrasings, best)


def _someone_needed(phrasings: list[Phrasing], best: Phrasing) -> Phrasing | None:
    """The task a volunteer's "that" stands for when it was put to nobody in particular ("Somebody needs to
    talk to the Westview principal. I'll do that one myself.", "Someone needs to write the incident report." /
    "Okay, I'll write it myself.")."""
    own_words = [
        p
        for p in phrasings
        if p.index == best.index
        and p.sentence != best.sentence
        and not SOMEONE_NEEDS.search(p.sentence)
        and len(content_words(p.sentence, STOPWORDS)) >= 2
    ]
    if own_words:
        return None  # "I'll grab that one. Thank-you letters from me and the CEO.": said in their own words
    for p in sorted(phrasings, key=lambda p: -p.index):
        if p.index > best.index or p.sentence == best.sentence or LAUGHED_AT.search(p.sentence):
            continue
        needed = SOMEONE_NEEDS.search(p.sentence) or (
            SOMEONE_ASKED.search(p.sentence) if TAKES_IT_ON.search(best.sentence) else None
        )
        if needed:
            rest = clean_rest(needed.group("rest"))
            task = frozenset(content_words(rest, STOPWORDS))
            if len(task) > len(best.task_words):
                return Phrasing(
                    p.index, p.sentence, Cue(SOMEONE_NEEDS, ADDRESSEE, "will"), rest, p.speaker, task
                )
    return None


def _asked_of(conversation: Conversation, request: Phrasing, speaker: Person | None) -> bool:
    """The request was put to this speaker: it names them, or they are the first to answer it. Not one
    another person answered ("Can you get those reconciled?" / Amara: "Consider it done." / Kwame: "I'll
    get it over to HR"), whose task is theirs."""
    if any(person == speaker for person, _, _ in conversation.people.named_in(request.sentence)):
        return True
    answer = next_turn_of_another(conversation, request.index, request.speaker)
    return answer is None or conversation.people.speaker_of(conversation.messages[answer]) == speaker


def _first_due_date(phrasings: list[Phrasing], best: Phrasing, reference_time: datetime) -> DueDate | None:
    """The due date of the item's task, else of its sentence ("If legal signs off this week, I'll migrate the
    accounts next Monday": Monday), else the first one said in the exchange ("…today" in the answer)."""
    own_task = find_due_date(best.rest, reference_time) if best.rest else None
    if own_task is not None or (best.cue is not None and best.cue.pattern in (REPORTED_PROMISE, NAMED_PLAN)):
        return own_task  # "Brendan isn't here today, but he's agreed he'll set up the samples": not today
    for phrasing in sorted(phrasings, key=lambda p: p is not best):
        due = find_due_date(phrasing.sentence, reference_time)
        if due is not None:
            return due
    return None


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
    text = days_capitalised(candidate.text)
    item = {
        "id": insight_id(candidate.kind, text, candidate.message_ids),
        "text": text,
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
