"""The official `symbl` SDK's `symbl.Text.process` / `append` against our engine's Text API, run as
tests/test_sdk_conformance.py runs the Audio calls: in a subprocess, the SDK redirected before `import symbl`,
its 30 s job-poll sleep shortened inside `symbl.jobs_api.Job` only. Text jobs need no speech model."""

from __future__ import annotations

import json

from tests.engine_api_support import SDK_PREAMBLE, run_sdk_script

SCRIPT = (
    SDK_PREAMBLE
    + r"""
credentials = {"app_id": "local", "app_secret": "local"}
payload = {
    "name": "text meeting",
    "detectPhrases": True,
    "messages": [
        {"payload": {"content": "Marco, please send the release notes by Thursday.",
                     "contentType": "text/plain"},
         "from": {"name": "Priya Patel", "userId": "priya@example.com"},
         "duration": {"startTime": "2026-03-02T09:00:00.000Z", "endTime": "2026-03-02T09:00:04.000Z"}},
        {"payload": {"content": "Sure, I will send the release notes to the whole team tomorrow.",
                     "contentType": "text/plain"},
         "from": {"name": "Marco Rossi", "userId": "marco@example.com"},
         "duration": {"startTime": "2026-03-02T09:00:05.000Z", "endTime": "2026-03-02T09:00:09.000Z"}},
    ],
}
conversation = symbl.Text.process(payload=payload, credentials=credentials)
messages = conversation.get_messages().messages
print(json.dumps({
    "step": "process", "status": conversation.get_job_status(),
    "conversation_id": conversation.get_conversation_id(),
    "messages": [m.text for m in messages], "speakers": [m._from.name for m in messages],
    "emails": [m._from.email for m in messages], "start": str(messages[0].start_time),
    "action_items": [a.text for a in conversation.get_action_items().action_items],
    "members": [m.name for m in conversation.get_members().members],
    "name": conversation.get_conversation().name,
}), flush=True)

more = {"messages": [{"payload": {"content": "And I will fix the payment crash before Friday."},
                      "from": {"name": "Marco Rossi", "userId": "marco@example.com"}}]}
appended = symbl.Text.append(payload=more, conversation_id=conversation.get_conversation_id(),
                             credentials=credentials)
print(json.dumps({"step": "append", "status": appended.get_job_status(),
                  "conversation_id": appended.get_conversation_id(),
                  "messages": len(appended.get_messages().messages)}), flush=True)
"""
)


def test_the_official_sdk_text_calls_work_against_our_engine(tmp_path):
    stdout = run_sdk_script(SCRIPT, tmp_path)
    steps = {s["step"]: s for s in map(json.loads, stdout.splitlines())}

    first = steps["process"]
    assert first["status"] == "completed" and first["name"] == "text meeting"
    assert first["messages"][0] == "Marco, please send the release notes by Thursday."
    assert first["speakers"] == ["Priya Patel", "Marco Rossi"]
    assert first["emails"] == ["priya@example.com", "marco@example.com"]
    assert first["start"].startswith("2026-03-02 09:00:00")
    assert any("release notes" in a.lower() for a in first["action_items"])
    assert sorted(first["members"]) == ["Marco Rossi", "Priya Patel"]

    append = steps["append"]
    assert append["status"] == "completed" and append["conversation_id"] == first["conversation_id"]
    assert append["messages"] == 3
