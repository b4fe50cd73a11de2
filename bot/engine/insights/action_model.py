"""The learned action-item model: load it (hash-checked), score messages, pick the items.

The model is a logistic regression over the named binary features of `action_features`, fitted by
`bench/train_actions.py` on the AMI/ICSI meetings of shared/eval (CC BY 4.0, see `models/ATTRIBUTION.md`)
and shipped as JSON: a weight per feature name, an intercept and the constants chosen by leave-series-out
cross-validation. Scoring is a sum of weights and a sigmoid, so extraction needs neither scikit-learn nor
numpy, and costs milliseconds per hour of transcript.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

MODEL_NAME = "action_items_v1.json"
# sha256 of the shipped model file; bench/train_actions.py prints the new value when it writes the file.
MODEL_SHA256 = "b456812c538dbcdfb0a9a9852d6e0df567b1060a77ea377704a601b5ec2778e7"


class ActionModelError(RuntimeError):
    """The action-item model file is missing, altered or not a model this code can read."""


@dataclass(frozen=True)
class ActionModel:
    weights: dict[str, float]
    intercept: float
    threshold: float  # least probability for a message to become an item
    radius: int  # messages either side of a chosen one that belong to the same item

    def probabilities(self, rows: list[list[str]]) -> list[float]:
        """P(action item) of each message from its features (unknown features weigh nothing)."""
        get = self.weights.get
        return [_sigmoid(self.intercept + sum(get(f, 0.0) for f in set(row))) for row in rows]


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def model_path(name: str = MODEL_NAME) -> Path:
    return Path(str(resources.files(__package__).joinpath("models", name)))


def load_model(path: Path | None = None, expected_sha256: str | None = None) -> ActionModel:
    """The model at `path` (default: the one shipped in the package), after checking its sha256.

    Raises ActionModelError with one message saying which file and what to do when the file is missing,
    its hash is not the expected one, or its content is not a model."""
    path = path or model_path()
    return model_from_body(path, verified_body(path, expected_sha256 or MODEL_SHA256))


def model_from_body(path: Path, body: dict) -> ActionModel:
    """The weights, intercept and constants of a model file's body (`path` only names it in errors)."""
    try:
        return ActionModel(
            {str(k): float(v) for k, v in body["weights"].items()},
            float(body["intercept"]),
            float(body["constants"]["threshold"]),
            int(body["constants"]["radius"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise not_a_model(path, error) from None


def verified_body(path: Path, expected_sha256: str) -> dict:
    """The JSON body of a shipped model file, once its sha256 is the expected one (ActionModelError if not,
    or if the file is missing or no JSON object)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ActionModelError(
            f"insight model {path} cannot be read ({error.strerror}); "
            "reinstall the package or re-run its training command in bench/"
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ActionModelError(
            f"insight model {path} has sha256 {actual}, expected {expected_sha256}: the file "
            "was altered or does not belong to this version; reinstall the package or re-run its training "
            "command in bench/, which writes the file and its hash together"
        )
    try:
        body = json.loads(data)
    except ValueError as error:
        raise not_a_model(path, error) from None
    if not isinstance(body, dict):
        raise not_a_model(path, TypeError("not a JSON object"))
    return body


def not_a_model(path: Path, error: Exception) -> ActionModelError:
    return ActionModelError(f"insight model {path} is not a model file this code reads ({error!r})")


@lru_cache(maxsize=1)
def shipped_model() -> ActionModel:
    return load_model()


def pick_items(probabilities: list[float], limit: int, threshold: float, radius: int) -> list[int]:
    """Indices of the chosen messages, best first: at most `limit`, each at least `threshold`, no two
    within `radius` of each other (neighbours of a chosen message are the same assignment said over
    several short units, not another item)."""
    order = sorted(range(len(probabilities)), key=lambda i: (-probabilities[i], i))
    chosen: list[int] = []
    for index in order:
        if len(chosen) >= limit or probabilities[index] < threshold:
            break
        if all(abs(index - other) > radius for other in chosen):
            chosen.append(index)
    return chosen


def group_items(
    probabilities: list[float], chosen: list[int], threshold: float, radius: int
) -> dict[int, set[int]]:
    """The messages each chosen one cites: itself and the confident messages within `radius` that are not
    chosen themselves (a request and its acceptance, an assignment said over short units). A message near
    two chosen ones goes with the earlier, because an answer follows what it answers."""
    peaks = set(chosen)
    groups = {index: {index} for index in chosen}
    for index, probability in enumerate(probabilities):
        if index in peaks or probability < threshold:
            continue
        before = [p for p in range(index - radius, index) if p in peaks]
        after = [p for p in range(index + 1, index + radius + 1) if p in peaks]
        owner = before[-1] if before else (after[0] if after else None)
        if owner is not None:
            groups[owner].add(index)
    return groups
