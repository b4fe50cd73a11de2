"""Precision and recall of tracker matching (bot.engine.insights.trackers) on a small hand-labelled set.

    .venv/bin/python bench/trackers.py

The set (bench/trackers_set.json) is 18 invented workplace lines and 4 trackers; each line lists the
trackers a reader would say it mentions. A (tracker, message) pair is the unit: predicted when any of the
tracker's phrases matched the message. Scored three ways: exact words only, exact + stemmed, and all three
(exact + stemmed + similar, what the engine serves). The set is tiny and written by the matcher's author:
the figures show what each way adds, not a general accuracy.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.engine.detection_options import inline_tracker
from bot.engine.insights.trackers import find_phrases

SET = Path(__file__).resolve().parent / "trackers_set.json"
WAYS = {
    "exact": {"exact"},
    "exact+stem": {"exact", "stem"},
    "exact+stem+similar": {"exact", "stem", "similar"},
}


def score(predicted: set[tuple[str, str]], gold: set[tuple[str, str]]) -> tuple[float, float, int, int, int]:
    hits = len(predicted & gold)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(gold) if gold else 1.0
    return precision, recall, hits, len(predicted) - hits, len(gold) - hits


def main() -> None:
    data = json.loads(SET.read_text())
    trackers = [inline_tracker(t["name"], t["vocabulary"]) for t in data["trackers"]]
    messages = data["messages"]
    gold = {(name, m["id"]) for m in messages for name in m["trackers"]}
    found = find_phrases([m["text"] for m in messages], trackers, similar=True)
    print(
        f"{len(messages)} messages, {len(trackers)} trackers, {len(gold)} labelled (tracker, message) pairs"
    )
    print(f"{'matching':<22}{'precision':>10}{'recall':>8}{'TP':>5}{'FP':>5}{'FN':>5}")
    for label, ways in WAYS.items():
        predicted = {(f.tracker, messages[f.message_index]["id"]) for f in found if f.way in ways}
        precision, recall, tp, fp, fn = score(predicted, gold)
        print(f"{label:<22}{precision:>10.2f}{recall:>8.2f}{tp:>5}{fp:>5}{fn:>5}")
    every = {(f.tracker, messages[f.message_index]["id"]) for f in found}
    print("false positives:", sorted(every - gold))
    print("missed:", sorted(gold - every))


if __name__ == "__main__":
    main()
