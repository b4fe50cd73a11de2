"""The learned action-item model (loading, hash check, choosing items) and the rules kept around it."""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.engine.insights import action_model, actions, extract_insights
from bot.engine.insights.action_model import ActionModelError, group_items, load_model, pick_items
from bot.engine.insights.action_reading import without_acknowledgement
from bot.engine.insights.dates import find_due_date
from bot.engine.insights.people import People, Person
from tests.test_insights import ANNA, MARCO, MEMBERS, PRIYA, WEDNESDAY, conversation, item_about

REPO = Path(__file__).resolve().parent.parent
SAM = {"id": "u-sam", "name": "Sam Okafor", "email": "sam@example.org"}
LEE = {"id": "u-lee", "name": "Lee Park", "email": "lee@example.org"}


def test_shipped_model_loads_and_matches_its_hash():
    path = action_model.model_path()

    model = load_model()

    assert hashlib.sha256(path.read_bytes()).hexdigest() == action_model.MODEL_SHA256
    assert len(model.weights) > 1000 and 0.0 < model.threshold < 1.0 and model.radius >= 0
    assert (path.parent / "ATTRIBUTION.md").read_text().count("CC BY 4.0") == 1


def test_model_file_is_package_data():
    """A non-editable install ships what pyproject's package-data names: the model and its attribution."""
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = package_data["bot.engine.insights"]
    package_dir = REPO / "bot" / "engine" / "insights"
    shipped = {p for pattern in patterns for p in package_dir.glob(pattern)}
    assert action_model.model_path().resolve() in {p.resolve() for p in shipped}
    assert (package_dir / "models" / "ATTRIBUTION.md").resolve() in {p.resolve() for p in shipped}


def test_altered_model_is_refused_with_one_clear_message(tmp_path):
    altered = tmp_path / action_model.MODEL_NAME
    body = json.loads(action_model.model_path().read_text())
    body["intercept"] += 1.0
    altered.write_text(json.dumps(body))

    with pytest.raises(ActionModelError) as error:
        load_model(altered)

    message = str(error.value)
    assert str(altered) in message and action_model.MODEL_SHA256 in message
    assert "training command in bench/" in message


def test_missing_model_is_refused(tmp_path):
    with pytest.raises(ActionModelError, match="cannot be read"):
        load_model(tmp_path / "absent.json")


def test_file_with_the_right_hash_but_no_model_is_refused(tmp_path):
    path = tmp_path / "not-a-model.json"
    path.write_text('{"weights": []}')

    with pytest.raises(ActionModelError, match="not a model file"):
        load_model(path, expected_sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def test_model_scores_are_a_sum_of_known_feature_weights():
    model = action_model.ActionModel({"w:send": 2.0, "cue:due_date": 1.0}, -1.0, 0.5, 1)

    low, high, unknown = model.probabilities([["w:hello"], ["w:send", "cue:due_date"], ["never:seen"]])

    assert low == pytest.approx(1 / (1 + 2.718281828**1.0), rel=1e-6)
    assert high == pytest.approx(1 / (1 + 2.718281828**-2.0), rel=1e-6)
    assert unknown == low


def test_items_are_picked_best_first_apart_and_above_the_threshold():
    probabilities = [0.1, 0.9, 0.95, 0.2, 0.6, 0.97, 0.3, 0.86]

    assert pick_items(probabilities, limit=10, threshold=0.5, radius=1) == [5, 2, 7]
    assert pick_items(probabilities, limit=2, threshold=0.5, radius=1) == [5, 2]
    assert pick_items(probabilities, limit=10, threshold=0.99, radius=1) == []


def test_confident_neighbours_join_the_earlier_item():
    probabilities = [0.9, 0.8, 0.1, 0.95, 0.7, 0.2]

    groups = group_items(probabilities, [0, 3], threshold=0.6, radius=1)

    assert groups == {0: {0, 1}, 3: {3, 4}}


def test_request_and_acceptance_become_one_third_person_item_with_the_acceptors_date():
    lines = ["Sam, can you update the release checklist?", "Sure, I'll do it today."]
    messages = conversation(lines, [ANNA, SAM])

    insights = extract_insights(messages, reference_time=WEDNESDAY, members=[ANNA, SAM])

    item = item_about(insights.action_items, "release checklist")
    assert item["text"] == "Sam will update the release checklist today."
    assert item["assignee"] == SAM
    assert item["dueBy"] == "2024-03-13T00:00:00.000Z"
    assert item["messageIds"] == ["msg-0", "msg-1"]


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("Yes, I will fix the payment crash I Friday.", "I will fix the payment crash I Friday."),
        ("Sure. Okay, so I'll call the vendor.", "I'll call the vendor."),
        ("Great! The notes go to design.", "The notes go to design."),
        # Not an acknowledgement closed by punctuation, or nothing after it: left as said.
        ("Sure thing I'll call the vendor.", "Sure thing I'll call the vendor."),
        ("Fine-tune the model by Friday.", "Fine-tune the model by Friday."),
        ("Yes.", "Yes."),
    ],
)
def test_a_leading_acknowledgement_is_not_part_of_the_item(said, kept):
    assert without_acknowledgement(said) == kept


def test_yes_before_a_commitment_is_dropped_and_the_next_steps_read_in_the_third_person():
    lines = ["Can you look into the payment crash?", "Yes, I will fix the payment crash by Friday."]
    insights = extract_insights(conversation(lines, [ANNA, MARCO]), reference_time=WEDNESDAY, members=MEMBERS)

    item = item_about(insights.action_items, "payment crash")
    assert item["text"] == "Marco will fix the payment crash by Friday."
    assert item["dueBy"] == "2024-03-15T00:00:00.000Z"
    [next_steps] = [s["text"] for s in insights.summary if s["text"].startswith("Next steps:")]
    assert next_steps == "Next steps: Marco will fix the payment crash by Friday."


def test_an_item_kept_first_person_loses_its_yes_and_is_owned_in_the_next_steps():
    """A first-person word is left after the commitment form ("on my side"), so the rewrite is unsafe and
    the item stays as said, but without the "Yes," that answered the request."""
    lines = [
        "Can you look into the payment crash?",
        "Yes, I will fix the payment crash on my side by Friday.",
    ]
    insights = extract_insights(conversation(lines, [ANNA, MARCO]), reference_time=WEDNESDAY, members=MEMBERS)

    item = item_about(insights.action_items, "payment crash")
    assert item["text"] == "I will fix the payment crash on my side by Friday."
    assert item["assignee"] == MARCO
    [next_steps] = [s["text"] for s in insights.summary if s["text"].startswith("Next steps:")]
    assert next_steps == "Next steps: Marco Silva: I will fix the payment crash on my side by Friday."


def test_a_stray_i_left_by_speech_to_text_ends_the_task_not_the_rewrite():
    """Speech-to-text made "by Friday" into "I Friday": the "I" starts no commitment of its own, so the task
    ends before it and the item is still written in the third person."""
    lines = ["Can you look into the payment crash?", "Yes, I will fix the payment crash I Friday."]
    insights = extract_insights(conversation(lines, [ANNA, MARCO]), reference_time=WEDNESDAY, members=MEMBERS)

    item = item_about(insights.action_items, "payment crash")
    assert item["text"] == "Marco will fix the payment crash Friday."
    assert item["assignee"] == MARCO


def test_i_will_ask_someone_keeps_who_asks_and_who_is_asked():
    lines = ["What about the design review?", "I will ask Lee to review the mockups before Friday."]
    messages = conversation(lines, [ANNA, PRIYA])

    insights = extract_insights(messages, reference_time=WEDNESDAY, members=[ANNA, PRIYA, LEE])

    item = item_about(insights.action_items, "mockups")
    assert item["text"] == "Priya will ask Lee to review the mockups before Friday."
    assert item["assignee"] == PRIYA
    assert item["dueBy"] == "2024-03-15T00:00:00.000Z"


def test_you_in_a_commitment_is_the_person_spoken_to():
    lines = ["Where are we with the pricing?", "I will send you the pricing sheet tomorrow."]
    messages = conversation(lines, [ANNA, MARCO])

    insights = extract_insights(messages, reference_time=WEDNESDAY, members=MEMBERS)

    item = item_about(insights.action_items, "pricing sheet")
    assert item["text"] == "Marco will send Anna the pricing sheet tomorrow."


def _candidate(
    index: int, text: str, content: set[str], score: float, assignee: Person | None
) -> actions.Candidate:
    return actions.Candidate(
        actions.ACTION_ITEM,
        score,
        index,
        [f"msg-{index}"],
        text,
        None,
        assignee,
        None,
        True,
        text,
        set(content),
    )


def test_a_recap_of_a_commitment_is_merged_into_it():
    priya = Person(PRIYA["id"], PRIYA["name"], PRIYA["email"])
    early = _candidate(
        3, "Priya will send the release notes to design.", {"send", "release", "note", "design"}, 0.9, priya
    )
    other = _candidate(8, "Marco will fix the crash.", {"fix", "crash"}, 0.95, None)
    recap = _candidate(40, "Priya will send the release notes.", {"send", "release", "note"}, 0.97, priya)

    merged = actions._merge_repeats([early, other, recap])

    assert [c.text for c in merged] == ["Priya will send the release notes.", "Marco will fix the crash."]
    assert merged[0].message_ids == ["msg-3", "msg-40"]


def test_different_tasks_of_one_person_are_not_merged():
    priya = Person(PRIYA["id"], PRIYA["name"], PRIYA["email"])
    first = _candidate(3, "Priya will send the release notes.", {"send", "release", "note"}, 0.9, priya)
    second = _candidate(
        30, "Priya will review the release budget.", {"review", "release", "budget"}, 0.9, priya
    )

    assert len(actions._merge_repeats([first, second])) == 2


def test_due_dates_of_commitments_said_with_a_time():
    wednesday = datetime(2024, 3, 13, 9, tzinfo=UTC)

    afternoon = find_due_date("I will fix the login page this afternoon", wednesday)
    assert (afternoon.text, afternoon.day.isoformat()) == ("this afternoon", "2024-03-13")
    assert find_due_date("send it before Friday", wednesday).day.isoformat() == "2024-03-15"
    assert find_due_date("Sure, I'll do it today", wednesday).day.isoformat() == "2024-03-13"


def test_people_interface_used_for_owners():
    """actions relies on People as people.py defines it: speakers, speaker_of, by_first_name, named_in."""
    messages = conversation(["Sam, can you update the release checklist?"], [ANNA])
    people = People([ANNA, SAM], messages)

    assert people.by_first_name("Sam").name == "Sam Okafor"
    assert [p.name for p, _, _ in people.named_in("Sam, can you update the release checklist?")] == [
        "Sam Okafor"
    ]
