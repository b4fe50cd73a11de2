"""Action items and follow-ups: who will do what, by when.

Which messages hold an action item is learned: `action_model` scores every message from the features of
`action_features` (its words, commitment and request forms, its neighbours, its place in the meeting) and
picks the confident ones, at most a few per hour. Rules do only what the model cannot: find the owner (the
speaker of "I will…", the person addressed by "Sam, can you…" or who accepts it, the person named as the
subject), the due date (`dates`), write the item in the third person ("Sam will update the release
checklist today.") and merge the same commitment said twice (a request and its acceptance, a recap).
Follow-ups are items whose words are about meeting or getting back (`action_cues.FOLLOW_UP_CUE`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from . import action_features, action_model
from .action_cues import (
    ACCEPTANCE,
    ACTION_ITEM,
    ADDRESSEE,
    CUES,
    FIRST_PERSON,
    FOLLOW_UP,
    FOLLOW_UP_CUE,
    GROUP,
    HEDGE,
    LEADING_SOFTENER,
    NAMED,
    NAMED_SUBJECT,
    NEXT_STEPS_REACH,
    SPEAKER,
    TRAILING_TAG,
    VOCATIVE,
    Cue,
    next_steps_round,
)
from .dates import DueDate, find_due_date
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
    taken = {i for cited in groups.values() for i in cited}
    candidates = []
    for index in sorted(chosen):
        cited = _with_acceptance(conversation, groups[index], taken)
        candidates.append(_candidate(conversation, index, cited, probabilities[index]))
    return _merge_repeats(candidates)


def _with_acceptance(conversation: Conversation, cited: set[int], taken: set[int]) -> list[int]:
    """The cited messages plus the answer to a request among them ("Can you…?" / "Sure, I'll…"), unless
    another item cites it: the answer says who owes the work and often when."""
    messages, people = conversation.messages, conversation.people
    last = max(cited)
    if (
        last + 1 < len(messages)
        and last + 1 not in taken
        and ACCEPTANCE.match(str(messages[last + 1].get("text") or "").strip())
        and people.speaker_of(messages[last + 1]) != people.speaker_of(messages[last])
    ):
        cited = cited | {last + 1}
    return sorted(cited)


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
    subject = NAMED_SUBJECT.search(sentence)
    if subject and people.by_first_name(subject.group("name")) is not None:
        modal = subject.group("modal").strip().replace("'ll", "will")
        return Cue(NAMED_SUBJECT, NAMED, modal), subject.group("rest")
    for cue in CUES:
        m = cue.pattern.search(sentence)
        if m:
            return cue, m.group("rest")
    return None, ""


def _best_phrasing(phrasings: list[Phrasing], chosen_index: int) -> Phrasing:
    """The sentence the item is written from: the owner's own commitment with a task in it, else a request
    or assignment with a task, else any commitment form, else the chosen message as said."""
    with_task = [p for p in phrasings if p.cue and p.task_words]
    for owners in ((SPEAKER, NAMED), (ADDRESSEE, GROUP)):
        match = [p for p in with_task if p.cue and p.cue.owner in owners]
        if match:
            return max(match, key=lambda p: (p.index == chosen_index, len(p.task_words)))
    formed = [p for p in phrasings if p.cue]
    own = [p for p in phrasings if p.index == chosen_index] or phrasings
    return (formed or [max(own, key=lambda p: len(p.sentence))])[0]


def _candidate(conversation: Conversation, index: int, cited: list[int], probability: float) -> Candidate:
    phrasings = _phrasings(conversation, cited) or [Phrasing(index, "", None, "", None, frozenset())]
    best = _best_phrasing(phrasings, index)
    speaker = conversation.people.speaker_of(conversation.messages[index])
    if best.cue is not None:
        owner, assignee = _owner(conversation, best.index, best.sentence, best.cue, best.speaker)
        speaker = best.speaker
    else:
        assignee = _named_subject(conversation.people, best.sentence, speaker)
        owner = NAMED if assignee else None
    due = _first_due_date(phrasings, best, conversation.reference_time)
    rest = best.rest
    request = _answered_request(phrasings, best) if owner == SPEAKER else None
    if request is not None:
        # The request's own date stays in place unless the answer set another ("…next week?" / "…today").
        asked_by = find_due_date(request.rest, conversation.reference_time)
        kept = asked_by is None or (due is not None and asked_by.text.lower() == due.text.lower())
        rest = request.rest if kept else _without_due(request.rest, asked_by)
    if best.cue is not None:
        if owner == SPEAKER:
            rest = _you_resolved(rest, _hearer(conversation, best.index, best.speaker))
        text = _normalised_text(best.sentence, rest, owner, best.cue, assignee)
    else:
        text = as_sentence(_without_acknowledgement(best.sentence))
    if due is not None and due.text.lower() not in text.lower():
        text = as_sentence(text.rstrip(".!?") + " " + due.text)
    said = " ".join(p.sentence for p in phrasings)
    return Candidate(
        kind=FOLLOW_UP if FOLLOW_UP_CUE.search(best.sentence) else ACTION_ITEM,
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


def _answered_request(phrasings: list[Phrasing], best: Phrasing) -> Phrasing | None:
    """The earlier request whose task a pronoun in the accepted commitment stands for, when it says more
    ("Can you send the slides to the client?" / "Sure, I'll send them." → send the slides to the client).
    Not when the request speaks of its asker in the first person: "me" would then mean the wrong person."""
    if not TASK_PRONOUN.search(best.rest):
        return None
    requests = [
        p
        for p in phrasings
        if p.index < best.index
        and p.cue is not None
        and p.cue.owner in (ADDRESSEE, NAMED)
        and p.speaker != best.speaker
        and len(p.task_words) > len(best.task_words)
        and not FIRST_PERSON.search(p.rest)
    ]
    return max(requests, key=lambda p: p.index) if requests else None


def _first_due_date(phrasings: list[Phrasing], best: Phrasing, reference_time: datetime) -> DueDate | None:
    """The due date of the item's own sentence, else the first one said in the exchange ("…today" in
    the answer)."""
    for phrasing in sorted(phrasings, key=lambda p: p is not best):
        due = find_due_date(phrasing.sentence, reference_time)
        if due is not None:
            return due
    return None


def _owner(conversation: Conversation, index: int, sentence: str, cue: Cue, speaker: Person | None):
    named = _named_subject(conversation.people, sentence, speaker)
    if named is not None:
        return NAMED, named
    if cue.owner == SPEAKER:
        return SPEAKER, speaker
    if cue.owner == ADDRESSEE:
        return ADDRESSEE, _addressee(conversation, index, sentence, speaker)
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
    return YOU.sub(hearer.first_name, rest)


def _without_acknowledgement(sentence: str) -> str:
    return ACKNOWLEDGEMENT.sub("", sentence.strip(), count=1)


def _normalised_text(sentence: str, rest: str, owner: str, cue: Cue, assignee: Person | None) -> str:
    """A third-person sentence ("Priya will send the release notes…") when that is a safe rewrite;
    otherwise the sentence as said. First-person words left in the rest would change meaning, so they
    make us keep the original, less a leading acknowledgement ("Yes, I will…" → "I will…")."""
    said = as_sentence(_without_acknowledgement(sentence))
    if owner == NAMED:
        subject = NAMED_SUBJECT.search(sentence)
        if subject and assignee and subject.group("name") == assignee.first_name:
            return as_sentence(sentence[subject.start() :])
    if FIRST_PERSON.search(rest) or not rest:
        return said
    if owner in (SPEAKER, NAMED, ADDRESSEE) and assignee is not None:
        return as_sentence(f"{assignee.first_name} {cue.modal} {rest}")
    if owner == GROUP:
        modal = {"will": "will", "needs to": "needs to", "should": "should"}[cue.modal]
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
        keep, other = (candidate, twin) if candidate.score > twin.score else (twin, candidate)
        order = {mid: i for i, mid in enumerate(twin.message_ids + candidate.message_ids)}
        keep.message_ids = sorted(set(keep.message_ids) | set(other.message_ids), key=order.__getitem__)
        keep.due = keep.due or other.due
        keep.content |= other.content
        merged[merged.index(twin)] = keep
    return merged


def _same_item(earlier: Candidate, later: Candidate) -> bool:
    if earlier.kind != later.kind or not earlier.content or not later.content:
        return False
    overlap = len(earlier.content & later.content) / len(earlier.content | later.content)
    if later.message_index - earlier.message_index <= EXCHANGE_REACH:
        # A request answered by someone else shares few words with the answer.
        return overlap >= 0.3
    same_owner = earlier.assignee is None or later.assignee is None or earlier.assignee == later.assignee
    return same_owner and min(len(earlier.content), len(later.content)) >= 2 and overlap >= RECAP_OVERLAP


def ranked(candidates: list[Candidate], kind: str, limit: int, threshold: float) -> list[Candidate]:
    """The `limit` best items of one kind at or above `threshold`, back in the order they were said."""
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
