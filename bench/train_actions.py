"""Fit the action-item model on shared/eval (meetings/ + train/) and write it into the package.

    python bench/train_actions.py [--check] [--constants C,THRESHOLD,RADIUS] [--no-workplace]

Chooses the constants (regularisation C, probability threshold, grouping radius) by leave-series-out
cross-validation — every meeting of one series (ES2004a–d; ICSI by prefix) is held out together, scored as
bench/insights.py scores action items (±1 unit, 10 per hour), and the grid point with the best pooled
recall at precision ≥ 0.5 wins — then fits on all 54 meetings and writes
`bot/engine/insights/models/action_items_v1.json`, printing its sha256 for `action_model.MODEL_SHA256`.
The output is deterministic (liblinear with a fixed seed, weights rounded, keys sorted), so re-running
reproduces the file byte for byte. `--check` only reports whether the
shipped file and hash match what this run produces; `--constants` skips the search (one fit, a minute).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import action_data  # noqa: E402
import insights as bench_insights  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from bot.engine.insights import action_model  # noqa: E402

MODEL_FILE = REPO / "bot" / "engine" / "insights" / "models" / action_model.MODEL_NAME
# C = 0.03 and 0.3 were tried in the same protocol and scored lower F1 than 0.1 at every threshold
# (bench/README.md); they are left out so that the run stays within minutes on two shared cores.
C_GRID = (0.1,)
THRESHOLD_GRID = (0.5, 0.7, 0.8, 0.85, 0.9, 0.95)
# Radius 2 scores about the same on AMI held out but merges separate requests said two turns apart in
# workplace talk (the sample's "Can you…?" / "Yes, I will…" / "Priya, please…"), so it is not offered.
RADIUS_GRID = (1,)
# A feature seen in fewer training messages than this is noise for 54 meetings (and bloats the file).
MIN_FEATURE_COUNT = 3
WEIGHT_DECIMALS = 4
TARGET_PRECISION = 0.5
# How much one line of the synthetic workplace conversations counts against one AMI/ICSI unit: they are
# few (120 lines against 49,000 units) and are the only examples of named workplace requests.
WORKPLACE_WEIGHT = 0.5


@dataclass(frozen=True)
class Constants:
    c: float
    threshold: float
    radius: int


@dataclass
class Dataset:
    """Every message of the meetings as one sparse matrix, so folds are row slices, not new vectorizers."""

    meetings: list[action_data.Meeting]
    matrix: object  # scipy CSR, one row per message in meeting order
    names: list[str]
    rows: dict[str, range]  # meeting id → its rows

    @classmethod
    def of(cls, meetings: list[action_data.Meeting]) -> Dataset:
        vectorizer = DictVectorizer(dtype=np.float64)
        matrix = vectorizer.fit_transform(
            dict.fromkeys(row, 1) for m in meetings for row in m.features
        ).tocsr()
        # liblinear takes 32-bit indices only.
        matrix.indices, matrix.indptr = matrix.indices.astype(np.int32), matrix.indptr.astype(np.int32)
        rows, start = {}, 0
        for meeting in meetings:
            rows[meeting.meeting_id] = range(start, start + len(meeting.features))
            start += len(meeting.features)
        return cls(meetings, matrix, list(vectorizer.feature_names_), rows)


def fit(data: Dataset, meetings: list[action_data.Meeting], c: float) -> action_model.ActionModel:
    """A logistic regression on the meetings' messages; features rare in them are dropped before fitting."""
    index = np.concatenate([np.asarray(data.rows[m.meeting_id]) for m in meetings])
    x = data.matrix[index]
    kept = np.flatnonzero(np.asarray((x > 0).sum(axis=0)).ravel() >= MIN_FEATURE_COUNT)
    x = x[:, kept]
    labels = [y for m in meetings for y in m.labels]
    model = LogisticRegression(C=c, solver="liblinear", random_state=0, max_iter=1000)
    model.fit(x, labels, sample_weight=_sample_weights(meetings))
    weights = {data.names[k]: round(float(w), WEIGHT_DECIMALS) for k, w in zip(kept, model.coef_[0])}
    weights = {name: w for name, w in weights.items() if w != 0.0}
    return action_model.ActionModel(weights, round(float(model.intercept_[0]), WEIGHT_DECIMALS), 0.5, 1)


def _sample_weights(meetings: list[action_data.Meeting]) -> list[float]:
    """Balanced classes, counted on the real meetings only: 118 positives in ~49,000 units, so without it
    every probability sits near zero. The synthetic lines are weighted like real units of their class,
    times WORKPLACE_WEIGHT, so that they teach the workplace style without outvoting the meetings."""
    real = [y for m in meetings if m.series != action_data.WORKPLACE_SERIES for y in m.labels]
    positives = max(1, sum(real))
    per_class = {1: len(real) / (2 * positives), 0: len(real) / (2 * max(1, len(real) - positives))}
    return [
        per_class[y] * (WORKPLACE_WEIGHT if m.series == action_data.WORKPLACE_SERIES else 1.0)
        for m in meetings
        for y in m.labels
    ]


def predicted_units(
    model: action_model.ActionModel, meeting: action_data.Meeting, threshold: float, radius: int
) -> list[set[int]]:
    """What the extractor cites for this meeting: each chosen message and its confident neighbours."""
    probabilities = model.probabilities(meeting.features)
    limit = bench_insights.cap(meeting.hours)
    chosen = action_model.pick_items(probabilities, limit, threshold, radius)
    return list(action_model.group_items(probabilities, chosen, threshold, radius).values())


def score(model, meetings, threshold: float, radius: int) -> tuple[int, int, int, int]:
    totals = (0, 0, 0, 0)
    for meeting in meetings:
        if meeting.has_action_evidence:
            counts = bench_insights.action_scores(
                predicted_units(model, meeting, threshold, radius), meeting.gold
            )
            totals = tuple(t + s for t, s in zip(totals, counts))
    return totals


def f1(counts: tuple[int, int, int, int]) -> float:
    gold, found, predicted, precise = counts
    recall, precision = found / max(1, gold), precise / max(1, predicted)
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def leave_series_out(data: Dataset, constants: list[Constants]):
    """Per held-out series and constants: the counts (gold, found, predicted, precise) on that series of a
    model fitted on every other series. Returns {series: {constants: counts}}."""
    meetings = data.meetings
    results: dict[str, dict[Constants, tuple]] = {}
    for series in sorted({m.series for m in meetings} - {action_data.WORKPLACE_SERIES}):
        train = [m for m in meetings if m.series != series]
        held = [m for m in meetings if m.series == series]
        models = {c: fit(data, train, c) for c in sorted({k.c for k in constants})}
        results[series] = {k: score(models[k.c], held, k.threshold, k.radius) for k in constants}
    return results


def pooled(results, constants: Constants) -> tuple[int, int, int, int]:
    totals = (0, 0, 0, 0)
    for per_series in results.values():
        totals = tuple(t + s for t, s in zip(totals, per_series[constants]))
    return totals


def grid() -> list[Constants]:
    return [Constants(c, t, r) for c in C_GRID for t in THRESHOLD_GRID for r in RADIUS_GRID]


def choose(results) -> Constants:
    """The target's operating point (issue 9: recall at precision ≥ TARGET_PRECISION): the grid point with
    the best pooled held-out recall among those whose held-out precision reaches it, ties to the higher
    precision; when none does, the best F1."""
    points = list(results[next(iter(results))])

    def recall_precision(k: Constants) -> tuple[float, float]:
        gold, found, predicted, precise = pooled(results, k)
        return found / max(1, gold), precise / max(1, predicted)

    precise_enough = [k for k in points if recall_precision(k)[1] >= TARGET_PRECISION]
    if precise_enough:
        return max(precise_enough, key=lambda k: (round(recall_precision(k)[0], 4), recall_precision(k)[1]))
    return max(points, key=lambda k: (round(f1(pooled(results, k)), 4), -k.c, -k.radius))


def load_all(workplace: bool = True) -> list[action_data.Meeting]:
    """The 54 meetings, plus the synthetic workplace conversations unless `workplace` is False."""
    meetings = [action_data.load(p, bench_insights.to_messages) for p in action_data.meeting_paths()]
    return meetings + (action_data.workplace_meetings(bench_insights.to_messages) if workplace else [])


def model_bytes(model: action_model.ActionModel, constants: Constants, workplace: bool) -> bytes:
    """The model file: constants, intercept and weights, keys sorted, one weight a line (diffable)."""
    body = {
        "format": "symbl-slack-bot action items, logistic regression over action_features, v1",
        "trained_on": "shared/eval meetings/ + train/ (54 AMI/ICSI meetings, CC BY 4.0: see ATTRIBUTION.md)"
        + (" + bench/workplace_actions.json" if workplace else ""),
        "constants": {
            "c": constants.c,
            "threshold": constants.threshold,
            "radius": constants.radius,
            "workplace_weight": WORKPLACE_WEIGHT if workplace else 0.0,
        },
        "intercept": model.intercept,
        "weights": dict(sorted(model.weights.items())),
    }
    return (json.dumps(body, indent=0, ensure_ascii=True) + "\n").encode()


def search(data: Dataset) -> Constants:
    """Leave-series-out CV over the grid; prints every grid point and returns the chosen one."""
    results = leave_series_out(data, grid())
    chosen = choose(results)
    for constants in grid():
        gold, found, predicted, precise = pooled(results, constants)
        mark = " <- chosen" if constants == chosen else ""
        print(
            f"C={constants.c:<5} threshold={constants.threshold:<5} radius={constants.radius}: "
            f"held-out recall {found / gold:.3f} precision {precise / max(1, predicted):.3f} "
            f"({predicted} items){mark}",
            flush=True,
        )
    return chosen


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file, write nothing")
    parser.add_argument(
        "--constants",
        metavar="C,THRESHOLD,RADIUS",
        help="skip the cross-validated search and fit with these constants",
    )
    parser.add_argument("--no-workplace", action="store_true", help="leave out bench/workplace_actions.json")
    args = parser.parse_args(argv[1:])
    workplace = not args.no_workplace
    data = Dataset.of(load_all(workplace=workplace))
    if args.constants:
        c, threshold, radius = args.constants.split(",")
        chosen = Constants(float(c), float(threshold), int(radius))
    else:
        chosen = search(data)
    final = fit(data, data.meetings, chosen.c)
    data_bytes = model_bytes(final, chosen, workplace)
    digest = hashlib.sha256(data_bytes).hexdigest()
    print(f"model: {len(final.weights)} weights, {len(data_bytes) / 1024:.0f} KiB, sha256 {digest}")
    if args.check:
        same = (
            MODEL_FILE.exists()
            and MODEL_FILE.read_bytes() == data_bytes
            and digest == action_model.MODEL_SHA256
        )
        print("shipped model reproduced byte for byte" if same else "shipped model differs from this run")
        return 0 if same else 1
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    MODEL_FILE.write_bytes(data_bytes)
    print(f"wrote {MODEL_FILE.relative_to(REPO)}; set action_model.MODEL_SHA256 = {digest!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
