"""Issue 11: Slack as Slack really is. Each case runs against the strict fake (tests/support/slack.py).

Which test pins which item of the issue is in each test's name and docstring.
"""

from __future__ import annotations

import copy
import json

import pytest

from bot.slack.render.summary import render_summary
from storage import action_items
from storage import recordings as repo
from tests.media import SAMPLE
from tests.slack_fakes import (
    TEAM,
    block_action,
    bot_settings,
    deliver,
    deliver_as_slack,
    event_envelope,
    file_access_stub,
    file_share_event,
    file_shared_event,
    interaction,
    message_shortcut,
    running_bot,
    slash_command,
    wait_for,
)
from tests.support.slack import BlocksRefused, is_summary_post, validate_blocks
from tests.support.symbl import INSIGHTS, StubSymbl

CHANNEL = "C0CHAN"
TS = "1699999999.000200"
AUDIO = SAMPLE.read_bytes()
NASTY = "<!channel> AT&T <b>"


def _upload(fake_slack, url, name="standup.mp3", file_id="F1", ts=TS, **envelope):
    file = fake_slack.add_file(file_id, name, AUDIO)
    assert deliver(url, event_envelope(file_share_event(file, ts=ts), **envelope)).status_code == 200
    return file


def _status_text(fake_slack, ts=TS) -> str:
    statuses = fake_slack.statuses(CHANNEL, ts)
    return statuses[0]["text"] if statuses else ""


def _bot_with(tmp_path, fake_slack, insights, **overrides):
    stub = StubSymbl(insights=insights)
    return stub, running_bot(bot_settings(tmp_path / "data", fake_slack, stub, **overrides))


def _mrkdwn(message: dict) -> str:
    """The top-level `text` and every mrkdwn text object: what Slack parses for <!channel>, links, &-escapes
    (plain_text objects, such as the header, are shown as written)."""
    found = [message.get("text") or ""]

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node.get("text") or "")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks"))
    return "\n".join(found)


# --- the strict fake itself ---------------------------------------------------------------------------------


def test_the_fake_refuses_what_slack_refuses():
    good = [{"type": "section", "block_id": "a", "text": {"type": "mrkdwn", "text": "x"}}]
    validate_blocks(good)
    refused = [
        good * 2,  # duplicate block_id
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}],
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "a",
                        "value": "v" * 2001,
                        "text": {"type": "plain_text", "text": "ok"},
                    }
                ],
            }
        ],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51,
        [{"type": "no_such_block"}],
    ]
    for blocks in refused:
        with pytest.raises(BlocksRefused):
            validate_blocks(blocks)


# --- items 1, 2, 3 and the acceptance summary ---------------------------------------------------------------


def test_item1_duplicate_action_items_still_post_one_summary(tmp_path, fake_slack):
    """Item 1: the engine emits the same action item twice (a recap) → unique block ids, summary accepted."""
    insights = copy.deepcopy(INSIGHTS)
    insights["actionItems"] = insights["actionItems"] * 2
    stub, bot = _bot_with(tmp_path, fake_slack, insights)
    with bot as (app, url):
        _upload(fake_slack, url)
        wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
        assert ("chat.postMessage", "invalid_blocks") not in fake_slack.refused
        assert str(fake_slack.summaries(CHANNEL, TS)[0]["blocks"]).count("Fix the payment crash") == 1
    stub.close()


def test_item2_a_permanent_slack_refusal_edits_the_status_into_one_clear_message(tmp_path, fake_slack):
    """Item 2: Slack refuses the summary for good → the status message says so (not "Extracting…" forever)."""
    stub, bot = _bot_with(tmp_path, fake_slack, INSIGHTS)
    fake_slack.refuse("chat.postMessage", "is_archived", when=is_summary_post)
    with bot as (app, url):
        _upload(fake_slack, url)
        wait_for(lambda: repo.get(app.store, 1) and repo.get(app.store, 1).state == "failed")
        wait_for(lambda: "Could not summarize" in _status_text(fake_slack))
        assert len(fake_slack.statuses(CHANNEL, TS)) == 1
        assert "archived" in _status_text(fake_slack)
    stub.close()


def _acceptance_insights() -> dict:
    speakers = [{"id": f"s{i}", "name": f"{NASTY} speaker {i}"} for i in range(40)]
    items = [
        {
            "text": f"{NASTY} item {i} " + "do the thing " * 3,
            "assignee": {"name": f"{NASTY} speaker {i % 40}"},
        }
        for i in range(150)
    ]
    items[3] = {"text": f"{NASTY} " + "long " * 700, "assignee": {"name": "Priya"}}  # 3,500+ characters
    items += items[:5]  # duplicates, as a recap repeats commitments
    return {
        "messages": INSIGHTS["messages"],
        "members": speakers,
        "topics": [{"text": f"{NASTY} topic {i}"} for i in range(200)],
        "actionItems": items,
        "followUps": [{"text": f"{NASTY} follow up", "assignee": {"name": NASTY}}],
        "questions": [{"text": f"{NASTY} question?"}] * 3,
    }


def test_acceptance_summary_of_duplicates_long_items_many_topics_and_speakers_is_accepted_and_reads_well(
    tmp_path, fake_slack
):
    """Issue 11 acceptance: duplicates, a 3,500-character item, 150 action items, 200 topics, 40 speakers and
    `<!channel> AT&T <b>` everywhere are accepted by the strict fake and read well."""
    insights = _acceptance_insights()
    stub, bot = _bot_with(tmp_path, fake_slack, insights)
    with bot as (app, url):
        _upload(fake_slack, url, name=f"{NASTY}.m4a")
        wait_for(lambda: repo.get(app.store, 1) and repo.get(app.store, 1).state == "posted", timeout=60)
        assert not [r for r in fake_slack.refused if r[1] == "invalid_blocks"]
        parts = fake_slack.summaries(CHANNEL, TS)
        every = "\n".join(_mrkdwn(m) for m in parts + fake_slack.statuses(CHANNEL, TS))
        assert "<!channel>" not in every and "<b>" not in every and "AT&T" not in every
        assert "&lt;!channel&gt; AT&amp;T &lt;b&gt;" in every
        texts = "\n".join(json.dumps(m["blocks"]) for m in parts)
        for i in range(200):  # each whole, as a bullet or folded onto an "Also discussed" line
            assert any(f"topic {i}{end}" in texts for end in ("\\n", '"', " \\u00b7 ")), i
        for i in set(range(150)) - {3}:  # item 3 is the long one
            assert f" item {i} " in texts, i
        assert texts.count(" item 7 ") == 1  # the duplicate is listed once
        assert texts.count("long") >= 700  # the 3,500-character item is kept whole, split over sections
        context = parts[0]["blocks"][1]["elements"][0]["text"]
        assert (
            "speaker 0" in context and len(context) < 1000
        )  # 40 names would not read well in a context line
    stub.close()


def test_item3_over_long_item_and_60_speakers_fit_slack_limits():
    """Item 3: an action item over 3,000 characters, and a speaker list of 60+ names in the facts context."""
    insights = copy.deepcopy(INSIGHTS)
    insights["actionItems"] = [{"text": "word " * 800, "assignee": {"name": "Priya"}}]
    insights["members"] = [{"name": f"Person number {i} with a long name"} for i in range(80)]
    for message in render_summary(insights, title="t", recording_id=1, conversation_id="c1"):
        validate_blocks(message.blocks)


# --- item 9 -------------------------------------------------------------------------------------------------


def test_item9_title_is_escaped_in_the_notification_text_and_commands_echo_escaped(bot, fake_slack):
    """Item 9: `Summary of <!channel> AT&T….m4a` in the top-level text; error echoes of user text."""
    app, url = bot
    _upload(fake_slack, url, name=f"{NASTY}.m4a")
    wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
    for message in fake_slack.thread(CHANNEL, TS):
        assert "<!channel>" not in message["text"] and "AT&T" not in message["text"], message["text"]
    unknown = slash_command(url, "<!channel>&x", response_url=fake_slack.response_url()).json()
    assert "<!channel>" not in unknown["text"] and "&lt;!channel&gt;&amp;x" in unknown["text"]
    answer = slash_command(url, "list <!here>", response_url=fake_slack.response_url()).json()
    assert "<!here>" not in answer["text"] and "&lt;!here&gt;" in answer["text"]


# --- intake: items 4, 6, 7, 10 (upload with a mention) ------------------------------------------------------


def test_item4_file_shared_is_acknowledged_before_files_info(bot, fake_slack):
    """Item 4: files.info answered 429 with Retry-After 5 must not delay the ack past Slack's 3 s deadline."""
    app, url = bot
    shares = {"public": {CHANNEL: [{"ts": TS, "channel_name": "general"}]}}
    fake_slack.add_file("F4", "sync.mp3", AUDIO, shares=shares)
    fake_slack.fail_next("files.info", 429, {"Retry-After": "5"})
    delivery = deliver_as_slack(url, event_envelope(file_shared_event("F4")))
    assert delivery.redeliveries == 0, delivery.statuses
    wait_for(lambda: repo.get(app.store, 1), timeout=30)  # recorded once files.info answers
    assert len(fake_slack.calls_to("files.info")) == 2


def test_item6_slack_connect_recordings_belong_to_the_installing_workspace(bot, fake_slack):
    """Item 6: a shared channel's event carries the partner's `team_id`; the install is in authorizations."""
    app, url = bot
    fake_slack.add_user("U0ALICE", "Alice", channels=(CHANNEL,))
    _upload(fake_slack, url, origin_team="T0PARTNER")
    wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
    assert repo.get(app.store, 1).team_id == TEAM
    answer = slash_command(url, "list", response_url=(response_url := fake_slack.response_url()))
    assert answer.status_code == 200
    wait_for(lambda: fake_slack.responses_to(response_url))
    assert "standup.mp3" in fake_slack.responses_to(response_url)[0]["text"]


def test_item7_check_file_info_stubs_are_looked_up_and_summarized(bot, fake_slack):
    """Item 7: Slack Connect `file_share` files arrive as `{"id", "file_access": "check_file_info"}` stubs."""
    app, url = bot
    fake_slack.add_file("F7", "connect.mp3", AUDIO)
    delivery = deliver_as_slack(url, event_envelope(file_share_event(file_access_stub("F7"), ts=TS)))
    assert delivery.redeliveries == 0
    wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
    assert fake_slack.calls_to("files.info")[0].body["file"] == "F7"
    assert repo.get(app.store, 1).name == "connect.mp3"


def test_item7_the_shortcut_looks_up_check_file_info_stubs(bot, fake_slack):
    """Item 7: the message shortcut on a message whose files are stubs said "I found no recording"."""
    app, url = bot
    fake_slack.add_file("F8", "older.mp3", AUDIO)
    message = {"type": "message", "ts": TS, "user": "U0ALICE", "text": "", "files": [file_access_stub("F8")]}
    response_url = fake_slack.response_url()
    assert (
        interaction(
            url, message_shortcut(message, user="U0ALICE", channel=CHANNEL, response_url=response_url)
        ).status_code
        == 200
    )
    wait_for(lambda: fake_slack.responses_to(response_url))
    assert "Summarizing" in fake_slack.responses_to(response_url)[0]["text"]
    wait_for(lambda: fake_slack.summaries(CHANNEL, TS))


def test_item10_an_upload_with_a_mention_is_not_answered_as_an_unknown_command(bot, fake_slack):
    """Item 10: "@symbl here" on an upload gave "I don't know the command `here`"; the upload is the point."""
    app, url = bot
    file = fake_slack.add_file("F9", "standup.mp3", AUDIO)
    text = "<@U0BOT> here"
    deliver(url, event_envelope(file_share_event(file, ts=TS, text=text)))
    mention = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": text,
        "ts": TS,
        "channel": CHANNEL,
        "event_ts": TS,
        "files": [file],
        "upload": True,
    }
    deliver(url, event_envelope(mention))
    wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
    said = [m["text"] for m in fake_slack.thread(CHANNEL, TS)] + [e["text"] for e in fake_slack.ephemerals]
    assert not [t for t in said if "know the command" in t], said


def test_item10_a_shortcut_in_a_channel_without_the_bot_says_so_instead_of_promising(bot, fake_slack):
    """Item 10: the shortcut promised "Summarizing…" where the bot cannot post, then failed silently."""
    app, url = bot
    fake_slack.bot_channels = {"C0OTHER"}
    fake_slack.add_file("F10", "older.mp3", AUDIO)
    message = {"type": "message", "ts": TS, "user": "U0ALICE", "text": "", "files": [fake_slack.files["F10"]]}
    response_url = fake_slack.response_url()
    interaction(url, message_shortcut(message, user="U0ALICE", channel=CHANNEL, response_url=response_url))
    wait_for(lambda: fake_slack.responses_to(response_url))
    answer = fake_slack.responses_to(response_url)[0]["text"]
    assert "Summarizing" not in answer and "/invite @symbl" in answer
    with app.store.read() as db:
        assert db["recordings"].count == 0


# --- item 5 -------------------------------------------------------------------------------------------------


def test_item5_slash_commands_are_acknowledged_while_every_other_listener_sleeps_on_429s(bot, fake_slack):
    """Item 5: App Home listeners sleeping on Retry-After filled Bolt's 5-thread pool; `/symbl list` went
    unacknowledged (404 "unhandled request" after 3 s)."""
    app, url = bot
    fake_slack.fail_next("users.conversations", 429, {"Retry-After": "2"}, times=40)
    for n in range(8):
        home = {
            "type": "app_home_opened",
            "user": f"U0HOME{n}",
            "channel": f"D0HOME{n}",
            "tab": "home",
            "event_ts": f"1700000000.00{n}",
        }
        assert deliver(url, event_envelope(home)).status_code == 200
    wait_for(lambda: len(fake_slack.calls_to("users.conversations")) >= 5)
    response_url = fake_slack.response_url()
    answer = slash_command(url, "list", response_url=response_url, timeout=3.0)  # Slack's deadline
    assert answer.status_code == 200
    wait_for(lambda: fake_slack.responses_to(response_url))
    help_answer = slash_command(url, "help", response_url=fake_slack.response_url(), timeout=3.0)
    assert "Symbl commands" in help_answer.json()["text"]


# --- items 8 and 10 (a summary that shrinks) ----------------------------------------------------------------


def _click_done(url, fake_slack, summary, key, conversation_id, user="U0BOB"):
    value = json.dumps({"c": conversation_id, "k": key})
    response_url = fake_slack.response_url()
    interaction(
        url,
        block_action(
            "action_item_done",
            value,
            user=user,
            channel=CHANNEL,
            message_ts=summary["ts"],
            response_url=response_url,
        ),
    )
    return response_url


def test_item8_and_10_edits_need_no_conversations_replies_and_a_shrunk_summary_loses_its_old_part(
    tmp_path, fake_slack
):
    """Item 8: every refresh of a multi-part summary called conversations.replies with limit=200 (Slack allows
    non-Marketplace apps 1 call a minute, limit ≤ 15). Item 10: "Mark done" shrinking two parts to one left
    the old part 2 in the thread."""
    insights = copy.deepcopy(INSIGHTS)
    insights["actionItems"] = [{"text": f"Task {i}", "assignee": {"name": "Priya"}} for i in range(23)]
    keys = [action_items.item_key(i) for i in insights["actionItems"]]

    def parts(done):
        rendered = render_summary(
            insights, title="t", recording_id=1, conversation_id="c", done=done, owners={}
        )
        return len(rendered)

    pre_done = dict.fromkeys(keys[12:23], "U0X")
    assert parts({}) == 1 and parts(pre_done | {keys[11]: "U0B"}) == 2
    assert parts(pre_done | {keys[11]: "U0B", keys[0]: "U0B"}) == 1
    stub, bot = _bot_with(tmp_path, fake_slack, insights)
    fake_slack.add_user("U0BOB", "Bob", channels=(CHANNEL,))
    with bot as (app, url):
        _upload(fake_slack, url)
        [summary] = wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
        conversation_id = repo.get(app.store, 1).conversation_id
        for key in keys[12:23]:
            action_items.mark_done(app.store, conversation_id, key, "U0X")
        _click_done(url, fake_slack, summary, keys[11], conversation_id)
        wait_for(lambda: len(fake_slack.summaries(CHANNEL, TS)) == 2)
        _click_done(url, fake_slack, summary, keys[0], conversation_id)
        wait_for(lambda: len(fake_slack.summaries(CHANNEL, TS)) == 1)
        wait_for(lambda: "Task 0" in json.dumps(fake_slack.summaries(CHANNEL, TS)[0]["blocks"]))
        replies = fake_slack.calls_to("conversations.replies")
        assert all(int(c.body.get("limit") or 0) <= 15 for c in replies)
        assert replies == []  # the parts' ts are stored; only a restart mid-post searches the thread
        assert not [r for r in fake_slack.refused if r[0] == "conversations.replies"]
    stub.close()


def test_mark_done_clicked_before_the_summarys_ts_is_stored_still_shows_on_the_summary(tmp_path, fake_slack):
    """A click can land between the summary's post and the row recording its ts (a CI run of the test above
    did): the click's edit finds no summary yet, so the posting step edits it once it has stored the ts."""
    insights = copy.deepcopy(INSIGHTS)
    key = action_items.item_key(insights["actionItems"][0])
    stub, bot = _bot_with(tmp_path, fake_slack, insights)
    with bot as (app, url):

        def click_while_posting(body):  # what the click handler does first; its edit then finds no ts
            if is_summary_post(body):
                action_items.mark_done(app.store, repo.get(app.store, 1).conversation_id, key, "U0BOB")
            return False

        fake_slack.refuse("chat.postMessage", "never", when=click_while_posting)
        _upload(fake_slack, url)
        wait_for(lambda: "done by <@U0BOB>" in json.dumps(fake_slack.summaries(CHANNEL, TS)[:1]))
        [summary] = fake_slack.summaries(CHANNEL, TS)
        edits = [c for c in fake_slack.calls_to("chat.update") if c.body.get("ts") == summary["ts"]]
        assert len(edits) == 1
    stub.close()


def test_item10_a_reminder_due_past_slacks_120_day_horizon_is_scheduled_at_the_horizon(tmp_path, fake_slack):
    """Item 10: chat.scheduleMessage answers `time_too_far` past 120 days; the user was told to retry."""
    insights = copy.deepcopy(INSIGHTS)
    insights["actionItems"] = [{"text": "Renew the domain", "dueBy": "2031-01-01T00:00:00Z"}]
    stub, bot = _bot_with(tmp_path, fake_slack, insights)
    fake_slack.add_user("U0BOB", "Bob", channels=(CHANNEL,))
    with bot as (app, url):
        _upload(fake_slack, url)
        [summary] = wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
        key = action_items.item_key(insights["actionItems"][0])
        value = json.dumps({"c": repo.get(app.store, 1).conversation_id, "k": key})
        response_url = fake_slack.response_url()
        interaction(
            url,
            block_action(
                "action_item_remind",
                value,
                user="U0BOB",
                channel=CHANNEL,
                message_ts=summary["ts"],
                response_url=response_url,
            ),
        )
        [answer] = wait_for(lambda: fake_slack.responses_to(response_url))
        assert "120 days" in answer["text"] and "try again" not in answer["text"]
        [scheduled] = fake_slack.scheduled
        assert "Renew the domain" in scheduled["text"]
    stub.close()


# --- item 11: background steps never sleep on a progress edit's 429 -----------------------------------------


def test_item11_a_rate_limited_progress_edit_is_skipped_while_a_final_edit_is_retried(tmp_path, fake_slack):
    """Item 11: slack_sdk's rate-limit handler slept Retry-After (up to a minute) on "Transcribing…" edits,
    holding the step; a progress edit answered 429 is now skipped (the next edit or the note supersedes it),
    while a final edit (the failure message) is still retried."""
    from bot.slack.app import build_services, slack_client
    from bot.slack.thread import ensure_status, set_stage
    from storage import open_store

    settings = bot_settings(tmp_path / "data", fake_slack, None)
    store = open_store(tmp_path / "bot.db")
    # The bot's own client, with slack_sdk's rate-limit retry handler; no provider is reached here.
    services = build_services(settings, store, None, slack_client(settings))
    rec, _ = repo.record(store, team_id=TEAM, channel_id=CHANNEL, source="F1", message_ts=TS, name="a.mp3")
    ensure_status(services, rec, "queued")
    status_ts = repo.get(store, rec.id).status_ts
    # chat.update's Tier 3 window (50 a minute) is spent: the next edit is answered 429, Retry-After ~60 s.
    for _ in range(50):
        fake_slack.windows.take((TEAM, "chat.update"), 50)
    set_stage(services, rec.id, "transcribing")
    assert fake_slack.refused == [("chat.update", "ratelimited")]  # asked once: no retry after Retry-After
    assert repo.get(store, rec.id).status_stage == "queued"  # not recorded as shown
    fake_slack.advance(61)  # a minute on, the window has room again
    fake_slack.fail_next("chat.update", 429, {"Retry-After": "0"})
    set_stage(services, rec.id, "failed", error="the file is empty")
    [status] = [m for m in fake_slack.messages[CHANNEL] if m["ts"] == status_ts]
    assert "Could not summarize" in status["text"]  # retried past the 429
    assert repo.get(store, rec.id).status_stage == "failed"
    store.close()


def test_item10_owners_in_a_large_workspace_need_no_full_users_list_scan(tmp_path, fake_slack):
    """Item 10: a full users.list scan (Tier 2, 20 calls a minute) of a large workspace is rate limited."""
    for n in range(12_000):
        fake_slack.users[f"U{n:06d}"] = {
            "id": f"U{n:06d}",
            "name": f"user{n}",
            "real_name": f"User {n}",
            "profile": {"real_name": f"User {n}", "email": f"user{n}@example.com"},
        }
    fake_slack.add_user("U0PRIYA", "Priya", email="priya@example.com", channels=(CHANNEL,))
    insights = copy.deepcopy(INSIGHTS)
    insights["actionItems"] = [
        {"text": "Fix the payment crash", "assignee": {"name": "Priya", "email": "priya@example.com"}},
        {"text": "Write the notes", "assignee": {"name": "User 7"}},
    ]
    stub, bot = _bot_with(tmp_path, fake_slack, insights)
    with bot as (app, url):
        _upload(fake_slack, url)
        [summary] = wait_for(lambda: fake_slack.summaries(CHANNEL, TS), timeout=30)
        assert "<@U0PRIYA>" in json.dumps(summary["blocks"])
        assert len(fake_slack.calls_to("users.list")) <= 10
        assert ("users.list", "ratelimited") not in fake_slack.refused
    stub.close()


def test_item10_a_status_post_whose_answer_was_lost_is_not_posted_twice(tmp_path, stub_symbl):
    """Item 10: a lost answer to the status post (or a crash right after it) left a second "Queued…"."""
    from tests.suite_support import ChaosSlack

    slack = ChaosSlack()
    lost = slack.gate(
        lambda method, body: method == "chat.postMessage" and not is_summary_post(body), after_effect=True
    )
    lost.release.set()  # the fake stores the status message, then drops the connection unanswered
    try:
        with running_bot(bot_settings(tmp_path / "data", slack, stub_symbl)) as (app, url):
            _upload(slack, url)
            wait_for(lambda: "Done" in _status_text(slack), timeout=30)
            assert len(slack.statuses(CHANNEL, TS)) == 1, slack.statuses(CHANNEL, TS)
    finally:
        slack.close()


def test_item10_a_mention_claimed_but_not_answered_is_answered_later_once(bot, fake_slack):
    """Item 10: an `@symbl` command claimed but not answered (a crash, or Slack failing the answer) was never
    answered: the claim now keeps the request until the answer is delivered."""
    import time

    import handlers

    app, url = bot
    fake_slack.add_user("U0ALICE", "Alice", channels=(CHANNEL,))
    fake_slack.refuse("chat.postEphemeral", "internal_error")
    mention = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": "<@U0BOT> list",
        "ts": "1699999999.000900",
        "channel": CHANNEL,
        "event_ts": "1699999999.000900",
    }
    assert deliver(url, event_envelope(mention)).status_code == 200
    assert deliver(url, event_envelope(mention), retry_num=1).status_code == 200  # a redelivery: no new claim
    wait_for(lambda: fake_slack.refused.count(("chat.postEphemeral", "internal_error")) >= 1)
    fake_slack.refusals.clear()
    later = time.time() + 3600
    handlers.mentions.answer_leftovers(app.services, now=later)  # the scheduler's job, run by hand
    handlers.mentions.answer_leftovers(app.services, now=later)
    assert len(fake_slack.ephemerals) == 1 and fake_slack.ephemerals[0]["user"] == "U0ALICE"


def test_the_fake_enforces_rate_limit_tiers_and_the_replies_page_limit(fake_slack):
    """The strict fake's Web API rules: Tier 2 is 20 calls a minute, then 429 with Retry-After; a minute on,
    calls fit again; conversations.replies pages hold at most 15 messages and the method is Tier 1."""
    import requests

    from tests.slack_fakes import BOT_TOKEN

    def call(method, **args):
        return requests.post(
            fake_slack.api_url + method,
            data=args,
            timeout=10,
            headers={"Authorization": f"Bearer {BOT_TOKEN}"},
        )

    assert all(call("users.list").status_code == 200 for _ in range(20))
    limited = call("users.list")
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    fake_slack.advance(61)
    assert call("users.list").status_code == 200
    for n in range(20):
        fake_slack.messages[CHANNEL].append({"ts": f"1.{n:04d}", "thread_ts": TS, "text": str(n)})
    page = call("conversations.replies", channel=CHANNEL, ts=TS, limit="200").json()
    assert len(page["messages"]) == 15 and page["has_more"]
    assert call("conversations.replies", channel=CHANNEL, ts=TS).status_code == 429  # 1 a minute
