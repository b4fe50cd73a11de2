"""Fit the decision model on shared/eval (workplace/, AMI/ICSI decision evidence); write it into the package.

    python bench/train_decisions.py [--constants C,THRESHOLD,RADIUS,WEIGHT]

The same protocol as bench/train_actions.py: a logistic regression over `decisions.conversation_features`,
constants chosen by cross-validation on the workplace meetings (folds of meetings, each scored by a model
fitted without it, through `find_decisions` and the workplace README's keyword rule), the best F1 wins;
then one fit on everything, written to `bot/engine/insights/models/decisions_v1.json` with its sha256
printed for `decisions.MODEL_SHA256`.
Deterministic: re-running reproduces the file byte for byte.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import action_data  # noqa: E402
import insights as bench_insights  # noqa: E402
import train_actions  # noqa: E402
import workplace_eval  # noqa: E402

from bot.engine.insights import action_model, decisions  # noqa: E402
from bot.engine.insights.people import People  # noqa: E402

MODEL_FILE = REPO / "bot" / "engine" / "insights" / "models" / decisions.MODEL_NAME
# The action-item model's grids: the same learner on the same meetings, so the same ranges are worth trying.
C_GRID = train_actions.C_GRID
THRESHOLD_GRID = train_actions.THRESHOLD_GRID
RADIUS_GRID = train_actions.RADIUS_GRID
WEIGHT_GRID = train_actions.EVAL_WORKPLACE_WEIGHT_GRID


def decision_evidence(gold: dict) -> set[int]:
    return {int(u) for item in gold.get("decisions") or [] for u in item.get("evidence_utterances") or []}


def load_all() -> list[action_data.Meeting]:
    """AMI/ICSI meetings labelled by their decision evidence, workplace meetings by their decision lines."""
    meetings = []
    for path in action_data.meeting_paths():
        meeting = action_data.load(path, bench_insights.to_messages)
        evidence = decision_evidence(meeting.gold)
        meetings.append(
            dataclasses.replace(
                meeting,
                features=decisions.conversation_features(meeting.messages),
                labels=[int(i in evidence) for i in range(len(meeting.messages))],
            )
        )
    for meeting in action_data.workplace_eval_meetings():
        lines = {int(d["line"]) for d in meeting.gold.get("decisions") or []}
        meetings.append(
            dataclasses.replace(
                meeting,
                features=decisions.conversation_features(meeting.messages),
                labels=[int(i in lines) for i in range(len(meeting.messages))],
            )
        )
    return meetings


def workplace_counts(models: dict, threshold: float, radius: int) -> workplace_eval.Counts:
    total = workplace_eval.Counts()
    for meeting in workplace_eval.load_all():
        model = dataclasses.replace(models[meeting.meeting_id], threshold=threshold, radius=radius)
        messages = decisions_input(meeting)
        found = decisions.find_decisions(messages, People(None, messages), model)
        total += workplace_eval.score_keyword_lists(
            [d["text"] for d in found], [d["any"] for d in meeting.gold.get("decisions") or []]
        )
    return total


def decisions_input(meeting: workplace_eval.WorkplaceMeeting) -> list[dict]:
    from bot.engine.insights import speech_text

    return speech_text.normalise_messages(meeting.messages)


def search(data: train_actions.Dataset) -> train_actions.Constants:
    results = {}
    for c in C_GRID:
        for weight in WEIGHT_GRID:
            models = train_actions.workplace_fold_models(data, c, weight)
            for threshold in THRESHOLD_GRID:
                for radius in RADIUS_GRID:
                    counts = workplace_counts(models, threshold, radius)
                    results[train_actions.Constants(c, threshold, radius, weight)] = counts
                    print(
                        f"C={c} weight={weight:<5} threshold={threshold} radius={radius}: decisions "
                        f"recall {counts.recall:.3f} precision {counts.precision:.3f} ({counts.listed})",
                        flush=True,
                    )
    chosen = max(results, key=lambda k: (round(results[k].f1, 4), results[k].precision))
    print(f"chosen: {chosen}")
    return chosen


def held_out_models() -> dict[str, action_model.ActionModel]:
    """For bench/workplace.py: each workplace meeting's decision model fitted without its fold."""
    constants = shipped_constants()
    data = train_actions.Dataset.of(load_all())
    models = train_actions.workplace_fold_models(data, constants.c, constants.workplace_weight)
    return {
        k: dataclasses.replace(m, threshold=constants.threshold, radius=constants.radius)
        for k, m in models.items()
    }


def shipped_constants() -> train_actions.Constants:
    constants = json.loads(MODEL_FILE.read_text())["constants"]
    return train_actions.Constants(
        constants["c"], constants["threshold"], constants["radius"], constants["workplace_eval_weight"]
    )


def model_bytes(model: action_model.ActionModel, constants: train_actions.Constants) -> bytes:
    body = {
        "format": "symbl-slack-bot decisions, logistic regression over decisions.conversation_features, v1",
        "trained_on": "shared/eval workplace/ (30 meetings, CC0) + meetings/ and train/ decision evidence "
        "(54 AMI/ICSI meetings, CC BY 4.0: see ATTRIBUTION.md)",
        "constants": {
            "c": constants.c,
            "threshold": constants.threshold,
            "radius": constants.radius,
            "workplace_eval_weight": constants.workplace_weight,
        },
        "intercept": model.intercept,
        "weights": dict(sorted(model.weights.items())),
    }
    return (json.dumps(body, indent=0, ensure_ascii=True) + "\n").encode()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--constants", metavar="C,THRESHOLD,RADIUS,WEIGHT", help="skip the search")
    args = parser.parse_args(argv[1:])
    data = train_actions.Dataset.of(load_all())
    if args.constants:
        c, threshold, radius, weight = args.constants.split(",")
        chosen = train_actions.Constants(float(c), float(threshold), int(radius), float(weight))
    else:
        chosen = search(data)
    final = train_actions.fit(data, data.meetings, chosen.c, chosen.workplace_weight)
    data_bytes = model_bytes(final, chosen)
    digest = hashlib.sha256(data_bytes).hexdigest()
    MODEL_FILE.write_bytes(data_bytes)
    print(
        f"wrote {MODEL_FILE.relative_to(REPO)} ({len(final.weights)} weights); "
        f"set decisions.MODEL_SHA256 = {digest!r}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
