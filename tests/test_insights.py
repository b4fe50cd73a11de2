"""The insights extractor on hand-written transcripts (the eval meetings are for bench/, not tests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.engine.insights import (
    Insights,
    action_features,
    action_model,
    actions,
    extract_insights,
    question_weights,
)
from bot.engine.insights.dates import find_due_date
from bot.engine.insights.questions import Context, question_score

WEDNESDAY = datetime(2024, 3, 13, 15, 0, tzinfo=UTC)
ANNA = {"id": "u-anna", "name": "Anna Berg", "email": "anna@example.org"}
MARCO = {"id": "u-marco", "name": "Marco Silva", "email": "marco@example.org"}
PRIYA = {"id": "u-priya", "name": "Priya Raman", "email": "priya@example.org"}
MEMBERS = [ANNA, MARCO, PRIYA]

SAMPLE_RECORDING = [
    "Good morning everyone. This is the weekly planning meeting for the mobile app release.",
    "Thanks. The login bug is fixed, but the payment screen still crashes on older phones.",
    "Can you look into the payment crash before the release?",
    "Yes. I will fix the payment crash by Friday.",
    "Great. Priya, please send the release notes to the design team by Thursday.",
    "Sure. What about the marketing budget for the launch?",
    "I will check the marketing budget with finance and get back to you next week.",
    "Should we schedule a follow up meeting with the sales team?",
    "Yes, let's set up a meeting with the sales team on Monday to review the launch plan.",
    "Sounds good. I am happy with the progress on the release.",
]

# Cases the learned action-item model (issue 9) gets wrong, kept visible rather than deleted: the old cue
# rules were written for them, the model was fitted to AMI/ICSI meetings and a small synthetic workplace set.
MODEL_MISS = pytest.mark.xfail(
    reason="learned action-item model: known miss on a short synthetic exchange", strict=False
)

# What speech-to-text may make of the same recording: lower case, lost or changed punctuation, hyphens.
SAMPLE_AS_TRANSCRIBED = [
    line.replace("follow up", "follow-up")
    .replace(".", "")
    .replace("?", "?")
    .replace("Yes. I will", "yes I will")
    .replace("Priya, please", "Priya please")
    for line in SAMPLE_RECORDING
]


def conversation(lines: list[str], speakers: list[dict], start: datetime = WEDNESDAY) -> list[dict]:
    """Messages as the engine produces them; speakers take turns in the order given."""
    messages = []
    for index, text in enumerate(lines):
        begin = start + timedelta(seconds=6 * index)
        messages.append(
            {
                "id": f"msg-{index}",
                "text": text,
                "from": speakers[index % len(speakers)],
                "startTime": begin.isoformat().replace("+00:00", "Z"),
                "endTime": (begin + timedelta(seconds=5)).isoformat().replace("+00:00", "Z"),
                "timeOffset": 6.0 * index,
                "duration": 5.0,
                "conversationId": "5179649407582208",
            }
        )
    return messages


def sample_insights(lines: list[str] = SAMPLE_RECORDING, **options) -> Insights:
    return extract_insights(
        conversation(lines, [ANNA, MARCO]), reference_time=WEDNESDAY, members=MEMBERS, **options
    )


def item_about(items: list[dict], *words: str) -> dict:
    matches = [item for item in items if all(w in item["text"].lower() for w in words)]
    assert matches, f"no item about {words} in {[i['text'] for i in items]}"
    return matches[0]


@pytest.mark.parametrize(
    "lines", [SAMPLE_RECORDING, SAMPLE_AS_TRANSCRIBED], ids=["as written", "as transcribed"]
)
def test_sample_recording_action_items(lines):
    insights = sample_insights(lines)

    crash = item_about(insights.action_items, "payment crash")
    assert crash["assignee"] == MARCO
    assert crash["dueBy"] == "2024-03-15T00:00:00.000Z"
    assert "msg-3" in crash["messageIds"]
    assert crash["text"].startswith("Marco will fix the payment crash")

    notes = item_about(insights.action_items, "release notes")
    assert notes["assignee"] == PRIYA
    assert notes["dueBy"] == "2024-03-14T00:00:00.000Z"
    assert notes["from"] == {"id": "u-anna", "name": "Anna Berg", "userId": "anna@example.org"}
    # What a person takes on is an action item, a promised reply too (issue 20's note-taker lists it).
    budget = item_about(insights.action_items, "marketing budget")
    assert budget["assignee"] == ANNA
    assert budget["dueBy"] == "2024-03-18T00:00:00.000Z"  # "next week" → next Monday
    assert len(insights.action_items) == 3


@pytest.mark.parametrize(
    "lines", [SAMPLE_RECORDING, SAMPLE_AS_TRANSCRIBED], ids=["as written", "as transcribed"]
)
def test_sample_recording_follow_ups(lines):
    insights = sample_insights(lines)

    sales = item_about(insights.follow_ups, "sales team")
    assert sales["dueBy"] == "2024-03-18T00:00:00.000Z"  # "on Monday"
    assert sales["assignee"] == {}  # "let's" is the whole group

    follow_up_messages = {mid for item in insights.follow_ups for mid in item["messageIds"]}
    action_messages = {mid for item in insights.action_items for mid in item["messageIds"]}
    assert not follow_up_messages & action_messages


def test_sample_recording_questions_and_topics():
    insights = sample_insights()

    # "Can you look into the payment crash…?" / "Yes. I will fix…" is Marco's action item, not a question.
    assert [q["text"] for q in insights.questions] == [
        "What about the marketing budget for the launch?",
        "Should we schedule a follow up meeting with the sales team?",
    ]
    assert insights.questions[0]["from"] == {
        "id": "u-marco",
        "name": "Marco Silva",
        "userId": "marco@example.org",
    }

    topics = {t["text"]: t for t in insights.topics}
    for phrase in ("payment crash", "release notes", "marketing budget", "sales team"):
        assert phrase in topics
    # msg-1 says "the payment screen still crashes": the broad words "payment"/"crash" count for the topic.
    assert topics["payment crash"]["messageIds"] == ["msg-1", "msg-2", "msg-3"]
    assert {"type": "topic", "text": "crash"} in topics["payment crash"]["parentRefs"]
    assert topics["marketing budget"]["messageIds"] == ["msg-5", "msg-6"]
    assert 1 <= len(insights.topics) <= 10
    assert all(name not in topics for name in ("priya", "friday", "monday", "meeting"))


def test_sample_recording_sentiment():
    insights = sample_insights()

    assert insights.message_sentiment["msg-9"]["suggested"] == "positive"  # "I am happy with the progress"
    assert insights.message_sentiment["msg-6"]["suggested"] == "neutral"
    for value in insights.message_sentiment.values():
        assert -1.0 <= value["polarity"]["score"] <= 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This is a disaster, the demo failed again and everyone is angry.", "negative"),
        ("I love this design, it is really great work.", "positive"),
        ("The file is in the project folder.", "neutral"),
        # Discourse markers are not praise: "honestly", "like", "well" (VADER scores them positive).
        ("Honestly, getting anything out of the vendor is like pulling teeth, it's a nightmare.", "negative"),
        ("Well, honestly, the rollout went really well and the team did great work.", "positive"),
    ],
)
def test_message_sentiment_labels(text, expected):
    insights = extract_insights(conversation([text], [ANNA]), reference_time=WEDNESDAY)

    assert insights.message_sentiment["msg-0"]["suggested"] == expected


@pytest.mark.parametrize(
    ("said", "speaker", "assignee", "due"),
    [
        ("I will fix the payment crash by Friday.", MARCO, MARCO, "2024-03-15"),
        ("I'll send the invoice tomorrow.", ANNA, ANNA, "2024-03-14"),
        ("I'm going to update the roadmap by the end of the month.", ANNA, ANNA, "2024-03-31"),
        ("Priya, please send the release notes to the design team by Thursday.", ANNA, PRIYA, "2024-03-14"),
        ("Marco, could you review the pull request on the 15th?", ANNA, MARCO, "2024-03-15"),
        pytest.param(
            "Priya will prepare the demo for the client next Friday.",
            MARCO,
            PRIYA,
            "2024-03-22",
            marks=MODEL_MISS,
        ),
        pytest.param(
            "We need to finish the migration plan before the audit.", ANNA, None, None, marks=MODEL_MISS
        ),
    ],
)
def test_action_item_owner_and_due_date(said, speaker, assignee, due):
    messages = conversation(["Okay, next point on the agenda.", said], [ANNA, speaker])
    messages[0]["from"] = ANNA if speaker != ANNA else MARCO

    insights = extract_insights(messages, reference_time=WEDNESDAY, members=MEMBERS)

    [item] = insights.action_items
    assert item["messageIds"] == ["msg-1"]
    assert item["assignee"] == (assignee or {})
    assert item.get("dueBy") == (f"{due}T00:00:00.000Z" if due else None)
    if assignee:
        person = next(e for e in item["entities"] if e["type"] == "person")
        assert person["value"]["assignee"] is True
        assert item["text"][person["offset"] :].startswith(person["text"])


@pytest.mark.parametrize(
    ("lines", "speakers", "text", "due"),
    [
        (
            ["Marco, can you send the slides to the client by Friday?", "Sure, I'll send them over."],
            [ANNA, MARCO],
            "Marco will send the slides to the client by Friday.",
            "2024-03-15",
        ),
        (
            [
                "Priya, could you update the roadmap document before Monday's review?",
                "Yes, I will update it.",
            ],
            [ANNA, PRIYA],
            "Priya will update the roadmap document before Monday's review.",
            "2024-03-18",
        ),
        (  # the answer's own date replaces the one asked for
            ["Can you book the venue for the offsite next week?", "Sure, I'll book it today."],
            [ANNA, PRIYA],
            "Priya will book the venue for the offsite today.",
            "2024-03-13",
        ),
    ],
    ids=["them", "it", "answer sets the date"],
)
def test_an_acceptance_by_pronoun_is_written_from_the_request_it_answers(lines, speakers, text, due):
    messages = conversation(["Good morning, let's go through the open points.", *lines, "Thanks."],
                            [MARCO if speakers[0] != MARCO else PRIYA, *speakers, ANNA])  # fmt: skip

    insights = extract_insights(messages, reference_time=WEDNESDAY, members=MEMBERS)

    [item] = insights.action_items
    assert item["text"] == text
    assert item["assignee"] == speakers[1]
    assert item["dueBy"] == f"{due}T00:00:00.000Z"
    assert item["messageIds"] == ["msg-1", "msg-2"]


def test_can_you_goes_to_the_addressee_who_accepts():
    lines = ["Can you draft the announcement for the newsletter?", "Sure, no problem.", "Thanks."]
    messages = conversation(lines, [ANNA, PRIYA, MARCO])

    insights = extract_insights(messages, reference_time=WEDNESDAY, members=MEMBERS)

    [item] = insights.action_items
    assert item["assignee"] == PRIYA
    assert item["text"] == "Priya will draft the announcement for the newsletter."


@MODEL_MISS
def test_can_you_without_a_known_addressee_is_unassigned():
    lines = ["Can you draft the announcement for the newsletter?", "Hmm.", "We will see."]
    messages = conversation(lines, [ANNA, PRIYA, MARCO])

    insights = extract_insights(messages, reference_time=WEDNESDAY, members=MEMBERS)

    [item] = insights.action_items
    assert item["assignee"] == {}


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        # A person's promise to get back is theirs to do (issue 20); a meeting nobody owes, or a topic
        # parked for later, is a follow-up.
        ("I will get back to you about the pricing next week.", "action_item"),
        ("Let's schedule a call with the vendor on Tuesday.", "follow_up"),
        ("I'll check with legal about the contract terms.", "action_item"),
        ("We should circle back on the hiring plan next month.", "follow_up"),
        ("I will write the test plan for the checkout flow.", "action_item"),
        pytest.param("Please update the pricing page before the launch.", "action_item", marks=MODEL_MISS),
    ],
)
def test_follow_ups_are_kept_apart_from_action_items(said, kind):
    insights = extract_insights(
        conversation(["Right, what else?", said], [ANNA, MARCO]), reference_time=WEDNESDAY, members=MEMBERS
    )

    assert [i["type"] for i in insights.action_items + insights.follow_ups] == [kind]


@pytest.mark.parametrize(
    "said",
    [
        "I think the old design was better.",
        "Let me show you the next slide.",
        "We didn't need to change the logo.",
        "You know what I mean.",
        "I won't be able to make it.",
    ],
)
def test_chatter_is_not_an_action_item(said):
    insights = extract_insights(conversation([said], [ANNA]), reference_time=WEDNESDAY, members=MEMBERS)

    assert insights.action_items == [] and insights.follow_ups == []


@pytest.mark.parametrize(
    ("sentence", "is_question"),
    [
        ("What is the budget for the campaign?", True),
        ("Did the login bug get fixed in the last build?", True),
        ("How do we measure retention?", True),
        ("What I think is that we should wait.", False),  # a pseudo-cleft, not a wh-question
        ("So the batteries, I will start with the battery, right?", False),  # "?" on a statement
        ("Sorry?", False),
        ("right?", False),
        ("You know?", False),
        ("Okay?", False),
        ("Really?", False),
        ("It's fine, right?", False),
        ("The budget is fixed.", False),
    ],
)
def test_questions_drop_tags_and_backchannels(sentence, is_question):
    assert (question_score(sentence) >= 0.5) is is_question


def test_a_question_asked_again_is_listed_once():
    lines = [
        "What is the budget for the campaign?",
        "Sorry, I did not hear.",
        "What is the budget for the campaign?",
    ]
    messages = conversation(lines, [ANNA, MARCO, ANNA])

    questions = extract_insights(messages, reference_time=WEDNESDAY).questions

    assert [(q["text"], q["messageIds"]) for q in questions] == [
        ("What is the budget for the campaign?", ["msg-0"])
    ]


def test_one_message_gives_at_most_one_question():
    lines = [
        "Did the login bug get fixed? And what is the budget for the campaign?",
        "Yes, and ten thousand.",
    ]
    messages = conversation(lines, [ANNA, MARCO])

    [question] = extract_insights(messages, reference_time=WEDNESDAY).questions

    assert question["messageIds"] == ["msg-0"]
    assert question["text"] in ("Did the login bug get fixed?", "And what is the budget for the campaign?")


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        # Speech-to-text writes no "?": the question is found inside the run-on turn, from its opening on.
        ("if we switch vendors would that change the price", "Would that change the price?"),
        ("ok thats fine right ok is that signed off by legal", "Is that signed off by legal?"),
        ("the rollout how big is the risk for the stores", "How big is the risk for the stores?"),
        # A relative "which" carries a statement on, unless it offers a choice.
        (
            "which is better the blue layout or the green one",
            "Which is better the blue layout or the green one?",
        ),
        # The longest stretch that reads as a question, not its tail.
        (
            "whos the owner here is it still dana from finance",
            "Who's the owner here is it still dana from finance?",
        ),
    ],
)
def test_questions_inside_speech_recogniser_turns(said, asked):
    lines = ["morning all lets start with the vendor update", said, "i will check and come back to you"]
    messages = conversation(lines, [ANNA, MARCO, ANNA])

    questions = extract_insights(messages, reference_time=WEDNESDAY).questions

    assert [q["text"] for q in questions] == [asked]


@pytest.mark.parametrize(
    "said",
    [
        "the biggest risk is the data from the old system",
        "that is how we do it every quarter",
        "honestly that would change the price a lot",
        "the refund rate is nine percent which is way over our threshold",
        "do it when hes back from leave",
    ],
)
def test_speech_recogniser_statements_are_not_questions(said):
    lines = ["morning all lets start with the vendor update", said, "ok thanks"]
    messages = conversation(lines, [ANNA, MARCO, ANNA])

    assert extract_insights(messages, reference_time=WEDNESDAY).questions == []


def test_a_reported_question_is_listed_as_said_and_ones_own_wondering_is_not():
    lines = [
        "one more thing the audit team wants to know if any of these invoices were paid twice",
        "ok i will look into it",
        "customers keep asking if they can pay by invoice",
        "i was just wondering if we could look at something a bit smaller",
        "fine by me",
    ]
    messages = conversation(lines, [ANNA, MARCO, ANNA, MARCO, ANNA])

    questions = extract_insights(messages, reference_time=WEDNESDAY).questions

    assert [(q["messageIds"], q["text"]) for q in questions] == [
        (["msg-0"], "One more thing the audit team wants to know if any of these invoices were paid twice?"),
        (["msg-2"], "Customers keep asking if they can pay by invoice?"),
    ]


def test_an_answer_from_someone_else_raises_the_question_score():
    said = "Does it vibrate when you press the buttons?"

    assert question_score(said, Context(other_speaks_next=True)) > question_score(said)


def test_question_weights_are_the_fitted_model():
    # bench/fit_questions.py writes them; a placeholder or hand edit would show as a tiny or lopsided model.
    assert len(question_weights.WEIGHTS) > 100 and 0.5 <= question_weights.THRESHOLD < 0.9
    assert question_weights.WEIGHTS["qmark"] > 0 and question_weights.WEIGHTS["aux"] > 0


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("by Friday", "2024-03-15"),
        ("tomorrow", "2024-03-14"),
        ("next week", "2024-03-18"),
        ("by the end of the month", "2024-03-31"),
        ("on the 15th", "2024-03-15"),
        ("on the 10th", "2024-04-10"),
        ("next Friday", "2024-03-22"),
        ("on Monday", "2024-03-18"),
        ("in two weeks", "2024-03-27"),
        ("by March 20th", "2024-03-20"),
        ("within 48 hours", "2024-03-15"),
        ("in 24 hours", "2024-03-14"),
        ("within five working days", "2024-03-20"),
        ("in an hour", "2024-03-13"),
    ],
)
def test_due_dates_resolve_against_the_conversation_start(said, expected):
    due = find_due_date(f"I will ship it {said}.", WEDNESDAY)

    assert due is not None and due.day.isoformat() == expected
    assert due.text.lower() == said.lower()


def test_a_day_gone_by_named_by_its_event_is_no_due_date():
    assert find_due_date("Let's do the review of Tuesday's outage.", WEDNESDAY) is None
    before = find_due_date("I'll have the slides ready before Friday's board meeting.", WEDNESDAY)
    assert before is not None and before.day.isoformat() == "2024-03-15"
    at = find_due_date("Let's check back on it at Friday's standup.", WEDNESDAY)
    assert at is not None and at.day.isoformat() == "2024-03-15"
    fine = find_due_date("Friday's fine, as long as it's before we submit.", WEDNESDAY)
    assert fine is not None and fine.day.isoformat() == "2024-03-15"


def test_output_has_the_contract_shapes_and_is_json():
    insights = sample_insights(detect_phrases=True)
    body = json.loads(json.dumps(insights.to_dict()))

    for item in body["actionItems"] + body["followUps"]:
        assert {
            "id",
            "text",
            "type",
            "score",
            "messageIds",
            "entities",
            "phrases",
            "definitive",
            "from",
            "assignee",
        } <= item.keys()
        assert set(item["from"]) == {"id", "name", "userId"}
        assert item["assignee"] == {} or set(item["assignee"]) == {"id", "name", "email"}
        assert item["dueBy"].endswith("T00:00:00.000Z")
    assert {i["type"] for i in body["actionItems"]} == {"action_item"}
    assert {i["type"] for i in body["followUps"]} == {"follow_up"}
    for topic in body["topics"]:
        assert {
            "id",
            "text",
            "type",
            "score",
            "messageIds",
            "entities",
            "sentiment",
            "parentRefs",
        } <= topic.keys()
        assert topic["type"] == "topic" and topic["sentiment"]["suggested"] in {
            "positive",
            "neutral",
            "negative",
        }
    for question in body["questions"]:
        assert {"id", "text", "type", "score", "messageIds", "from"} <= question.keys()
    for item in body["topics"] + body["questions"] + body["actionItems"] + body["followUps"]:
        assert 0.0 <= item["score"] <= 1.0
        assert len(item["id"]) == 16 and item["id"].isdigit()


def test_phrases_only_when_asked_and_merged_into_messages():
    plain = sample_insights()
    with_phrases = sample_insights(detect_phrases=True)
    messages = with_phrases.annotate_messages(conversation(SAMPLE_RECORDING, [ANNA, MARCO]))

    assert plain.message_phrases == {}
    assert {"type": "action_phrase", "text": "send the release notes to the design team"} in messages[4][
        "phrases"
    ]
    assert {"type": "noun_phrase", "text": "marketing budget"} in messages[6]["phrases"]
    assert messages[9]["sentiment"]["suggested"] == "positive"


def test_ids_are_stable_across_runs():
    first, second = sample_insights().to_dict(), sample_insights().to_dict()

    assert first == second
    all_ids = [i["id"] for kind in first.values() for i in kind]
    assert len(all_ids) == len(set(all_ids))


def test_confidence_threshold_filters_on_score():
    default = sample_insights()
    strict = sample_insights(confidence_threshold=0.95)
    lenient = sample_insights(confidence_threshold=0.0)

    for kind in ("topics", "questions", "action_items", "follow_ups"):
        assert all(i["score"] >= 0.95 for i in getattr(strict, kind))
        assert len(getattr(strict, kind)) <= len(getattr(default, kind)) <= len(getattr(lenient, kind))
    assert len(strict.topics) < len(default.topics)


def test_every_confident_action_item_is_listed_however_short_the_meeting():
    """No cap (issue 20): the AMI scoring rule of 10 per hour hid most of a short planning meeting's tasks."""
    lines = [
        "I will send the invoice to finance tomorrow.",
        "I will update the roadmap by Friday.",
        "I will book the venue for the offsite.",
        "I will review the vendor contract next week.",
        "I will draft the survey questions tomorrow.",
        "I will fix the broken build tonight.",
        "I will prepare the board slides by Thursday.",
        "I will test the checkout flow on older phones.",
    ]
    insights = extract_insights(conversation(lines, [ANNA, MARCO]), reference_time=WEDNESDAY)

    assert len(insights.action_items) == len(lines)


def test_empty_conversation_gives_empty_insights():
    insights = extract_insights([], reference_time=WEDNESDAY)

    assert insights.to_dict() == {
        "topics": [],
        "questions": [],
        "actionItems": [],
        "decisions": [],
        "followUps": [],
        "summary": [],
    }
    assert insights.message_sentiment == {} and insights.message_phrases == {}


def test_messages_without_speakers_are_accepted():
    messages = conversation(["Please send the signed contract to the lawyers by Friday."], [{}])

    [item] = extract_insights(messages, reference_time=WEDNESDAY).action_items

    assert item["from"] == {} and item["assignee"] == {}
    assert item["dueBy"] == "2024-03-15T00:00:00.000Z"


@pytest.mark.parametrize(
    "said",
    [
        pytest.param("I don't think we have to send the report to finance.", id="denied obligation"),
        pytest.param("They're not gonna say I've got to buy a new battery.", id="not gonna"),
        pytest.param(
            "Because you have to press the button twice to change the channel.", id="generic you, reason"
        ),
        pytest.param("Then you have to pick a language from the menu.", id="generic you, then"),
        pytest.param("Would you prefer a bigger screen on the device?", id="opinion request"),
        pytest.param(
            "Do you have to send the report to finance?", id="question about the obligation", marks=MODEL_MISS
        ),
        pytest.param(
            "What can you do to make the battery last longer?",
            id="wh-question about options",
            marks=MODEL_MISS,
        ),
        pytest.param("You could you could put a charger in the box.", id="stuttered could-you"),
        pytest.param("You have to make the buttons a bit bigger.", id="design talk, make"),
        pytest.param(
            "You'll have to build in a microphone for the voice control.",
            id="design talk, build in",
            marks=MODEL_MISS,  # read as an assignment since the workplace meetings joined the training data
        ),
        pytest.param(
            "Because I need to put all the electronics in the case.", id="commitment inside a reason"
        ),
        pytest.param(
            "What I'm going to prepare is the budget for the client.", id="pseudo-cleft", marks=MODEL_MISS
        ),
        pytest.param("I will write up the notes after every meeting.", id="habit"),
        pytest.param("I'll take the lunch.", id="meeting logistics", marks=MODEL_MISS),
        pytest.param("I'll walk you through the quarterly numbers.", id="presenter narration"),
        pytest.param("I'll write it down.", id="note-taking now"),
        pytest.param("Could you step a little to the left?", id="request about the room"),
        pytest.param("Can you go to the next one?", id="next one is the next slide"),
        pytest.param("I'll have a go.", id="no object, speaker"),
        pytest.param("Let's do it together.", id="no object, group"),
    ],
)
def test_in_meeting_talk_is_not_an_action_item(said):
    # Each line is the kind of commitment-shaped talk a meeting is full of; none hands out work for later.
    insights = extract_insights(
        conversation(["Right, what else?", said], [ANNA, MARCO]), reference_time=WEDNESDAY, members=MEMBERS
    )

    assert insights.action_items == [], [i["text"] for i in insights.action_items]


@pytest.mark.parametrize(
    ("said", "words"),
    [
        pytest.param(
            "What would you like marketing to look at before the next meeting?",
            ("marketing",),
            id="question that hands out next steps",
        ),
        pytest.param(
            "I'll do it before the next meeting.",
            ("before the next meeting",),
            id="pronoun object with a time after the meeting",
        ),
        pytest.param("I'll I'll send the invoice to finance tomorrow.", ("send the invoice",), id="stutter"),
        pytest.param(
            "You will have to work together on the prototype for the review.",
            ("prototype",),
            id="work together on",
        ),
        pytest.param("So you will have to prepare the budget for the client.", ("budget",), id="so you will"),
    ],
)
def test_explicit_assignments_stay_action_items(said, words):
    insights = extract_insights(
        conversation(["Right, what else?", said], [ANNA, MARCO]), reference_time=WEDNESDAY, members=MEMBERS
    )

    item_about(insights.action_items, *words)


def closing_meeting(closing_lines: list[str], filler: int = 30) -> list[dict]:
    """A meeting of `filler` lines of discussion, then `closing_lines`: long enough to have a closing
    round."""
    discussion = [f"The figures for region {n} look similar to last quarter." for n in range(filler)]
    return conversation(discussion + closing_lines, [ANNA, MARCO, PRIYA])


def test_next_steps_round_is_found_from_the_words_not_the_clock():
    messages = closing_meeting(
        ["For the next meeting, here is what each of you does.", "Sure.", "Okay."], filler=40
    )
    messages[5]["text"] = "The next meeting is about the budget."  # agenda in the first half: no round

    closing = actions.next_steps_round(messages)

    assert 40 in closing and 42 in closing
    assert 5 not in closing and 10 not in closing
    assert 40 - actions.NEXT_STEPS_REACH in closing and 40 - actions.NEXT_STEPS_REACH - 1 not in closing
    assert (
        actions.next_steps_round(conversation(["For the next meeting, send the notes."] * 5, [ANNA])) == set()
    )


def test_commitments_in_the_next_steps_round_rank_higher():
    """The closing round is a feature the model learned from AMI/ICSI: the same commitment scores higher
    there than in the middle of the discussion."""
    commitment = "We will update the supplier list with the new prices."
    early = closing_meeting([], filler=40)
    early[3]["text"] = commitment
    late = closing_meeting(["Okay, for the next meeting then.", commitment, "Good."], filler=40)
    model = action_model.shipped_model()

    def probability(messages: list[dict], index: int) -> float:
        return model.probabilities(action_features.conversation_features(messages, actions.speaker_key))[
            index
        ]

    assert model.weights["closing_round"] > 0
    assert probability(late, 41) > probability(early, 3)


@MODEL_MISS
def test_next_steps_round_does_not_lift_chatter():
    messages = closing_meeting(
        ["Okay, for the next meeting then.", "I'll take the lunch.", "We're going to have a break."]
    )

    insights = extract_insights(messages, reference_time=WEDNESDAY)

    assert all(
        "lunch" not in i["text"].lower() and "break" not in i["text"].lower() for i in insights.action_items
    )


def test_generic_speaker_labels_are_kept_whole_in_normalised_items():
    """Regression: diarized speakers are named "Speaker N"; the item used to read "Speaker will fix…"."""
    messages = [
        {"id": "1", "text": "Can you look into the payment crash?", "from": {"id": "a", "name": "Speaker 1"}},
        {
            "id": "2",
            "text": "Yes, I will fix the payment crash by Friday.",
            "from": {"id": "b", "name": "Speaker 2"},
        },
    ]
    insights = extract_insights(messages, reference_time=datetime(2024, 3, 13, tzinfo=UTC))
    texts = [item["text"] for item in insights.action_items]
    assert any(text.startswith("Speaker 2 will fix the payment crash") for text in texts), texts
