"""Benchmark of the insights extractor on the human-annotated AMI/ICSI meetings.

    python bench/insights.py [MEETINGS_DIR]

Scores action items exactly as /work/shared/eval/README.md defines (±1 unit, at most 10 predicted items
per hour), next to the README's naive baseline measured in the same run, plus question precision, topic
coverage and speed; then writes the table into bench/README.md under "## Insights (bench/insights.py)".

The closing-round constants in `actions` (NEXT_STEPS_BONUS, NEXT_STEPS_REACH) are fitted, so the script
also reports them held out: split the meetings by series (ES+IS vs TS+ICSI), choose the constants on one
half from a small grid, score the other half with them, and pool both directions.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.engine.insights import actions, extract_insights, extractor  # noqa: E402
from bot.engine.insights.people import People  # noqa: E402
from bot.engine.insights.text import stem, words  # noqa: E402

DEFAULT_MEETINGS = REPO.parent / "shared" / "eval" / "meetings"
README = REPO / "bench" / "README.md"
QUESTIONS_HELD_OUT = REPO / "bench" / "questions_held_out.md"  # written by bench/fit_questions.py
SECTION = "## Insights (bench/insights.py)"
ITEMS_PER_HOUR = 10
WINDOW = 1
REFERENCE_TIME = datetime(2024, 3, 13, 9, 0, tzinfo=timezone.utc)

# Held-out split by meeting series: the series differ in chair, habits and wording, so a constant that
# only fits one series' closing round shows up as a drop on the other.
FOLDS = {"ES+IS": ("ES", "IS"), "TS+ICSI": ("TS", "B")}
# The grid the held-out run chooses from; (0.0, …) is "no closing-round prior at all".
BONUS_GRID = (0.0, 0.15, 0.3, 0.45)
REACH_GRID = (5, 12, 25)

# The README's naive rule: commitment phrases by regex, keep the last matches (10 per hour).
BASELINE_PATTERN = re.compile(
    r"\b(?:i'll|i will|i'm going to|i am going to|we'll|we will|we're going to|we need to|we have to|we should|"
    r"you need to|you have to|you should|let's|let me|i have to|i need to|gonna|going to)\b",
    re.IGNORECASE,
)


@dataclass
class MeetingScore:
    meeting: str
    hours: float
    gold_actions: int  # gold action items with evidence
    action_hits: int  # of those, found
    predicted: int
    precise: int
    base_hits: int
    base_predicted: int
    base_precise: int
    questions: int
    questions_right: int
    topics_gold: int
    topics_covered: int
    seconds: float


def load_meeting(path: Path) -> dict:
    return json.loads(path.read_text())


def to_messages(transcript: list[dict]) -> list[dict]:
    messages = []
    for index, unit in enumerate(transcript):
        start, end = float(unit["start"]), float(unit["end"])
        speaker = str(unit["speaker"])
        messages.append({
            "id": str(index),
            "text": unit["text"],
            "from": {"id": speaker, "name": speaker, "email": ""},
            "startTime": (REFERENCE_TIME + timedelta(seconds=start)).isoformat().replace("+00:00", "Z"),
            "endTime": (REFERENCE_TIME + timedelta(seconds=end)).isoformat().replace("+00:00", "Z"),
            "timeOffset": start,
            "duration": max(0.0, end - start),
        })
    return messages


def cap(hours: float) -> int:
    return max(1, round(ITEMS_PER_HOUR * hours))


def near(units: set[int], evidence: set[int]) -> bool:
    return any(u + d in evidence for u in units for d in range(-WINDOW, WINDOW + 1))


def evidence_sets(gold: dict, *kinds: str) -> list[set[int]]:
    return [set(item.get("evidence_utterances") or []) for kind in kinds for item in gold.get(kind) or []
            if item.get("evidence_utterances")]


def action_scores(predicted_units: list[set[int]], gold: dict) -> tuple[int, int, int, int]:
    """(gold actions with evidence, found, predicted, predicted near any action/decision/problem)."""
    actions = evidence_sets(gold, "action_items")
    anything = set().union(*evidence_sets(gold, "action_items", "decisions", "problems"))
    found = sum(1 for evidence in actions if any(near(units, evidence) for units in predicted_units))
    precise = sum(1 for units in predicted_units if near(units, anything))
    return len(actions), found, len(predicted_units), precise


def predicted_action_units(action_items: list[dict], hours: float) -> list[set[int]]:
    best = sorted(action_items, key=lambda item: -item["score"])[:cap(hours)]
    return [{int(mid) for mid in item["messageIds"]} for item in best]


def baseline_units(transcript: list[dict], hours: float) -> list[set[int]]:
    matches = [index for index, unit in enumerate(transcript) if BASELINE_PATTERN.search(unit["text"])]
    return [{index} for index in matches[-cap(hours):]] if matches else []


def question_scores(questions: list[dict], gold: dict) -> tuple[int, int]:
    gold_units = {int(q["utterance"]) for q in gold.get("questions") or []}
    cited = [{int(mid) for mid in q["messageIds"]} for q in questions]
    return len(cited), sum(1 for units in cited if units & gold_units)


def topic_coverage(topics: list[dict], gold: dict, transcript: list[dict]) -> tuple[int, int]:
    cited_times = [float(transcript[int(mid)]["start"]) for topic in topics for mid in topic["messageIds"]]
    segments = [s for s in gold.get("topics") or [] if s.get("start") is not None and s.get("end") is not None]
    covered = sum(1 for s in segments if any(s["start"] <= t <= s["end"] for t in cited_times))
    return len(segments), covered


def action_items_only(messages: list[dict], hours: float) -> list[set[int]]:
    """Cited units of the action items `extract_insights` would return, without topics and questions, so
    the held-out grid costs seconds; score_meeting checks it agrees with the full extractor."""
    conversation = actions.Conversation(messages, People(None, messages), REFERENCE_TIME, hours)
    limit = max(extractor.MIN_ACTION_ITEMS, round(extractor.ACTION_ITEMS_PER_HOUR * hours))
    items = actions.ranked(actions.find_candidates(conversation), actions.ACTION_ITEM, limit, 0.5)
    return predicted_action_units([actions.to_symbl(c) for c in items], hours)


def score_meeting(path: Path) -> MeetingScore:
    meeting = load_meeting(path)
    transcript, gold = meeting["transcript"], meeting["gold"]
    hours = float(meeting["duration_s"]) / 3600
    messages = to_messages(transcript)
    started = time.perf_counter()
    insights = extract_insights(messages, reference_time=REFERENCE_TIME)
    seconds = time.perf_counter() - started
    predicted_units = predicted_action_units(insights.action_items, hours)
    assert sorted(map(sorted, predicted_units)) == sorted(map(sorted, action_items_only(messages, hours))), path.name
    gold_actions, hits, predicted, precise = action_scores(predicted_units, gold)
    _, base_hits, base_predicted, base_precise = action_scores(baseline_units(transcript, hours), gold)
    questions, questions_right = question_scores(insights.questions, gold)
    topics_gold, topics_covered = topic_coverage(insights.topics, gold, transcript)
    return MeetingScore(meeting["meeting_id"], hours, gold_actions, hits, predicted, precise, base_hits,
                        base_predicted, base_precise, questions, questions_right, topics_gold, topics_covered, seconds)


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "–"


HEADER = ("| meeting | hours | gold AI | AI recall | AI prec. (n) | base recall | base prec. (n) | "
          "Q prec. (n) | topic cov. | s/hour |")
RULE = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"


def row(s: MeetingScore) -> str:
    return (f"| {s.meeting} | {s.hours:.2f} | {s.gold_actions} | {ratio(s.action_hits, s.gold_actions)} | "
            f"{ratio(s.precise, s.predicted)} ({s.predicted}) | {ratio(s.base_hits, s.gold_actions)} | "
            f"{ratio(s.base_precise, s.base_predicted)} ({s.base_predicted}) | "
            f"{ratio(s.questions_right, s.questions)} ({s.questions}) | {ratio(s.topics_covered, s.topics_gold)} | "
            f"{s.seconds / s.hours:.2f} |")


def total_row(label: str, scores: list[MeetingScore]) -> str:
    total = MeetingScore(label, *(sum(getattr(s, f) for s in scores) for f in list(MeetingScore.__dataclass_fields__)[1:]))
    return row(total).replace(f"| {label} |", f"| **{label}** |", 1)


def table(scores: list[MeetingScore]) -> str:
    with_evidence = [s for s in scores if s.gold_actions]
    lines = [HEADER, RULE, *(row(s) for s in scores),
             total_row(f"all {len(scores)}", scores),
             total_row(f"{len(with_evidence)} with AI evidence", with_evidence)]
    return "\n".join(lines)


def notes(scores: list[MeetingScore]) -> str:
    with_evidence = [s for s in scores if s.gold_actions]
    recall = sum(s.action_hits for s in with_evidence) / max(1, sum(s.gold_actions for s in with_evidence))
    precision = sum(s.precise for s in with_evidence) / max(1, sum(s.predicted for s in with_evidence))
    base_recall = sum(s.base_hits for s in with_evidence) / max(1, sum(s.gold_actions for s in with_evidence))
    base_precision = sum(s.base_precise for s in with_evidence) / max(1, sum(s.base_predicted for s in with_evidence))
    speed = sum(s.seconds for s in scores) / sum(s.hours for s in scores)
    return (
        f"Over the {len(with_evidence)} meetings whose gold action items have evidence: recall {recall:.2f} "
        f"(baseline {base_recall:.2f}, ×{recall / base_recall if base_recall else float('nan'):.2f}), precision "
        f"{precision:.2f} (baseline {base_precision:.2f}, ×{precision / base_precision if base_precision else float('nan'):.2f}). "
        f"Targets: recall ≥ 0.60 at precision ≥ 0.50, ≤ 0.50 s per hour; measured {speed:.2f} s per hour."
    )


def write_readme(text: str) -> None:
    section = f"{SECTION}\n\n{text}\n"
    if not README.exists():
        README.write_text(f"# Benchmarks\n\n{section}")
        return
    current = README.read_text()
    start = current.find(SECTION)
    if start < 0:
        README.write_text(current.rstrip("\n") + "\n\n" + section)
        return
    following = current.find("\n## ", start + len(SECTION))
    rest = current[following + 1:] if following >= 0 else ""
    README.write_text(current[:start] + section + ("\n" + rest if rest else ""))


def series(meeting_id: str) -> str:
    return next(name for name, prefixes in FOLDS.items() if meeting_id.startswith(prefixes))


@dataclass
class Fold:
    """Action-item counts of one fold's meetings that have gold action-item evidence."""

    name: str
    meetings: list[tuple[dict, list[dict], float]]  # (gold, messages, hours)
    baseline: list[set[int]] | None = None

    def counts(self, bonus: float, reach: int) -> tuple[int, int, int, int]:
        saved = actions.NEXT_STEPS_BONUS, actions.NEXT_STEPS_REACH
        actions.NEXT_STEPS_BONUS, actions.NEXT_STEPS_REACH = bonus, reach
        try:
            totals = (0, 0, 0, 0)
            for gold, messages, hours in self.meetings:
                scores = action_scores(action_items_only(messages, hours), gold)
                totals = tuple(t + s for t, s in zip(totals, scores))
        finally:
            actions.NEXT_STEPS_BONUS, actions.NEXT_STEPS_REACH = saved
        return totals


def load_folds(paths: list[Path]) -> dict[str, Fold]:
    folds = {name: Fold(name, []) for name in FOLDS}
    for path in paths:
        meeting = load_meeting(path)
        if evidence_sets(meeting["gold"], "action_items"):
            hours = float(meeting["duration_s"]) / 3600
            folds[series(meeting["meeting_id"])].meetings.append(
                (meeting["gold"], to_messages(meeting["transcript"]), hours))
    return folds


def f1(counts: tuple[int, int, int, int]) -> float:
    gold, found, predicted, precise = counts
    recall, precision = found / max(1, gold), precise / max(1, predicted)
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def recall_precision(counts: tuple[int, int, int, int]) -> str:
    gold, found, predicted, precise = counts
    return f"{ratio(found, gold)} / {ratio(precise, predicted)} ({predicted})"


def held_out(scores: list[MeetingScore], paths: list[Path]) -> str:
    """Per series: shipped constants, no prior, and constants chosen on the other series (by F1 of
    recall and precision; ties go to the smaller prior), then both held-out halves pooled."""
    folds = load_folds(paths)
    shipped = (actions.NEXT_STEPS_BONUS, actions.NEXT_STEPS_REACH)
    grid = [(bonus, reach) for bonus in BONUS_GRID for reach in REACH_GRID]
    lines = [("| evaluated on | meetings | baseline | shipped constants | no closing-round bonus | "
              "tuned on the other series: bonus/reach | held-out recall / prec. (n) |"),
             "|---|---:|---:|---:|---:|---:|---:|"]
    pooled = (0, 0, 0, 0)
    for name, fold in folds.items():
        other = next(f for n, f in folds.items() if n != name)
        chosen = max(grid, key=lambda c: (round(f1(other.counts(*c)), 4), -c[0], -c[1]))
        result = fold.counts(*chosen)
        pooled = tuple(p + r for p, r in zip(pooled, result))
        ids = {s.meeting for s in scores if s.gold_actions and series(s.meeting) == name}
        base = [sum(getattr(s, f) for s in scores if s.meeting in ids)
                for f in ("gold_actions", "base_hits", "base_predicted", "base_precise")]
        lines.append(f"| {name} | {len(fold.meetings)} | {recall_precision(tuple(base))} | "
                     f"{recall_precision(fold.counts(*shipped))} | {recall_precision(fold.counts(0.0, shipped[1]))} | "
                     f"{chosen[0]:.2f}/{chosen[1]} | {recall_precision(result)} |")
    lines.append(f"| **pooled held-out** | {sum(len(f.meetings) for f in folds.values())} | | | | | "
                 f"**{recall_precision(pooled)}** |")
    return "\n".join(lines)


# What the figures mean; the numbers "before" are the previous version's, measured with this script.
READING = (
    "Reading. Before the precision pass (fixed +0.3 bonus for the last 10% of the meeting): full set recall "
    "0.61, precision 0.28 (69 items); the same held-out protocol gave 0.61 / 0.30, and without the bonus 0.39 / "
    "0.23. The pass scores down commitment-shaped talk that hands out no work: denied obligations, \"you have "
    "to…\" inside an explanation, opinion and \"do I need to…?\" questions, stuttered \"you could you could\", "
    "design talk (\"you have to make the buttons bigger\"), reasons and pseudo-clefts, habits, room logistics "
    "and presenter narration, requests with no task verb, and lines with no object a note could name. The closing "
    "round is now found from next-step words in the second half of the meeting (\"next meeting\", \"individual "
    "work\", \"homework\"…) instead of a fixed 10%, and lifts only lines whose own evidence is not negative. It "
    "is kept because it helps on both series when held out (see the \"no closing-round bonus\" column). Fewer, "
    "better items are emitted: most of the precision gain comes from lines that now score under 0.5 and are "
    "not reported at all. Against the targets (recall ≥ 0.60 at precision ≥ 0.50) this is still short on both, "
    "and more so held out on TS. The rules were written after reading false positives of all 12 meetings, so "
    "the held-out split protects the fitted constants, not the choice of rules; a fresh meeting set is the real "
    "test. What rules cannot see: many gold items are phrased without any commitment cue (\"Trendwatching.\", "
    "\"User Interface, the user interface concept,\" as a chair lists roles) or span several short units; "
    "reaching the targets would need a learned dialogue-act classifier for offers and suggestions (AMI/ICSI "
    "dialogue acts are the training data; a small linear model on sentence features would stay within the speed "
    "budget without torch) and grouping of consecutive units into one assignment."
)


# Measured with the previous rules on all 54 meetings of meetings/ + train/ (same metrics as above).
TOPICS_AND_QUESTIONS_BEFORE = (
    "Before (YAKE phrases and single words, cue-rule questions), on all 54 meetings of meetings/ + train/: "
    "multi-word topics 0.49, variants of another listed topic 0.67, topic coverage 0.848; questions precision "
    "0.65 at recall 0.59. Now on the same 54: multi-word 1.00, variants 0.01, coverage 0.860; questions held out "
    "0.82 at recall 0.49. The recall given up is mostly one- and two-word questions (\"Okay?\", \"Sorry?\", "
    "\"How?\"), which are never reported now: they ask for a reply but name no question a note could list."
)


def topic_shape(paths: list[Path]) -> tuple[int, int, int]:
    """(topics, multi-word topics, topics that are a variant of another listed one: same or contained words)."""
    total = multi = variants = 0
    for path in paths:
        meeting = load_meeting(path)
        topics = extract_insights(to_messages(meeting["transcript"]), reference_time=REFERENCE_TIME).topics
        stems = [frozenset(stem(w) for w in words(t["text"])) for t in topics]
        total += len(topics)
        multi += sum(1 for t in topics if " " in t["text"].strip())
        variants += sum(1 for i, a in enumerate(stems) if any(a <= b or b <= a for j, b in enumerate(stems) if j != i))
    return total, multi, variants


def topics_and_questions(scores: list[MeetingScore], paths: list[Path]) -> str:
    """The people branch's subsection: topic shape and question precision, with the held-out pointer."""
    total, multi, variants = topic_shape(paths)
    questions, right = sum(s.questions for s in scores), sum(s.questions_right for s in scores)
    gold, covered = sum(s.topics_gold for s in scores), sum(s.topics_covered for s in scores)
    return "\n".join([
        "### Topics and questions",
        "",
        f"Topics: {multi} of {total} multi-word ({ratio(multi, total)}; target ≥ 0.80), {variants} a variant of "
        f"another listed topic ({ratio(variants, total)}), topic coverage {ratio(covered, gold)}. Questions: "
        f"precision {ratio(right, questions)} ({questions} predicted) on these meetings — in-sample, since the "
        "question model is fitted on meetings/ + train/. Held out, as `python bench/fit_questions.py` last "
        "measured it (leave-one-series-out over the 22 series of meetings/ + train/, the threshold chosen inside "
        "each training split; \"?\" = every unit ending in a question mark, the naive baseline):",
        "",
        QUESTIONS_HELD_OUT.read_text().strip() if QUESTIONS_HELD_OUT.exists() else "(not yet measured)",
        "",
        TOPICS_AND_QUESTIONS_BEFORE,
    ])


def main(argv: list[str]) -> int:
    meetings_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_MEETINGS
    paths = sorted(p for p in meetings_dir.glob("*.json") if p.name != "index.json")
    extract_insights([], reference_time=REFERENCE_TIME)  # warm-up: imports and lexicons are not per-hour cost
    scores = [score_meeting(p) for p in paths]
    body = "\n\n".join([
        table(scores),
        notes(scores),
        ("Held out by meeting series (action items, recall / precision (predicted), meetings with gold "
         "action-item evidence only; shipped constants: closing-round bonus "
         f"{actions.NEXT_STEPS_BONUS}, reach {actions.NEXT_STEPS_REACH} messages):"),
        held_out(scores, paths),
        READING,
        topics_and_questions(scores, paths),
        ("AI = action items (recall: gold items with evidence found within ±1 unit; precision: predicted items "
         "within ±1 unit of any gold action/decision/problem evidence; at most 10 per hour, by score). base = "
         "naive regex for commitment phrases, last 10 matches per hour, same run. Q prec. = predicted questions "
         "whose unit is a gold question (elicit / MRDA question act). topic cov. = gold topic segments containing "
         "a message cited by a predicted topic. s/hour = extraction time per hour of meeting on this machine."),
    ])
    print(body)
    write_readme(body)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
