"""The official `symbl` SDK's `Conversation.get_analytics()`, `put_members(...)` and
`put_speakers_events(...)` against our engine (contract §5.10, §5.14, §7.5), run as
tests/test_sdk_text_conformance.py runs the Text calls: in a subprocess, the SDK redirected before
`import symbl`, its 30 s job-poll sleep shortened inside `symbl.jobs_api.Job` only. The models the SDK
parses the answers into are its own: a shape it cannot read
would come back as its fixed error dict.

symbl 2.0.6's two `put_*` wrappers never send their request (they call symbl-rest with the arguments in the
wrong order, and swallow the TypeError): the test shows that, then makes the same calls through the SDK's
REST layer (`symbl_rest.ConversationsApi`, the methods the wrappers mean to call, with the SDK's token)."""

from __future__ import annotations

import json

from tests.engine_api_support import SDK_PREAMBLE, run_sdk_script

SCRIPT = (
    SDK_PREAMBLE
    + r"""
credentials = {"app_id": "local", "app_secret": "local"}
payload = {"messages": [
    {"payload": {"content": "Marco, please send the release notes by Thursday."},
     "from": {"id": "u-priya", "name": "Priya Patel", "userId": "priya@example.com"},
     "duration": {"startTime": "2026-03-02T09:00:00.000Z", "endTime": "2026-03-02T09:00:05.000Z"}},
    {"payload": {"content": "Sure, I will send the release notes to the whole team tomorrow."},
     "from": {"id": "u-marco", "name": "Marco Rossi", "userId": "marco@example.com"},
     "duration": {"startTime": "2026-03-02T09:00:04.000Z", "endTime": "2026-03-02T09:00:10.000Z"}},
]}
conversation = symbl.Text.process(payload=payload, credentials=credentials)

analytics = conversation.get_analytics()
print(json.dumps({"step": "analytics", "body": analytics.to_dict()}), flush=True)

# symbl 2.0.6's own `put_members` / `put_speakers_events` pass their arguments to symbl-rest in the wrong
# order: a TypeError before any request, swallowed into the fixed error dict (§5.14). They are called to
# show that, then the same operations go through the SDK's REST layer, as the SDK means to call them.
broken = [conversation.put_members("u-marco", {"id": "u-marco", "name": "Never Sent"}),
          conversation.put_speakers_events({"speakerEvents": []})]
print(json.dumps({"step": "sdk_wrappers", "answers": broken,
                  "members": [m.name for m in conversation.get_members().members]}), flush=True)

from symbl_rest.api.conversations_api import ConversationsApi
from symbl_rest.rest import ApiException

rest = ConversationsApi()  # made after the SDK's first call: it carries the SDK's token
conversation_id = conversation.get_conversation_id()
renamed = rest.put_members_information_by_members_id(
    {"id": "u-marco", "name": "Marco Bianchi", "email": "mb@example.com"}, conversation_id, "u-marco")
try:
    rest.put_members_information_by_members_id({"name": "X"}, conversation_id, "u-nobody")
    unknown = None
except ApiException as err:
    unknown = {"status": err.status, "body": json.loads(err.body)}
print(json.dumps({"step": "put_members", "message": renamed.message, "unknown": unknown,
                  "members": [m.to_dict() for m in conversation.get_members().members]}), flush=True)

events = {"speakerEvents": [{"type": "started_speaking",
                             "user": {"id": "u-alex", "name": "Alex Kim", "email": "alex@example.com"},
                             "offset": {"seconds": 3, "nanos": 0}}]}
moved = rest.put_speakers_event_by_conversation_id(events, conversation_id)
print(json.dumps({"step": "put_speakers_events", "message": moved.message,
                  "speakers": [m._from.name for m in conversation.get_messages().messages],
                  "analytics": [m.name for m in conversation.get_analytics().members]}), flush=True)
"""
)


def test_the_official_sdk_reads_analytics_and_edits_speakers(tmp_path):
    stdout = run_sdk_script(SCRIPT, tmp_path)
    steps = {s["step"]: s for s in map(json.loads, stdout.splitlines())}

    analytics = steps["analytics"]["body"]
    metrics = {m["type"]: (m["seconds"], m["percent"]) for m in analytics["metrics"]}
    assert metrics == {
        "total_talk_time": (10.0, 100.0),
        "total_silence": (0.0, 0.0),
        "total_overlap": (1.0, 10.0),
    }
    priya = analytics["members"][0]
    assert (priya["name"], priya["user_id"]) == ("Priya Patel", "priya@example.com")
    assert priya["talk_time"] == {"percentage": 50.0, "seconds": 5.0}
    assert priya["listen_time"] == {"percentage": 50.0, "seconds": 5.0}
    assert priya["pace"]["wpm"] > 0
    assert priya["overlap"]["overlap_duration"] == 1.0
    assert priya["overlap"]["overlapping_members"][0]["name"] == "Marco Rossi"

    wrappers = steps["sdk_wrappers"]
    assert wrappers["answers"] == [{"message": "The conversationId is either invalid or does not exist."}] * 2
    assert "Never Sent" not in wrappers["members"]

    members = steps["put_members"]
    assert "Marco Bianchi" in members["message"]
    assert {"id": "u-marco", "name": "Marco Bianchi", "email": "mb@example.com"} in members["members"]
    assert members["unknown"]["status"] == 404 and "u-nobody" in members["unknown"]["body"]["message"]

    speakers = steps["put_speakers_events"]
    assert "1 message" in speakers["message"]
    assert speakers["speakers"] == ["Priya Patel", "Alex Kim"]
    assert speakers["analytics"] == ["Priya Patel", "Alex Kim"]
