"""Decisions: what the group settled on ("Okay, decision: we go with the timber louvers", "Agreed,
telemetry is out of this sprint").

Which turns state a decision is learned like action items: a logistic regression (`action_model.ActionModel`,
its own file `models/decisions_v1.json`, fitted by `bench/train_decisions.py` on the workplace meetings and
the AMI/ICSI decision evidence) over the words of the turn, the decision cues below and the cues of the turns
around it (a proposal before, agreement after). The item is the turn as said, less its opening ("Okay, so",
"Yes."), with the proposal it accepts when the turn itself names nothing ("Let's do it.").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from . import action_features, action_model
from .action_cues import ACCEPTANCE, IMPERATIVE, REPORTED_PAST, REQUEST_CUE
from .parked import is_parked
from .people import People
from .text import (
    as_sentence,
    capitalise_first,
    clip_words,
    content_words,
    insight_id,
    remove_fillers,
    rough_sentences,
    split_sentences,
)
from .vocabulary import STOPWORDS

DECISION = "decision"
MODEL_NAME = "decisions_v1.json"
# sha256 of the shipped model file; bench/train_decisions.py prints the new value when it writes the file.
MODEL_SHA256 = "cb46bd61d772890529286cbead649126bd6cff0c76d6a976b3f585103870e218"

DECISION_WORDS = re.compile(
    r"\b(?:decided|decision|decide|agreed|agree|settled|final|go with|going with|go ahead|go forward|"
    r"going forward|from now on|effective|the rule|make (?:it|that) (?:the )?(?:rule|standard)|it is then|"
    r"that's the plan|we'll do|let's do (?:it|that|both)|do both|let's (?:go|keep|make|put|hold|trial|start|"
    r"opt|move|stick)|stays|is out|is in|moves to|no more|only|until|instead|adopt|adopted|approve|"
    r"approved)\b",
    re.IGNORECASE,
)
OBJECTION_CHECK = re.compile(
    r"\b(?:any objections?|everyone ok with|all agreed|are we agreed)\b", re.IGNORECASE
)
# The group saying it has decided ("Okay, so that's the decision.", "Let's make that the rule.",
# "Fortnightly it is."): not "we decided", which recaps an earlier meeting as often as it decides.
STATED_DECISION = re.compile(
    r"\b(?:(?:that's|that is) (?:the|our|a) decision|so,? decision|(?:the )?decision is|it's decided|"
    r"(?:it's|that's) settled|let's make (?:that|it|this) (?:a|the|our) (?:rule|policy|standard|default)|"
    # "Then it's adopted from next quarter.", "OK, we're agreed…", "Motion carried."
    r"(?:it's|it is|that's|that is) (?:adopted|approved|agreed|final|confirmed)|"
    r"we(?:'re| are) (?:all )?agreed|"
    r"motion (?:carried|carries|passed|passes)|(?:approved|carried) unanimously)\b|"
    r"^(?!(?:there|here|where|what|i|you|yes|yeah|yep|no|oh|ah|okay|ok|so|or|but|well|maybe|it|now|that|this|"
    r"for|and)\b)"
    r"\w+(?:[\s-]\w+){0,2} it is[.!]?$",
    re.IGNORECASE,
)
# A proposal taken ("Okay, let's go with that, staged rollout at ten percent.", "Let's push the mobile
# redesign to Q4."): said with "let's", or with "we'll go with"; not the meeting's own pace ("Let's keep it
# quick.", "Let's move on."). And the chair's record of one: "Minutes approved.", "The motion is carried."
SETTLED_PROPOSAL = re.compile(
    r"\b(?:(?:minutes|motion|proposal|resolution|budget|accounts)\s+(?:(?:is|are)\s+)?(?:approved|adopted|"
    r"carried|passed|accepted)\b(?!\s+(?:last|in|on|at|by)\b)|"
    r"(?:we'll|we will|we're going to|we are going to|so we)\s+(?:go|stick) with|"
    r"(?:let's|let us|we'll|we will)\s+(?:go with|stick with|drop|push|hold|keep|move)\b"
    r"(?!\s+(?:it\s+)?(?:quick|short|brief|simple|tight|moving|going|on|along|in touch|an eye|off on)\b)"
    r"(?!\s*(?:[.!?,;]|$)))",
    re.IGNORECASE,
)
# Someone with the say declaring the outcome ("Here's my call: the insert change goes back to 500 parts",
# "I'm making that a rule", "here's where I've landed", "Then the motion falls", "lock it in", "From April,
# every new episode goes out with a transcript. No exceptions."). Like SETTLED_PROPOSAL, only a backstop to
# the model, not one of its features: a feature changes what both fitted models read.
DECLARED = re.compile(
    r"\b(?:(?:here's|here is|that's|that is|this is|it's|it is) my (?:call|decision)|"
    r"(?:i've|i have|ive) made the call|(?:i'm|i am) deciding (?:now|this|that)|"
    # A vote's outcome: "The amendment is carried.", "That's unanimous. Carried."
    r"(?:amendment|resolution|proposal|motion) is carried|(?:^|(?<=[.!?] ))(?:carried|unanimous)\b|"
    # What stays as it is: "The paper form stays", "lift two stays closed", "the target stays at seventy-five"
    r"(?:stays|remains) (?:at|out of|with|closed|open|as it is|the same|in place|on hold)\b|"
    r"\w+ stays\W*(?:,|$|at least|for now|until)|"
    r"my call is|(?:i'm|i am|im) making (?:that|it|this) (?:a|the) (?:rule|policy)|"
    r"(?:that's|that is|thats) (?:the|our) (?:new )?(?:rule|policy|position)|"
    r"here's where (?:i've|i have|we've|we have) landed|(?:our|the) position is|lock (?:it|that) in|"
    r"motion (?:falls|fails|is lost|is defeated)|(?:is|are) (?:now )?deferred (?:to|until)|"
    r"effective (?:immediately|today|now|this (?:shift|week|month))|so were agreed|we go with|"
    r"here's what we(?:'ll| will| are going to|'re going to) do|(?:let me )?say it for the minutes|"
    r"(?:that's|it's|that is|it is) decided|(?:i'm|i am) hearing consensus|we(?:'ll| will)? adopt|"
    r"(?:is|becomes) (?:now )?(?:our|the) (?:\w+ )?standard|until i say otherwise|that settles it|"
    r"we(?:'re| are) going ahead with)\b|"
    # "So, from today, high-strength heparin comes off ward stock": a rule from a time on, not "From
    # tomorrow I'm on leave".
    r"^(?:(?:ok|okay|so|then|right|and|yes|yeah|agreed|here'?s the (?:thing|deal|plan))\W+)*"
    r"from (?:today|now on|tomorrow|next \w+|"
    r"(?:january|february|march|"
    r"april|june|july|august|september|october|november|december)|(?:mon|tues|wednes|thurs|fri)day),?\s+"
    r"(?!(?:i|i'm|i'll|i've|we'll be|you|you'll)\b)",
    re.IGNORECASE,
)
# "…at three. Final.", "…then cut over. Done.": the chair closing the point after saying its terms.
# Likewise "…every store puts the alarms on the duty phone. No exceptions." (alone, it only seconds a rule).
CLOSED_POINT = re.compile(
    r"\w+(?:\W+\w+){4,}[.!]\s+(?:(?:final|done|decided)[.!]?$|no exceptions\b)", re.IGNORECASE
)
DECISION_TESTS: dict[str, Callable[[str], bool]] = {
    "decision_words": lambda t: bool(DECISION_WORDS.search(t)),
    "objection_check": lambda t: bool(OBJECTION_CHECK.search(t)),
    "agreement_opening": lambda t: bool(re.match(r"^(?:agreed|decided|okay,? (?:so )?decision)\b", t, re.I)),
    # rough_sentences, not split_sentences: pysbd on every turn would cost a quarter of the extraction budget.
    "stated_decision": lambda t: any(STATED_DECISION.search(s) for s in rough_sentences(t)),
}
OPENING = re.compile(
    r"^(?:(?:ok|okay|so|yes|yeah|yep|right|alright|all right|then|and|"
    r"agreed|decided|decision|so decision|that's the decision)\b[\s,.:;!-]*|"
    # an adjective only as a word of its own ("Good. Let's…"), not one that opens a phrase ("good meeting")
    r"(?:fine|good|perfect|true|great)\b(?:[,.:;!-]+\s*|\s*$))+",
    re.IGNORECASE,
)
CONTEXT_WORDS = 16
# The meeting's own running ("Let's keep it quick.", "Ayesha, let's start with Northwind.", "Let's go through
# them.", "Let's do updates.", "Next call at thirteen hundred. Same bridge."): how the talk goes, not what it
# decided.
RUNNING_THE_MEETING = re.compile(
    r"^(?:the )?next (?:call|meeting|sync|huddle|check-in|catch-up|standup|one)\b|"
    r"^same (?:bridge|pin|link|room|time)\b|"
    r"\blet's (?:keep (?:it|this) (?:quick|short|brief|tight)|move on|get (?:going|started)|start with|"
    r"start there|"
    r"begin with|kick off|go (?:round|around|through|over)|run through|look at|wrap up|recap|"
    r"do (?:the |some |quick )?(?:updates|intros|introductions|a (?:quick )?round|the round))\b",
    re.IGNORECASE,
)
# "I'll set the percentage on Thursday.": the speaker's own task, which the action items list.
TAKES_ON = re.compile(r"^(?:(?:ok|okay|so|and|yes|yeah|then|great|good)\W+)*I(?:'ll| will)\b", re.IGNORECASE)
# "Yes, good idea.", "Fair point.": agreeing with what was said, which says nothing of its own.
ACKNOWLEDGEMENT = re.compile(
    r"^(?:(?:yes|yeah|yep|ok|okay|sure|oh|right|so)\W+)*(?:(?:a |that's a |that is a )?"
    r"(?:good|great|nice|fair|excellent|brilliant) (?:idea|point|call|shout|question|catch)|"
    r"fair(?: enough)?|true|makes sense|noted)\W*$",
    re.IGNORECASE,
)


def message_features(text: str) -> list[str]:
    clean = remove_fillers(text)
    return action_features.message_features(text) + [
        f"cue:{name}" for name, test in DECISION_TESTS.items() if test(clean)
    ]


def conversation_features(messages: list[dict]) -> list[list[str]]:
    """Features of every message, with the cues of the turns either side (a proposal, then agreement)."""
    own = [message_features(str(m.get("text") or "")) for m in messages]
    carried = [[f for f in row if f.startswith(("cue:", "start:"))] for row in own]
    rows = []
    for index, features in enumerate(own):
        row = list(features)
        for offset, prefix in ((-1, "p1:"), (1, "n1:")):
            if 0 <= index + offset < len(messages):
                row += [prefix + f for f in carried[index + offset]]
        rows.append(row)
    return rows


@lru_cache(maxsize=1)
def shipped_model() -> action_model.ActionModel:
    return action_model.load_model(action_model.model_path(MODEL_NAME), MODEL_SHA256)


def find_decisions(
    messages: list[dict], people: People, model: action_model.ActionModel | None = None
) -> list[dict]:
    """Decisions of one English conversation, in the order they were said."""
    if not messages:
        return []
    model = model or shipped_model()
    features = conversation_features(messages)
    probabilities = model.probabilities(features)
    chosen = set(action_model.pick_items(probabilities, len(messages), model.threshold, model.radius))
    for index in _said_as_decided(messages, features):
        # Listed at the confidence the threshold asks for: the words, not the model, vouch for it.
        probabilities[index] = max(probabilities[index], model.threshold)
        chosen.add(index)
    found = (_decision(messages, people, index, probabilities[index]) for index in sorted(chosen))
    return [decision for decision in found if decision is not None]


def says_decided(text: str) -> bool:
    """The words say a decision was taken ("Fortnightly it is.", "Okay, let's go with that")."""
    clean = remove_fillers(text)
    return _settled_or_declared(clean) or DECISION_TESTS["stated_decision"](clean)


def _settled_or_declared(text: str) -> bool:
    """A proposal taken or an outcome declared in one of the turn's sentences, unless that sentence puts the
    topic off ("Let's hold the pothole data for next time"), which the follow-ups list."""
    if CLOSED_POINT.search(text) and not _tells_the_past(text):
        return True
    if not (SETTLED_PROPOSAL.search(text) or DECLARED.search(text)):
        return False  # before splitting sentences, which costs
    return any(
        (SETTLED_PROPOSAL.search(s) or DECLARED.search(s)) and not is_parked(s) for s in rough_sentences(text)
    )


def _said_as_decided(messages: list[dict], features: list[list[str]]) -> list[int]:
    """Turns that say a decision was taken, whatever the model scored them: it is a bag of words fitted on
    few decisions, and "Fortnightly it is." or "let's go with that" are rare words for it. The stated
    decision is read from the features already computed (`says_decided` for one text)."""
    return [
        index
        for index, message in enumerate(messages)
        if "cue:stated_decision" in features[index]
        or _settled_or_declared(remove_fillers(str(message.get("text") or "")))
    ]


def _decision(messages: list[dict], people: People, index: int, probability: float) -> dict | None:
    message = messages[index]
    said = str(message.get("text") or "")
    text = _stated(said)
    if not text:
        return None  # the turn hands out a task or agrees, and decides nothing of its own
    cited = [index]
    motion = _motion_carried(messages, index) if MOTION_PASSED.search(text) else None
    if motion is not None:
        # "Motion carried unanimously." says that, not what: the motion put a turn or two before.
        proposal = _stated(str(messages[motion].get("text") or ""))
        text = as_sentence(f"{text.rstrip('.!?')} (re: {clip_words(proposal, CONTEXT_WORDS).rstrip('.!?')})")
        cited = [motion, index]
    elif len(content_words(text, STOPWORDS)) < 2 and index > 0:
        # "Yes. Let's do it.": the decision is the proposal it accepts.
        proposal = _stated(str(messages[index - 1].get("text") or ""))
        about = clip_words(proposal, CONTEXT_WORDS).rstrip(".!?")
        text = as_sentence(f"{text.rstrip('.!?')} (re: {about})")
        cited = [index - 1, index]
    speaker = people.speaker_of(message)
    message_ids = [str(messages[i].get("id")) for i in cited]
    return {
        "id": insight_id(DECISION, text, message_ids),
        "text": text,
        "type": DECISION,
        "score": round(probability, 3),
        "messageIds": message_ids,
        "entities": [],
        "phrases": [],
        "from": speaker.from_payload() if speaker else {},
    }


# A declaration that names no decision of its own.
BARE_DECLARATION = re.compile(
    r"^(?:(?:that's|that is|this is|it's|it is) (?:my|our|the) (?:call|decision)|"
    r"(?:that's|it's) (?:decided|final)|that settles it|final|done|carried|unanimous)\b",
    re.IGNORECASE,
)
MOTION_PASSED = re.compile(r"\bmotion (?:is )?(?:carried|carries|passed|passes)\b", re.IGNORECASE)
MOTION_PUT = re.compile(r"\b(?:i (?:move|propose) (?:that|we|to)|i so move|motion to)\b", re.IGNORECASE)
MOTION_REACH = 4


def _motion_carried(messages: list[dict], index: int) -> int | None:
    for earlier in range(index - 1, max(-1, index - 1 - MOTION_REACH), -1):
        if MOTION_PUT.search(str(messages[earlier].get("text") or "")):
            return earlier
    return None


def _stated(text: str) -> str:
    """The turn's sentences that carry the decision, without the opening "Okay, so decision:"; none when
    every sentence hands out or takes on a task ("Hannah, send them our response.", "I'll ping Kofi."),
    which the action items list, only agrees ("Yes, good idea.") or tells what happened."""
    sentences = [remove_fillers(s).strip() for s in split_sentences(text)]
    tasks = [
        s
        for s in sentences
        if s.endswith("?")
        or _hands_out_a_task(s)
        or TAKES_ON.match(s)
        or ACKNOWLEDGEMENT.match(s)
        or _tells_the_past(s)
        or RUNNING_THE_MEETING.search(s)
        or is_parked(s)
    ]
    stated = [capitalise_first(OPENING.sub("", s).strip()) for s in sentences if s not in tasks]
    # "I call the meeting to order. First item, the minutes. Minutes approved.": from where it says so.
    first_said = next((i for i, s in enumerate(stated) if says_decided(s)), 0)
    if first_said > 0 and BARE_DECLARATION.match(stated[first_said]):
        first_said -= (
            1  # "Renewals only, from the fifteenth. That's my decision.": what it declares is before
        )
    stated = stated[first_said:]
    kept = [s for s in stated if s and not ACCEPTANCE.fullmatch(s.rstrip(".!?"))]
    if tasks and (not kept or (len(" ".join(kept).split()) < 3 and not says_decided(" ".join(kept)))):
        return ""  # nothing left, or a fragment: "Let's go through them. Reversing alarm."
    return as_sentence(" ".join(kept) if kept else remove_fillers(text))


def _tells_the_past(sentence: str) -> bool:
    """ "We doubled the budget on the video ads and didn't catch it": what happened, not what was decided."""
    return bool(REPORTED_PAST.search(sentence)) and not DECISION_WORDS.search(sentence)


def _hands_out_a_task(sentence: str) -> bool:
    return bool(IMPERATIVE.match(sentence) or REQUEST_CUE.pattern.search(sentence))
