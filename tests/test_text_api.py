"""The Text API (`POST /v1/process/text`, `PUT /v1/process/text/{id}`) and the Summary API
(`GET /v1/conversations/{id}/summary`) of the engine, over real HTTP, through bare requests, our client
and the SDK-shaped `bot.providers.symbl.Text`. Text jobs need no speech-to-text: the real queue, store and
insights run."""

from __future__ import annotations

import pytest

from bot.errors import BadRequest, NotFound
from bot.providers.symbl import SymblClient, Text
from tests.engine_api_support import SAMPLE, finished_job, token_session
from tests.support.wait import wait_until

MESSAGES = [
    {
        "id": "m-1",
        "payload": {
            "content": "Good morning. Marco, please send the release notes by Thursday.",
            "contentType": "text/plain",
        },
        "from": {"id": "u-priya", "name": "Priya Patel", "userId": "priya@example.org"},
        "duration": {"startTime": "2026-03-02T09:00:00.000Z", "endTime": "2026-03-02T09:00:05.000Z"},
    },
    {
        "id": "m-2",
        "payload": {"content": "Sure, I will send the release notes to the whole team tomorrow morning."},
        "from": {"id": "u-marco", "name": "Marco Rossi", "userId": "marco@example.org"},
        "duration": {"startTime": "2026-03-02T09:00:06.000Z", "endTime": "2026-03-02T09:00:10.000Z"},
    },
    {
        "payload": {
            "content": "The payment crash on checkout is the main blocker for the release this week."
        },
        "from": {"name": "Priya Patel", "userId": "priya@example.org"},
    },
]


@pytest.fixture
def http(server):
    session = token_session(server.url)
    session.base = server.url  # type: ignore[attr-defined]
    return session


def test_text_submission_keeps_ids_times_and_speakers_and_yields_insights(http):
    answer = http.post(
        f"{http.base}/v1/process/text", json={"name": "standup", "messages": MESSAGES}, timeout=10
    )
    assert answer.status_code == 201
    ids = answer.json()
    assert finished_job(http, http.base, ids["jobId"])["status"] == "completed"
    base = f"{http.base}/v1/conversations/{ids['conversationId']}"

    messages = http.get(f"{base}/messages", timeout=10).json()["messages"]
    assert [m["id"] for m in messages[:2]] == ["m-1", "m-2"]
    assert messages[0]["from"] == {"id": "u-priya", "name": "Priya Patel", "email": "priya@example.org"}
    assert (
        messages[0]["startTime"] == "2026-03-02T09:00:00.000Z"
        and messages[0]["endTime"] == "2026-03-02T09:00:05.000Z"
    )
    # Untimed: placed after the previous message, as long as its words take to say.
    assert messages[2]["startTime"] == "2026-03-02T09:00:10.000Z" and messages[2]["duration"] > 1
    assert messages[2]["id"] and messages[2]["from"]["name"] == "Priya Patel"

    metadata = http.get(base, timeout=10).json()
    assert metadata["name"] == "standup" and metadata["startTime"] == "2026-03-02T09:00:00.000Z"
    members = {m["name"] for m in http.get(f"{base}/members", timeout=10).json()["members"]}
    assert members == {"Priya Patel", "Marco Rossi"}
    actions = http.get(f"{base}/action-items", timeout=10).json()["actionItems"]
    assert any("release notes" in a["text"].lower() for a in actions)

    summary = http.get(f"{base}/summary", timeout=10).json()["summary"]
    assert summary and all(set(item) == {"id", "text", "messageRefs"} for item in summary)
    sent_ids = {m["id"] for m in messages}
    assert all(ref["id"] in sent_ids for item in summary for ref in item["messageRefs"])
    # Owners by name: action items speak of people by first name ("Marco will send …").
    assert any("Priya" in item["text"] or "Marco" in item["text"] for item in summary)


def test_text_append_goes_after_the_conversation_and_reruns_insights(http):
    first = http.post(f"{http.base}/v1/process/text", json={"messages": MESSAGES[:2]}, timeout=10).json()
    finished_job(http, http.base, first["jobId"])
    later = [
        {
            "payload": {"content": "Let us also review the payment crash fix on Friday with the whole team."},
            "from": {"name": "Marco Rossi"},
        }
    ]
    answer = http.put(
        f"{http.base}/v1/process/text/{first['conversationId']}", json={"messages": later}, timeout=10
    )
    assert answer.status_code == 200 and answer.json()["conversationId"] == first["conversationId"]
    assert finished_job(http, http.base, answer.json()["jobId"])["status"] == "completed"
    messages = http.get(
        f"{http.base}/v1/conversations/{first['conversationId']}/messages", timeout=10
    ).json()["messages"]
    assert len(messages) == 3
    assert messages[2]["startTime"] >= messages[1]["endTime"]


def test_appending_text_to_an_unknown_conversation_is_404(http):
    answer = http.put(
        f"{http.base}/v1/process/text/1234567890123456", json={"messages": MESSAGES}, timeout=10
    )
    assert answer.status_code == 404 and "1234567890123456" in answer.json()["message"]


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"from": {"name": "A"}}]}, "messages[0]: payload.content"),
        ({"messages": [{"payload": {"content": "hi", "contentType": "text/html"}}]}, "contentType"),
        ({"messages": [{"payload": {"content": "hi"}, "duration": {"startTime": "yesterday"}}]}, "ISO 8601"),
        (
            {
                "messages": [
                    {
                        "payload": {"content": "hi"},
                        "duration": {"startTime": "2026-01-01T10:00:00Z", "endTime": "2026-01-01T09:00:00Z"},
                    }
                ]
            },
            "before",
        ),
        ({"messages": MESSAGES, "confidenceThreshold": 3}, "confidenceThreshold"),
        ({"messages": MESSAGES, "detectPhrases": "maybe"}, "detectPhrases"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_text_bodies_are_400_naming_the_problem(http, body, fragment):
    answer = http.post(f"{http.base}/v1/process/text", json=body, timeout=10)
    assert answer.status_code == 400
    assert fragment in answer.json()["message"]


def test_a_text_body_that_is_not_json_is_400(http):
    answer = http.post(f"{http.base}/v1/process/text", data=b"hello", timeout=10)
    assert answer.status_code == 400 and "JSON" in answer.json()["message"]


def test_summary_is_404_while_the_job_runs_and_refresh_regenerates(http, engine):
    engine.gate.clear()  # hold the audio job in_progress
    held = http.post(f"{http.base}/v1/process/audio", data=SAMPLE.read_bytes(), timeout=30).json()
    wait_until(lambda: engine.started.is_set())
    pending = http.get(f"{http.base}/v1/conversations/{held['conversationId']}/summary", timeout=10)
    assert pending.status_code == 404 and "not ready" in pending.json()["message"]
    engine.gate.set()
    finished_job(http, http.base, held["jobId"])
    url = f"{http.base}/v1/conversations/{held['conversationId']}/summary"
    stored = http.get(url, timeout=10).json()["summary"]
    refreshed = http.get(url, params={"refresh": "true"}, timeout=10).json()["summary"]
    assert refreshed == stored  # same transcript, same summary, same ids
    assert http.get(url, params={"refresh": "sometimes"}, timeout=10).status_code == 400
    assert http.get(f"{http.base}/v1/conversations/9999999999999999/summary", timeout=10).status_code == 404


def test_our_client_and_the_sdk_shaped_text_api(server):
    client = SymblClient(server.url, "local", "local")
    conversation = Text(client).process(
        {"messages": MESSAGES, "name": "by sdk"}, parameters={"detectPhrases": True}
    )
    assert conversation.get_job_status() == "completed"
    assert [m["id"] for m in conversation.get_messages()][:2] == ["m-1", "m-2"]
    summary = conversation.get_summary()
    assert summary and summary == conversation.get_summary(refresh=True)
    appended = Text(client).append(
        {"messages": [{"payload": {"content": "One more point about the release notes."}}]},
        conversation.get_conversation_id(),
    )
    assert appended.get_job_status() == "completed" and len(appended.get_messages()) == 4
    with pytest.raises(BadRequest, match="payload.content"):
        client.submit_text([{"payload": {}}])
    with pytest.raises(NotFound):
        client.append_text(MESSAGES, "1111111111111111")
    with pytest.raises(ValueError, match="messages"):
        Text(client).process({"name": "nothing"})
