"""Action items and follow-ups: who will do what, by when.

Every sentence is matched against cue patterns for the three ways people commit to work in meetings:
a speaker's commitment ("I will…", "let me…"), a request to someone ("please…", "can you…", "Priya,
send…", "you need to…") and a group decision to act ("we need to…", "let's…"). The cue decides the owner
and a base score; evidence that the work happens after the meeting (a task verb, a due date, "next
meeting") raises the score, hedges and in-meeting chatter ("let me show you") lower it. Follow-ups are the
same shape with a follow-up cue (meet again, get back to, check with, circle back); one sentence is never
both. Callers rank by score and cap the count, because a meeting note with 70 action items helps nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from .dates import DueDate, find_due_date
from .people import People, Person
from .text import as_sentence, capitalise_first, content_words, insight_id, remove_fillers, split_sentences
from .vocabulary import STOPWORDS

ACTION_ITEM = "action_item"
FOLLOW_UP = "follow_up"

SPEAKER, ADDRESSEE, GROUP, NAMED = "speaker", "addressee", "group", "named"
# Meetings end with a round of next steps ("for next time…", "before the next meeting…"). Rather than a
# fixed final share of the meeting, the round is found from the words that frame it: next-step cues in the
# second half of the meeting, plus a few messages either side. Commitments inside it get a bonus. Both numbers are fitted on the AMI benchmark; bench/insights.py chooses them on one meeting
# series and reports them on the others, so the README gives the held-out figures.
NEXT_STEPS_BONUS = 0.3
NEXT_STEPS_REACH = 12  # messages around a cue that still belong to the round


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern
    owner: str
    base: float
    modal: str  # how the normalised sentence phrases the obligation: "will", "needs to", "should"


def _cue(regex: str, owner: str, base: float, modal: str = "will") -> Cue:
    return Cue(re.compile(r"(?:" + regex + r")\s+(?P<rest>\S.*)", re.IGNORECASE), owner, base, modal)


REQUEST_CUE = _cue(r"\b(?:can|could|would|will) you(?: please)?", ADDRESSEE, 0.55)
# Ordered from the most specific to the most general; the best-scoring match of a sentence wins.
CUES: tuple[Cue, ...] = (
    _cue(r"\bi(?:'d| would) like you to|\bi (?:want|need) you to", ADDRESSEE, 0.6),
    _cue(r"\b(?:please|pls)", ADDRESSEE, 0.6),
    REQUEST_CUE,
    _cue(r"\b(?:don't|do not) forget to|\bremember to|\bmake sure (?:to|you|that you)", ADDRESSEE, 0.55),
    _cue(r"\byou(?:'ll| will)? (?:have to|need to|must|(?:'ve|have) got to)|\byou(?:'re| are) (?:going to|gonna) have to",
         ADDRESSEE, 0.55, "needs to"),
    _cue(r"\byou should", ADDRESSEE, 0.5, "should"),
    _cue(r"\byou(?:'ll| will)", ADDRESSEE, 0.45),
    _cue(r"\bi(?:'d| would) like to (?:see|receive|have|get)", ADDRESSEE, 0.4),
    _cue(r"\bi(?:'ll| will| shall)(?: have to)?|\bi(?:'m| am) (?:going to|gonna)", SPEAKER, 0.6),
    _cue(r"\bi (?:have to|need to|must)|\bi(?:'ve| have) got to", SPEAKER, 0.5, "needs to"),
    _cue(r"\blet me", SPEAKER, 0.45),
    # A group "we need to…" is as often an opinion about the product as a task, so it starts lower.
    _cue(r"\bwe(?:'ll| will)? (?:need to|have to|must)|\bwe(?:'ve| have) got to|\bwe(?:'re| are) (?:going to|gonna) have to",
         GROUP, 0.4, "needs to"),
    _cue(r"\bwe should", GROUP, 0.35, "should"),
    _cue(r"\blet(?:'s| us)", GROUP, 0.45),
    _cue(r"\bwe(?:'ll| will| shall)|\bwe(?:'re| are) (?:going to|gonna)", GROUP, 0.4),
    _cue(r"\b(?:everyone|everybody|each of you|all of you|each (?:one|person)) (?:will|should|needs to|has to|must)",
         GROUP, 0.5),
)

# "<Name> will/should … " about a known person; matched case-sensitively because names are capitalised.
NAMED_SUBJECT = re.compile(
    r"\b(?P<name>[A-Z][a-z]+)(?P<modal>'ll| will| should| needs to| has to| is going to| is gonna| can| could)\s+(?P<rest>\S.*)"
)
# Addressing someone: "Priya, …", "…, Priya?", and without commas (speech-to-text drops them) "Priya please…".
VOCATIVE = (r"(?:^|,\s*){name}\s*,|,\s*{name}\s*[?.!]?$|"
            r"\b{name},?\s+(?:please|can you|could you|would you|will you|you need|you have|you should)\b")

# Work the speakers do during the meeting itself ("let me show you", "we'll go to the next slide"); it is
# not an action item unless something in the sentence points past the meeting.
IN_MEETING = re.compile(
    r"^(?:just |quickly |now |first |briefly )*(?:see|show|say|tell|talk|explain|present|go|start|begin|move|pass|"
    r"open|close|stop|wait|sit|be|skip|repeat|read|hear|continue|introduce|summari[sz]e|recap|turn|switch|"
    r"plug|try|leave|keep|call it|use|hold|paint|speak|input|give (?:me|us|you)|pass|hand|show (?:me|us)|tell (?:me|us)|have a look at (?:this|these|that|it)|look at (?:this|these|that|it)|"
    r"think|guess|suppose|mean|know|imagine|hope|ask you|do (?:this|that|it) now|get started|put (?:this|it) on|"
    # The meeting's own logistics and the presenter narrating what comes next.
    r"have (?:a |our |some |the )?(?:lunch|break|coffee|tea|rest)|take (?:a |the |our )?(?:lunch|break|rest)|"
    r"(?:finish|end|close|wrap up) (?:the|this) meeting|break (?:it )?up|take (?:this|that|the) one|"
    r"take you (?:over|through)|walk you through|go (?:over|through)|let \w+\b(?! know)|"
    r"draw (?:something|it|this|that)|(?:write|note|jot) (?:it|that|this|them) down|have a look\b(?! (?:into|at (?:the|what|how|whether|if)))|do an? (?:opening|intro))\b",
    re.IGNORECASE,
)
_SOFTENERS = r"^(?:also |just |then |definitely |first |quickly |go and |try to |each |all |actually )*"
# Verbs of work that happens after a meeting; the generic ones ("make", "put", "get") are also how people
# talk about the design in front of them, so they count for less.
TASK_VERB = re.compile(
    _SOFTENERS + r"(?:send|e-?mail|mail|forward|share|post|upload|write|draft|prepare|finish|complete|fill|fix|"
    r"update|check|look (?:into|at|up|for)|have a look|take a look|find out|research|investigate|review|test|"
    r"call|contact|ask|talk to|organi[sz]e|schedule|set up|arrange|book|work (?:\w+ ){0,2}on|come up with|figure out|"
    r"think about|think of|collect|gather|sort out|follow up|order|buy|deliver|present|submit|draw up|sketch|"
    r"report|document|implement|clean up|plan|read|do some|find|bring|send)\b",
    re.IGNORECASE,
)
WEAK_TASK_VERB = re.compile(_SOFTENERS + r"(?:make|put|get|do|decide|take|add|change|design|build|create|draw|give)\b",
                            re.IGNORECASE)
# "put it here", "make it two": a bare pronoun object with no later time is a gesture at the screen.
VAGUE_OBJECT = re.compile(_SOFTENERS + r"\w+ (?:it|that|this|them|those|these|one)\b(?! (?:up|out|over|to|by|before))",
                          re.IGNORECASE)
# "Could you give me the pen back?": a request for the speaker's benefit now, not a task.
ASKS_FOR_SELF = re.compile(r"\b(?:me|us)\b", re.IGNORECASE)
RIGHT_NOW = re.compile(r"\b(?:now|here|right now|at the moment|on the (?:white)?board|this slide|next slide|over there|"
                       r"in a (?:minute|moment|sec(?:ond)?)|at the end(?: of (?:the|this) meeting)?$|later (?:on )?in (?:the|this) meeting)\b",
                       re.IGNORECASE)
AFTER_MEETING = re.compile(
    r"\b(?:next (?:meeting|time|session|week|month)|for next|before (?:the )?next|after (?:the|this) meeting|"
    r"tomorrow|later on|afterwards|until then|in the meantime|meanwhile|individual work|homework|offline|"
    r"deadline|asap|as soon as|by (?:then|the end))\b",
    re.IGNORECASE,
)
HEDGE = re.compile(
    r"\b(?:maybe|perhaps|might|i think|i guess|probably|i suppose|possibly|not sure|kind of|sort of|"
    r"if we|if you|if i|whether)\b",
    re.IGNORECASE,
)
NEGATED_OR_PAST = re.compile(
    r"^(?:not|never|n't)\b|\b(?:won't|wouldn't|shouldn't|don't need to|do not need to|didn't|was going to|"
    r"were going to|should have|would have|had to|needed to|"
    # "I don't think that's something we have to…", "they're not gonna…", "you don't have to…": the
    # obligation is denied, so nobody is committing to anything.
    r"(?:don't|do not|doesn't|does not) (?:think|have to|want to)|(?:not|n't) (?:gonna|going to)|no need to)\b",
    re.IGNORECASE,
)
# A "you have to…" inside a subordinate clause ("because you have to press…", "once you've learned it you
# can…", "what you have to do is…") explains how something works; the "you" is anyone, not a person
# being given a task. Habitual words ("every time", "always") say the same.
GENERIC_YOU = re.compile(
    r"\b(?:because|since|if|when|whenever|once|unless|until|where|which|what|how|that|then|but|as)\s+(?:\w+\s+)?"
    r"you(?:'ll|'d)?\s+(?:have|need|must|should|will|can|could|got)\b",
    re.IGNORECASE,
)
# A commitment inside a reason or a relative clause ("because I need to put the electronics in it",
# "what I'm going to draw is…", "which means we're gonna have to conform…") explains, it does not commit.
SUBORDINATE_PREFIX = re.compile(
    r"\b(?:because|'?cause|since|although|though|otherwise|which|what|whatever|whether|means|that's why|so that|"
    r"the (?:things?|ones?|way))\b[^,]*$",
    re.IGNORECASE,
)
# "I will do so after every meeting": a habit, not a task with an end.
HABITUAL = re.compile(r"\b(?:every (?:time|meeting|week|day|morning)|each time|always|usually|everytime)\b", re.IGNORECASE)
# "Would you like to…?", "would you prefer…": asking for an opinion or a turn, not handing out work.
OPINION_REQUEST = re.compile(
    r"\b(?:would|will|do) you (?:like|prefer|care|mind|rather|agree|say|pay|want|think|buy|use)\b", re.IGNORECASE)
# "Do I need to…?", "do you have to…?", "what can you do to…?": questions about what is required or
# possible, asked to understand the task, not to set one.
ASKS_ABOUT_OBLIGATION = re.compile(
    r"\b(?:do|does|did|shall|should) (?:i|you|we) (?:have to|need to|must)\b|^(?:(?:so|but|and|because|'cause) )?(?:what|how|why|which) "
    r"(?:\w+ )?(?:can|could|would|should|do|will) (?:you|we|i)\b",
    re.IGNORECASE,
)
# "you could you could have…": a repeated "could you" inside "you could" is a stutter, not a request.
STUTTERED_REQUEST = re.compile(r"\byou (?:can|could|would|will) you\b", re.IGNORECASE)
# Design talk: "we need to make it…", "we have to build in a microphone". A group or "you" obligation whose
# verb shapes the product being discussed reads as a requirement, not as someone's task.
DESIGN_VERB = re.compile(
    _SOFTENERS + r"(?:make|put|have|build|design|add|change|use|get|give|go for|keep|include|incorporate|stick)\b",
    re.IGNORECASE,
)
# Words that frame a round of next steps, wherever they are said.
NEXT_STEPS_CUE = re.compile(
    r"\b(?:next (?:meeting|time|session|week)|for next|before (?:the )?next|until (?:the )?next|homework|"
    r"action items?|next steps?|to-?do list|individual work|wrap (?:it )?up|that's it for today|"
    r"(?:close|end) (?:the|this) meeting|after (?:the|this) meeting|minutes)\b",
    re.IGNORECASE,
)
FOLLOW_UP_CUE = re.compile(
    r"\b(?:get back to|follow(?:-| )?up|circle back|check (?:in )?with|check back|touch base|reconvene|"
    r"meet (?:again|up|with)|catch up (?:with|on|later|again)|let (?:you|them|him|her|everyone|us) know|"
    r"keep (?:you|everyone|us) (?:posted|updated|informed)|"
    r"(?:schedule|set up|arrange|organi[sz]e|book|plan|have)\s+(?:a|an|another|the)?\s*(?:follow(?:-| )?up\s+)?"
    r"(?:meeting|call|sync|session|check-in|catch-up)\b|talk (?:again|later)|loop (?:in|back))",
    re.IGNORECASE,
)
IMPERATIVE_FOLLOW_UP = re.compile(r"^(?:follow(?:-| )?up|circle back|check (?:in )?with|schedule|set up) ", re.IGNORECASE)
ACCEPTANCE = re.compile(
    r"^(?:yes|yeah|yep|sure|ok|okay|will do|no problem|of course|i will|i'll|absolutely|definitely|fine|alright)\b",
    re.IGNORECASE,
)
FIRST_PERSON = re.compile(r"\b(?:i|me|my|mine|myself|i'm|i've|i'd)\b", re.IGNORECASE)
TRAILING_TAG = re.compile(r"[,\s]*(?:please|okay|ok|right|yeah|then|alright|all right|as well)?\s*[?.!]*$", re.IGNORECASE)
LEADING_SOFTENER = re.compile(r"^(?:just|also|then|definitely|actually|maybe|perhaps|probably|please)\s+", re.IGNORECASE)


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


@dataclass(frozen=True)
class Conversation:
    messages: list[dict]
    people: People
    reference_time: datetime
    hours: float


def find_candidates(conversation: Conversation) -> list[Candidate]:
    """Every sentence that reads as an action item or follow-up, scored, before ranking and capping."""
    found = []
    closing = next_steps_round(conversation.messages)
    for index, message in enumerate(conversation.messages):
        for sentence in split_sentences(str(message.get("text") or "")):
            candidate = _candidate(conversation, index, remove_fillers(sentence), index in closing)
            if candidate is not None:
                found.append(candidate)
    return _merge_repeats(found)


def next_steps_round(messages: list[dict]) -> set[int]:
    """Messages of the rounds of next steps: those within a few messages of a next-step cue ("next
    meeting", "homework", "individual work"…) said in the second half of the meeting. Early cues are the
    agenda ("the next meeting will be about…"), not assignments. Empty for a meeting too short to
    have a round of its own."""
    total = len(messages)
    if total < 20:
        return set()
    closing: set[int] = set()
    for index in range(total // 2, total):
        if NEXT_STEPS_CUE.search(str(messages[index].get("text") or "")):
            closing.update(range(max(0, index - NEXT_STEPS_REACH), min(total, index + NEXT_STEPS_REACH + 1)))
    return closing


def _candidate(conversation: Conversation, index: int, sentence: str, in_closing_round: bool = False) -> Candidate | None:
    if len(sentence.split()) < 3 or NEGATED_OR_PAST.search(sentence):
        return None
    matched = _best_cue(sentence) or _named_cue(conversation.people, sentence)
    is_follow_up = bool(FOLLOW_UP_CUE.search(sentence))
    if matched is None:
        if not IMPERATIVE_FOLLOW_UP.match(sentence):
            return None
        matched = (Cue(IMPERATIVE_FOLLOW_UP, ADDRESSEE, 0.5, "will"), sentence, 0.5)
    cue, rest, score = matched
    message = conversation.messages[index]
    speaker = conversation.people.speaker_of(message)
    owner, assignee = _owner(conversation, index, sentence, cue, speaker)
    due = find_due_date(sentence, conversation.reference_time)
    if due is not None:
        score += 0.1
    # The closing round lifts commitments, not the chatter around them ("I'll take the lunch"): a sentence
    # whose own evidence is negative stays where it is.
    if in_closing_round and score >= cue.base:
        score += NEXT_STEPS_BONUS
    rest = _clean_rest(rest)
    text = _normalised_text(sentence, rest, owner, cue, assignee)
    return Candidate(
        kind=FOLLOW_UP if is_follow_up else ACTION_ITEM,
        score=round(max(0.0, min(1.0, score)), 3),
        message_index=index,
        message_ids=[str(message.get("id"))],
        text=text,
        speaker=speaker,
        assignee=assignee,
        due=due,
        definitive=not HEDGE.search(sentence) and not sentence.rstrip().endswith("?"),
        action_phrase=_without_due(rest, due),
        content=content_words(rest, STOPWORDS),
    )


def _best_cue(sentence: str) -> tuple[Cue, str, float] | None:
    best = None
    for cue in CUES:
        m = cue.pattern.search(sentence)
        if not m or (cue is REQUEST_CUE and STUTTERED_REQUEST.search(sentence)):
            continue
        score = cue.base + _evidence_score(sentence, sentence[:m.start()], m.group("rest"), cue)
        if best is None or score > best[2]:
            best = (cue, m.group("rest"), score)
    return best if best and best[2] > 0 else None


def _named_cue(people: People, sentence: str) -> tuple[Cue, str, float] | None:
    """"Priya will prepare the demo": no first or second person, but a known person as the subject."""
    subject = NAMED_SUBJECT.search(sentence)
    if not subject or people.by_first_name(subject.group("name")) is None:
        return None
    cue = Cue(NAMED_SUBJECT, NAMED, 0.55, subject.group("modal").strip().replace("'ll", "will"))
    score = cue.base + _evidence_score(sentence, sentence[:subject.start()], subject.group("rest"), cue)
    return (cue, subject.group("rest"), score) if score > 0 else None


def _evidence_score(sentence: str, prefix: str, rest: str, cue: Cue) -> float:
    """Why: a cue alone is weak ("we should" is also an opinion); work after the meeting is the signal.
    `prefix` is what was said before the cue, `rest` what follows it."""
    rest = LEADING_SOFTENER.sub("", rest)
    after_meeting = bool(AFTER_MEETING.search(sentence))
    task_verb = bool(TASK_VERB.match(rest))
    score = 0.0
    if task_verb:
        score += 0.15
    elif WEAK_TASK_VERB.match(rest):
        score += 0.05
    elif cue is REQUEST_CUE and not after_meeting:
        # "Could you step to the right?": a request with neither a task verb nor a time after the meeting
        # is about the room the speakers are in.
        score -= 0.15
    if after_meeting:
        score += 0.15
    elif IN_MEETING.match(rest):
        score -= 0.35
    elif RIGHT_NOW.search(sentence):
        score -= 0.2
    if VAGUE_OBJECT.match(rest) and not after_meeting:
        score -= 0.1
    if not after_meeting and len(content_words(rest, STOPWORDS)) <= 1:
        # "I'll have a go", "let's do it together", "I'll give it a one": at most the verb carries content,
        # so there is no object a note could name; such lines point at what is on the table right now.
        score -= 0.15
    if cue.owner == ADDRESSEE and ASKS_FOR_SELF.search(rest) and not TASK_VERB.match(rest):
        score -= 0.15
    if HEDGE.search(sentence):
        score -= 0.1
    if sentence.rstrip().endswith("?") and cue.owner != ADDRESSEE:
        score -= 0.25
    if len(rest.split()) < 3:
        score -= 0.25
    if cue.owner == ADDRESSEE and GENERIC_YOU.search(sentence):
        score -= 0.3
    # A question's "what" opens the question ("what would you like marketing to look at…?"), not a clause.
    if (SUBORDINATE_PREFIX.search(prefix) and not sentence.rstrip().endswith("?")) or HABITUAL.search(sentence):
        score -= 0.3
    # A question about what is needed counts only when it is about the next steps ("what would you like
    # marketing to look at before the next meeting?"), which is how chairs hand out work.
    if (OPINION_REQUEST.search(sentence) or ASKS_ABOUT_OBLIGATION.search(sentence)) and not after_meeting:
        score -= 0.3
    if cue.owner in (GROUP, ADDRESSEE) and cue.modal != "will" and DESIGN_VERB.match(rest) and not after_meeting:
        score -= 0.15
    return score


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


def _addressee(conversation: Conversation, index: int, sentence: str, speaker: Person | None) -> Person | None:
    """Whom "you" means: whoever accepts in the next message, or the other party of a two-person call."""
    messages = conversation.messages
    if index + 1 < len(messages):
        responder = conversation.people.speaker_of(messages[index + 1])
        if responder and responder != speaker and ACCEPTANCE.match(str(messages[index + 1].get("text") or "").strip()):
            return responder
    others = [p for p in conversation.people.speakers if p != speaker]
    return others[0] if speaker is not None and len(others) == 1 else None


def _clean_rest(rest: str) -> str:
    rest = TRAILING_TAG.sub("", rest.strip())
    return LEADING_SOFTENER.sub("", rest).strip(" ,")


def _without_due(rest: str, due: DueDate | None) -> str:
    if due is None:
        return rest
    return re.sub(r"\s+", " ", re.sub(re.escape(due.text), "", rest, flags=re.IGNORECASE)).strip(" ,")


def _normalised_text(sentence: str, rest: str, owner: str, cue: Cue, assignee: Person | None) -> str:
    """A third-person sentence ("Priya will send the release notes…") when that is a safe rewrite;
    otherwise the sentence as said. First-person words left in the rest would change meaning, so they
    make us keep the original."""
    said = as_sentence(sentence)
    if owner == NAMED:
        subject = NAMED_SUBJECT.search(sentence)
        if subject and assignee and subject.group("name") == assignee.first_name:
            return as_sentence(sentence[subject.start():])
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
    """A request and its acceptance ("Can you fix…?" / "Yes, I will fix…") are one item citing both."""
    merged: list[Candidate] = []
    for candidate in candidates:
        twin = next((m for m in reversed(merged) if _same_item(m, candidate)), None)
        if twin is None:
            merged.append(candidate)
            continue
        keep, other = (candidate, twin) if candidate.score >= twin.score else (twin, candidate)
        keep.message_ids = sorted(set(keep.message_ids) | set(other.message_ids), key=_message_order(candidates))
        keep.score = round(min(1.0, keep.score + 0.05), 3)
        keep.due = keep.due or other.due
        keep.content |= other.content
        merged[merged.index(twin)] = keep
    return merged


def _message_order(candidates: list[Candidate]):
    order = {mid: c.message_index for c in candidates for mid in c.message_ids}
    return lambda mid: order.get(mid, 0)


def _same_item(earlier: Candidate, later: Candidate) -> bool:
    if later.message_index - earlier.message_index > 2 or not earlier.content or not later.content:
        return False
    overlap = len(earlier.content & later.content) / len(earlier.content | later.content)
    # A request answered by someone else shares few words with the answer; one speaker restating an item
    # shares most of them.
    return overlap >= (0.3 if earlier.speaker != later.speaker else 0.5)


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
        "phrases": [{"type": "action_phrase", "text": candidate.action_phrase}] if candidate.action_phrase else [],
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
            entities.append({"type": "person", "text": candidate.assignee.first_name, "offset": offset, "value": value})
    if candidate.due is not None:
        offset = candidate.text.lower().find(candidate.due.text.lower())
        if offset >= 0:
            entities.append({"type": candidate.due.kind, "text": candidate.text[offset:offset + len(candidate.due.text)],
                             "offset": offset, "value": candidate.due.day.isoformat()})
    return entities
