"""The action-item training data: every unit of `meetings/` + `train/` as features and labels.

Shared by `bench/train_actions.py` (fits and writes the model) and `bench/insights.py` (scores it held out),
so both read the meetings, the series and the labels one way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.engine.insights import action_features, speech_text

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
# The only meetings we may learn from (eval/README.md): every other AMI/ICSI meeting is reserved.
DATA_DIRS = (EVAL / "meetings", EVAL / "train")


@dataclass
class Meeting:
    meeting_id: str
    series: str
    hours: float
    messages: list[dict]
    gold: dict
    features: list[list[str]]
    labels: list[int]  # 1 for a unit in a gold action item's evidence

    @property
    def has_action_evidence(self) -> bool:
        return any(self.labels)


def series_of(meeting_id: str) -> str:
    """AMI: the group of meetings a–d ("ES2004c" → "ES2004"); ICSI: its prefix ("Bmr023" → "Bmr")."""
    ami = re.match(r"^([A-Z]{2}\d{4})[a-d]$", meeting_id)
    return ami.group(1) if ami else re.match(r"^[A-Za-z]+", meeting_id).group(0)


def action_evidence(gold: dict) -> set[int]:
    return {int(u) for item in gold.get("action_items") or [] for u in item.get("evidence_utterances") or []}


def meeting_paths(dirs: tuple[Path, ...] = DATA_DIRS) -> list[Path]:
    return sorted(p for d in dirs for p in d.glob("*.json") if p.name != "index.json")


def load(path: Path, to_messages) -> Meeting:
    """One meeting; `to_messages` turns its transcript units into Symbl messages (bench/insights.py's)."""
    raw = json.loads(path.read_text())
    messages = speech_text.normalise_messages(to_messages(raw["transcript"]))
    evidence = action_evidence(raw["gold"])
    features = action_features.conversation_features(messages, lambda m: str(m["from"]["id"]))
    return Meeting(
        raw["meeting_id"],
        series_of(raw["meeting_id"]),
        float(raw["duration_s"]) / 3600,
        messages,
        raw["gold"],
        features,
        [int(i in evidence) for i in range(len(messages))],
    )


WORKPLACE_FILE = Path(__file__).resolve().parent / "workplace_actions.json"
WORKPLACE_SERIES = "workplace"
SECONDS_PER_LINE = 6.0
# An eight-line exchange is not a meeting: where it falls in "the meeting", its closing round and who
# talks most say nothing, so those features are left out of the synthetic rows (AMI/ICSI teach them).
MEETING_LEVEL_FEATURES = ("pos:", "closing_round", "speaker:")


def workplace_meetings(to_messages) -> list[Meeting]:
    """The synthetic workplace conversations of `workplace_actions.json` as training meetings (series
    "workplace"; never scored: they have no gold evidence)."""
    conversations = json.loads(WORKPLACE_FILE.read_text())["conversations"]
    meetings = []
    for number, lines in enumerate(conversations):
        units = [
            {
                "speaker": speaker,
                "text": text,
                "start": SECONDS_PER_LINE * i,
                "end": SECONDS_PER_LINE * i + SECONDS_PER_LINE - 1,
            }
            for i, (speaker, text, _) in enumerate(lines)
        ]
        messages = speech_text.normalise_messages(to_messages(units))
        features = action_features.conversation_features(messages, lambda m: str(m["from"]["id"]))
        meetings.append(
            Meeting(
                f"workplace-{number}",
                WORKPLACE_SERIES,
                len(lines) * SECONDS_PER_LINE / 3600,
                messages,
                {},
                features,
                [label for _, _, label in lines],
            )
        )
    return meetings


EVAL_WORKPLACE_SERIES = "workplace-eval"


def workplace_eval_meetings() -> list[Meeting]:
    """The annotated workplace meetings of shared/eval/workplace as training meetings: a line is positive
    when a gold action item is made or accepted in it (its `line`)."""
    import workplace_eval  # bench/, next to this file

    return _annotated(workplace_eval.load_all(), EVAL_WORKPLACE_SERIES)


OTHER_HANDS = Path(__file__).resolve().parent / "other_hands"
OTHER_HANDS_SERIES = "other-hands"
# The folders of bench/other_hands the models learn from; `untouched/` is never read nor fitted, so that its
# figures stay ones on meetings nobody tuned for.
OTHER_HANDS_FITTED = ("tuned", "regressions")


def other_hands_meetings() -> list[Meeting]:
    """The meetings written for this project by other hands (bench/other_hands/README.md), as training
    meetings like the workplace set's, from every folder but `untouched/`."""
    import workplace_eval  # bench/, next to this file

    return [
        meeting
        for folder in OTHER_HANDS_FITTED
        for meeting in _annotated(workplace_eval.load_all(OTHER_HANDS / folder), OTHER_HANDS_SERIES)
    ]


def _annotated(loaded: list, series: str) -> list[Meeting]:
    """Meetings in the workplace set's format (bench/workplace_eval.py's WorkplaceMeeting) as training
    meetings of `series`."""
    meetings = []
    for meeting in loaded:
        messages = speech_text.normalise_messages(meeting.messages)
        positives = {int(item["line"]) for item in meeting.gold["action_items"]}
        meetings.append(
            Meeting(
                meeting.meeting_id,
                series,
                meeting.hours,
                messages,
                meeting.gold,
                action_features.conversation_features(messages, lambda m: str(m["from"]["id"])),
                [int(i in positives) for i in range(len(messages))],
            )
        )
    return meetings
