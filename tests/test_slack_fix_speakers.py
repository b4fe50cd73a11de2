""" "Fix speakers" (issue 25 item 1): who is who, from the thread, end to end.

Signed interactions go to the running bot over HTTP; Slack is the strict fake (views.open takes only a fresh
trigger it issued, and checks the modal as Slack does), the provider is the StubSymbl, which renames members
as the engine does (the engine's own endpoint is exercised through the client at the end).

Workspace: #general (C0CHAN) holds Dana and Bob Stone; Mallory is in no channel.
"""

from __future__ import annotations

import copy
import json

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import NotFound
from bot.providers.symbl import SymblClient
from bot.slack import speakers
from bot.slack.render import speakers as wording
from bot.slack.render.summary import FIX_SPEAKERS_ACTION, FIX_SPEAKERS_PROMPT, render_summary
from storage import conversations as convs
from storage import open_store, speaker_names
from storage import recordings as repo
from storage.admin import forget_conversation
from storage.speaker_names import SpeakerName
from tests.engine_api_support import token_session
from tests.slack_fakes import (
    BOT_TOKEN,
    block_action,
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    interaction,
    running_bot,
    view_submission,
    wait_for,
)
from tests.support.slack import FakeSlack, validate_view
from tests.support.symbl import StubSymbl
from tests.support.wait import wait_until

CHANNEL, TS = "C0CHAN", "1699999999.000200"
AUDIO = b"ID3" + b"\x00" * 2048
NOTES = "I will write the release notes by Thursday and send them round to the whole team."
INSIGHTS = {
    "messages": [
        {
            "id": "m1",
            "text": "Let's get the release out on Friday.",
            "from": {"id": "spk-1", "name": "Speaker 1"},
            "startTime": "2024-03-12T15:00:00Z",
            "endTime": "2024-03-12T15:00:04Z",
        },
        {
            "id": "m2",
            "text": NOTES,
            "from": {"id": "spk-2", "name": "Speaker 2"},
            "startTime": "2024-03-12T15:00:05Z",
            "endTime": "2024-03-12T15:00:12Z",
        },
        {
            "id": "m3",
            "text": "Sounds good.",
            "from": {"id": "spk-2", "name": "Speaker 2"},
            "startTime": "2024-03-12T15:00:13Z",
            "endTime": "2024-03-12T15:00:14Z",
        },
    ],
    "topics": [{"id": "t1", "text": "release"}],
    "questions": [],
    "followUps": [],
    "actionItems": [
        {"id": "a1", "text": "Write the release notes", "assignee": {"id": "spk-2", "name": "Speaker 2"}}
    ],
    "members": [{"id": "spk-1", "name": "Speaker 1"}, {"id": "spk-2", "name": "Speaker 2"}],
}


@pytest.fixture
def world(tmp_path, fake_slack):
    """A note posted with "Speaker 2" as the owner of its one action item."""
    stub = StubSymbl(insights=copy.deepcopy(INSIGHTS))
    fake_slack.add_user("U0DANA", "Dana", channels=(CHANNEL,))
    fake_slack.add_user("U0BOB", "Bob Stone", email="bob@example.com", channels=(CHANNEL,))
    fake_slack.add_user("U0MALLORY", "Mallory")
    with running_bot(bot_settings(tmp_path / "data", fake_slack, stub)) as (app, url):
        file = fake_slack.add_file("F1", "standup.mp3", AUDIO)
        assert deliver(url, event_envelope(file_share_event(file, ts=TS))).status_code == 200
        [note] = wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
        yield {
            "app": app,
            "url": url,
            "stub": stub,
            "note": note,
            "id": repo.get(app.store, 1).conversation_id,
        }
    stub.close()


def _fix_button(note: dict) -> dict:
    [button] = [
        b["accessory"]
        for b in note["blocks"]
        if (b.get("accessory") or {}).get("action_id") == FIX_SPEAKERS_ACTION
    ]
    return button


def _click(world, fake_slack: FakeSlack, user: str, trigger: str | None = None) -> str:
    """Click the note's "Fix speakers" as `user`; returns the click's response_url."""
    response_url = fake_slack.response_url()
    payload = block_action(
        FIX_SPEAKERS_ACTION,
        _fix_button(world["note"])["value"],
        user=user,
        channel=CHANNEL,
        message_ts=world["note"]["ts"],
        response_url=response_url,
        trigger_id=trigger or fake_slack.new_trigger(),
    )
    assert interaction(world["url"], payload).status_code == 200
    return response_url


def _open_modal(world, fake_slack: FakeSlack, user: str = "U0DANA") -> dict:
    _click(world, fake_slack, user)
    [view] = wait_for(lambda: list(fake_slack.views.values()))
    return view


def _pick(user: str) -> dict:
    return {wording.PICK_ACTION: {"type": "users_select", "selected_user": user}}


def _submit(world, view: dict, values: dict, user: str) -> dict:
    response = interaction(world["url"], view_submission(view, values, user=user))
    assert response.status_code == 200
    return response.json() if response.text else {}


def _note_edits(fake_slack: FakeSlack, world) -> list:
    return [c for c in fake_slack.calls_to("chat.update") if c.body["ts"] == world["note"]["ts"]]


def _note_now(fake_slack: FakeSlack) -> dict:
    [note] = fake_slack.summaries(CHANNEL, TS)
    return note


def test_naming_speaker_2_edits_the_same_note_with_the_owner_as_a_mention(world, fake_slack):
    """The acceptance: a note with "Speaker 2" as an owner; Dana maps Speaker 2 to Bob in the modal; the same
    message is edited (no new post) with the owner as a mention, the change is logged in the thread, and a
    later "Mark done" keeps the mention."""
    note = world["note"]
    assert "_Speaker 2_" in json.dumps(note["blocks"]) and "<@U0BOB>" not in json.dumps(note["blocks"])

    view = _open_modal(world, fake_slack)
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == ["Speaker 1", "Speaker 2", "That's me"]
    hints = [b.get("hint", {}).get("text") for b in view["blocks"] if b["type"] == "input"]
    assert hints[1] == f"“{NOTES[:79]}…”"  # the longest thing they said, cut at 80 characters
    assert json.loads(view["private_metadata"]) == {"c": world["id"]}

    assert _submit(world, view, {"speaker:spk-2": _pick("U0BOB")}, "U0DANA") == {}  # the modal closes
    wait_for(lambda: "<@U0BOB>" in json.dumps(_note_now(fake_slack)["blocks"]))

    edited = _note_now(fake_slack)
    assert edited["ts"] == note["ts"]
    assert len([c for c in fake_slack.calls_to("chat.update") if c.body["ts"] == note["ts"]]) == 1
    assert "Write the release notes — <@U0BOB>" in json.dumps(edited["blocks"], ensure_ascii=False)
    assert "Bob Stone" in json.dumps(edited["blocks"])  # the speakers line has the provider's new name
    assert world["stub"].renamed == [
        (world["id"], "spk-2", {"id": "spk-2", "name": "Bob Stone", "email": "bob@example.com"})
    ]
    line = ":busts_in_silhouette: <@U0DANA> named Speaker 2 as <@U0BOB>"  # after the edit, in the thread
    wait_for(lambda: line in [m["text"] for m in fake_slack.thread(CHANNEL, TS) if not m.get("metadata")])
    named = speaker_names.of(world["app"].store, world["id"])
    assert named["spk-2"].user_id == "U0BOB" and named["spk-2"].name == "Bob Stone"

    # Mark done renders the note again: the owner stays a mention (the stored names are read on every render).
    item = next(b for b in edited["blocks"] if b["type"] == "actions")["elements"][0]
    done = block_action(
        item["action_id"],
        item["value"],
        user="U0DANA",
        channel=CHANNEL,
        message_ts=note["ts"],
        response_url=fake_slack.response_url(),
    )
    interaction(world["url"], done)
    wait_for(lambda: "done by <@U0DANA>" in json.dumps(_note_now(fake_slack)["blocks"]))
    assert "<@U0BOB>" in json.dumps(_note_now(fake_slack)["blocks"])
    assert len(fake_slack.summaries(CHANNEL, TS)) == 1


def test_thats_me_names_the_submitter_and_the_form_opens_with_the_names_given(world, fake_slack):
    view = _open_modal(world, fake_slack)
    me = {wording.ME_ACTION: {"type": "static_select", "selected_option": {"value": "spk-1"}}}
    _submit(world, view, {"me": me}, "U0DANA")
    wait_for(lambda: "<@U0DANA> named Speaker 1 as <@U0DANA>" in json.dumps(fake_slack.thread(CHANNEL, TS)))
    assert speaker_names.of(world["app"].store, world["id"])["spk-1"].user_id == "U0DANA"

    fake_slack.views.clear()
    again = _open_modal(world, fake_slack)
    first = next(b for b in again["blocks"] if b.get("block_id") == "speaker:spk-1")
    assert first["label"]["text"] == "Dana" and first["element"]["initial_user"] == "U0DANA"


def test_without_users_info_the_speaker_is_named_by_the_users_handle(world, fake_slack):
    """The real name is an enrichment: users.info refused, the provider gets the handle (users.list)."""
    fake_slack.refuse("users.info", "ratelimited")
    view = _open_modal(world, fake_slack)
    _submit(world, view, {"speaker:spk-2": _pick("U0BOB")}, "U0DANA")
    wait_for(lambda: "named Speaker 2 as <@U0BOB>" in json.dumps(fake_slack.thread(CHANNEL, TS)))
    assert world["stub"].renamed == [(world["id"], "spk-2", {"id": "spk-2", "name": "bob stone"})]
    assert "Write the release notes — <@U0BOB>" in json.dumps(
        _note_now(fake_slack)["blocks"], ensure_ascii=False
    )


def test_an_expired_trigger_is_explained(world, fake_slack):
    trigger = fake_slack.new_trigger()
    fake_slack.advance(4)
    response_url = _click(world, fake_slack, "U0DANA", trigger)
    [answer] = wait_for(lambda: fake_slack.responses_to(response_url))
    assert "took too long to open" in answer["text"] and fake_slack.views == {}


def test_someone_outside_the_channel_cannot_fix_speakers(world, fake_slack):
    """The button answers Mallory with a refusal and opens nothing; a submission forged with the note's
    conversation id (its private_metadata) is refused in the modal, and nothing changes."""
    response_url = _click(world, fake_slack, "U0MALLORY")
    [answer] = wait_for(lambda: fake_slack.responses_to(response_url))
    assert "that you can see" in answer["text"] and answer["response_type"] == "ephemeral"
    assert fake_slack.calls_to("views.open") == []

    view = _open_modal(world, fake_slack)  # Dana's modal, submitted as Mallory
    ack = _submit(world, view, {"speaker:spk-2": _pick("U0MALLORY")}, "U0MALLORY")
    assert ack["response_action"] == "update"
    assert "only members of its channel" in ack["view"]["blocks"][0]["text"]["text"]
    validate_view(ack["view"])
    assert world["stub"].renamed == [] and not _note_edits(fake_slack, world)
    assert speaker_names.of(world["app"].store, world["id"]) == {}


def test_a_speaker_the_provider_does_not_know_is_a_clear_error_and_changes_nothing(world, fake_slack):
    view = _open_modal(world, fake_slack)
    world["stub"].insights = {**world["stub"].insights, "members": [], "messages": []}  # gone at the host
    _submit(world, view, {"speaker:spk-2": _pick("U0BOB")}, "U0DANA")
    [told] = wait_for(lambda: fake_slack.ephemerals)
    assert told["user"] == "U0DANA" and told["thread_ts"] == TS
    assert "Could not rename Speaker 2" in told["text"] and "does not know this speaker" in told["text"]
    assert speaker_names.of(world["app"].store, world["id"]) == {}
    assert not _note_edits(fake_slack, world)


def test_thats_me_and_another_pick_for_the_same_speaker_is_refused_in_the_form(world, fake_slack):
    view = _open_modal(world, fake_slack)
    me = {wording.ME_ACTION: {"type": "static_select", "selected_option": {"value": "spk-2"}}}
    ack = _submit(world, view, {"me": me, "speaker:spk-2": _pick("U0BOB")}, "U0DANA")
    assert ack == {"response_action": "errors", "errors": {"speaker:spk-2": wording.ME_CONFLICT}}
    assert world["stub"].renamed == []


# --- the strict fake: views.open -------------------------------------------------------------------------


def test_views_open_takes_a_fresh_trigger_once_and_checks_the_view(fake_slack):
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    view = wording.editor_view("standup", "c1", [wording.Speaker("s1", "Speaker 1", "hi")], 1)
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id="123.made.up", view=view)
    trigger = fake_slack.new_trigger()
    assert client.views_open(trigger_id=trigger, view=view)["view"]["id"]
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        client.views_open(trigger_id=trigger, view=view)
    late = fake_slack.new_trigger()
    fake_slack.advance(4)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id=late, view=view)
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(
            trigger_id=fake_slack.new_trigger(),
            view={**view, "title": {"type": "plain_text", "text": "x" * 25}},
        )
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(
            trigger_id=fake_slack.new_trigger(), view={k: v for k, v in view.items() if k != "submit"}
        )


# --- the modal and the button, rendered ------------------------------------------------------------------


def test_a_crowd_is_capped_at_twenty_speakers_who_said_the_most_and_says_so():
    messages = [
        {"id": f"m{i}", "text": "word " * (i + 1), "from": {"id": f"spk-{i}", "name": f"Speaker {i}"}}
        for i in range(60)
    ]
    found = speakers.speakers_of({"messages": messages}, {})
    listed = speakers.shown(found)
    assert len(found) == 60 and [s.member_id for s in listed] == [f"spk-{i}" for i in range(40, 60)]
    view = wording.editor_view("t" * 500, "c" * 100, listed, len(found))
    validate_view(view)
    assert "Showing the 20 speakers who said the most, of 60." in json.dumps(view)


def test_the_button_sits_beside_the_action_items_or_closes_the_note_and_needs_member_ids():
    [with_items] = render_summary(INSIGHTS, title="t", recording_id=1, conversation_id="c1")
    heading = next(b for b in with_items.blocks if b.get("text", {}).get("text") == "*Action items*")
    assert heading["accessory"]["action_id"] == FIX_SPEAKERS_ACTION
    assert json.loads(heading["accessory"]["value"]) == {"c": "c1"}
    [without_items] = render_summary(
        {**INSIGHTS, "actionItems": []}, title="t", recording_id=1, conversation_id="c1"
    )
    assert without_items.blocks[-1]["text"]["text"] == FIX_SPEAKERS_PROMPT
    nameless = {
        **INSIGHTS,
        "members": [{"name": "Ann"}],
        "messages": [{"text": "hi", "from": {"name": "Ann"}}],
    }
    for insights, conversation_id in ((INSIGHTS, None), (nameless, "c1")):
        [message] = render_summary(insights, title="t", recording_id=1, conversation_id=conversation_id)
        assert FIX_SPEAKERS_ACTION not in json.dumps(message.blocks)


# --- the provider's side: PUT …/members/{memberId} on the real engine ---------------------------------------


def _text_conversation(url: str) -> str:
    """A completed Text API conversation of the engine (no speech-to-text), as app "a"."""
    http = token_session(url)
    said = [
        {"payload": {"content": "Marco, please send the notes."}, "from": {"id": "u-priya", "name": "Priya"}},
        {
            "payload": {"content": "I will send the notes tomorrow."},
            "from": {"id": "u-marco", "name": "Marco"},
        },
    ]
    ids = http.post(f"{url}/v1/process/text", json={"messages": said}, timeout=10).json()
    wait_until(lambda: http.get(f"{url}/v1/job/{ids['jobId']}", timeout=10).json()["status"] == "completed")
    return str(ids["conversationId"])


def test_the_client_renames_a_member_on_the_engine_and_a_stranger_is_not_found(server):
    conversation_id = _text_conversation(server.url)
    client = SymblClient(server.url, "a", "b")
    message = client.put_member(conversation_id, "u-marco", "Marco Bianchi", "mb@example.org")
    assert "Marco Bianchi" in message
    assert {"id": "u-marco", "name": "Marco Bianchi", "email": "mb@example.org"} in client.get_members(
        conversation_id
    )
    with pytest.raises(NotFound):
        client.put_member(conversation_id, "nobody", "Someone")


# --- storage, on both backends ---------------------------------------------------------------------------


def test_speaker_names_are_one_per_member_and_forgotten_with_their_conversation(bot_database):
    store = open_store(bot_database)
    try:
        speaker_names.remember(store, "c1", SpeakerName("spk-2", "U0BOB", "Bob Stone"), "U0DANA")
        speaker_names.remember(store, "c1", SpeakerName("spk-2", "U0ANN", "Ann Lee"), "U0DANA")
        speaker_names.remember(store, "c2", SpeakerName("spk-2", "U0BOB", "Bob Stone"), "U0DANA")
        assert speaker_names.of(store, "c1") == {"spk-2": SpeakerName("spk-2", "U0ANN", "Ann Lee")}
        convs.forget(store, "c1")
        assert speaker_names.of(store, "c1") == {} and list(speaker_names.of(store, "c2")) == ["spk-2"]
        assert forget_conversation(store, "c2") == 1  # retention's generic delete covers the table too
    finally:
        store.close()
