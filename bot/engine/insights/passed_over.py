"""Exchanges that hold an action item whatever the model scored them: a request put to someone who says yes
("Yusuf, please keep negotiating…" / "Will do."), work handed to someone by name ("Let's ask Tom from legal
to check the clause", "Sara to update the runbook"), a plain dated commitment in a long turn ("I'll present
the full concepts in two weeks"), a promise passed on for someone not speaking ("Oksana's told me she'll size
the work by the 3rd"), and the further dated commitments of a turn whose first one the model chose. The
model learned from AMI, where most requests are talk about the design on the table and a bare "Consider it
done." tells it little."""

from __future__ import annotations

import re
from dataclasses import replace

from .action_cues import (
    ACCEPTANCE,
    ACTION_ITEM,
    AFTER_MEETING,
    ASKS_ABOUT_OBLIGATION,
    DECLINED,
    ELLIPTICAL_ASK,
    HEDGE,
    IMPERATIVE,
    IN_MEETING,
    LEADING_SOFTENER,
    NAMED,
    NAMED_PLAN,
    NAMED_SUBJECT,
    OFFERED_WISH,
    OPINION_REQUEST,
    ORDER_TAKEN,
    PLEASE_CUE,
    REPORTED_PAST,
    REPORTED_PROMISE,
    REQUEST_CUES,
    RIGHT_NOW,
    ROLE,
    ROLE_SUBJECT,
    SPEAKER,
    WISHED_STATE,
    YES_TO_OFFER,
)
from .action_reading import (
    ANY_DAY,
    HANDED_OVER,
    NARRATION,
    NO_TASK,
    WE_WILL,
    Candidate,
    Conversation,
    Phrasing,
    addressed_just_before,
    bare_answer,
    clauses_of,
    clean_rest,
    commitment_form,
    hearer_of,
    kind_of,
    named_subject,
    object_is_pronoun,
    owner_of,
    phrasings_of,
    reported_form,
    said_for_now,
    without_due,
)
from .action_wording import due_after_task, normalised_text, you_resolved
from .dates import MONTHS, find_due_date
from .text import as_sentence, content_words, remove_fillers, rough_sentences
from .vocabulary import STOPWORDS

REQUEST_FORMS = (
    *(cue.pattern for cue in REQUEST_CUES),
    NAMED_SUBJECT,
    ELLIPTICAL_ASK,
    IMPERATIVE,
    *HANDED_OVER,
)


BARE_YES = re.compile(
    r"(?:(?:yes|yeah|yep|yup|ok|okay|alright|all right|right|fine|mm-hmm|uh-huh)\W*)+", re.I
)


# "program a secondary infusion on this one": the thing in front of them, so work done in the room.
AT_HAND = re.compile(r"\b(?:on|with|in|to) (?:this|these|that) (?:ones?|screen|slide|board)\b", re.IGNORECASE)


ADVERB_AFTER_I = re.compile(
    r"\b(I(?:'m| am|'ll| will))\s+(?:also|just|then|definitely|really)\s+", re.IGNORECASE
)


CONDITION = re.compile(r"\b(?:if|unless|otherwise|in case|once)\b", re.IGNORECASE)


# "I'll need someone to cover the desk": asking for help, not taking a task on.
ASKS_FOR_HELP = re.compile(
    r"^(?:need|want|have)\s+(?:someone|somebody|anyone|anybody|you|help)\b", re.IGNORECASE
)


IN_A_MONTH = re.compile(r"\bin (?:" + "|".join(MONTHS) + r")\b", re.IGNORECASE)


def further_commitments(conversation: Conversation, index: int, first: Candidate) -> list[Candidate]:
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
    phrasings = phrasings_of(conversation, [index])
    for sentence in phrasings:
        for clause in clauses_of(sentence.sentence):
            clause = ADVERB_AFTER_I.sub(r"\1 ", clause)  # "I'm also going to…" is "I'm going to…"
            cue, rest = commitment_form(conversation.people, clause)
            if cue is None or cue.owner != SPEAKER:
                continue
            rest = clean_rest(rest)
            due = find_due_date(rest, reference_time) or find_due_date(clause, reference_time)
            task = frozenset(content_words(without_due(rest, due), STOPWORDS))
            said = Phrasing(index, clause, cue, rest, speaker, task)
            # A task of its own says when; a further clause that does not restates the first ("I'll do it, I
            # did that at my last place"), and one on a condition hangs on it ("…and if there's no date by
            # Friday, I'll escalate").
            if due is None or len(task) < 2 or any(len(task & t) >= len(task) / 2 for t in taken):
                continue
            if (
                said_for_now(said)
                or HEDGE.search(clause)
                or CONDITION.search(clause)
                or DECLINED.search(clause)
                or ASKS_FOR_HELP.match(rest)
            ):
                continue
            text = normalised_text(
                clause, you_resolved(rest, hearer_of(conversation, index, speaker)), SPEAKER, cue, speaker
            )
            if due is not None and due.text.lower() not in text.lower():
                text = as_sentence(text.rstrip(".!?") + " " + due_after_task(due.text))
            taken.append(task)
            found.append(
                replace(
                    first,
                    kind=kind_of(clause, speaker),
                    text=text,
                    due=due,
                    definitive=True,
                    action_phrase=without_due(rest, due),
                    content=set(task),
                    message_ids=[str(message.get("id"))],
                )
            )
    return found + _passed_on_beside(conversation, index, first, taken, phrasings)


def _passed_on_beside(
    conversation: Conversation,
    index: int,
    first: Candidate,
    taken: list[frozenset[str]],
    phrasings: list[Phrasing],
) -> list[Candidate]:
    """Someone else's dated task said in the same turn as the speaker's own ("…so Sam will do the duplicate
    inspection first thing. And I'll ping you the CRS", "I'll give her a heads-up; she's said she can turn it
    round by Friday"): an item of its own, theirs."""
    found = []
    for number, said in enumerate(phrasings):
        # The speaker's own form may come first in the sentence: "I'll give her a heads-up; she's said…"
        before = " ".join(q.sentence for q in phrasings[:number])
        reported = reported_form(conversation.people, before, said.sentence, said.speaker)
        if reported is not None:
            form, rest, person = reported
            p = replace(said, cue=form, rest=clean_rest(rest), passed_on_for=person)
            due_said = find_due_date(p.rest, conversation.reference_time)
            p = replace(p, task_words=frozenset(content_words(without_due(p.rest, due_said), STOPWORDS)))
        elif said.cue is not None and said.cue.pattern is NAMED_SUBJECT:
            form, p = said.cue, said
            person = owner_of(conversation, said)[1]
        else:
            continue
        due = find_due_date(p.rest, conversation.reference_time)
        if (
            person is None
            or person == p.speaker
            or (due is None and len(p.task_words) < 2)
            or HEDGE.search(p.sentence)
            or CONDITION.search(p.sentence)
            or any(p.task_words and len(p.task_words & t) >= len(p.task_words) / 2 for t in taken)
        ):
            continue
        text = normalised_text(p.sentence, p.rest, NAMED, form, person)
        if due is not None and due.text.lower() not in text.lower():
            text = as_sentence(text.rstrip(".!?") + " " + due_after_task(due.text))
        said_before = [
            q.sentence for q in phrasings[:number] if len(content_words(q.sentence, STOPWORDS)) >= 3
        ]
        if object_is_pronoun(p.rest) and said_before:  # "turn it round": what "it" is was said before
            text = as_sentence(f"{text.rstrip('.!?')} (re: {said_before[-1].rstrip(' ,.!?')})")
        taken.append(p.task_words)
        found.append(
            replace(
                first,
                kind=ACTION_ITEM,
                text=text,
                assignee=person,
                due=due,
                definitive=True,
                action_phrase=without_due(p.rest, due),
                content=set(p.task_words),
                message_ids=[str(conversation.messages[index].get("id"))],
            )
        )
    return found


def accepted_requests(conversation: Conversation, chosen: set[int]) -> list[int]:
    """Requests with a task, put to someone who says yes in the next turn ("Yusuf, please keep negotiating
    and report back in January." / "Will do."), and work handed to someone by name, that the model passed
    over: it learned from AMI, where most
    requests are talk about the design on the table, and a bare "Consider it done." tells it little."""
    messages, people = conversation.messages, conversation.people
    found = []
    for index in range(len(messages)):
        if index in chosen:
            continue
        if (
            delegates(conversation, index)
            or answers_for_a_team(conversation, index)
            or dated_own_commitment(conversation, index)
            or finds_out(conversation, index)
            or gives_to_a_team(conversation, index)
            or takes_up_a_wish(conversation, index)
            or passes_on_a_promise(conversation, index)
        ):
            found.append(index)
            continue
        if index + 1 == len(messages) or index + 1 in chosen:
            continue
        answer = remove_fillers(str(messages[index + 1].get("text") or "")).strip()
        asker, answerer = people.speaker_of(messages[index]), people.speaker_of(messages[index + 1])
        if asker is None or answerer in (None, asker) or not says_yes(answer):
            continue
        # A bare "Yeah." is as often "I hear you" as "I will": it takes on only a request pointed at someone.
        pointed_only = BARE_YES.fullmatch(answer) is not None
        for phrasing in phrasings_of(conversation, [index]):
            named = named_subject(people, phrasing.sentence, asker) is not None
            if hands_out_work(phrasing, pointed_only and not named):
                found.append(index)
                break
    return found


# "I'll present the full concepts in two weeks": the plain first-person future ("I should" is no promise),
# or "I can" with a verb of delivering.
WILL_DO = re.compile(
    r"\bI(?:'ll| will|'m going to| am going to)\s|"
    # "I can get that to you within 48 hours", "I can get that test live by Wednesday": a delivery offered
    r"\bI can (?:get|have|send|turn|share|run|draft|book|pull|chase|check|sort|ring|call|fix)\s|"
    # "yeah im booking the fire inspection for next week": a plan in the present
    r"\bI(?:'m| am) (?!(?:thinking|wondering|guessing|hoping|going|getting|having|taking|feeling|working|"
    r"flying|travelling|traveling|leaving|off|out|away|in)\b)\w+ing\s",
    re.IGNORECASE,
)


def _own_plain_promises(conversation: Conversation, index: int) -> list[Phrasing]:
    """The turn's sentences where the speaker says plainly they will do something (WILL_DO)."""
    text = str(conversation.messages[index].get("text") or "")
    if not WILL_DO.search(text):  # before splitting sentences, which costs
        return []
    return [
        p
        for p in phrasings_of(conversation, [index])
        if p.cue is not None and p.cue.owner == SPEAKER and WILL_DO.search(p.sentence)
    ]


def dated_own_commitment(conversation: Conversation, index: int) -> bool:
    """The speaker says plainly what they will do and when ("I'll present the full concepts in two weeks",
    in a long turn about something else): the model reads the whole turn, and its other talk drowns the one
    sentence that commits."""
    for phrasing in _own_plain_promises(conversation, index):
        due = find_due_date(phrasing.rest, conversation.reference_time)
        if (
            due is not None
            and (len(phrasing.task_words) >= 2 or object_is_pronoun(phrasing.rest))
            and not phrasing.sentence.rstrip().endswith("?")
            and not said_for_now(phrasing)
            and not HEDGE.search(phrasing.sentence)
            and not CONDITION.search(phrasing.sentence)
            and not DECLINED.search(phrasing.sentence)
            and not ASKS_FOR_HELP.match(phrasing.rest)
        ):
            return True
    return False


# "I'll check with the fares team whether…", "I'll find out if…": a question taken away to be answered. Its
# "whether" reads to the model as a hedge.
FINDS_OUT = re.compile(
    r"^(?:check|double-check|confirm|find out|ask)\b(?:\s+[\w'-]+){0,6}?\s+(?:whether|if)\s+\w+",
    re.IGNORECASE,
)


def finds_out(conversation: Conversation, index: int) -> bool:
    """The speaker will find something out: listed whatever the model scored the turn, unless the promise
    hangs on a condition said before it ("If it breaks again, I'll ask whether…")."""
    for phrasing in _own_plain_promises(conversation, index):
        assert phrasing.cue is not None  # _own_plain_promises yields phrasings with a form
        form = phrasing.cue.pattern.search(phrasing.sentence)
        before = phrasing.sentence[: form.start()] if form else ""
        if (
            FINDS_OUT.match(phrasing.rest)
            and not phrasing.sentence.rstrip().endswith("?")
            and not CONDITION.search(before)
            and not DECLINED.search(phrasing.sentence)
        ):
            return True
    return False


# What a team will think, want or be is no task: "Sales will want the numbers", "Legal will say no".
NOT_A_DEED = re.compile(
    r"(?:be|have|want|like|love|hate|know|think|say|feel|need|see|hear|care|agree|prefer|understand|mind|"
    r"wonder|expect|hope|ask for|complain|push back|say no|object)\b",
    re.IGNORECASE,
)


def _a_team_named(sentence: str) -> bool:
    """ "the Security Team needs to…", "Marketing will…"; not a plural said as a rule ("Sites need to start
    using it"): a one-word subject counts only with a plain "will"."""
    role = ROLE_SUBJECT.search(sentence)
    return role is not None and (
        len(role["role"].split()) > 1 or role["modal"] in ("will", "is going to", "are going to")
    )


def gives_to_a_team(conversation: Conversation, index: int) -> bool:
    """Work given to a team or role by its capitalised name ("And the Security Team needs to review the new
    login flow before we ship", "Marketing will email the partner list"): a note-taker lists it with the team
    as owner, whatever the model scored the turn; not a forecast ("Legal will probably say no")."""
    return any(
        p.cue is not None
        and p.cue.owner == ROLE
        and _a_team_named(p.sentence)
        and not NOT_A_DEED.match(p.rest)
        and len(p.task_words) >= 2
        and not p.sentence.rstrip().endswith("?")
        and not HEDGE.search(p.sentence)
        and not CONDITION.search(p.sentence)
        and not DECLINED.search(p.sentence)
        for p in phrasings_of(conversation, [index])
    )


def takes_up_a_wish(conversation: Conversation, index: int) -> bool:
    """ "I'm happy to run the batch refund." / "Yes please. That's yours once the list lands.": the yes makes
    the offer its speaker's item (the candidate reads the offer back from the yes)."""
    if index == 0:
        return False
    messages, people = conversation.messages, conversation.people
    answer = remove_fillers(str(messages[index].get("text") or "")).strip()
    offerer, answerer = people.speaker_of(messages[index - 1]), people.speaker_of(messages[index])
    if offerer is None or answerer in (None, offerer) or not YES_TO_OFFER.match(answer):
        return False
    if DECLINED.search(answer) or answer.rstrip().endswith("?"):
        return False
    sentences = [p.sentence for p in phrasings_of(conversation, [index - 1])]  # read once per conversation
    for number, sentence in enumerate(sentences):
        offered = OFFERED_WISH.pattern.search(sentence)
        if (
            offered
            and not any(s.rstrip().endswith("?") for s in sentences[number:])  # the yes answers a question
            and not WISHED_STATE.match(offered.group("rest"))
            and len(content_words(clean_rest(offered.group("rest")), STOPWORDS)) >= 2
        ):
            return True
    return False


def passes_on_a_promise(conversation: Conversation, index: int) -> bool:
    """Someone not speaking has promised a task, and the speaker passes it on ("Oksana couldn't make it, but
    she's told me she'll size the Kafka work by the 3rd", "Dmitri is sending the price list on Monday"):
    listed for them, as a note-taker would, whatever the model scored the turn."""
    text = str(conversation.messages[index].get("text") or "")
    if not (REPORTED_PROMISE.search(text) or NAMED_PLAN.search(text)):  # before splitting sentences
        return False
    return any(
        p.cue is not None
        and p.cue.pattern in (REPORTED_PROMISE, NAMED_PLAN)
        and (len(p.task_words) >= 2 or object_is_pronoun(p.rest))
        # "she's our solutions engineer, so she'll handle anything technical": what someone does, unless it
        # was promised ("she's told me she'll…") or has a date
        and (_promised(p.sentence) or find_due_date(p.rest, conversation.reference_time) is not None)
        and not HEDGE.search(p.sentence)
        and not CONDITION.search(p.sentence)
        for p in phrasings_of(conversation, [index])
    )


def _promised(sentence: str) -> bool:
    said = REPORTED_PROMISE.search(sentence)
    return said is not None and (said.group("rest") or said.group("to") or said.group("asked")) is not None


def answers_for_a_team(conversation: Conversation, index: int) -> bool:
    """ "Ola, that's your team." / "Yes, we'll fix the pipeline this sprint.": someone spoken to by name
    promises for their team, a "we'll" the model scores low."""
    message = conversation.messages[index]
    speaker = conversation.people.speaker_of(message)
    text = remove_fillers(str(message.get("text") or "")).strip()
    if speaker is None or not WE_WILL.match(text) or not addressed_just_before(conversation, index, speaker):
        return False
    return any(
        p.cue is not None and len(p.task_words) >= 2 and not HEDGE.search(p.sentence)
        for p in phrasings_of(conversation, [index])
    )


def delegates(conversation: Conversation, index: int) -> bool:
    """The turn hands a task to someone by name ("Let's ask Tom from legal to check the clause", "Sara to
    update the runbook"), which needs nobody's yes."""
    text = str(conversation.messages[index].get("text") or "")
    if not any(form.search(text) for form in HANDED_OVER):  # before splitting sentences, which costs
        return False
    return any(
        p.cue is not None and p.cue.pattern in HANDED_OVER and hands_out_work(p, pointed_only=False)
        for p in phrasings_of(conversation, [index])
    )


def says_yes(answer: str) -> bool:
    """ "Will do.", "Consider it done.", "Got it.", or a bare time ("Tomorrow morning.", "By Friday.")."""
    if DECLINED.search(answer):
        return False
    # "I'd love that. Should I prepare anything?": a yes, then a question of the taker's own.
    if ORDER_TAKEN.match(answer) and not rough_sentences(answer)[0].endswith("?"):
        return True
    if answer.endswith("?"):
        return False
    if ACCEPTANCE.match(answer):
        return True
    return (
        find_due_date(answer, ANY_DAY) is not None
        and bare_answer(answer)
        and not REPORTED_PAST.search(answer)
    )


def _from_but(phrasing: Phrasing) -> str:
    """The sentence from a "but" before its form on: "Probably not much, but let's ask Kofi to review the
    admin screens" hedges the answer before it, not the task."""
    form = phrasing.cue.pattern.search(phrasing.sentence) if phrasing.cue else None
    turn = BUT.search(phrasing.sentence, 0, form.start()) if form else None
    return phrasing.sentence[turn.end() :] if turn else phrasing.sentence


BUT = re.compile(r",\s*but\s+", re.IGNORECASE)


def hands_out_work(phrasing: Phrasing, pointed_only: bool) -> bool:
    """A request put to someone ("can you…", "please…", "Yusuf, …", "Priya, the slides?"; not the "you have
    to…" of design talk), with a task named in it that points past the meeting ("please keep negotiating",
    not "can you see my screen" or "would you like to start"). `pointed_only`: only one that says please
    or gives a time (the caller knows whether it names the person)."""
    if phrasing.cue is None or phrasing.cue.pattern not in REQUEST_FORMS or not phrasing.task_words:
        return False
    if phrasing.cue.pattern is IMPERATIVE and len(phrasing.task_words) < 2:
        return False  # "Call." names no task: an order says what to do to what
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
    sentence = _from_but(phrasing)
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
