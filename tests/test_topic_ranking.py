"""The learned topic ranking: shipped hash-checked, its background read, its features named."""

from __future__ import annotations

import hashlib
import json

import pytest

from bot.engine.insights import action_model, topic_ranking
from bot.engine.insights.action_model import ActionModelError
from bot.engine.insights.topic_ranking import (
    Background,
    MeetingFacts,
    RankedPhrase,
    candidate_features,
    load_ranker,
)


def test_the_shipped_ranking_loads_with_its_background():
    ranker = topic_ranking.shipped_ranker()

    assert ranker.model.weights and ranker.background.meetings == 54
    # Every background meeting says "the"; no AMI/ICSI meeting names a hospital's drug register software.
    assert ranker.background.share("the") == 1.0 and ranker.background.share("datix") == 0.0


def test_an_altered_ranking_is_refused(tmp_path):
    altered = tmp_path / topic_ranking.MODEL_NAME
    body = json.loads(action_model.model_path(topic_ranking.MODEL_NAME).read_text())
    body["background"]["meetings_saying"]["agenda"] = 0
    altered.write_text(json.dumps(body))

    with pytest.raises(ActionModelError, match=topic_ranking.MODEL_SHA256):
        load_ranker(altered)


def test_a_ranking_without_its_background_is_refused(tmp_path):
    path = tmp_path / "no-background.json"
    path.write_text(
        '{"weights": {"words<=1": -1.0}, "intercept": 0.0, "constants": {"threshold": 0, "radius": 0}}'
    )

    with pytest.raises(ActionModelError, match="not a model file"):
        load_ranker(path, expected_sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def test_features_say_how_often_how_specific_and_how_common_the_words_are():
    meeting = MeetingFacts({"m0": 0, "m1": 1, "m2": 2, "m3": 3}, {"m0": "a", "m1": "b"}, {}, yake_phrases=5)
    background = Background(10, {"fridge": 9, "temperature": 1})
    phrase = RankedPhrase("fridge temperature", 2, ["m0", "m1"], 0, False, False, False)

    features = candidate_features(phrase, meeting, background)

    assert {"mentions<=2", "words<=2", "rank<=5", "yake", "speakers<=2", "first_said<=0.25"} <= set(features)
    # "temperature" is in one background meeting of ten, "fridge" in nine
    assert "rarest_share<=0.2" in features and "commonest_share>0.8" in features
