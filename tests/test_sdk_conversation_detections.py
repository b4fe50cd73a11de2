"""The official `symbl` SDK's `Conversation.get_entities()` and `get_trackers()` against our engine (contract
§5.9, §5.11, §7.5), run as tests/test_sdk_conversation_updates.py runs its calls: in a subprocess, the SDK
redirected before `import symbl`, its 30 s job-poll sleep shortened. The SDK parses the answers into its
own models (and entities further into a snake_case dict): a shape it could not read would come back as its
fixed error dict. The formatted transcript has no SDK call that reaches the network (§5.15)."""

from __future__ import annotations

import json

from tests.engine_api_support import SDK_PREAMBLE, run_sdk_script

SCRIPT = (
    SDK_PREAMBLE
    + r"""
credentials = {"app_id": "local", "app_secret": "local"}
payload = {
    "messages": [
        {"payload": {"content": "Marco, please get budget approval for the $12,000 laptops by Thursday."},
         "from": {"id": "u-priya", "name": "Priya Patel", "userId": "priya@example.com"},
         "duration": {"startTime": "2026-03-02T09:00:00.000Z", "endTime": "2026-03-02T09:00:05.000Z"}},
        {"payload": {"content": "Sure, the marketing director approved the budget."},
         "from": {"id": "u-marco", "name": "Marco Rossi", "userId": "marco@example.com"},
         "duration": {"startTime": "2026-03-02T09:00:05.000Z", "endTime": "2026-03-02T09:00:09.000Z"}},
    ],
    "detectEntities": True,
    "entities": [{"customType": "Executive", "text": "marketing director"}],
    "trackers": [{"name": "Budget", "vocabulary": ["budget approval"]}],
}
conversation = symbl.Text.process(payload=payload, credentials=credentials)
entities = conversation.get_entities()
trackers = conversation.get_trackers()
answer = {"entities": entities, "trackers": [t.to_dict() for t in trackers]}
print(json.dumps(answer, default=str), flush=True)
"""
)


def test_the_official_sdk_reads_entities_and_trackers(tmp_path):
    stdout = run_sdk_script(SCRIPT, tmp_path)
    answer = json.loads(stdout.splitlines()[-1])

    entities = answer["entities"]["entities"]  # the SDK's plain dict: snake_case keys, dates as datetimes
    by_type = {e["type"]: e for e in entities}
    assert by_type["date"]["value"] == "2026-03-05 00:00:00" and by_type["date"]["text"] == "Thursday"
    assert by_type["money"]["value"] == "12000 USD"
    assert by_type["person"]["value"] == "Marco Rossi"
    custom = by_type["custom"]
    assert custom["custom_type"] == "Executive" and custom["message_refs"][0]["offset"] == 10

    (budget,) = answer["trackers"]
    assert budget["name"] == "Budget" and budget["id"]
    assert [m["value"] for m in budget["matches"]] == ["budget approval"]
    refs = budget["matches"][0]["message_refs"]
    assert [r["offset"] for r in refs] == [18, 29]  # exact, then "approved the budget" (similar)
