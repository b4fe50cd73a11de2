"""Security: requests that are unsigned, wrongly signed, tampered with or replayed (timestamp more than 5
minutes off) are rejected with 401 and do nothing; no secret (bot token, signing secret, Symbl app secret,
Symbl access token) appears in the logs of a full processing run — in-process (caplog at DEBUG, every logger)
and in the stderr of `symbl-bot serve` run as a subprocess.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Iterator

import pytest
import requests

from bot.providers.symbl.client import SymblClient
from tests.slack_fakes import (
    BOT_TOKEN,
    SIGNING_SECRET,
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    running_bot,
    signed_headers,
    wait_for,
)
from tests.suite_support import BotProcess, ChaosSlack, bot_env, free_port, summaries_by_thread
from tests.support.symbl import ChaosSymbl

CHANNEL = "C0SEC"
AUDIO = b"ID3" + b"\x00" * 2048
SYMBL_SECRET = "symbl-app-secret-5d8e1c0a"
SYMBL_ACCESS = "symbl-access-token-7f3a9b21"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, SYMBL_SECRET, SYMBL_ACCESS)


@pytest.fixture
def slack() -> Iterator[ChaosSlack]:
    server = ChaosSlack()
    yield server
    server.close()


@pytest.fixture
def symbl() -> Iterator[ChaosSymbl]:
    server = ChaosSymbl(token=SYMBL_ACCESS, app_secret=SYMBL_SECRET)
    yield server
    server.close()


def _post(url: str, body: str, headers: dict[str, str]) -> int:
    return requests.post(url + "/slack/events", data=body.encode(), headers=headers, timeout=10).status_code


def _rejections(body: str) -> dict[str, dict[str, str]]:
    now = int(time.time())
    good = signed_headers(body)
    return {
        "unsigned": {"Content-Type": "application/json"},
        "no timestamp": {k: v for k, v in good.items() if k != "X-Slack-Request-Timestamp"},
        "no signature": {k: v for k, v in good.items() if k != "X-Slack-Signature"},
        "wrong secret": signed_headers(body, secret="not-the-signing-secret"),
        "wrong version": {**good, "X-Slack-Signature": good["X-Slack-Signature"].replace("v0=", "v1=")},
        "signature of another timestamp": {**good, "X-Slack-Request-Timestamp": str(now - 1)},
        "replayed, 5 min 1 s old": signed_headers(body, timestamp=now - 301),
        "replayed, an hour old": signed_headers(body, timestamp=now - 3600),
        "from 6 min in the future": signed_headers(body, timestamp=now + 360),
    }


def test_unsigned_wrongly_signed_tampered_and_replayed_requests_are_rejected(tmp_path, slack, symbl):
    settings = bot_settings(tmp_path / "data", slack, symbl, symbl_app_secret=SYMBL_SECRET)
    file = slack.add_file("FS1", "secret-meeting.mp3", AUDIO)
    envelope = event_envelope(file_share_event(file, channel=CHANNEL, ts="1700900000.000100"))
    body = json.dumps(envelope)
    with running_bot(settings) as (app, url):
        for name, headers in _rejections(body).items():
            assert _post(url, body, headers) == 401, name
        # A timestamp that is not a number: 401 from the guard in front of Bolt (Bolt's own int() gave 500).
        garbled = {**signed_headers(body), "X-Slack-Request-Timestamp": "yesterday"}
        assert _post(url, body, garbled) == 401
        # Tampered: signed for one body, another sent (a different file smuggled into the same envelope).
        tampered = body.replace("secret-meeting.mp3", "other-meeting.mp3")
        assert _post(url, tampered, signed_headers(body)) == 401
        # Commands are verified the same way.
        form = f"command=%2Fsymbl&text=help&user_id=U0ALICE&channel_id={CHANNEL}&team_id=T0TEAM"
        stale = signed_headers(form, timestamp=int(time.time()) - 301)
        assert _post(url, form, {**stale, "Content-Type": "application/x-www-form-urlencoded"}) == 401
        # Just inside the window is accepted: the rejections above are about the signature, not the route.
        inside = _post(url, body, signed_headers(body, timestamp=int(time.time()) - 240))
        assert inside == 200
        wait_for(lambda: summaries_by_thread(slack, CHANNEL))
        with app.store.read() as db:
            assert db["recordings"].count == 1  # only the accepted delivery made a row
    assert len(slack.calls_to("/files/FS1/secret-meeting.mp3")) == 1
    assert len(symbl.submissions) == 1


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_no_secret_in_the_logs_of_a_full_run_in_process(tmp_path, slack, symbl, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, every level: slack_sdk, urllib3, Bolt, ours
    settings = dataclasses.replace(
        bot_settings(tmp_path / "data", slack, symbl), symbl_app_secret=SYMBL_SECRET
    )
    symbl_client = SymblClient(symbl.base, "app", SYMBL_SECRET, retries=2, backoff=0.01)
    with running_bot(settings, symbl=symbl_client) as (_app, url):
        # A run with the awkward paths too: a rejected request, a rate limit and a server error from Slack,
        # the Symbl token refused once (so it is generated again), and a failed download.
        body = json.dumps(
            event_envelope(file_share_event(slack.add_file("FS0", "x.mp3", AUDIO), channel=CHANNEL))
        )
        assert _post(url, body, signed_headers(body, secret="wrong")) == 401
        slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "0"})
        slack.fail_next("chat.update", status=500, error="internal_error")
        symbl.fail_next("/v1/job/", status=401)
        ok = slack.add_file("FS2", "standup.mp3", AUDIO)
        bad = slack.add_file("FS3", "login.mp3", AUDIO, variant="html")
        for i, file in enumerate((ok, bad)):
            ts = f"1700910000.00010{i}"
            assert deliver(url, event_envelope(file_share_event(file, channel=CHANNEL, ts=ts))).ok
        wait_for(lambda: summaries_by_thread(slack, CHANNEL).get("1700910000.000100"))
        wait_for(
            lambda: any(
                "files:read" in (m.get("text") or "") for m in slack.thread(CHANNEL, "1700910000.000101")
            )
        )
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert len(caplog.records) > 20 and "chat.postMessage" in logged  # the run was really logged
    assert _leaks(logged) == []


@pytest.mark.slow
def test_no_secret_in_the_stderr_of_symbl_bot_serve(tmp_path, slack, symbl):
    data = tmp_path / "data"
    env = bot_env(data, slack, symbl, free_port(), SYMBL_APP_SECRET=SYMBL_SECRET, SYMBL_BOT_LOG_LEVEL="DEBUG")
    log = tmp_path / "bot.log"
    bot = BotProcess(env, log).start()
    try:
        body = json.dumps(
            event_envelope(file_share_event(slack.add_file("FS9", "y.mp3", AUDIO), channel=CHANNEL))
        )
        assert _post(bot.url, body, signed_headers(body, secret="wrong")) == 401
        slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "0"})
        symbl.fail_next("/v1/job/", status=401)
        ts = "1700920000.000100"
        file = slack.add_file("FS4", "standup.mp3", AUDIO)
        assert deliver(bot.url, event_envelope(file_share_event(file, channel=CHANNEL, ts=ts))).ok
        wait_for(lambda: summaries_by_thread(slack, CHANNEL).get(ts), timeout=60)
    finally:
        bot.stop()
    text = log.read_text()
    assert "HTTP mode" in text  # the log is the bot's
    assert _leaks(text) == []
