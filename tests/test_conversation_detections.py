"""`GET …/entities`, `GET …/trackers`, `POST …/transcript` and the tracker management API of the engine, over
real HTTP (issue 25, item 3): Symbl's shapes, what the submission options turn on, the 4xx answers with a
message, and tenancy. Conversations come from the Text API, with times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.engine.detection_options import CustomEntity
from bot.engine.insights.entities import find_entities
from bot.engine.insights.trackers import find_phrases, similar_words
from tests.engine_api_support import token_session
from tests.support.wait import wait_until

MESSAGES = [
    {
        "id": "m-1",
        "payload": {"content": "Marco, please get budget approval for the $12,000 laptops by Thursday."},
        "from": {"id": "u-priya", "name": "Priya Patel", "userId": "priya@example.org"},
        "duration": {"startTime": "2026-03-02T09:00:00.000Z", "endTime": "2026-03-02T09:00:05.000Z"},
    },
    {
        "id": "m-2",
        "payload": {
            "content": "Sure Priya, the Marketing Director can approve the budget at 3pm, it is 15% over."
        },
        "from": {"id": "u-marco", "name": "Marco Rossi", "userId": "marco@example.org"},
        "duration": {"startTime": "2026-03-02T09:00:05.500Z", "endTime": "2026-03-02T09:00:10.000Z"},
    },
    {
        "id": "m-3",
        "payload": {"content": "Is the login crash a release blocker?"},
        "from": {"id": "u-priya", "name": "Priya Patel", "userId": "priya@example.org"},
        "duration": {"startTime": "2026-03-02T09:01:12.000Z", "endTime": "2026-03-02T09:01:14.250Z"},
    },
]
BUDGET = {"name": "Budget", "vocabulary": ["budget approval", "sign off on the spend"]}
RELEASE = {"name": "Release risk", "vocabulary": ["release blocker"]}


@pytest.fixture
def http(server):
    session = token_session(server.url)
    session.base = server.url  # type: ignore[attr-defined]
    return session


def _submit(http, **options) -> str:
    """A completed Text API conversation's base URL."""
    body = {"messages": MESSAGES, **options}
    ids = http.post(f"{http.base}/v1/process/text", json=body, timeout=10).json()
    status = wait_until(
        lambda: (
            (s := http.get(f"{http.base}/v1/job/{ids['jobId']}", timeout=10).json()["status"])
            in ("completed", "failed")
            and s
        )
    )
    assert status == "completed"
    return f"{http.base}/v1/conversations/{ids['conversationId']}"


# --- entities ------------------------------------------------------------------------------------------


def test_entities_are_found_when_asked_for_in_symbls_shape(http):
    conversation = _submit(
        http, detectEntities=True, entities=[{"customType": "Executive", "text": "marketing director"}]
    )
    entities = http.get(f"{conversation}/entities", timeout=10).json()["entities"]
    said = {(e["type"], e["text"], e["value"]) for e in entities}
    assert said == {
        ("person", "Marco", "Marco Rossi"),
        ("money", "$12,000", "12000 USD"),
        ("date", "Thursday", "2026-03-05"),
        ("person", "Priya", "Priya Patel"),
        ("custom", "Marketing Director", "marketing director"),
        ("time", "3pm", "15:00"),
        ("percent", "15%", "15%"),
    }
    custom = next(e for e in entities if e["type"] == "custom")
    assert custom["customType"] == "Executive"
    text = MESSAGES[1]["payload"]["content"]
    assert custom["messageRefs"] == [{"id": "m-2", "text": text, "offset": text.index("Marketing")}]
    assert all("customType" not in e for e in entities if e["type"] != "custom")


def test_without_detect_entities_only_the_custom_ones_are_found(http):
    conversation = _submit(http, entities=[{"customType": "Executive", "value": "Marketing Director"}])
    entities = http.get(f"{conversation}/entities", timeout=10).json()["entities"]
    assert [(e["type"], e["customType"]) for e in entities] == [("custom", "Executive")]
    assert http.get(f"{_submit(http)}/entities", timeout=10).json() == {"entities": []}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ship it by Friday.", [("date", "Friday", "2026-03-06")]),
        ("Let's regroup next week.", [("daterange", "next week", "2026-03-09")]),
        (
            "Standup moves to 10:30 tomorrow.",
            [("time", "10:30", "10:30"), ("date", "tomorrow", "2026-03-03")],
        ),
        ("Call at 9 a.m. or noon.", [("time", "9 a.m.", "09:00"), ("time", "noon", "12:00")]),
        (
            "It costs 5k euros, £300 or 2.5 million dollars.",
            [
                ("money", "5k euros", "5000 EUR"),
                ("money", "£300", "300 GBP"),
                ("money", "2.5 million dollars", "2500000 USD"),
            ],
        ),
        ("Churn fell 3 percent, now 2.5%.", [("percent", "3 percent", "3%"), ("percent", "2.5%", "2.5%")]),
        ("We have two meetings and 3 tickets.", []),
    ],
)
def test_managed_entity_rules(text, expected):
    found = find_entities(
        [{"id": "x", "text": text}], reference_time=datetime(2026, 3, 2, tzinfo=UTC), members=[], detect=True
    )
    assert [(e["type"], e["text"], e["value"]) for e in found] == expected


def test_custom_entities_match_whole_words_only():
    found = find_entities(
        [{"id": "x", "text": "The CFOs met; the cfo  office agreed."}],
        reference_time=datetime(2026, 3, 2, tzinfo=UTC),
        members=[],
        detect=False,
        custom=[CustomEntity("Role", "CFO office")],
    )
    assert [(e["text"], e["messageRefs"][0]["offset"]) for e in found] == [("cfo  office", 18)]


# --- trackers ------------------------------------------------------------------------------------------


def test_trackers_given_at_submission_are_matched_in_symbls_shape(http):
    conversation = _submit(http, trackers=[BUDGET, RELEASE])
    found = http.get(f"{conversation}/trackers", timeout=10).json()
    assert [t["name"] for t in found] == ["Budget", "Release risk"]
    budget = found[0]
    assert budget["id"] and budget["matches"] == [
        {
            "type": "vocabulary",
            "value": "budget approval",
            "messageRefs": [
                {"id": "m-1", "text": MESSAGES[0]["payload"]["content"], "offset": 18},
                # "approve the budget": a similar phrase (the same content words, close together)
                {"id": "m-2", "text": MESSAGES[1]["payload"]["content"], "offset": 39},
            ],
            "insightRefs": [],
        }
    ]


@pytest.mark.parametrize(
    ("phrase", "text", "way"),
    [
        ("release blocker", "A Release Blocker, again.", "exact"),
        ("release notes", "the release note is late", "stem"),
        ("budget approval", "they approved the budget", "similar"),
        ("renewal at risk", "two renewals are at risk", "similar"),
        ("budget approval", "approve the design", None),
        ("release blocker", "the release went out; nothing else was a blocker for it at all", None),
    ],
)
def test_tracker_phrase_matching_ways(phrase, text, way):
    found = find_phrases([text], [{"id": "t", "name": "T", "vocabulary": [phrase]}])
    assert [f.way for f in found] == ([way] if way else [])


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [("approval", "approve", True), ("pricing", "price", True), ("presentation", "preserve", False)],
)
def test_similar_words(a, b, similar):
    assert similar_words(a, b) is similar


def test_enable_all_trackers_uses_the_apps_managed_trackers(http):
    made = http.post(f"{http.base}/v1/manage/tracker", json=RELEASE, timeout=10)
    assert made.status_code == 201
    assert http.get(f"{_submit(http)}/trackers", timeout=10).json() == []
    found = http.get(f"{_submit(http, enableAllTrackers=True)}/trackers", timeout=10).json()
    assert [(t["id"], t["name"]) for t in found] == [(made.json()["tracker"]["id"], "Release risk")]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"trackers": {"name": "x"}}, "trackers must be a list"),
        ({"trackers": [{"name": "x", "vocabulary": []}]}, "trackers[0].vocabulary"),
        ({"trackers": [{"name": "x", "vocabulary": ["why?"]}]}, "trackers[0].vocabulary[0]"),
        ({"trackers": [{"vocabulary": ["a"]}]}, "trackers[0].name"),
        ({"entities": [{"text": "cfo"}]}, "entities[0].customType"),
        ({"entities": [{"customType": "Role"}]}, "entities[0].text"),
    ],
)
def test_a_malformed_tracker_or_entity_option_is_refused_naming_it(http, options, field):
    answer = http.post(f"{http.base}/v1/process/text", json={"messages": MESSAGES, **options}, timeout=10)
    assert answer.status_code == 400 and field in answer.json()["message"]


# --- tracker management --------------------------------------------------------------------------------


def test_trackers_are_created_listed_read_updated_and_deleted(http):
    base = f"{http.base}/v1/manage"
    one = http.post(f"{base}/tracker", json=BUDGET, timeout=10).json()["tracker"]
    assert one == {"id": one["id"], **BUDGET} and len(one["id"]) == 16
    bulk = http.post(f"{base}/trackers", json=[RELEASE], timeout=10)
    assert bulk.status_code == 201 and [t["name"] for t in bulk.json()["trackers"]] == ["Release risk"]
    listed = http.get(f"{base}/trackers", timeout=10).json()["trackers"]
    assert [t["name"] for t in listed] == ["Budget", "Release risk"]
    assert http.get(f"{base}/trackers", params={"name": "Budget"}, timeout=10).json() == {"trackers": [one]}
    assert http.get(f"{base}/trackers", params={"name": "budget"}, timeout=10).json() == {"trackers": []}
    for path in (f"{base}/tracker/{one['id']}", f"{base}/trackers/{one['id']}"):
        assert http.get(path, timeout=10).json() == {"tracker": one}

    changed = {"id": one["id"], "name": "Spend", "vocabulary": ["purchase order"]}
    assert http.put(f"{base}/tracker/{one['id']}", json=changed, timeout=10).json() == {"tracker": changed}
    assert http.get(f"{base}/trackers/{one['id']}", timeout=10).json() == {"tracker": changed}

    gone = http.delete(f"{base}/trackers/{one['id']}", timeout=10)
    assert gone.json() == {"id": one["id"], "type": "tracker", "deleted": True}
    assert http.get(f"{base}/tracker/{one['id']}", timeout=10).status_code == 404


def test_tracker_management_errors(http):
    base = f"{http.base}/v1/manage"
    first = http.post(f"{base}/tracker", json=BUDGET, timeout=10).json()["tracker"]
    taken = http.post(f"{base}/trackers", json=[RELEASE, BUDGET], timeout=10)
    assert taken.status_code == 409 and "'Budget'" in taken.json()["message"]
    assert http.get(f"{base}/trackers", timeout=10).json()["trackers"] == [first]  # all or none
    bad = http.post(f"{base}/tracker", json={"name": "x", "vocabulary": "one"}, timeout=10)
    assert bad.status_code == 400 and "vocabulary" in bad.json()["message"]
    assert http.post(f"{base}/trackers", json=[], timeout=10).status_code == 400
    other_id = {**RELEASE, "id": "1234"}
    wrong = http.put(f"{base}/tracker/{first['id']}", json=other_id, timeout=10)
    assert wrong.status_code == 400 and "id" in wrong.json()["message"]
    for method in ("get", "put", "delete"):
        missing = getattr(http, method)(f"{base}/tracker/999", json=RELEASE, timeout=10)
        assert missing.status_code == 404 and missing.json() == {"message": "Tracker 999 was not found."}
    assert http.post(f"{base}/tracker", json=RELEASE, timeout=10).status_code == 201
    clash = http.put(f"{base}/tracker/{first['id']}", json=RELEASE, timeout=10)
    assert clash.status_code == 409


def test_trackers_belong_to_their_app(http, server):
    mine = http.post(f"{http.base}/v1/manage/tracker", json=BUDGET, timeout=10).json()["tracker"]
    other = token_session(server.url, app_id="other-app")
    assert other.get(f"{server.url}/v1/manage/trackers", timeout=10).json() == {"trackers": []}
    for method in ("get", "put", "delete"):
        answer = getattr(other, method)(
            f"{server.url}/v1/manage/tracker/{mine['id']}", json=BUDGET, timeout=10
        )
        assert answer.status_code == 404
    # The same name is free in another app.
    assert other.post(f"{server.url}/v1/manage/tracker", json=BUDGET, timeout=10).status_code == 201
    assert http.get(f"{http.base}/v1/manage/tracker/{mine['id']}", timeout=10).json() == {"tracker": mine}


# --- formatted transcript ------------------------------------------------------------------------------


def test_markdown_transcript_with_speakers_and_paragraphs(http):
    conversation = _submit(http)
    plain = http.post(f"{conversation}/transcript", json={"contentType": "text/markdown"}, timeout=10).json()
    texts = [m["payload"]["content"] for m in MESSAGES]
    assert plain == {"transcript": {"payload": "<br/><br/>".join(texts), "contentType": "text/markdown"}}
    asked = {"contentType": "text/markdown", "showSpeakerSeparation": True, "createParagraphs": True}
    rich = http.post(f"{conversation}/transcript", json=asked, timeout=10).json()["transcript"]["payload"]
    assert rich.split("<br/><br/>") == [
        f"Priya Patel: {texts[0]}",
        f"Marco Rossi: {texts[1]}",
        f"Priya Patel: {texts[2]}",
    ]


def test_srt_transcript_is_timed_from_the_conversation_start(http):
    conversation = _submit(http)
    asked = {"contentType": "text/srt", "showSpeakerSeparation": True}
    answer = http.post(f"{conversation}/transcript", json=asked, timeout=10).json()["transcript"]
    assert answer["contentType"] == "text/srt"
    assert answer["payload"].split("\n\n")[0] == (
        "1\n00:00:00,000 --> 00:00:05,000\nPriya Patel: " + MESSAGES[0]["payload"]["content"]
    )
    assert "3\n00:01:12,000 --> 00:01:14,250\n" in answer["payload"]


def test_srt_of_untimed_messages_is_a_400(http, server):
    conversation = _submit(http)
    conversation_id = conversation.rsplit("/", 1)[1]

    def untime(stored: dict) -> None:
        for message in stored["messages"]:
            message.pop("startTime")

    server.app.extensions["symbl_engine"].store.update_conversation(conversation_id, None, untime)
    answer = http.post(f"{conversation}/transcript", json={"contentType": "text/srt"}, timeout=10)
    assert answer.status_code == 400 and "startTime" in answer.json()["message"]
    markdown = http.post(f"{conversation}/transcript", json={"contentType": "text/markdown"}, timeout=10)
    assert markdown.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "contentType"),
        ({"contentType": "text/html"}, "contentType"),
        ({"contentType": "text/srt", "showSpeakerSeparation": "yes"}, "showSpeakerSeparation"),
        ({"contentType": "text/markdown", "phrases": {"highlightAllKeyPhrases": 1}}, "phrases.highlight"),
        ([], "JSON object"),
    ],
)
def test_a_bad_transcript_body_is_a_400_naming_the_field(http, body, field):
    conversation = _submit(http)
    answer = http.post(f"{conversation}/transcript", json=body, timeout=10)
    assert answer.status_code == 400 and field in answer.json()["message"]


# --- errors and tenancy of the conversation reads ------------------------------------------------------


def test_unknown_other_apps_and_unauthenticated_requests(http, server):
    conversation = _submit(http, detectEntities=True, trackers=[BUDGET])
    other = token_session(server.url, app_id="other-app")
    anonymous = http.__class__()
    reads = [
        ("get", "entities", None),
        ("get", "trackers", None),
        ("post", "transcript", {"contentType": "text/srt"}),
    ]
    for method, path, body in reads:
        missing = getattr(http, method)(f"{http.base}/v1/conversations/404/{path}", json=body, timeout=10)
        assert missing.status_code == 404 and "404 was not found" in missing.json()["message"]
        assert getattr(other, method)(f"{conversation}/{path}", json=body, timeout=10).status_code == 404
        assert getattr(anonymous, method)(f"{conversation}/{path}", json=body, timeout=10).status_code == 401
    assert anonymous.get(f"{http.base}/v1/manage/trackers", timeout=10).status_code == 401
