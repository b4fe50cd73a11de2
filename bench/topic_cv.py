"""How SHORT_MEETING_TOPICS and RECURRING_WORD_MESSAGES (bot/engine/insights/topics.py) were chosen: by
leave-one-meeting-out cross-validation on the workplace set.

    python bench/topic_cv.py

For every pair on the grid (topics listed for a short meeting × mentions that make a single word a topic),
each meeting's topics are found once, ranked by a topic ranking fitted without it
(`train_topics.held_out_rankers`). Then, for each meeting held out, the pair is chosen on the other 29: the
fewest listed topics whose training meetings reach 0.70 of their gold topic terms (issue 20's goal; the list
may be long because the Slack note folds all but the best few). The held-out figures score each meeting with
the pair chosen without it. F1 (terms found against listed topics naming one) is printed beside, and so is the
choice by F1 alone, for comparison.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import workplace_eval as wev  # noqa: E402

from bot.engine.insights import speech_text  # noqa: E402
from bot.engine.insights import topics as topic_module  # noqa: E402
from bot.engine.insights.extractor import conversation_hours  # noqa: E402
from bot.engine.insights.people import People  # noqa: E402

TOPIC_COUNTS = range(6, 32, 2)
MENTIONS = (2, 3, 4)
RECALL_GOAL = 0.70

Row = tuple[int, int, int, int]  # terms found, gold terms, topics listed, listed topics naming a term


def scores(rows: list[Row]) -> tuple[float, float, float]:
    found, gold, listed, hits = (sum(r[i] for r in rows) for i in range(4))
    recall, precision = found / gold, hits / max(1, listed)
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return f1, recall, precision


def grid(meetings: list) -> dict[tuple[int, int], list[Row]]:
    import train_topics  # scikit-learn: the bench extra

    # Each meeting is ranked by a topic ranking fitted without it, so its row is a held-out figure.
    rankers = train_topics.held_out_rankers()
    prepared = [(m, speech_text.normalise_messages(m.messages, None)) for m in meetings]
    table: dict[tuple[int, int], list[Row]] = {}
    for mentions in MENTIONS:
        topic_module.RECURRING_WORD_MESSAGES = mentions
        for count in TOPIC_COUNTS:
            topic_module.SHORT_MEETING_TOPICS = count
            rows = []
            for meeting, messages in prepared:
                names = People(None, messages).first_names()
                found = topic_module.find_topics(
                    messages, {}, conversation_hours(messages), 0.0, names, rankers[meeting.meeting_id]
                )
                texts, gold = [t["text"] for t in found], meeting.gold["topic_terms"]
                naming = sum(1 for t in texts if wev.topic_terms_found([t], gold))
                rows.append((wev.topic_terms_found(texts, gold), len(gold), len(texts), naming))
            table[(count, mentions)] = rows
    return table


def held_out(table: dict[tuple[int, int], list[Row]], choose) -> tuple[list[Row], Counter]:
    chosen: Counter = Counter()
    held: list[Row] = []
    for i in range(len(next(iter(table.values())))):
        train = {key: [r for j, r in enumerate(rows) if j != i] for key, rows in table.items()}
        best = choose(train)
        chosen[best] += 1
        held.append(table[best][i])
    return held, chosen


def fewest_reaching_goal(train: dict[tuple[int, int], list[Row]]) -> tuple[int, int]:
    reaching = [key for key, rows in train.items() if scores(rows)[1] >= RECALL_GOAL] or list(train)
    return min(reaching, key=lambda key: (sum(r[2] for r in train[key]), -scores(train[key])[1]))


def best_f1(train: dict[tuple[int, int], list[Row]]) -> tuple[int, int]:
    return max(train, key=lambda key: scores(train[key])[0])


def main() -> None:
    table = grid(wev.load_all())
    print("| topics | mentions | F1 | recall | precision | listed / meeting |")
    print("|---:|---:|---:|---:|---:|---:|")
    for (count, mentions), rows in table.items():
        f1, recall, precision = scores(rows)
        listed = sum(r[2] for r in rows) / len(rows)
        print(f"| {count} | {mentions} | {f1:.3f} | {recall:.3f} | {precision:.3f} | {listed:.1f} |")
    for label, choose in (("fewest topics reaching the goal", fewest_reaching_goal), ("best F1", best_f1)):
        held, chosen = held_out(table, choose)
        f1, recall, precision = scores(held)
        listed = sum(r[2] for r in held) / len(held)
        print(
            f"\nHeld out, {label}: recall {recall:.2f}, precision {precision:.2f}, F1 {f1:.2f}, "
            f"{listed:.1f} topics per meeting; chosen (topics, mentions) per fold: {dict(chosen)}"
        )


if __name__ == "__main__":
    main()
