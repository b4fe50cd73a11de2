"""Fit the topic ranking (bot/engine/insights/topic_ranking.py) and write it into the package.

    python bench/train_topics.py [--check]

Each workplace meeting of shared/eval gives its topic candidates (`topics.topic_candidates`); a candidate is
positive when it names one of the meeting's gold topic terms (the workplace README's rule: containment
either way). The background is how many of the AMI/ICSI meetings of shared/eval/meetings + train say each
stem. The regularisation C is chosen by cross-validation on the workplace meetings (folds of meetings, each
meeting ranked by a model fitted without it): the best share of gold terms among the SHORT_MEETING_TOPICS
best-ranked candidates. Then one fit on all 30 meetings is written to
`bot/engine/insights/models/topic_ranking_v1.json`, its sha256 printed for `topic_ranking.MODEL_SHA256`.
Deterministic (liblinear with a fixed seed, weights rounded, keys sorted): re-running reproduces the file
byte for byte; `--check` only says whether it does.
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
import numpy as np  # noqa: E402
import train_actions  # noqa: E402
import workplace_eval as wev  # noqa: E402
from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from bot.engine.insights import speech_text, topic_ranking, topics  # noqa: E402
from bot.engine.insights.action_model import ActionModel  # noqa: E402
from bot.engine.insights.people import People  # noqa: E402
from bot.engine.insights.text import stem, words  # noqa: E402

MODEL_FILE = REPO / "bot" / "engine" / "insights" / "models" / topic_ranking.MODEL_NAME
C_GRID = (0.03, 0.1, 0.3, 1.0)
# The action and decision models' folds: each meeting is held out with the same others in every model.
FOLDS = train_actions.WORKPLACE_FOLDS
WEIGHT_DECIMALS = 4


@dataclass
class MeetingRows:
    meeting: wev.WorkplaceMeeting
    candidates: topics.Candidates
    labels: list[int]

    def rows(self, background: topic_ranking.Background) -> list[list[str]]:
        return [
            topic_ranking.candidate_features(p, self.candidates.meeting, background)
            for p in self.candidates.phrases
        ]


def background() -> topic_ranking.Background:
    """How many AMI/ICSI meetings of shared/eval say each stem (as the topics module stems words)."""
    saying: dict[str, int] = {}
    paths = action_data.meeting_paths()
    for path in paths:
        units = json.loads(path.read_text())["transcript"]
        for key in {stem(w) for unit in units for w in words(str(unit.get("text") or ""))}:
            saying[key] = saying.get(key, 0) + 1
    return topic_ranking.Background(len(paths), dict(sorted(saying.items())))


def meeting_rows(folder: Path = wev.WORKPLACE) -> list[MeetingRows]:
    """Each meeting's candidates as `find_topics` reads them, labelled by the gold topic terms."""
    result = []
    for meeting in wev.load_all(folder):
        messages = speech_text.normalise_messages(meeting.messages, None)
        found = topics.topic_candidates(messages, People(None, messages).first_names())
        gold = meeting.gold["topic_terms"]
        labels = [int(bool(wev.topic_terms_found([g.text], gold))) for g in found.groups]
        result.append(MeetingRows(meeting, found, labels))
    return result


def fit(data: list[MeetingRows], back: topic_ranking.Background, c: float) -> ActionModel:
    rows = [dict.fromkeys(row, 1) for m in data for row in m.rows(back)]
    labels = [y for m in data for y in m.labels]
    vectorizer = DictVectorizer(dtype=np.float64, sparse=False)
    x = vectorizer.fit_transform(rows)
    model = LogisticRegression(
        C=c, solver="liblinear", class_weight="balanced", random_state=0, max_iter=1000
    )
    model.fit(x, labels)
    weights = {
        name: round(float(w), WEIGHT_DECIMALS)
        for name, w in zip(vectorizer.feature_names_, model.coef_[0], strict=True)
    }
    return ActionModel(
        {k: w for k, w in weights.items() if w != 0.0},
        round(float(model.intercept_[0]), WEIGHT_DECIMALS),
        0.0,
        0,
    )


def fold_models(data: list[MeetingRows], back: topic_ranking.Background, c: float) -> dict[str, ActionModel]:
    """Meeting id → a ranking fitted without that meeting's fold."""
    models = {}
    for fold in range(FOLDS):
        held = {m.meeting.meeting_id for m in data[fold::FOLDS]}
        model = fit([m for m in data if m.meeting.meeting_id not in held], back, c)
        models.update(dict.fromkeys(held, model))
    return models


def terms_found(
    data: list[MeetingRows], models: dict[str, ActionModel], back: topic_ranking.Background, count: int
) -> tuple[int, int]:
    """(gold terms found, gold terms) with each meeting's best `count` candidates under its model."""
    found = total = 0
    for m in data:
        ranker = topic_ranking.TopicRanker(models[m.meeting.meeting_id], back)
        best = topics.best_first(m.candidates, ranker)[:count]
        found += wev.topic_terms_found([g.text for g in best], m.meeting.gold["topic_terms"])
        total += len(m.meeting.gold["topic_terms"])
    return found, total


def held_out_rankers(c: float | None = None) -> dict[str, topic_ranking.TopicRanker]:
    """For bench/workplace.py and bench/topic_cv.py: each workplace meeting's ranking fitted without its
    fold (the shipped C unless given)."""
    back = background()
    c = c if c is not None else shipped_c()
    return {k: topic_ranking.TopicRanker(m, back) for k, m in fold_models(meeting_rows(), back, c).items()}


def shipped_c() -> float:
    return float(json.loads(MODEL_FILE.read_text())["constants"]["c"])


def model_bytes(model: ActionModel, c: float, back: topic_ranking.Background) -> bytes:
    body = {
        "format": "symbl-slack-bot topic ranking, logistic regression over "
        "topic_ranking.candidate_features, v1",
        "trained_on": "shared/eval workplace/ gold topic terms (30 meetings, CC0); background: the stems "
        "of meetings/ and train/ (54 AMI/ICSI meetings, CC BY 4.0: see ATTRIBUTION.md)",
        "constants": {"c": c, "threshold": 0.0, "radius": 0},
        "intercept": model.intercept,
        "weights": dict(sorted(model.weights.items())),
        "background": {"meetings": back.meetings, "meetings_saying": back.meetings_saying},
    }
    return (json.dumps(body, indent=0, ensure_ascii=True) + "\n").encode()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file, write nothing")
    args = parser.parse_args(argv[1:])
    back, data = background(), meeting_rows()
    results = {}
    for c in C_GRID:
        found, total = terms_found(data, fold_models(data, back, c), back, topics.SHORT_MEETING_TOPICS)
        results[c] = found / total
        print(f"C={c:<5} held out: {found} of {total} gold topic terms ({found / total:.3f})", flush=True)
    chosen = max(C_GRID, key=lambda c: (round(results[c], 4), -c))
    print(f"chosen: C={chosen}")
    data_bytes = model_bytes(fit(data, back, chosen), chosen, back)
    digest = hashlib.sha256(data_bytes).hexdigest()
    print(f"model: {len(data_bytes) / 1024:.0f} KiB, sha256 {digest}")
    if args.check:
        same = MODEL_FILE.exists() and MODEL_FILE.read_bytes() == data_bytes
        same = same and digest == topic_ranking.MODEL_SHA256
        print("shipped model reproduced byte for byte" if same else "shipped model differs from this run")
        return 0 if same else 1
    MODEL_FILE.write_bytes(data_bytes)
    print(f"wrote {MODEL_FILE.relative_to(REPO)}; set topic_ranking.MODEL_SHA256 = {digest!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
