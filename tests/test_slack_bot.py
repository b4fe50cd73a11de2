"""The bot end to end over real HTTP: signed events in, Web API calls to the fake Slack server out.

The Symbl side is a local stub with scripted job states (the real engine runs in test_slack_engine.py). The
tests taking the `bot` fixture run once per storage backend (SQLite; PostgreSQL where initdb exists).
"""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.providers.symbl.client import SymblClient
from storage import recordings as repo
from tests.media import SAMPLE
from tests.slack_fakes import (
    BOT_TOKEN,
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    file_shared_event,
    message_event,
    running_bot,
    wait_for,
)

CHANNEL = "C0CHAN"
TS = "1699999999.000200"
AUDIO = b"ID3" + b"\x00" * 2048


@pytest.fixture
def bot(tmp_path, fake_slack, stub_symbl, bot_database):
    database_url = bot_database if isinstance(bot_database, str) else None
    with running_bot(
        bot_settings(tmp_path / "data", fake_slack, stub_symbl, database_url=database_url)
    ) as running:
        yield running


def _replied(fake_slack, words):
    return [m for m in fake_slack.thread(CHANNEL, TS) if words in (m.get("text") or "")]


def test_upload_gets_one_summary_in_its_thread_and_status_ends_done(bot, fake_slack, stub_symbl):
    app, url = bot
    file = fake_slack.add_file("F1", "standup.mp3", AUDIO)
    response = deliver(url, event_envelope(file_share_event(file, ts=TS)))
    assert response.status_code == 200

    summaries = wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
    wait_for(lambda: "Done" in (fake_slack.statuses(CHANNEL, TS) or [{}])[0].get("text", ""))
    assert repo.get(app.store, 1).state == "posted"
    assert len(summaries) == 1
    text = str(summaries[0]["blocks"])
    assert "payment crash" in text and "Fix the payment crash" in text and "Priya" in text
    assert summaries[0]["metadata"]["event_payload"]["recording_id"] == 1
    status = fake_slack.statuses(CHANNEL, TS)
    assert len(status) == 1 and "Done" in status[0]["text"]
    assert any("Transcribing" in t for t in status[0]["edits"])
    # The upload reached the provider with the bytes Slack served, fetched with the bot token.
    assert stub_symbl.submissions[0]["bytes"] == len(AUDIO)
    download = fake_slack.calls_to("/files/F1/standup.mp3")
    assert download[0].headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert repo.get(app.store, 1).summary_ts == summaries[0]["ts"]


def test_redeliveries_and_file_shared_twin_make_one_summary(bot, fake_slack, stub_symbl):
    app, url = bot
    shares = {"public": {CHANNEL: [{"ts": TS, "channel_name": "general"}]}}
    file = fake_slack.add_file("F2", "sync.m4a", AUDIO, mimetype="audio/mp4", filetype="m4a", shares=shares)
    envelope = event_envelope(file_share_event(file, ts=TS))
    assert deliver(url, envelope).status_code == 200
    for retry in (1, 2, 3):
        assert deliver(url, envelope, retry_num=retry).status_code == 200
    assert deliver(url, event_envelope(file_shared_event("F2"))).status_code == 200

    wait_for(lambda: repo.get(app.store, 1) and repo.get(app.store, 1).state == "posted")
    wait_for(lambda: not app.poller._in_flight)
    assert len(fake_slack.summaries(CHANNEL, TS)) == 1
    assert len(stub_symbl.submissions) == 1
    assert len(fake_slack.statuses(CHANNEL, TS)) == 1
    assert len(repo.rows(app.store, "1 = 1", [])) == 1


def test_file_shared_alone_resolves_the_message_through_files_info(bot, fake_slack):
    _app, url = bot
    shares = {"private": {CHANNEL: [{"ts": TS, "thread_ts": "1699999990.000100"}]}}
    fake_slack.add_file("F3", "call.wav", AUDIO, mimetype="audio/wav", filetype="wav", shares=shares)
    assert deliver(url, event_envelope(file_shared_event("F3"))).status_code == 200
    summaries = wait_for(lambda: fake_slack.summaries(CHANNEL, "1699999990.000100"))
    assert len(summaries) == 1


def test_non_media_file_gets_no_reply(bot, fake_slack):
    app, url = bot
    file = fake_slack.add_file("F4", "notes.pdf", b"%PDF-1.4", mimetype="application/pdf", filetype="pdf")
    assert deliver(url, event_envelope(file_share_event(file, ts=TS))).status_code == 200
    # A later, unrelated media upload is processed: by then the PDF's event has certainly been handled.
    media = fake_slack.add_file("F5", "later.mp3", AUDIO)
    deliver(url, event_envelope(file_share_event(media, ts="1699999999.000900")))
    wait_for(lambda: fake_slack.summaries(CHANNEL, "1699999999.000900"))
    assert fake_slack.thread(CHANNEL, TS) == []
    assert [r.source for r in repo.rows(app.store, "1 = 1", [])] == ["F5"]


def test_html_login_page_gets_the_files_read_message(bot, fake_slack, stub_symbl):
    app, url = bot
    file = fake_slack.add_file("F6", "standup.mp3", AUDIO, variant="html")
    deliver(url, event_envelope(file_share_event(file, ts=TS)))
    wait_for(lambda: _replied(fake_slack, "files:read"))
    # The status is edited first, then the row is marked failed (bot.slack.pipeline.fail).
    wait_for(lambda: repo.get(app.store, 1).state == "failed")
    assert len(fake_slack.thread(CHANNEL, TS)) == 1
    assert stub_symbl.submissions == []


def test_redirect_within_slack_keeps_the_token_and_works(bot, fake_slack):
    _app, url = bot
    file = fake_slack.add_file("F7", "standup.mp3", AUDIO, variant="redirect")
    deliver(url, event_envelope(file_share_event(file, ts=TS)))
    wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
    hop = fake_slack.calls_to("/files-origin/F7/standup.mp3")
    assert hop and hop[0].headers["Authorization"] == f"Bearer {BOT_TOKEN}"


def test_redirect_to_a_foreign_host_is_refused_and_the_token_never_leaves(bot, fake_slack, file_server):
    _app, url = bot
    foreign = file_server.add("/stolen.mp3", AUDIO).replace("127.0.0.1", "localhost")
    file = fake_slack.add_file("F8", "standup.mp3", AUDIO, variant="redirect", redirect_to=foreign)
    deliver(url, event_envelope(file_share_event(file, ts=TS)))
    wait_for(lambda: _replied(fake_slack, "redirects to another host"))
    assert file_server.requests == []


@pytest.mark.parametrize(
    "extra, words",
    [
        ({"size": 5 * 1024**3}, "the limit is 1,024 MB"),
        ({"duration_ms": 5 * 3600 * 1000}, "5 h 00 min long; the limit is 4 h 00 min"),
    ],
)
def test_too_large_or_too_long_file_is_refused_before_download(bot, fake_slack, stub_symbl, extra, words):
    app, url = bot
    file = fake_slack.add_file(
        "F9", "allhands.mp4", AUDIO, mimetype="video/mp4", filetype="mp4", size=extra.get("size")
    )
    file.update(extra)
    deliver(url, event_envelope(file_share_event(file, ts=TS)))
    wait_for(lambda: _replied(fake_slack, words))
    # The status is edited first, then the row is marked failed (bot.slack.pipeline.fail).
    wait_for(lambda: repo.get(app.store, 1).state == "failed")
    assert fake_slack.calls_to("/files/F9/allhands.mp4") == []
    assert stub_symbl.submissions == []


def test_duration_is_checked_after_download_when_slack_does_not_say(tmp_path, fake_slack, stub_symbl):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl, max_duration_seconds=30)
    with running_bot(settings) as (_app, url):
        file = fake_slack.add_file("F14", "standup.mp3", SAMPLE.read_bytes())  # 52 s
        deliver(url, event_envelope(file_share_event(file, ts=TS)))
        wait_for(lambda: _replied(fake_slack, "the limit is 30 s"))
        assert stub_symbl.submissions == []
        assert list((tmp_path / "data" / "downloads").iterdir()) == []  # the download is not kept


def test_serve_without_a_bot_token_is_one_clear_error():
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1 and "Error: SLACK_BOT_TOKEN is not set." in result.output


def test_failed_job_posts_one_clear_message(bot, fake_slack, stub_symbl, caplog):
    _app, url = bot
    stub_symbl.mode = "fail"
    caplog.set_level(logging.INFO, logger="bot.slack.pipeline")
    file = fake_slack.add_file("F10", "standup.mp3", AUDIO)
    deliver(url, event_envelope(file_share_event(file, ts=TS)))
    wait_for(lambda: _replied(fake_slack, "could not be decoded"))
    assert len(fake_slack.thread(CHANNEL, TS)) == 1
    assert fake_slack.summaries(CHANNEL, TS) == []
    # The operator sees it too, at the default level (issue 24: serve logged nothing).
    failed = wait_for(lambda: [r for r in caplog.records if "recording 1 failed" in r.getMessage()])
    assert failed[0].levelno == logging.INFO and "could not be decoded" in failed[0].getMessage()


def test_transient_provider_errors_retry_and_the_row_survives(tmp_path, fake_slack, stub_symbl):
    # A client without its own retries, so every 503 reaches the pipeline's backoff.
    symbl = SymblClient(stub_symbl.base, "app", "secret", retries=0)
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    stub_symbl.fail_next("/v1/process/", status=503, times=1)
    stub_symbl.fail_next("/v1/job/", status=503, times=2)
    with running_bot(settings, symbl=symbl) as (app, url):
        file = fake_slack.add_file("F11", "standup.mp3", AUDIO)
        deliver(url, event_envelope(file_share_event(file, ts=TS)))
        wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
        wait_for(lambda: repo.get(app.store, 1).state == "posted")
        assert len(fake_slack.summaries(CHANNEL, TS)) == 1
        assert len(stub_symbl.submissions) == 1
        assert [r for r in stub_symbl.requests if r.startswith("GET /v1/job/")].__len__() == 3


def test_slack_rate_limit_on_post_is_retried(bot, fake_slack):
    app, url = bot
    fake_slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"}, times=1)
    file = fake_slack.add_file("F12", "standup.mp3", AUDIO)
    deliver(url, event_envelope(file_share_event(file, ts=TS)))
    wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
    wait_for(lambda: repo.get(app.store, 1).state == "posted")
    assert len(fake_slack.summaries(CHANNEL, TS)) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 3  # the 429, its retry (status), the summary


def test_bot_own_messages_and_edits_are_ignored(bot, fake_slack, file_server):
    app, url = bot
    link = file_server.add("/a.mp3", AUDIO)
    own = message_event(f"<{link}>", user="U0BOT", bot_id="B0BOT", ts="1699999999.000400")
    edit = message_event(f"<{link}>", subtype="message_changed", ts="1699999999.000500")
    assert deliver(url, event_envelope(own)).status_code == 200
    assert deliver(url, event_envelope(edit)).status_code == 200
    media = fake_slack.add_file("F13", "later.mp3", AUDIO)
    deliver(url, event_envelope(file_share_event(media, ts="1699999999.000900")))
    wait_for(lambda: fake_slack.summaries(CHANNEL, "1699999999.000900"))
    assert [r.source for r in repo.rows(app.store, "1 = 1", [])] == ["F13"]


def test_every_subscribed_event_is_acknowledged(bot):
    _app, url = bot
    for event in (
        {"type": "app_mention", "user": "U0ALICE", "text": "<@U0BOT> hi", "ts": "1.2", "channel": CHANNEL},
        {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0", "tab": "home"},
        {"type": "member_joined_channel", "user": "U0ALICE", "channel": CHANNEL},
        message_event("just chatting"),
        message_event("", subtype="channel_join"),
    ):
        assert deliver(url, event_envelope(event)).status_code == 200, event["type"]


def test_unsigned_and_wrongly_signed_requests_are_rejected(bot):
    import json

    import requests

    _app, url = bot
    body = json.dumps(event_envelope(message_event("hi")))
    assert requests.post(url + "/slack/events", data=body, timeout=5).status_code == 401
    assert deliver(url, event_envelope(message_event("hi")), secret="wrong").status_code == 401
