"""Signed Slack requests (events, commands, interactions) and the bot under test, for the Slack tests.

The bot reaches the fake Slack (tests/support/slack.py) through slack_sdk's `WebClient(base_url=…)` and the
Symbl stub (tests/support/symbl.py) through `SymblClient`, so what the tests assert is what crossed the wire.
The fake Slack is re-exported here for the existing imports.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from bot.config import Settings
from bot.slack.app import Bot, build_bot
from tests.support.slack import (  # noqa: F401 — re-exported for the tests' imports
    BOT_ID,
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    TEAM,
    Call,
    FakeSlack,
)
from tests.support.symbl import StubSymbl
from tests.support.wait import wait_until as wait_for  # noqa: F401 — the Slack tests' name for it

# --- signed Slack requests ----------------------------------------------------------------------------------

_event_ids = itertools.count(1)


def event_envelope(
    event: dict, *, event_id: str | None = None, team: str = TEAM, origin_team: str | None = None
) -> dict:
    """An Events API envelope. `origin_team`: a Slack Connect event from a partner org, whose id is the
    envelope's `team_id` while the installation it is delivered to stays in `authorizations[0].team_id`
    (the field Bolt's `context.team_id` comes from: slack_bolt/request/internals.py, `extract_team_id`)."""
    return {
        "token": "legacy",
        "team_id": origin_team or team,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event": event,
        "event_id": event_id or f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team,
                "user_id": BOT_USER,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": origin_team is not None,
    }


def file_access_stub(file_id: str) -> dict:
    """A file as Slack Connect `file_share` events carry it until the app asks `files.info`
    (https://docs.slack.dev/apis/slack-connect/#check_file_info)."""
    return {"id": file_id, "mode": "file_access", "file_access": "check_file_info"}


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, retry_num: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return headers


def deliver(
    app_url: str,
    envelope: dict,
    *,
    retry_num: int | None = None,
    secret: str = SIGNING_SECRET,
    timeout: float = 10,
) -> requests.Response:
    """POST a signed event to the running app, as Slack does."""
    body = json.dumps(envelope)
    return requests.post(
        app_url + "/slack/events",
        data=body.encode(),
        headers=signed_headers(body, secret=secret, retry_num=retry_num),
        timeout=timeout,
    )


ACK_DEADLINE_SECONDS = 3.0  # Slack's: https://docs.slack.dev/apis/events-api/#responding


@dataclass
class Delivery:
    """What Slack saw delivering one event: every answer's status, and how many times it delivered again."""

    statuses: list[int | None] = field(default_factory=list)

    @property
    def redeliveries(self) -> int:
        return len(self.statuses) - 1


def deliver_as_slack(app_url: str, envelope: dict, *, attempts: int = 4) -> Delivery:
    """Deliver an event as the Events API does: an answer that is not a 2xx, or later than the 3 s deadline
    (a timeout here), counts as not acknowledged, and the event comes again with `X-Slack-Retry-Num`."""
    delivery = Delivery()
    for retry in range(attempts):
        try:
            status: int | None = deliver(
                app_url, envelope, retry_num=retry or None, timeout=ACK_DEADLINE_SECONDS
            ).status_code
        except requests.Timeout:
            status = None
        delivery.statuses.append(status)
        if status is not None and 200 <= status < 300:
            break
    return delivery


_triggers = itertools.count(1)


def _post_form(app_url: str, form: dict[str, str], timeout: float) -> requests.Response:
    body = urlencode(form)
    headers = {**signed_headers(body), "Content-Type": "application/x-www-form-urlencoded"}
    return requests.post(app_url + "/slack/events", data=body.encode(), headers=headers, timeout=timeout)


def slash_command(
    app_url: str,
    text: str,
    *,
    response_url: str,
    user: str = "U0ALICE",
    channel: str = "C0CHAN",
    team: str = TEAM,
    timeout: float = 10,
) -> requests.Response:
    """POST a signed `/symbl` command (form-encoded, as Slack sends it)."""
    return _post_form(
        app_url,
        {
            "token": "legacy",
            "team_id": team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/symbl",
            "text": text,
            "api_app_id": "A0APP",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"trig.{next(_triggers)}",
        },
        timeout,
    )


def interaction(app_url: str, payload: dict, *, timeout: float = 10) -> requests.Response:
    """POST a signed interactivity payload (block actions, shortcuts): form field `payload` holding JSON."""
    return _post_form(app_url, {"payload": json.dumps(payload)}, timeout)


def block_action(
    action_id: str,
    value: str,
    *,
    user: str,
    channel: str,
    message_ts: str,
    response_url: str,
    team: str = TEAM,
    trigger_id: str | None = None,
) -> dict:
    """A `block_actions` payload of a button in a message. `trigger_id`: one the fake Slack issued
    (`FakeSlack.new_trigger()`) when the click is to open a modal."""
    return {
        "type": "block_actions",
        "team": {"id": team, "domain": "test"},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A0APP",
        "token": "legacy",
        "trigger_id": trigger_id or f"trig.{next(_triggers)}",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "channel": {"id": channel, "name": "general"},
        "message": {"ts": message_ts, "type": "message"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "type": "button",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }


def view_submission(view: dict, values: dict[str, dict[str, dict]], *, user: str, team: str = TEAM) -> dict:
    """A `view_submission` payload of a modal the fake Slack opened (`FakeSlack.views`), as Slack sends it
    when the user presses the modal's submit button
    (https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload).

    `values`: block id → action id → the element's state, e.g. `{"type": "users_select", "selected_user":
    "U1"}`; an input block the user left alone is sent with its empty state, as Slack does."""
    state: dict[str, dict[str, dict]] = {}
    for block in view.get("blocks") or []:
        if block.get("type") == "input":
            element = block["element"]
            empty = {"type": element["type"]}
            chosen = values.get(block["block_id"], {}).get(element["action_id"])
            state[block["block_id"]] = {element["action_id"]: chosen or empty}
    unknown = set(values) - set(state)
    if unknown:
        raise ValueError(f"no input blocks {sorted(unknown)} in the view")
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "test"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": "A0APP",
        "token": "legacy",
        "trigger_id": f"trig.{next(_triggers)}",
        "view": {**view, "state": {"values": state}},
        "response_urls": [],
        "is_enterprise_install": False,
    }


def message_shortcut(message: dict, *, user: str, channel: str, response_url: str, team: str = TEAM) -> dict:
    return {
        "type": "message_action",
        "callback_id": "summarize_with_symbl",
        "team": {"id": team, "domain": "test"},
        "user": {"id": user, "team_id": team},
        "channel": {"id": channel, "name": "general"},
        "message": message,
        "message_ts": message["ts"],
        "response_url": response_url,
        "token": "legacy",
        "trigger_id": f"trig.{next(_triggers)}",
        "action_ts": str(time.time()),
    }


def file_share_event(
    file: dict,
    *,
    channel: str = "C0CHAN",
    ts: str = "1699999999.000200",
    user: str = "U0ALICE",
    text: str = "",
    thread_ts: str | None = None,
) -> dict:
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel": channel,
        "channel_type": "channel",
        "user": user,
        "ts": ts,
        "event_ts": ts,
        "text": text,
        "files": [file],
        "upload": True,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message_event(
    text: str, *, channel: str = "C0CHAN", ts: str = "1699999999.000300", user: str = "U0ALICE", **extra: Any
) -> dict:
    return {
        "type": "message",
        "channel": channel,
        "channel_type": "channel",
        "user": user,
        "ts": ts,
        "event_ts": ts,
        "text": text,
        **extra,
    }


def file_shared_event(file_id: str, *, channel: str = "C0CHAN", user: str = "U0ALICE") -> dict:
    return {
        "type": "file_shared",
        "file_id": file_id,
        "file": {"id": file_id},
        "user_id": user,
        "channel_id": channel,
        "event_ts": str(time.time()),
    }


# --- the bot under test ----------------------------------------------------------------------------------


def bot_settings(
    data_dir: Path, fake_slack: FakeSlack, stub_symbl: StubSymbl | None, **overrides: Any
) -> Settings:
    settings = Settings(
        data_dir=data_dir,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        poll_seconds=0.1,
        background="thread",  # in-process: these tests inject fakes and reach into the poller
    )
    if stub_symbl is not None:
        settings = dataclasses.replace(
            settings, symbl_app_id="app", symbl_app_secret="secret", symbl_api_url=stub_symbl.base
        )
    return dataclasses.replace(settings, **overrides)


@contextmanager
def running_bot(settings: Settings, **kwargs: Any) -> Iterator[tuple[Bot, str]]:
    """The bot in HTTP mode on an ephemeral port with its real scheduler; yields (bot, base URL)."""
    bot = build_bot(settings, **kwargs)
    try:
        bot.start_background()
        url = bot.start_http()
        yield bot, url
    finally:
        bot.close()
        bot.store.close()
