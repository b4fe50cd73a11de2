"""`GET …/analytics`, `PUT …/members/{memberId}` and `PUT …/speakers` of the engine, over real HTTP (contract
§5.10, §5.14): the shapes, what an edit changes everywhere, and the 4xx answers with a message. Conversations
come from the Text API (no speech-to-text); the 409 case holds a scripted audio job open."""

from __future__ import annotations

import pytest

from bot.providers.symbl import Conversation, SymblClient
from bot.slack.render.summary import render_summary
from tests.engine_api_support import SAMPLE, token_session
from tests.support.wait import wait_until

MESSAGES = [
    {
        "id": "m-1",
        "payload": {"content": "Marco, please send the release notes by Thursday."},
        "from": {"id": "u-priya", "name": "Priya Patel", "userId": "priya@example.org"},
        "duration": {"startTime": "2026-03-02T09:00:00.000Z", "endTime": "2026-03-02T09:00:05.000Z"},
    },
    {
        "id": "m-2",
        "payload": {"content": "Sure, I will send the release notes to the whole team tomorrow morning."},
        "from": {"id": "u-marco", "name": "Marco Rossi", "userId": "marco@example.org"},
        "duration": {"startTime": "2026-03-02T09:00:04.000Z", "endTime": "2026-03-02T09:00:10.000Z"},
    },
    {
        "id": "m-3",
        "payload": {"content": "Did the login bug get fixed in the last build?"},
        "from": {"id": "u-priya", "name": "Priya Patel", "userId": "priya@example.org"},
        "duration": {"startTime": "2026-03-02T09:00:12.000Z", "endTime": "2026-03-02T09:00:14.000Z"},
    },
]


@pytest.fixture
def http(server):
    session = token_session(server.url)
    session.base = server.url  # type: ignore[attr-defined]
    return session


@pytest.fixture
def conversation(http) -> str:
    """A completed Text API conversation's base URL."""
    ids = http.post(f"{http.base}/v1/process/text", json={"messages": MESSAGES}, timeout=10).json()
    status = wait_until(
        lambda: (
            (s := http.get(f"{http.base}/v1/job/{ids['jobId']}", timeout=10).json()["status"])
            in ("completed", "failed")
            and s
        )
    )
    assert status == "completed"
    return f"{http.base}/v1/conversations/{ids['conversationId']}"


def _people(http, base: str) -> dict:
    """Every place a person is stored, as the API answers them."""
    action_items = http.get(f"{base}/action-items", timeout=10).json()["actionItems"]
    return {
        "messages": [m["from"] for m in http.get(f"{base}/messages", timeout=10).json()["messages"]],
        "members": http.get(f"{base}/members", timeout=10).json()["members"],
        "metadata": http.get(base, timeout=10).json()["members"],
        "action_items": action_items,
        "questions": http.get(f"{base}/questions", timeout=10).json()["questions"],
        "summary": http.get(f"{base}/summary", timeout=10).json()["summary"],
    }


# --- analytics -------------------------------------------------------------------------------------------


def test_analytics_measures_the_stored_messages_in_symbls_shape(http, conversation):
    answer = http.get(f"{conversation}/analytics", timeout=10)
    assert answer.status_code == 200
    body = answer.json()
    metrics = {m["type"]: m for m in body["metrics"]}
    assert metrics["total_talk_time"] == {"type": "total_talk_time", "percent": 85.71, "seconds": 12.0}
    assert metrics["total_silence"] == {"type": "total_silence", "percent": 14.29, "seconds": 2.0}
    assert metrics["total_overlap"] == {"type": "total_overlap", "percent": 7.14, "seconds": 1.0}

    priya, marco = body["members"]
    assert set(priya) == {"id", "name", "userId", "pace", "talkTime", "listenTime", "overlap"}
    assert (priya["id"], priya["name"], priya["userId"]) == ("u-priya", "Priya Patel", "priya@example.org")
    assert priya["talkTime"] == {"percentage": 50.0, "seconds": 7.0}
    assert priya["listenTime"] == {"percentage": 50.0, "seconds": 7.0}
    assert priya["pace"]["wpm"] > 0
    assert priya["overlap"]["overlapDuration"] == 1.0
    assert priya["overlap"]["overlappingMembers"] == [
        {
            "id": "u-marco",
            "name": "Marco Rossi",
            "userId": "marco@example.org",
            "percent": 14.29,
            "seconds": 1.0,
        }
    ]
    assert marco["talkTime"]["seconds"] == 6.0


def test_the_note_shows_each_speakers_share_of_the_talk_time(http, conversation):
    """The bot's client fetches analytics with the insights, and the note's speakers line carries the shares
    (Priya talked 7 s, Marco 6 s)."""
    client = SymblClient(http.base, app_id="a", app_secret="b")
    conversation_id = conversation.rsplit("/", 1)[1]
    insights = client.fetch_insights(conversation_id)
    assert [m["talkTime"]["seconds"] for m in insights["analytics"]["members"]] == [7.0, 6.0]
    assert Conversation(conversation_id, client=client).get_analytics() == insights["analytics"]
    [message] = render_summary(insights, title="sync", recording_id=1)
    assert "Priya Patel 54%, Marco Rossi 46%" in message.blocks[1]["elements"][0]["text"]


def test_analytics_of_an_untimed_text_conversation_is_filled_in_not_an_error(http):
    untimed = [{"payload": {"content": "Hello everyone."}, "from": {"name": "Ann"}}]
    ids = http.post(f"{http.base}/v1/process/text", json={"messages": untimed}, timeout=10).json()
    wait_until(
        lambda: http.get(f"{http.base}/v1/job/{ids['jobId']}", timeout=10).json()["status"] == "completed"
    )
    body = http.get(f"{http.base}/v1/conversations/{ids['conversationId']}/analytics", timeout=10).json()
    assert [m["type"] for m in body["metrics"]] == ["total_talk_time", "total_silence", "total_overlap"]
    assert [m["name"] for m in body["members"]] == ["Ann"]


# --- PUT members -----------------------------------------------------------------------------------------


def test_renaming_a_member_renames_them_everywhere(http, conversation):
    before = _people(http, conversation)
    assert any(item["assignee"].get("id") == "u-marco" for item in before["action_items"])

    body = {"id": "u-marco", "name": "Marco Bianchi", "email": "mb@example.org"}
    answer = http.put(f"{conversation}/members/u-marco", json=body, timeout=10)
    assert answer.status_code == 200 and "Marco Bianchi" in answer.json()["message"]

    after = _people(http, conversation)
    marco = {"id": "u-marco", "name": "Marco Bianchi", "email": "mb@example.org"}
    assert after["messages"][1] == marco and after["messages"][0]["name"] == "Priya Patel"
    assert marco in after["members"] and marco in after["metadata"]
    for item in after["action_items"]:
        for person in (
            item["assignee"],
            item["from"],
            *[e["value"] for e in item["entities"] if e["type"] == "person"],
        ):
            if person.get("id") == "u-marco":
                assert person["name"] == "Marco Bianchi"
                assert person.get("email", person.get("userId")) == "mb@example.org"
    assert "Marco Rossi" not in str(after["action_items"]) + str(after["summary"]) + str(after["members"])
    # Analytics read the renamed member too.
    names = [m["name"] for m in http.get(f"{conversation}/analytics", timeout=10).json()["members"]]
    assert names == ["Priya Patel", "Marco Bianchi"]


def test_renaming_keeps_the_email_when_none_is_sent(http, conversation):
    assert (
        http.put(f"{conversation}/members/u-priya", json={"name": "Priya R."}, timeout=10).status_code == 200
    )
    members = http.get(f"{conversation}/members", timeout=10).json()["members"]
    assert {"id": "u-priya", "name": "Priya R.", "email": "priya@example.org"} in members


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("not json", "JSON object"),
        ([], "JSON object"),
        ({}, "name"),
        ({"name": "  "}, "name"),
        ({"name": 5}, "name must be a string"),
        ({"name": "X", "email": ["x"]}, "email must be a string"),
        ({"id": "u-priya", "name": "X"}, "does not match"),
    ],
)
def test_a_bad_member_body_is_a_400_with_a_message(http, conversation, body, says):
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    answer = http.put(f"{conversation}/members/u-marco", timeout=10, **kwargs)
    assert answer.status_code == 400 and says in answer.json()["message"]


def test_an_unknown_member_is_a_404_with_a_message(http, conversation):
    answer = http.put(f"{conversation}/members/u-nobody", json={"name": "X"}, timeout=10)
    assert answer.status_code == 404 and "u-nobody" in answer.json()["message"]


# --- PUT speakers ----------------------------------------------------------------------------------------


def _event(kind: str, user: dict, seconds: float, nanos: int = 0) -> dict:
    return {"type": kind, "user": user, "offset": {"seconds": seconds, "nanos": nanos}}


def test_speaker_events_reassign_messages_from_their_offset_on(http, conversation):
    alex = {"id": "u-alex", "name": "Alex Kim", "email": "alex@example.org"}
    events = {
        "speakerEvents": [
            _event("started_speaking", alex, 3, 500_000_000),  # 3.5 s: after m-1 started, before m-2
            _event("stopped_speaking", alex, 11),  # m-3 (12 s) keeps its speaker
        ]
    }
    answer = http.put(f"{conversation}/speakers", json=events, timeout=10)
    assert answer.status_code == 200 and "1 message" in answer.json()["message"]

    people = _people(http, conversation)
    assert [m["id"] for m in people["messages"]] == ["u-priya", "u-alex", "u-priya"]
    assert people["messages"][1] == alex
    assert sorted(m["name"] for m in people["members"]) == ["Alex Kim", "Priya Patel"]
    # Who said an item follows the message they said it in; the assignee (who it is for) does not.
    (item,) = [i for i in people["action_items"] if i["messageIds"] == ["m-1", "m-2"]]
    assert item["from"] == {"id": "u-alex", "name": "Alex Kim", "userId": "alex@example.org"}
    assert item["assignee"]["id"] == "u-marco"
    assert people["questions"][0]["from"]["id"] == "u-priya"
    analytics = http.get(f"{conversation}/analytics", timeout=10).json()
    assert [m["name"] for m in analytics["members"]] == ["Priya Patel", "Alex Kim"]


def test_a_speaker_sent_without_an_id_gets_one_and_a_known_one_is_completed(http, conversation):
    events = {
        "speakerEvents": [
            _event("started_speaking", {"name": "Dana"}, 0),
            _event("started_speaking", {"id": "u-marco"}, 12),  # a member: its name and e-mail are kept
        ]
    }
    assert http.put(f"{conversation}/speakers", json=events, timeout=10).status_code == 200
    speakers = [m["from"] for m in http.get(f"{conversation}/messages", timeout=10).json()["messages"]]
    assert speakers[0]["name"] == speakers[1]["name"] == "Dana" and speakers[0]["id"] == speakers[1]["id"]
    assert speakers[2] == {"id": "u-marco", "name": "Marco Rossi", "email": "marco@example.org"}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("not json", "speakerEvents"),
        ({}, "speakerEvents"),
        ({"speakerEvents": []}, "at least one event"),
        ({"speakerEvents": ["x"]}, "speakerEvents[0] must be an object"),
        ({"speakerEvents": [_event("spoke", {"name": "A"}, 1)]}, "speakerEvents[0].type"),
        ({"speakerEvents": [_event("started_speaking", "A", 1)]}, "speakerEvents[0].user"),
        ({"speakerEvents": [_event("started_speaking", {}, 1)]}, "needs an id, a name or an email"),
        ({"speakerEvents": [_event("started_speaking", {"name": "A"}, -1)]}, "offset.seconds"),
        ({"speakerEvents": [_event("started_speaking", {"name": "A"}, "soon")]}, "offset.seconds"),
        ({"speakerEvents": [_event("started_speaking", {"name": "A"}, 1, 2_000_000_000)]}, "offset.nanos"),
        ({"speakerEvents": [{"type": "started_speaking", "user": {"name": "A"}}]}, "offset must be"),
    ],
)
def test_a_bad_speakers_body_is_a_400_naming_the_problem(http, conversation, body, says):
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    answer = http.put(f"{conversation}/speakers", timeout=10, **kwargs)
    assert answer.status_code == 400 and says in answer.json()["message"]


# --- scope and state -------------------------------------------------------------------------------------


def test_unknown_or_another_tenants_conversation_is_a_404_for_all_three(http, server, conversation):
    stranger = token_session(server.url, app_id="someone-else")
    speakers = {"speakerEvents": [_event("started_speaking", {"name": "A"}, 0)]}
    for session, base in ((http, f"{http.base}/v1/conversations/404404"), (stranger, conversation)):
        for answer in (
            session.get(f"{base}/analytics", timeout=10),
            session.put(f"{base}/members/u-marco", json={"name": "X"}, timeout=10),
            session.put(f"{base}/speakers", json=speakers, timeout=10),
        ):
            assert answer.status_code == 404 and "was not found" in answer.json()["message"]
    # The stranger changed nothing.
    assert "Marco Rossi" in str(http.get(f"{conversation}/members", timeout=10).json())


def test_without_a_token_the_edits_are_a_401(server, conversation):
    import requests

    answer = requests.put(f"{conversation}/members/u-marco", json={"name": "X"}, timeout=10)
    assert answer.status_code == 401 and answer.json()["message"]


def test_an_edit_while_a_job_runs_is_a_409_and_changes_nothing(http, conversation, engine):
    engine.gate.clear()
    try:
        append = http.put(
            conversation.replace("/v1/conversations/", "/v1/process/audio/"),
            data=SAMPLE.read_bytes(),
            timeout=30,
        )
        assert append.status_code in (200, 201, 202)
        assert engine.started.wait(30)
        answer = http.put(f"{conversation}/members/u-marco", json={"name": "X"}, timeout=10)
        assert answer.status_code == 409 and "still being processed" in answer.json()["message"]
    finally:
        engine.gate.set()
    job = append.json()["jobId"]
    wait_until(lambda: http.get(f"{http.base}/v1/job/{job}", timeout=10).json()["status"] == "completed")
    assert "Marco Rossi" in str(http.get(f"{conversation}/members", timeout=10).json())
