"""What the action-item model sees of each message: sparse, named, binary features.

The same function feeds training (`bench/train_actions.py`) and extraction, so a feature can never mean one
thing when fitted and another when used. Features are plain strings ("w:send", "cue:after_meeting",
"n1:cue:acceptance"): the model file maps each to a weight, and a feature the model never saw simply adds
nothing. Three kinds:
- the words of the message (unigrams, bigrams, the opening words, where dialogue acts are decided);
- dialogue-act-like cues (commitment and request forms, task verbs, times after the meeting, hedges,
  questions, explanations with a generic "you"…), the patterns of `action_cues` used as evidence, not scores;
- context: the same cues of the neighbouring messages (a request followed by an acceptance), where the
  message falls in the meeting, whether it is in the closing round of next steps, and whether its speaker
  is the one who talks most (in AMI the chair, who hands out the work).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from . import action_cues as cues
from .dates import find_due_date
from .text import remove_fillers, words

# Due-date detection only asks "is a date said", so any fixed reference day will do.
_ANY_DAY = datetime(2024, 1, 3, tzinfo=UTC)
CueTest = Callable[[str], bool]


def _matches(pattern: re.Pattern) -> CueTest:
    return lambda text: bool(pattern.search(text))


def _has_due_date(text: str) -> bool:
    return find_due_date(text, _ANY_DAY) is not None


# Cue name → test on the filler-free text of a message. Names are part of the model file's vocabulary:
# renaming one silently drops its weight, so the training command must be re-run after any change here.
CUE_TESTS: dict[str, CueTest] = {
    "named_subject": _matches(cues.NAMED_SUBJECT),
    "task_verb_first": lambda t: bool(cues.TASK_VERB.match(t)),
    "after_meeting": _matches(cues.AFTER_MEETING),
    "right_now": _matches(cues.RIGHT_NOW),
    "hedge": _matches(cues.HEDGE),
    "negated_or_past": _matches(cues.NEGATED_OR_PAST),
    "generic_you": _matches(cues.GENERIC_YOU),
    "habitual": _matches(cues.HABITUAL),
    "opinion_request": _matches(cues.OPINION_REQUEST),
    "asks_about_obligation": _matches(cues.ASKS_ABOUT_OBLIGATION),
    "next_steps_words": _matches(cues.NEXT_STEPS_CUE),
    "follow_up_words": _matches(cues.FOLLOW_UP_CUE),
    "acceptance": lambda t: bool(cues.ACCEPTANCE.match(t)),
    "takes_it_on": _matches(cues.TAKES_IT_ON),
    "due_date": _has_due_date,
    "question": lambda t: t.rstrip().endswith("?"),
}
# What follows a commitment or request form ("I'll *send*…", "can you *check*…"), tested once per form
# that matched: cue name → pattern matched at the start of the words after the form.
AFTER_FORM_TESTS: dict[str, re.Pattern] = {
    "task_verb_after_form": cues.TASK_VERB,
    "weak_verb_after_form": cues.WEAK_TASK_VERB,
    "in_meeting_after_form": cues.IN_MEETING,
    "design_verb_after_form": cues.DESIGN_VERB,
}

# Which of a message's features its neighbours also get, under a prefix: cues and the opening word carry
# across turns ("can you…?" / "sure"), single content words mostly do not.
_CONTEXT_PREFIXES = ("cue:", "start:", "len:")


def _length_bin(count: int) -> str:
    if count <= 3:
        return "len:short"
    if count <= 8:
        return "len:medium"
    return "len:long" if count <= 20 else "len:very_long"


def message_features(text: str) -> list[str]:
    """Features of one message's own text (no context)."""
    clean = remove_fillers(text)
    tokens = words(clean)
    features = [_length_bin(len(tokens))]
    features += [f"w:{t}" for t in set(tokens)]
    features += [f"b:{a}_{b}" for a, b in set(zip(tokens, tokens[1:], strict=False))]
    if tokens:
        features.append(f"start:{tokens[0]}")
        if len(tokens) > 1:
            features.append(f"start2:{tokens[0]}_{tokens[1]}")
    features += [f"cue:{name}" for name, test in CUE_TESTS.items() if test(clean)]
    after_forms = []
    for index, cue in enumerate(cues.CUES):
        m = cue.pattern.search(clean)
        if m:
            features.append(f"cue:form:{index}:{cue.owner}")
            after_forms.append(cues.LEADING_SOFTENER.sub("", m.group("rest")))
    features += [
        f"cue:{name}"
        for name, pattern in AFTER_FORM_TESTS.items()
        if any(pattern.match(rest) for rest in after_forms)
    ]
    return features


def conversation_features(messages: list[dict], speaker_key: Callable[[dict], str]) -> list[list[str]]:
    """Features of every message of a conversation, context included, in message order.

    `speaker_key` names a message's speaker (any stable string); it is used only to find who talks most."""
    own = [message_features(str(m.get("text") or "")) for m in messages]
    carried = [[f for f in row if f.startswith(_CONTEXT_PREFIXES)] for row in own]
    total = len(messages)
    talk: Counter[str] = Counter()
    for message in messages:
        talk[speaker_key(message)] += len(str(message.get("text") or "").split())
    chair = talk.most_common(1)[0][0] if talk else None
    closing = cues.next_steps_round(messages)
    result = []
    for index, features in enumerate(own):
        row = list(features)
        for offset, prefix in ((-1, "p1:"), (1, "n1:"), (-2, "p2:"), (2, "n2:")):
            other = index + offset
            if 0 <= other < total:
                row += [prefix + f for f in carried[other]]
                if abs(offset) == 1 and speaker_key(messages[other]) == speaker_key(messages[index]):
                    row.append(f"{prefix}same_speaker")
        row.append(f"pos:{min(9, index * 10 // max(1, total))}")
        if index in closing:
            row.append("closing_round")
        if chair is not None and speaker_key(messages[index]) == chair and len(talk) > 1:
            row.append("speaker:most_talk")
        result.append(row)
    return result
