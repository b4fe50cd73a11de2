"""Local stand-ins for the Slack Web API and a Symbl-compatible API, plus signed-request helpers.

Both are real threaded HTTP servers on loopback: the bot reaches Slack through slack_sdk's `WebClient(base_url=…)`
and Symbl through `SymblClient`, so what the tests assert is what crossed the wire. The fake Slack itself,
with the rules it enforces, is tests/support/slack.py; it is re-exported here for the existing imports.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from slack_sdk.signature import SignatureVerifier

from bot.config import Settings
from bot.slack.app import Bot, build_bot
from tests.support.http import LocalServer, request_handler, serve_in_thread, wait_for
from tests.support.slack import (  # noqa: F401 — re-exported for the tests' imports
    BOT_ID,
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    TEAM,
    Call,
    FakeSlack,
)


class FileServer(LocalServer):
    """A plain public-looking file host (for links), recording requests and their Authorization headers."""

    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.requests: list[tuple[str, str | None]] = []
        super().__init__(request_handler)

    def add(self, path: str, data: bytes, content_type: str = "audio/mpeg") -> str:
        self.blobs[path] = (data, content_type)
        return self.base + path

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        path = urlsplit(h.path).path
        self.requests.append((path, h.headers.get("Authorization")))
        blob = self.blobs.get(path)
        if blob is None:
            return h._reply(404, b"not found", "text/plain")
        h._reply(200, blob[0], blob[1])


INSIGHTS = {
    "messages": [
        {"id": "m1", "text": "The payment screen crashes on checkout.", "from": {"id": "s1", "name": "Sam"},
         "startTime": "2024-03-12T15:00:00Z", "endTime": "2024-03-12T15:00:04Z",
         "sentiment": {"polarity": {"score": -0.4}, "suggested": "negative"}},
        {"id": "m2", "text": "I will fix the payment crash by Friday.", "from": {"id": "s2", "name": "Priya"},
         "startTime": "2024-03-12T15:00:05Z", "endTime": "2024-03-12T15:00:52Z",
         "sentiment": {"polarity": {"score": 0.6}, "suggested": "positive"}},
    ],
    "topics": [{"id": "t1", "text": "payment crash", "score": 0.9}, {"id": "t2", "text": "release notes"}],
    "questions": [{"id": "q1", "text": "Who owns the release notes?", "from": {"name": "Sam"}}],
    "actionItems": [{"id": "a1", "text": "Fix the payment crash", "assignee": {"name": "Priya"},
                     "dueBy": "2024-03-15T00:00:00Z"}],
    "followUps": [{"id": "f1", "text": "Check in on the release next week", "assignee": {"name": "Sam"}}],
    "members": [{"id": "s1", "name": "Sam"}, {"id": "s2", "name": "Priya"}],
}


class StubSymbl(LocalServer):
    """A Symbl-compatible API with scripted job states and faults.

    mode: "complete" (a job completes at its first poll), "hold" (in_progress until `finish(job)`),
    "fail" (the job fails). `fail_next(prefix, status, times)` answers matching paths with an error first.
    """

    def __init__(self, mode: str = "complete", insights: dict | None = None) -> None:
        self.mode = mode
        self.insights = insights or INSIGHTS
        self.jobs: dict[str, dict] = {}
        self.submissions: list[dict] = []
        self.requests: list[str] = []
        self.deleted: list[str] = []  # conversation ids deleted through DELETE /v1/conversations/{id}
        self.faults: list[list] = []
        self.lock = threading.Lock()
        super().__init__(request_handler)

    def finish(self, job_id: str, status: str = "completed") -> None:
        with self.lock:
            self.jobs[job_id]["status"] = status

    def fail_next(self, prefix: str, status: int = 500, times: int = 1) -> None:
        with self.lock:
            self.faults.append([prefix, status, times])

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        path = urlsplit(h.path).path
        with self.lock:
            self.requests.append(f"{h.command} {path}")
            for fault in self.faults:
                if path.startswith(fault[0]) and fault[2] > 0:
                    fault[2] -= 1
                    return h._reply(fault[1], b'{"message": "injected"}', "application/json")
        if path == "/oauth2/token:generate":
            return self._json(h, 200, {"accessToken": "stub-token", "expiresIn": 86400})
        if h.headers.get("x-api-key") != "stub-token":
            return self._json(h, 401, {"message": "bad token"})
        if h.command in ("POST", "PUT") and path.startswith("/v1/process/"):
            # PUT …/{conversationId} appends: same conversation, new job.
            conversation_id = path.rsplit("/", 1)[1] if h.command == "PUT" else str(uuid.uuid4())
            job = {"id": str(uuid.uuid4()), "conversationId": conversation_id,
                   "status": "scheduled" if self.mode == "hold" else "in_progress"}
            with self.lock:
                self.jobs[job["id"]] = job
                self.submissions.append({"path": path, "bytes": len(raw), "query": urlsplit(h.path).query,
                                         "body": raw if path.endswith("/url") else None})
            return self._json(h, 201, {"conversationId": job["conversationId"], "jobId": job["id"]})
        if path.startswith("/v1/job/"):
            job = self.jobs.get(path.rsplit("/", 1)[1])
            if job is None:
                return self._json(h, 404, {"message": "no such job"})
            with self.lock:
                if self.mode == "complete":
                    job["status"] = "completed"
                elif self.mode == "fail":
                    job["status"] = "failed"
                body = {"id": job["id"], "status": job["status"]}
            if job["status"] == "failed":
                body["message"] = "The audio could not be decoded."
            return self._json(h, 200, body)
        if h.command == "DELETE" and path.startswith("/v1/conversations/"):
            with self.lock:
                self.deleted.append(path.rsplit("/", 1)[1])
            return self._json(h, 200, {"message": "deleted"})
        if path.startswith("/v1/conversations/"):
            resource = path.rsplit("/", 1)[1]
            key = {"messages": "messages", "topics": "topics", "questions": "questions",
                   "action-items": "actionItems", "follow-ups": "followUps", "members": "members"}.get(resource)
            if key:
                return self._json(h, 200, {key: self.insights[key]})
        self._json(h, 404, {"message": "not found"})

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        h._reply(status, json.dumps(payload).encode(), "application/json")


# --- signed Slack requests -------------------------------------------------------------------------------------

_event_ids = itertools.count(1)


def event_envelope(event: dict, *, event_id: str | None = None, team: str = TEAM,
                   origin_team: str | None = None) -> dict:
    """An Events API envelope. `origin_team`: a Slack Connect event from a partner org, whose id is the
    envelope's `team_id` while the installation it is delivered to stays in `authorizations[0].team_id`
    (the field Bolt's `context.team_id` comes from: slack_bolt/request/internals.py, `extract_team_id`)."""
    return {
        "token": "legacy", "team_id": origin_team or team, "api_app_id": "A0APP", "type": "event_callback",
        "event": event, "event_id": event_id or f"Ev{next(_event_ids):08d}", "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": team, "user_id": BOT_USER, "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": origin_team is not None,
    }


def file_access_stub(file_id: str) -> dict:
    """A file as Slack Connect `file_share` events carry it until the app asks `files.info`
    (https://docs.slack.dev/apis/slack-connect/#check_file_info)."""
    return {"id": file_id, "mode": "file_access", "file_access": "check_file_info"}


def signed_headers(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   retry_num: int | None = None) -> dict[str, str]:
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


def deliver(app_url: str, envelope: dict, *, retry_num: int | None = None, secret: str = SIGNING_SECRET,
            timeout: float = 10) -> requests.Response:
    """POST a signed event to the running app, as Slack does."""
    body = json.dumps(envelope)
    return requests.post(app_url + "/slack/events", data=body.encode(),
                         headers=signed_headers(body, secret=secret, retry_num=retry_num), timeout=timeout)


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
            status: int | None = deliver(app_url, envelope, retry_num=retry or None,
                                         timeout=ACK_DEADLINE_SECONDS).status_code
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


def slash_command(app_url: str, text: str, *, response_url: str, user: str = "U0ALICE", channel: str = "C0CHAN",
                  team: str = TEAM, timeout: float = 10) -> requests.Response:
    """POST a signed `/symbl` command (form-encoded, as Slack sends it)."""
    return _post_form(app_url, {
        "token": "legacy", "team_id": team, "team_domain": "test", "channel_id": channel, "channel_name": "general",
        "user_id": user, "user_name": user.lower(), "command": "/symbl", "text": text, "api_app_id": "A0APP",
        "is_enterprise_install": "false", "response_url": response_url, "trigger_id": f"trig.{next(_triggers)}",
    }, timeout)


def interaction(app_url: str, payload: dict, *, timeout: float = 10) -> requests.Response:
    """POST a signed interactivity payload (block actions, shortcuts): form field `payload` holding JSON."""
    return _post_form(app_url, {"payload": json.dumps(payload)}, timeout)


def block_action(action_id: str, value: str, *, user: str, channel: str, message_ts: str, response_url: str,
                 team: str = TEAM) -> dict:
    return {
        "type": "block_actions", "team": {"id": team, "domain": "test"}, "user": {"id": user, "team_id": team},
        "api_app_id": "A0APP", "token": "legacy", "trigger_id": f"trig.{next(_triggers)}",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "general"}, "message": {"ts": message_ts, "type": "message"},
        "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value,
                     "action_ts": str(time.time())}],
    }


def message_shortcut(message: dict, *, user: str, channel: str, response_url: str, team: str = TEAM) -> dict:
    return {
        "type": "message_action", "callback_id": "summarize_with_symbl", "team": {"id": team, "domain": "test"},
        "user": {"id": user, "team_id": team}, "channel": {"id": channel, "name": "general"},
        "message": message, "message_ts": message["ts"], "response_url": response_url, "token": "legacy",
        "trigger_id": f"trig.{next(_triggers)}", "action_ts": str(time.time()),
    }


def file_share_event(file: dict, *, channel: str = "C0CHAN", ts: str = "1699999999.000200", user: str = "U0ALICE",
                     text: str = "", thread_ts: str | None = None) -> dict:
    event = {"type": "message", "subtype": "file_share", "channel": channel, "channel_type": "channel",
             "user": user, "ts": ts, "event_ts": ts, "text": text, "files": [file], "upload": True}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message_event(text: str, *, channel: str = "C0CHAN", ts: str = "1699999999.000300", user: str = "U0ALICE",
                  **extra: Any) -> dict:
    return {"type": "message", "channel": channel, "channel_type": "channel", "user": user, "ts": ts,
            "event_ts": ts, "text": text, **extra}


def file_shared_event(file_id: str, *, channel: str = "C0CHAN", user: str = "U0ALICE") -> dict:
    return {"type": "file_shared", "file_id": file_id, "file": {"id": file_id}, "user_id": user,
            "channel_id": channel, "event_ts": str(time.time())}


# --- the bot under test ----------------------------------------------------------------------------------


def bot_settings(data_dir: Path, fake_slack: FakeSlack, stub_symbl: StubSymbl | None, **overrides: Any) -> Settings:
    settings = Settings(
        data_dir=data_dir,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        poll_seconds=0.1,
    )
    if stub_symbl is not None:
        settings = dataclasses.replace(settings, symbl_app_id="app", symbl_app_secret="secret",
                                       symbl_api_url=stub_symbl.base)
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
