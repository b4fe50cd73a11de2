"""Benchmark of the insights extractor on the human-annotated AMI/ICSI meetings.

    python bench/insights.py [MEETINGS_DIR]

Scores action items exactly as /work/shared/eval/README.md defines (±1 unit, at most 10 predicted items
per hour), next to the README's naive baseline measured in the same run, plus question precision, topic
coverage and speed; then writes the table into bench/README.md under "## Insights (bench/insights.py)".

Action items come from a model fitted on these same meetings (bench/train_actions.py), so the per-meeting
table is labelled as fitted, and the action-item figures that count are held out: leave-series-out
cross-validation over meetings/ + train/ (each series, e.g. ES2004a–d, scored by a model fitted on all the
others, with the shipped constants), through the same extraction code, next to the baseline.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bot.engine.insights import action_model, actions, extract_insights, speech_text  # noqa: E402
from bot.engine.insights.people import People  # noqa: E402
from bot.engine.insights.text import stem, words  # noqa: E402

DEFAULT_MEETINGS = REPO.parent / "shared" / "eval" / "meetings"
README = REPO / "bench" / "README.md"
QUESTIONS_HELD_OUT = REPO / "bench" / "questions_held_out.md"  # written by bench/fit_questions.py
SECTION = "## Insights (bench/insights.py)"
ITEMS_PER_HOUR = 10
WINDOW = 1
REFERENCE_TIME = datetime(2024, 3, 13, 9, 0, tzinfo=UTC)

# The README's naive rule: commitment phrases by regex, keep the last matches (10 per hour).
BASELINE_PATTERN = re.compile(
    r"\b(?:i'll|i will|i'm going to|i am going to|we'll|we will|we're going to|we need to|we have to|"
    r"we should|you need to|you have to|you should|let's|let me|i have to|i need to|gonna|going to)\b",
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
        messages.append(
            {
                "id": str(index),
                "text": unit["text"],
                "from": {"id": speaker, "name": speaker, "email": ""},
                "startTime": (REFERENCE_TIME + timedelta(seconds=start)).isoformat().replace("+00:00", "Z"),
                "endTime": (REFERENCE_TIME + timedelta(seconds=end)).isoformat().replace("+00:00", "Z"),
                "timeOffset": start,
                "duration": max(0.0, end - start),
            }
        )
    return messages


def cap(hours: float) -> int:
    return max(1, round(ITEMS_PER_HOUR * hours))


def near(units: set[int], evidence: set[int]) -> bool:
    return any(u + d in evidence for u in units for d in range(-WINDOW, WINDOW + 1))


def evidence_sets(gold: dict, *kinds: str) -> list[set[int]]:
    return [
        set(item.get("evidence_utterances") or [])
        for kind in kinds
        for item in gold.get(kind) or []
        if item.get("evidence_utterances")
    ]


def action_scores(predicted_units: list[set[int]], gold: dict) -> tuple[int, int, int, int]:
    """(gold actions with evidence, found, predicted, predicted near any action/decision/problem)."""
    actions = evidence_sets(gold, "action_items")
    anything = set().union(*evidence_sets(gold, "action_items", "decisions", "problems"))
    found = sum(1 for evidence in actions if any(near(units, evidence) for units in predicted_units))
    precise = sum(1 for units in predicted_units if near(units, anything))
    return len(actions), found, len(predicted_units), precise


def predicted_action_units(action_items: list[dict], hours: float) -> list[set[int]]:
    best = sorted(action_items, key=lambda item: -item["score"])[: cap(hours)]
    return [{int(mid) for mid in item["messageIds"]} for item in best]


def baseline_units(transcript: list[dict], hours: float) -> list[set[int]]:
    matches = [index for index, unit in enumerate(transcript) if BASELINE_PATTERN.search(unit["text"])]
    return [{index} for index in matches[-cap(hours) :]] if matches else []


def question_scores(questions: list[dict], gold: dict) -> tuple[int, int]:
    gold_units = {int(q["utterance"]) for q in gold.get("questions") or []}
    cited = [{int(mid) for mid in q["messageIds"]} for q in questions]
    return len(cited), sum(1 for units in cited if units & gold_units)


def topic_coverage(topics: list[dict], gold: dict, transcript: list[dict]) -> tuple[int, int]:
    cited_times = [float(transcript[int(mid)]["start"]) for topic in topics for mid in topic["messageIds"]]
    segments = [
        s for s in gold.get("topics") or [] if s.get("start") is not None and s.get("end") is not None
    ]
    covered = sum(1 for s in segments if any(s["start"] <= t <= s["end"] for t in cited_times))
    return len(segments), covered


def action_items_only(messages: list[dict], hours: float, model=None) -> list[set[int]]:
    """Cited units of the action items `extract_insights` would return, without topics and questions, with
    `model` (default: the shipped one); score_meeting checks it agrees with the full extractor."""
    messages = speech_text.normalise_messages(messages)
    conversation = actions.Conversation(messages, People(None, messages), REFERENCE_TIME, hours, model)
    items = actions.ranked(actions.find_candidates(conversation), actions.ACTION_ITEM, None, 0.5)
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
    assert sorted(map(sorted, predicted_units)) == sorted(map(sorted, action_items_only(messages, hours))), (
        path.name
    )
    gold_actions, hits, predicted, precise = action_scores(predicted_units, gold)
    _, base_hits, base_predicted, base_precise = action_scores(baseline_units(transcript, hours), gold)
    questions, questions_right = question_scores(insights.questions, gold)
    topics_gold, topics_covered = topic_coverage(insights.topics, gold, transcript)
    return MeetingScore(
        meeting["meeting_id"],
        hours,
        gold_actions,
        hits,
        predicted,
        precise,
        base_hits,
        base_predicted,
        base_precise,
        questions,
        questions_right,
        topics_gold,
        topics_covered,
        seconds,
    )


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "–"


HEADER = (
    "| meeting | hours | gold AI | AI recall | AI prec. (n) | base recall | base prec. (n) | "
    "Q prec. (n) | topic cov. | s/hour |"
)
RULE = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"


def row(s: MeetingScore) -> str:
    return (
        f"| {s.meeting} | {s.hours:.2f} | {s.gold_actions} | {ratio(s.action_hits, s.gold_actions)} | "
        f"{ratio(s.precise, s.predicted)} ({s.predicted}) | {ratio(s.base_hits, s.gold_actions)} | "
        f"{ratio(s.base_precise, s.base_predicted)} ({s.base_predicted}) | "
        f"{ratio(s.questions_right, s.questions)} ({s.questions}) | {ratio(s.topics_covered, s.topics_gold)} "
        f"| {s.seconds / s.hours:.2f} |"
    )


def total_row(label: str, scores: list[MeetingScore]) -> str:
    total = MeetingScore(
        label, *(sum(getattr(s, f) for s in scores) for f in list(MeetingScore.__dataclass_fields__)[1:])
    )
    return row(total).replace(f"| {label} |", f"| **{label}** |", 1)


def table(scores: list[MeetingScore]) -> str:
    with_evidence = [s for s in scores if s.gold_actions]
    lines = [
        HEADER,
        RULE,
        *(row(s) for s in scores),
        total_row(f"all {len(scores)}", scores),
        total_row(f"{len(with_evidence)} with AI evidence", with_evidence),
    ]
    return "\n".join(lines)


def notes(scores: list[MeetingScore]) -> str:
    with_evidence = [s for s in scores if s.gold_actions]
    recall = sum(s.action_hits for s in with_evidence) / max(1, sum(s.gold_actions for s in with_evidence))
    precision = sum(s.precise for s in with_evidence) / max(1, sum(s.predicted for s in with_evidence))
    base_recall = sum(s.base_hits for s in with_evidence) / max(1, sum(s.gold_actions for s in with_evidence))
    base_precision = sum(s.base_precise for s in with_evidence) / max(
        1, sum(s.base_predicted for s in with_evidence)
    )
    speed = sum(s.seconds for s in scores) / sum(s.hours for s in scores)
    return (
        f"Over the {len(with_evidence)} meetings whose gold action items have evidence (shipped model, "
        f"fitted on them): recall {recall:.2f} (baseline {base_recall:.2f}, "
        f"×{recall / base_recall if base_recall else float('nan'):.2f}), precision {precision:.2f} (baseline "
        f"{base_precision:.2f}, ×{precision / base_precision if base_precision else float('nan'):.2f}). "
        f"Extraction target ≤ 2 s per hour; measured {speed:.2f} s per hour."
    )


def write_readme(text: str) -> None:
    write_section(SECTION, text)


def write_section(heading: str, text: str) -> None:
    """Replace (or append) the section under `heading` in bench/README.md."""
    section = f"{heading}\n\n{text}\n"
    if not README.exists():
        README.write_text(f"# Benchmarks\n\n{section}")
        return
    current = README.read_text()
    start = current.find(heading)
    if start < 0:
        README.write_text(current.rstrip("\n") + "\n\n" + section)
        return
    following = current.find("\n## ", start + len(heading))
    rest = current[following + 1 :] if following >= 0 else ""
    README.write_text(current[:start] + section + ("\n" + rest if rest else ""))


def held_out() -> tuple[str, tuple[int, int, int, int], tuple[int, int, int, int], float]:
    """Leave-series-out action-item figures: a table per held-out series, the pooled (gold, found,
    predicted, precise) counts of the model and of the baseline, and the action-item extraction time in
    seconds per hour of transcript (features, model, owners and text; not topics or questions)."""
    import train_actions  # noqa: PLC0415 (bench-only, needs scikit-learn)

    shipped = action_model.shipped_model()
    constants = train_actions.shipped_constants()
    data = train_actions.Dataset.of(train_actions.load_all())
    scored = [m for m in data.meetings if train_actions.is_meeting_corpus(m) and m.has_action_evidence]
    lines = [
        "| held-out series | meetings | gold AI | recall | prec. (n) | base recall | base prec. (n) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    pooled, pooled_base = (0, 0, 0, 0), (0, 0, 0, 0)
    seconds = 0.0
    for series in sorted({m.series for m in scored}):
        train = [m for m in data.meetings if m.series != series]
        model = train_actions.fit(data, train, constants.c, constants.workplace_weight)
        model = action_model.ActionModel(model.weights, model.intercept, shipped.threshold, shipped.radius)
        counts, base = (0, 0, 0, 0), (0, 0, 0, 0)
        held = [m for m in scored if m.series == series]
        for meeting in held:
            transcript = [{"text": msg["text"]} for msg in meeting.messages]
            started = time.perf_counter()
            predicted = action_items_only(meeting.messages, meeting.hours, model)
            seconds += time.perf_counter() - started
            counts = _add(counts, action_scores(predicted, meeting.gold))
            base = _add(base, action_scores(baseline_units(transcript, meeting.hours), meeting.gold))
        pooled, pooled_base = _add(pooled, counts), _add(pooled_base, base)
        lines.append(
            f"| {series} | {len(held)} | {counts[0]} | {ratio(counts[1], counts[0])} | "
            f"{ratio(counts[3], counts[2])} ({counts[2]}) | {ratio(base[1], base[0])} | "
            f"{ratio(base[3], base[2])} ({base[2]}) |"
        )
    lines.append(
        f"| **pooled held-out** | {len(scored)} | {pooled[0]} | **{ratio(pooled[1], pooled[0])}** | "
        f"**{ratio(pooled[3], pooled[2])}** ({pooled[2]}) | {ratio(pooled_base[1], pooled_base[0])} | "
        f"{ratio(pooled_base[3], pooled_base[2])} ({pooled_base[2]}) |"
    )
    return "\n".join(lines), pooled, pooled_base, seconds / sum(m.hours for m in scored)


def _add(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def held_out_summary(pooled: tuple, base: tuple, seconds_per_hour: float) -> str:
    recall, precision = pooled[1] / max(1, pooled[0]), pooled[3] / max(1, pooled[2])
    base_recall, base_precision = base[1] / max(1, base[0]), base[3] / max(1, base[2])
    return (
        f"Held out (leave-series-out, {pooled[0]} gold action items): recall {recall:.2f} (baseline "
        f"{base_recall:.2f}, ×{recall / base_recall:.2f}), precision {precision:.2f} (baseline "
        f"{base_precision:.2f}, ×{precision / base_precision:.2f}). Targets: recall ≥ 0.60 at precision "
        f"≥ 0.50, ≥ 1.5× the baseline on both. Action-item extraction alone: {seconds_per_hour:.2f} s per "
        "hour of transcript (target ≤ 2 s)."
    )


# What the figures mean.
READING = (
    "Reading. Action items are chosen by a logistic regression over named binary features of each unit "
    "(its words and word pairs, opening words, commitment/request forms, task verbs, times after the "
    "meeting, hedges, questions; the same cues of the two units either side; position in the meeting, "
    "closing round, whether the speaker talks most), fitted by `python bench/train_actions.py` on "
    "meetings/ + train/, the 30 workplace meetings (a line weighted 10 times a unit of its class) and 15 "
    "short synthetic workplace conversations "
    "(bench/workplace_actions.json, weight 0.5). Its constants (C 0.1, threshold 0.5, radius 0, workplace "
    "weight 10) were chosen by cross-validation on the workplace meetings, the meetings our users have, not "
    "on these; the held-out table re-fits each series with them. The extractor keeps a chosen unit only "
    "when it can say who owes the work (a commitment or "
    'request form, a named person, a capitalised team or role: "the Industrial Designer will…", '
    '"Marketing will…", or "you two are going to…"), writes it in the third person and merges repeats '
    "(bot/engine/insights/actions.py). The held-out figures miss the floor of recall 0.60 at precision "
    "0.50 (the AMI-only model of before: 0.61 / 0.54 at threshold 0.9). In the same folds, without the "
    "workplace meetings in training, recall is 0.53 at precision 0.42 (threshold 0.5) or 0.48 at 0.59 "
    "(threshold 0.9): the threshold that lists every workplace commitment lets more AMI units through, "
    "and the units AMI's closing rounds assign by bare role names (\"User Interface, the User interface "
    'concept") have no form that says who owes them. The per-meeting table uses the shipped model, fitted'
    " on these meetings: not a held-out figure."
)


# Measured with the previous rules on all 54 meetings of meetings/ + train/ (same metrics as above).
TOPICS_AND_QUESTIONS_BEFORE = (
    "Before (YAKE phrases and single words, cue-rule questions), on all 54 meetings of meetings/ + train/: "
    "multi-word topics 0.49, variants of another listed topic 0.67, topic coverage 0.848; questions "
    "precision 0.65 at recall 0.59. Now on the same 54: multi-word 1.00, variants 0.01, coverage 0.860; "
    "questions held out "
    '0.82 at recall 0.49. The recall given up is mostly one- and two-word questions ("Okay?", "Sorry?", '
    '"How?"), which are never reported now: they ask for a reply but name no question a note could list.'
)


def topic_shape(paths: list[Path]) -> tuple[int, int, int]:
    """(topics, multi-word topics, topics that are a variant of another listed one: same or contained
    words)."""
    total = multi = variants = 0
    for path in paths:
        meeting = load_meeting(path)
        topics = extract_insights(to_messages(meeting["transcript"]), reference_time=REFERENCE_TIME).topics
        stems = [frozenset(stem(w) for w in words(t["text"])) for t in topics]
        total += len(topics)
        multi += sum(1 for t in topics if " " in t["text"].strip())
        variants += sum(
            1 for i, a in enumerate(stems) if any(a <= b or b <= a for j, b in enumerate(stems) if j != i)
        )
    return total, multi, variants


def topics_and_questions(scores: list[MeetingScore], paths: list[Path]) -> str:
    """The people branch's subsection: topic shape and question precision, with the held-out pointer."""
    total, multi, variants = topic_shape(paths)
    questions, right = sum(s.questions for s in scores), sum(s.questions_right for s in scores)
    gold, covered = sum(s.topics_gold for s in scores), sum(s.topics_covered for s in scores)
    return "\n".join(
        [
            "### Topics and questions",
            "",
            f"Topics: {multi} of {total} multi-word ({ratio(multi, total)}; target ≥ 0.80), {variants} a "
            f"variant of another listed topic ({ratio(variants, total)}), topic coverage "
            f"{ratio(covered, gold)}. Questions: precision {ratio(right, questions)} ({questions} predicted) "
            f"on these meetings — in-sample, since the "
            "question model is fitted on meetings/ + train/. Held out, as `python bench/fit_questions.py` "
            "last measured it (leave-one-series-out over the 22 series of meetings/ + train/, the threshold "
            "chosen inside "
            'each training split; "?" = every unit ending in a question mark, the naive baseline):',
            "",
            QUESTIONS_HELD_OUT.read_text().strip() if QUESTIONS_HELD_OUT.exists() else "(not yet measured)",
            "",
            TOPICS_AND_QUESTIONS_BEFORE,
        ]
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("meetings_dir", nargs="?", type=Path, default=DEFAULT_MEETINGS)
    meetings_dir = parser.parse_args(argv[1:]).meetings_dir
    paths = sorted(p for p in meetings_dir.glob("*.json") if p.name != "index.json")
    extract_insights([], reference_time=REFERENCE_TIME)  # warm-up: imports and lexicons are not per-hour cost
    action_model.shipped_model()  # nor is reading the model file once per process
    scores = [score_meeting(p) for p in paths]
    cross_validated, pooled, pooled_base, action_seconds = held_out()
    body = "\n\n".join(
        [
            (
                "Leave-series-out cross-validation of action items on meetings/ + train/ (meetings with gold "
                "action-item evidence; each series scored by a model fitted without it; 10 items per hour):"
            ),
            cross_validated,
            held_out_summary(pooled, pooled_base, action_seconds),
            (
                f"Per meeting of {meetings_dir.name}/ (action items from the shipped model, **fitted on "
                f"these "
                "meetings**):"
            ),
            table(scores),
            notes(scores),
            READING,
            topics_and_questions(scores, paths),
            (
                "AI = action items (recall: gold items with evidence found within ±1 unit; precision: "
                "predicted items within ±1 unit of any gold action/decision/problem evidence; at most 10 per "
                "hour, by score). base = naive regex for commitment phrases, last 10 matches per hour, same "
                "run. Q prec. = predicted questions whose unit is a gold question (elicit / MRDA question "
                "act). topic cov. = gold topic segments containing a message cited by a predicted topic. "
                "s/hour = extraction time per hour of meeting on this machine."
            ),
        ]
    )
    print(body)
    write_readme(body)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
