"""Insights on the workplace meetings of shared/eval/workplace, scored by its README's rule.

    python bench/workplace.py [--shipped] [--show MEETING] [--no-readme] [--folder DIR]

Every meeting goes through `extract_insights` as the Text API sends it (named speakers). Action items,
decisions and the topic ranking are scored **cross-validated by meeting**: each meeting is scored by models
fitted without it (folds of meetings, `train_actions.workplace_fold_models`, `train_topics.fold_models`),
with the shipped constants; `--shipped` scores the shipped models instead (fitted on these meetings: not a
figure that counts). `--folder DIR` scores meetings written in the same format elsewhere with the shipped
models, printing only (the models never saw bench/other_hands). The naive commitment regex of
shared/eval/README.md is scored in the same run. Rows for clean and speech-recogniser-style meetings; the
table goes into bench/README.md under "## Workplace meetings (bench/workplace.py)".
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import workplace_eval as wev  # noqa: E402

from bot.engine.insights import action_model, extract_insights, sentiment, topic_ranking  # noqa: E402

SECTION = "## Workplace meetings (bench/workplace.py)"


def insights_of(meeting: wev.WorkplaceMeeting, models: HeldOut) -> dict:
    found = extract_insights(
        meeting.messages,
        reference_time=wev.REFERENCE_TIME,
        action_model=models.actions.get(meeting.meeting_id),
        decision_model=models.decisions.get(meeting.meeting_id),
        topic_ranker=models.topics.get(meeting.meeting_id),
    )
    return found.to_dict() | {"sentiment": found.message_sentiment}


def polarity_of(body: dict):
    return lambda message_id: sentiment.label(
        float(((body["sentiment"].get(message_id) or {}).get("polarity") or {}).get("score") or 0.0)
    )


@dataclass
class HeldOut:
    """Meeting id → the models that score it (fitted without it); empty: the shipped models."""

    actions: dict[str, action_model.ActionModel] = field(default_factory=dict)
    decisions: dict[str, action_model.ActionModel] = field(default_factory=dict)
    topics: dict[str, topic_ranking.TopicRanker] = field(default_factory=dict)


def score_all(models: HeldOut, show: str = "", folder: Path = wev.WORKPLACE):
    results, seconds = [], 0.0
    for meeting in wev.load_all(folder):
        started = time.perf_counter()
        body = insights_of(meeting, models)
        seconds += time.perf_counter() - started
        results.append(wev.score_meeting(meeting, body, polarity_of(body)))
        if show and meeting.meeting_id.startswith(show):
            print_meeting(meeting, body)
    return results, seconds


def print_meeting(meeting: wev.WorkplaceMeeting, body: dict) -> None:
    """Each listed item marked ok (matched a gold item) or XX, then the gold items nobody matched."""
    print(f"== {meeting.meeting_id}")
    gold = meeting.gold["action_items"]
    pairs = wev.match([i["text"] for i in body["actionItems"]], [g["any"] for g in gold])
    for index, item in enumerate(body["actionItems"]):
        owner = (item.get("assignee") or {}).get("name") or "?"
        mark = "ok" if index in pairs.values() else "XX"
        print(f"  {mark} AI {item['messageIds']} [{owner}] {item['text']} ({item['score']})")
    for g, item in enumerate(gold):
        if g not in pairs:
            line = meeting.messages[item["line"]]
            print(
                f"  MISS {item['line']} {item['any']} [{item['owner']}] "
                f"{line['from']['name']}: {line['text']}"
            )
    decisions = meeting.gold.get("decisions") or []
    pairs = wev.match([i["text"] for i in body.get("decisions") or []], [g["any"] for g in decisions])
    for index, item in enumerate(body.get("decisions") or []):
        mark = "ok" if index in pairs.values() else "XX"
        print(f"  {mark} DEC {item['messageIds']} {item['text']}")
    for g, item in enumerate(decisions):
        if g not in pairs:
            print(f"  MISS DEC {item['line']} {item['any']} {meeting.messages[item['line']]['text']}")


def pct(value: float) -> str:
    return f"{value:.2f}"


def rows(results: list[wev.MeetingResult], label: str) -> list[str]:
    total = lambda attr: sum((getattr(r, attr) for r in results), wev.Counts())  # noqa: E731
    actions, base = total("actions"), total("baseline")
    decisions, questions, follow_ups = total("decisions"), total("questions"), total("follow_ups")
    terms = sum(r.topic_terms for r in results)
    terms_found = sum(r.topic_terms_found for r in results)
    sentiment_right = sum(r.sentiment_right for r in results)
    with_due = sum(1 for r in results for g in r.meeting.gold["action_items"] if g.get("due"))
    return [
        f"| {label} | {len(results)} | {actions.gold} | {pct(actions.recall)} | {pct(actions.precision)} "
        f"({actions.listed}) | {pct(actions.owners_right / max(1, actions.found))} | "
        f"{pct(actions.dues_right / max(1, actions.found))} | {actions.distractors_listed} | "
        f"{pct(base.recall)} | {pct(base.precision)} ({base.listed}) | "
        f"{pct(decisions.recall)} / {pct(decisions.precision)} ({decisions.listed}) | "
        f"{pct(questions.recall)} / {pct(questions.precision)} | "
        f"{pct(follow_ups.recall)} / {pct(follow_ups.precision)} | "
        f"{pct(terms_found / max(1, terms))} | {sentiment_right}/{2 * len(results)} |"
    ] + ([] if with_due else [])


HEADER = (
    "| meetings | n | gold AI | AI recall | AI prec. (listed) | owner | due | distractors listed | "
    "regex recall | regex prec. (listed) | decisions R / P (listed) | questions R / P | follow-ups R / P | "
    "topic terms | sentiment lines |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


HELD_OUT = "cross-validated by meeting (each meeting scored by a model fitted without it)"
SHIPPED = "**shipped model, fitted on these meetings** (not a held-out figure)"


def report(results: list[wev.MeetingResult], seconds: float, how: str) -> str:
    clean = [r for r in results if not r.meeting.speech_style]
    speech = [r for r in results if r.meeting.speech_style]
    table = "\n".join(
        [
            HEADER,
            *rows(results, "all"),
            *rows(clean, "clean (typed)"),
            *rows(speech, "speech-recogniser style"),
        ]
    )
    hours = sum(r.meeting.hours for r in results)
    return (
        f"Action items, decisions and the topic ranking {how}; the other insights are not learned from this "
        "set. "
        f"`python bench/workplace.py`:\n\n{table}\n\n"
        f"Extraction: {seconds:.2f} s for {len(results)} meetings "
        f"({seconds / max(hours, 1e-9):.2f} s per hour "
        "of transcript at 6 s a line, model fitting excluded).\n\n"
        "AI recall / precision: gold action items found / listed items matching a gold item (keywords, "
        "one to one, no cap); owner and due: of the found items; distractors listed: listed items whose last "
        "cited line is a gold `not_actions` line; regex: the naive commitment regex of shared/eval/README.md,"
        " every matching line listed, same run; questions, decisions, follow-ups by the same keyword rule; "
        "topic terms: gold terms contained in (or containing) a topic's text; sentiment lines: the gold "
        "negative and positive line labelled so."
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipped", action="store_true", help="score the shipped model (fitted on this set)")
    parser.add_argument("--show", default="", help="print the items of meetings whose id starts with this")
    parser.add_argument("--no-readme", action="store_true", help="print only; leave bench/README.md alone")
    parser.add_argument(
        "--folder", type=Path, help="score the meetings of this folder with the shipped models (print only)"
    )
    args = parser.parse_args(argv[1:])
    extract_insights([], reference_time=wev.REFERENCE_TIME)  # warm-up
    if args.folder:
        results, seconds = score_all(HeldOut(), args.show, args.folder)
        print(report(results, seconds, f"scored by the shipped models on {args.folder}"))
        return 0
    if args.shipped:
        models = HeldOut()
    else:
        import train_actions  # scikit-learn: the bench extra
        import train_decisions
        import train_topics

        models = HeldOut(
            train_actions.workplace_held_out_models(),
            train_decisions.held_out_models(),
            train_topics.held_out_rankers(),
        )
    results, seconds = score_all(models, args.show)
    text = report(results, seconds, SHIPPED if args.shipped else HELD_OUT)
    print(text)
    if not args.no_readme and not args.shipped:
        import insights as bench_insights

        bench_insights.write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
