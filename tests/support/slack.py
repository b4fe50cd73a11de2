"""The strict fake Slack: the Web API methods the bot calls, on loopback HTTP, enforcing Slack's rules.

Every Slack test talks to this one fake (tests/slack_fakes.py and tests/suite_support.py re-export and extend
it), so what Slack refuses, the tests refuse too:

- Block Kit: every block and element is parsed into `slack_sdk.models.blocks` classes and validated with
  their own validators (block_id ≤ 255, section text ≤ 3000, header ≤ 150, ≤ 10 fields, ≤ 10 context
  elements, button text ≤ 75 …); on top, what those validators do not check: ≤ 50 blocks per message, unique
  block ids, field texts ≤ 2000, button values ≤ 2000, unknown block types. Any violation answers
  `invalid_blocks`, as Slack does.
- `text` over 40,000 characters is `msg_too_long`; a post with neither text nor blocks is `no_text`.
- Rate-limit tiers (https://docs.slack.dev/apis/web-api/rate-limits): per workspace and method, a minute's
  window of Tier 1/2/3/4 = 1/20/50/100 calls (chat.postMessage: 60 a minute per channel), past which the
  answer is HTTP 429 with `Retry-After`. `conversations.replies` for apps outside the Marketplace: 1 call a
  minute and `limit` ≤ 15 (changelog 2025-05-29; existing installs from 2026-03-03).
- `chat.scheduleMessage`: `time_in_past`, and `time_too_far` past 120 days.
- Modals: `views.open` takes only a trigger id the fake issued (`new_trigger()`, as a click or a command
  would carry): an unknown one is `invalid_trigger_id`, one used before `exchanged_trigger_id`, one older than
  3 s `expired_trigger_id` (https://docs.slack.dev/reference/methods/views.open). Its `view` is checked as
  Slack checks views: slack_sdk's `View` validators (title/submit/close ≤ 24, callback_id ≤ 255,
  private_metadata ≤ 3000), ≤ 100 blocks validated as above (input blocks' elements, labels and hints
  too), a `submit` whenever there is an input block; a bad view is `invalid_arguments`.
- Methods: only the ones modelled here (a `_m_<method>` each, with its reference page) answer; any other is
  `unknown_method`, as Slack answers a method it does not have. A modelled method checks its required
  arguments (`invalid_arguments`) and the token's scopes (`missing_scope`, with `needed` and `provided`)
  before it answers; its documented errors (`user_not_found`, `message_not_found` …) come from its model.
- Faults: `fail_next` (an HTTP status, e.g. 429), `refuse` (an `ok: false` error) and `malform` (an `ok: true`
  answer without the fields the method documents) let a test see how the bot takes each.
- Posting in a channel the bot is not in (`bot_channels`) is `not_in_channel`.
- Slack Connect: events can carry an envelope `team_id` of the partner org, with the installing workspace in
  `authorizations[0].team_id` (see `event_envelope(..., origin_team=…)`); `file_share` files may arrive as
  `{"id", "file_access": "check_file_info"}` stubs
  (https://docs.slack.dev/apis/slack-connect/#check_file_info): see `file_access_stub`.
- The 3 s ack deadline lives with the delivery helpers (`deliver_as_slack`): an answer later than 3 s, or
  not a 2xx, is delivered again with `X-Slack-Retry-Num`, as the Events API does.

A test's clock for the windows is `FakeSlack.clock`; `advance(seconds)` moves it on, so a test of "the next
minute" need not wait one.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, BlockElement
from slack_sdk.models.views import View

from bot.slack.scopes import BOT_SCOPES, METHOD_SCOPES
from tests.support.http import FakeServer

TEAM = "T0TEAM"
BOT_USER = "U0BOT"
BOT_ID = "B0BOT"
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


@dataclass
class Call:
    method: str  # the Web API method, or the path for downloads
    headers: dict[str, str]
    body: dict[str, Any]


MAX_BLOCKS = 50  # per message (chat.postMessage, chat.update, chat.postEphemeral)
MAX_VIEW_BLOCKS = 100  # per view (views.publish, views.open)
TRIGGER_SECONDS = (
    3.0  # a trigger id is good for 3 s (https://docs.slack.dev/interactivity/handling-user-interaction)
)
MAX_LABEL_CHARS = 2000  # an input block's label and hint
MAX_OPTION_TEXT_CHARS = 75  # a select option's text
MAX_OPTION_VALUE_CHARS = 150  # a select option's value
MAX_TEXT_CHARS = 40_000  # top-level `text`: longer is msg_too_long
MAX_FIELD_CHARS = 2000  # a section field's text
MAX_VALUE_CHARS = 2000  # a button's value
MAX_SCHEDULE_DAYS = 120  # chat.scheduleMessage's horizon
REPLIES_PAGE_LIMIT = 15  # conversations.replies `limit` for apps outside the Marketplace

# Requests per minute per workspace (https://docs.slack.dev/reference/methods/<method>: "Rate limits").
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIER = {
    "auth.test": 4,
    "chat.update": 3,
    "chat.postEphemeral": 4,
    "chat.scheduleMessage": 3,
    "chat.getPermalink": 4,
    "conversations.open": 3,
    "conversations.members": 4,
    "conversations.info": 3,
    "users.conversations": 3,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "files.info": 4,
    "views.publish": 4,
    "views.open": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "conversations.replies": 1,  # non-Marketplace apps: 1 a minute
}
POST_PER_CHANNEL_PER_MINUTE = 60  # chat.postMessage: "1 per second per channel, short bursts allowed"

# "Required arguments" of each modelled method's reference page (besides the token); one missing is Slack's
# `invalid_arguments`. chat.postMessage's text-or-blocks rule is `no_text`, in `_refusal`.
REQUIRED_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("channel",),
    "chat.update": ("channel", "ts"),
    "chat.delete": ("channel", "ts"),
    "chat.postEphemeral": ("channel", "user"),
    "chat.scheduleMessage": ("channel", "post_at"),
    "chat.getPermalink": ("channel", "message_ts"),
    "conversations.replies": ("channel", "ts"),
    "conversations.members": ("channel",),
    "conversations.info": ("channel",),
    "conversations.open": ("users",),  # or `channel`, which the bot never sends
    "users.info": ("user",),
    "users.lookupByEmail": ("email",),
    "files.info": ("file",),
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
    "views.publish": ("user_id", "view"),
    "views.open": ("trigger_id", "view"),  # or `interactivity_pointer`, which the bot never sends
}


def is_summary_post(body: dict) -> bool:
    """A chat.postMessage body of a summary part (status messages carry metadata too, of another type)."""
    return "symbl_summary" in str(body.get("metadata") or "")


class BlocksRefused(ValueError):
    """Why Slack would answer `invalid_blocks`."""


def validate_blocks(blocks: Any, *, max_blocks: int = MAX_BLOCKS) -> None:
    """Raise `BlocksRefused` for a block list Slack refuses; slack_sdk's validators first, then the rest."""
    if not isinstance(blocks, list):
        raise BlocksRefused("blocks must be an array")
    if len(blocks) > max_blocks:
        raise BlocksRefused(f"{len(blocks)} blocks; at most {max_blocks}")
    block_ids: set[str] = set()
    for raw in blocks:
        block = Block.parse(raw) if isinstance(raw, dict) else None
        if block is None or type(block) is Block:
            raise BlocksRefused(f"unknown block {raw!r:.80}")
        _validated(block)
        if raw.get("block_id") is not None:
            if raw["block_id"] in block_ids:
                raise BlocksRefused(f"duplicate block_id {raw['block_id']!r}")
            block_ids.add(raw["block_id"])
        _validate_children(raw)


def _validated(obj: Any) -> None:
    try:
        obj.validate_json()
    except SlackObjectFormationError as err:
        raise BlocksRefused(str(err)) from None


def _validate_children(raw: dict) -> None:
    """The elements and text objects inside a block: slack_sdk validates one object at a time, not a tree."""
    for text in [raw.get("text")] if isinstance(raw.get("text"), dict) else []:
        _validate_text(text, 3000)
    for field in raw.get("fields") or []:
        _validate_text(field, MAX_FIELD_CHARS)
    for key in ("label", "hint"):  # an input block's
        if raw.get(key) is not None:
            _validate_text(raw[key], MAX_LABEL_CHARS)
    elements = list(raw.get("elements") or []) + [raw[k] for k in ("accessory", "element") if raw.get(k)]
    action_ids: set[str] = set()
    for element in elements:
        if element.get("type") in ("mrkdwn", "plain_text"):  # context elements
            _validate_text(element, 3000)
            continue
        parsed = BlockElement.parse(element)
        if parsed is None or type(parsed) is BlockElement:
            raise BlocksRefused(f"unknown element {element!r:.80}")
        _validated(parsed)
        if len(str(element.get("value") or "")) > MAX_VALUE_CHARS:
            raise BlocksRefused(f"button value over {MAX_VALUE_CHARS} characters")
        for option in element.get("options") or []:  # slack_sdk leaves a select's options unchecked
            if len(str((option.get("text") or {}).get("text") or "")) > MAX_OPTION_TEXT_CHARS:
                raise BlocksRefused(f"option text over {MAX_OPTION_TEXT_CHARS} characters")
            if not 0 < len(str(option.get("value") or "")) <= MAX_OPTION_VALUE_CHARS:
                raise BlocksRefused(f"option value empty or over {MAX_OPTION_VALUE_CHARS} characters")
        if element.get("action_id") in action_ids:
            raise BlocksRefused(f"duplicate action_id {element['action_id']!r} in one block")
        action_ids.add(element.get("action_id"))


def _validate_text(text: dict, limit: int) -> None:
    if text.get("type") not in ("mrkdwn", "plain_text"):
        raise BlocksRefused(f"not a text object: {text!r:.80}")
    if not str(text.get("text") or ""):
        raise BlocksRefused("empty text object")
    if len(str(text["text"])) > limit:
        raise BlocksRefused(f"text object of {len(str(text['text']))} characters; at most {limit}")


def validate_view(view: Any) -> None:
    """Raise `BlocksRefused` for a modal Slack refuses (https://docs.slack.dev/reference/views/modal-views)."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        raise BlocksRefused("view must be an object of type modal")
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError) as err:
        raise BlocksRefused(str(err)) from None
    blocks = view.get("blocks") or []
    validate_blocks(blocks, max_blocks=MAX_VIEW_BLOCKS)
    if any(b.get("type") == "input" for b in blocks) and not view.get("submit"):
        raise BlocksRefused("a modal with input blocks needs a submit button")


class RateWindows:
    """Per-key calls in the last minute on a test-controlled clock; `take` says how long until a call fits."""

    def __init__(self, clock: Any) -> None:
        self._clock = clock
        self._calls: dict[tuple, deque] = defaultdict(deque)

    def take(self, key: tuple, per_minute: int) -> float:
        """Record a call under `key`, or return the seconds to wait (Retry-After) when the window is full."""
        now = self._clock()
        calls = self._calls[key]
        while calls and calls[0] <= now - 60:
            calls.popleft()
        if len(calls) >= per_minute:
            return calls[0] + 60 - now
        calls.append(now)
        return 0.0


class FakeSlack(FakeServer):
    """The Slack Web API methods the bot calls, file downloads, and a record of every call.

    `fail_next(method, status, headers)` injects errors (e.g. 429 with Retry-After) for the next calls.
    Files: `add_file(...)` registers bytes under /files/<id>/<name>; variants serve an HTML sign-in page or
    redirect (same host, or to another host).
    """

    def __init__(self, *, rate_limits: bool = True) -> None:
        self.rate_limits = rate_limits  # the tiers above; off for suites that inject their own 429s
        self._clock_offset = 0.0
        self.windows = RateWindows(self.clock)
        self.bot_channels: set[str] | None = None  # channels the bot is in; None: every channel
        self.refused: list[tuple[str, str]] = []  # (method, why) for every call answered with an error
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict]] = defaultdict(list)
        self.files: dict[str, dict] = {}
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}
        self.faults: dict[str, deque] = defaultdict(deque)
        self.refusals: list[tuple[str, str, Any]] = []
        self.malformed: dict[str, dict] = {}  # method → the answer it gets instead of its model's
        # Valid bot tokens → the identity auth.test reports and the scopes granted (x-oauth-scopes header).
        self.tokens: dict[str, dict] = {
            BOT_TOKEN: {"team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "scopes": list(BOT_SCOPES)}
        }
        self.oauth_codes: dict[str, dict] = {}  # code → the oauth.v2.access answer
        self._ts = itertools.count(1)
        self.lock = threading.Lock()
        # Workspace model for commands: channel → member user ids; user id → users.info/users.list object.
        self.members: dict[str, set[str]] = defaultdict(set)
        self.users: dict[str, dict] = {}
        self.responses: list[dict] = []  # bodies POSTed to response_url (/response/<id>)
        self.ephemerals: list[dict] = []
        self.scheduled: list[dict] = []
        self.uploads: dict[str, dict] = {}  # file id → {"bytes", "filename", "channel_id", "thread_ts", …}
        self.triggers: dict[str, float | None] = {}  # trigger id → when issued (fake clock); None once used
        self.views: dict[str, dict] = {}  # view id → the modal views.open opened
        self._file_ids = itertools.count(1)
        super().__init__()

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def clock(self) -> float:
        return time.monotonic() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on (rate-limit windows), as if `seconds` had passed."""
        self._clock_offset += seconds

    # --- set-up ---

    def new_trigger(self) -> str:
        """A trigger id as an interaction carries one: views.open takes it once, within 3 s."""
        with self.lock:
            trigger = f"{next(self._file_ids)}.{TEAM}.trigger"
            self.triggers[trigger] = self.clock()
        return trigger

    def fail_next(
        self,
        method: str,
        status: int = 429,
        headers: dict | None = None,
        times: int = 1,
        error: str = "ratelimited",
    ) -> None:
        for _ in range(times):
            self.faults[method].append((status, headers or {"Retry-After": "1"}, error))

    def refuse(self, method: str, error: str, *, when: Any = lambda _body: True) -> None:
        """Answer `method` with `{"ok": false, "error": error}` (HTTP 200, as Slack does) if `when(body)`."""
        self.refusals.append((method, error, when))

    def malform(self, method: str, answer: dict | None = None) -> None:
        """Answer `method` with `answer` (default `{"ok": true}`: ok, but none of the fields its page
        documents) until `heal(method)`: a malformed answer, which the bot must survive."""
        with self.lock:
            self.malformed[method] = {"ok": True} if answer is None else answer

    def heal(self, method: str) -> None:
        """Stop refusing and malforming `method`."""
        with self.lock:
            self.malformed.pop(method, None)
            self.refusals = [r for r in self.refusals if r[0] != method]

    def add_file(
        self,
        file_id: str,
        name: str,
        data: bytes,
        *,
        mimetype: str = "audio/mpeg",
        filetype: str = "mp3",
        variant: str = "ok",
        size: int | None = None,
        shares: dict | None = None,
        redirect_to: str | None = None,
    ) -> dict:
        path = f"/files/{file_id}/{quote(name)}"  # Slack's file URLs are percent-encoded
        if variant == "html":
            self.blobs[path] = (b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", "text/html")
        elif variant == "redirect":
            self.redirects[path] = redirect_to or f"{self.base}/files-origin/{file_id}/{quote(name)}"
            self.blobs[f"/files-origin/{file_id}/{quote(name)}"] = (data, mimetype)
        else:
            self.blobs[path] = (data, mimetype)
        info = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "size": len(data) if size is None else size,
            "mode": "hosted",
            "url_private": self.base + path,
            "url_private_download": self.base + path,
        }
        if shares is not None:
            info["shares"] = shares
        self.files[file_id] = info
        return info

    def add_workspace(
        self,
        team_id: str,
        token: str,
        *,
        bot_user: str = BOT_USER,
        bot_id: str = BOT_ID,
        scopes: list[str] | None = None,
        code: str | None = None,
    ) -> None:
        """Another valid bot token (its own team); with `code`, oauth.v2.access exchanges that code for it."""
        granted = list(BOT_SCOPES) if scopes is None else scopes
        self.tokens[token] = {"team_id": team_id, "user_id": bot_user, "bot_id": bot_id, "scopes": granted}
        if code:
            self.oauth_codes[code] = {
                "ok": True,
                "app_id": "A0APP",
                "access_token": token,
                "token_type": "bot",
                "scope": ",".join(granted),
                "bot_user_id": bot_user,
                "team": {"id": team_id, "name": f"Team {team_id}"},
                "enterprise": None,
                "is_enterprise_install": False,
                "authed_user": {"id": "U0INSTALLER"},
            }

    # --- queries for assertions ---

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[dict]:
        with self.lock:
            return [dict(m) for m in self.messages[channel] if m.get("thread_ts") == thread_ts]

    def summaries(self, channel: str, thread_ts: str) -> list[dict]:
        return [
            m
            for m in self.thread(channel, thread_ts)
            if (m.get("metadata") or {}).get("event_type") == "symbl_summary"
        ]

    def statuses(self, channel: str, thread_ts: str) -> list[dict]:
        """The bot's status messages (metadata `symbl_status`), and any other message without metadata."""
        return [
            m
            for m in self.thread(channel, thread_ts)
            if (m.get("metadata") or {}).get("event_type", "symbl_status") == "symbl_status"
        ]

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        email: str | None = None,
        is_admin: bool = False,
        channels: tuple[str, ...] = (),
    ) -> dict:
        user = {
            "id": user_id,
            "name": name.lower(),
            "real_name": name,
            "is_admin": is_admin,
            "tz_offset": 0,
            "profile": {
                "real_name": name,
                "display_name": name,
                "email": email or f"{name.lower()}@example.com",
            },
        }
        self.users[user_id] = user
        for channel in channels:
            self.members[channel].add(user_id)
        return user

    def response_url(self, name: str = "r") -> str:
        return f"{self.base}/response/{name}-{next(self._file_ids)}"

    def responses_to(self, response_url: str) -> list[dict]:
        with self.lock:
            return [r["body"] for r in self.responses if r["url"] == urlsplit(response_url).path]

    # --- serving ---

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        parts = urlsplit(h.path)
        if parts.path.startswith("/api/"):
            return self._api(h, parts.path[len("/api/") :], parts.query, raw)
        if parts.path.startswith("/response/"):  # a response_url: no token, JSON body
            with self.lock:
                self.responses.append({"url": parts.path, "body": json.loads(raw or b"{}")})
            return h._reply(200, b"ok", "text/plain")
        if parts.path.startswith("/upload/"):  # files_upload_v2's step 2
            with self.lock:
                self.uploads.setdefault(parts.path.rsplit("/", 1)[1], {})["bytes"] = raw
            return h._reply(200, b"OK - 1", "text/plain")
        with self.lock:
            self.calls.append(Call(parts.path, dict(h.headers), {}))
        if parts.path in self.redirects:
            return h._reply(302, b"", "text/plain", {"Location": self.redirects[parts.path]})
        blob = self.blobs.get(parts.path)
        if blob is None:
            return h._reply(404, b"not found", "text/plain")
        if (h.headers.get("Authorization") or "").removeprefix("Bearer ") not in self.tokens:
            # Slack answers a missing or wrong token with its sign-in page, status 200.
            return h._reply(200, b"<!DOCTYPE html><html>Sign in</html>", "text/html; charset=utf-8")
        h._reply(200, blob[0], blob[1])

    def _api(self, h: BaseHTTPRequestHandler, method: str, query: str, raw: bytes) -> None:
        body = self.api_arguments(h, query, raw)
        with self.lock:
            self.calls.append(Call(method, dict(h.headers), body))
            fault = self.faults[method].popleft() if self.faults[method] else None
        if fault:
            status, headers, error = fault
            return h._reply(
                status, json.dumps({"ok": False, "error": error}).encode(), "application/json", headers
            )
        if method == "oauth.v2.access":  # client credentials (basic auth), not a bot token
            grant = self.oauth_codes.get(body.get("code", ""))
            return self._json(h, grant or {"ok": False, "error": "invalid_code"})
        identity = self.tokens.get((h.headers.get("Authorization") or "").removeprefix("Bearer "))
        if identity is None:
            return self._json(h, {"ok": False, "error": "invalid_auth"})
        wait = self._rate_limited(identity["team_id"], method, body)
        if wait:
            with self.lock:
                self.refused.append((method, "ratelimited"))
            return h._reply(
                429,
                b'{"ok": false, "error": "ratelimited"}',
                "application/json",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
        if method == "auth.test":
            return self._json(
                h,
                self._m_auth_test(body) | {k: identity[k] for k in ("team_id", "user_id", "bot_id")},
                {"x-oauth-scopes": ",".join(identity["scopes"])},
            )
        payload = self._answer(method, body, identity["scopes"])
        if not payload.get("ok"):
            with self.lock:
                self.refused.append((method, str(payload.get("error"))))
        self._json(h, payload)

    def _answer(self, method: str, body: dict, scopes: list[str]) -> dict:
        """What Slack answers a call with a valid token: unknown method, bad arguments, missing scope, an
        injected refusal or malformed answer, or the method's model."""
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method", "req_method": method}
        if any(body.get(name) in (None, "") for name in REQUIRED_ARGUMENTS.get(method, ())):
            return {"ok": False, "error": "invalid_arguments"}
        needed = METHOD_SCOPES.get(method.replace(".", "_"), ())
        if needed and not set(needed) & set(scopes):  # one of them: the conversation type's own
            return {"ok": False, "error": "missing_scope", "needed": needed[0], "provided": ",".join(scopes)}
        with self.lock:
            refusal = next((e for m, e, when in self.refusals if m == method and when(body)), None)
            malformed = self.malformed.get(method)
        if refusal:
            return {"ok": False, "error": refusal}
        if malformed is not None:
            return dict(malformed)
        return handler(body)

    @staticmethod
    def api_arguments(h: BaseHTTPRequestHandler, query: str, raw: bytes) -> dict[str, Any]:
        """A Web API call's arguments: the query string plus a form or JSON body, as Slack reads them."""
        body: dict[str, Any] = dict(parse_qsl(query))
        if raw:
            if (h.headers.get("Content-Type") or "").startswith("application/json"):
                body.update(json.loads(raw))
            else:
                body.update(dict(parse_qsl(raw.decode())))
        return body

    def _rate_limited(self, team_id: str, method: str, body: dict) -> float:
        if not self.rate_limits:
            return 0.0
        if method == "chat.postMessage":
            return self.windows.take((team_id, method, body.get("channel")), POST_PER_CHANNEL_PER_MINUTE)
        tier = METHOD_TIER.get(method)
        return self.windows.take((team_id, method), TIER_PER_MINUTE[tier]) if tier else 0.0

    def _refusal(self, body: dict, *, max_blocks: int = MAX_BLOCKS) -> dict | None:
        """The error Slack answers a message payload with, or None when it takes it."""
        blocks = body.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if blocks:
            try:
                validate_blocks(blocks, max_blocks=max_blocks)
            except BlocksRefused as err:
                return {"ok": False, "error": "invalid_blocks", "errors": [str(err)]}
        text = body.get("text")
        if not blocks and not text and "attachments" not in body:
            return {"ok": False, "error": "no_text"}
        if text and len(str(text)) > MAX_TEXT_CHARS:
            return {"ok": False, "error": "msg_too_long"}
        channel = str(body.get("channel") or "")
        if self.bot_channels is not None and channel[:1] in ("C", "G") and channel not in self.bot_channels:
            return {"ok": False, "error": "not_in_channel"}
        return None

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, payload: dict, headers: dict | None = None) -> None:
        h._reply(200, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _m_auth_test(self, body: dict) -> dict:
        """auth.test: identity of the token (answered in `_api`, with the x-oauth-scopes header).
        https://docs.slack.dev/reference/methods/auth.test"""
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": "Test",
            "user": "symbl",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _m_chat_postMessage(self, body: dict) -> dict:
        """chat.postMessage: `channel`, `ts`, `message`; errors as `_refusal` (invalid_blocks, no_text,
        msg_too_long, not_in_channel).
        https://docs.slack.dev/reference/methods/chat.postMessage"""
        metadata = body.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        refusal = self._refusal(body)
        if refusal:
            return refusal
        blocks = body.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        with self.lock:
            ts = self._next_ts()
            message = {
                "ts": ts,
                "thread_ts": body.get("thread_ts"),
                "text": body.get("text"),
                "blocks": blocks,
                "metadata": metadata,
                "bot_id": BOT_ID,
                "user": BOT_USER,
            }
            self.messages[body["channel"]].append(message)
        return {"ok": True, "channel": body["channel"], "ts": ts, "message": message}

    def _m_chat_update(self, body: dict) -> dict:
        """chat.update: `channel`, `ts`; `message_not_found` for a ts the channel does not hold.
        https://docs.slack.dev/reference/methods/chat.update"""
        refusal = self._refusal(body)
        if refusal:
            return refusal
        with self.lock:
            for message in self.messages[body["channel"]]:
                if message["ts"] == body["ts"]:
                    message["text"] = body.get("text")
                    if "blocks" in body:
                        blocks = body["blocks"]
                        message["blocks"] = json.loads(blocks) if isinstance(blocks, str) else blocks
                    message.setdefault("edits", []).append(body.get("text"))
                    return {"ok": True, "channel": body["channel"], "ts": body["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _m_chat_delete(self, body: dict) -> dict:
        """chat.delete: `channel`, `ts`; `message_not_found`.
        https://docs.slack.dev/reference/methods/chat.delete"""
        with self.lock:
            messages = self.messages[body.get("channel", "")]
            for index, message in enumerate(messages):
                if message["ts"] == body.get("ts"):
                    del messages[index]
                    return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        return {"ok": False, "error": "message_not_found"}

    def _m_conversations_replies(self, body: dict) -> dict:
        """The thread, oldest first, in pages of at most 15 (a larger `limit` is capped, as Slack does).
        https://docs.slack.dev/reference/methods/conversations.replies
        """
        with_metadata = str(body.get("include_all_metadata")).lower() in ("1", "true")
        limit = min(int(body.get("limit") or REPLIES_PAGE_LIMIT), REPLIES_PAGE_LIMIT)
        start = int(body.get("cursor") or 0)
        replies = []
        for m in self.thread(body["channel"], body["ts"]):
            if not with_metadata:
                m.pop("metadata", None)
            replies.append(m)
        page = replies[start : start + limit]
        more = start + limit < len(replies)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_users_conversations(self, body: dict) -> dict:
        """users.conversations: `channels` of the user, paginated.
        https://docs.slack.dev/reference/methods/users.conversations"""
        user = body.get("user", "")
        with self.lock:
            channels = [{"id": c} for c, users in self.members.items() if user in users]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _m_conversations_members(self, body: dict) -> dict:
        """conversations.members: member ids, paginated.
        https://docs.slack.dev/reference/methods/conversations.members"""
        with self.lock:
            return {
                "ok": True,
                "members": sorted(self.members.get(body.get("channel", ""), set())),
                "response_metadata": {"next_cursor": ""},
            }

    def _m_users_info(self, body: dict) -> dict:
        """users.info: `user`; `user_not_found`.
        https://docs.slack.dev/reference/methods/users.info"""
        user = self.users.get(body.get("user", ""))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _m_users_list(self, body: dict) -> dict:
        """Pages of `limit` members (Slack: at most 1000 a page, 200 recommended).
        https://docs.slack.dev/reference/methods/users.list
        """
        limit = min(int(body.get("limit") or 200), 1000)
        start = int(body.get("cursor") or 0)
        members = list(self.users.values())
        more = start + limit < len(members)
        return {
            "ok": True,
            "members": members[start : start + limit],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_users_lookupByEmail(self, body: dict) -> dict:
        """users.lookupByEmail: `user`; `users_not_found`.
        https://docs.slack.dev/reference/methods/users.lookupByEmail"""
        email = str(body.get("email") or "").lower()
        for user in self.users.values():
            if str((user.get("profile") or {}).get("email") or "").lower() == email:
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _m_conversations_info(self, body: dict) -> dict:
        """conversations.info: `channel` with `is_member`.
        https://docs.slack.dev/reference/methods/conversations.info"""
        channel = str(body.get("channel") or "")
        member = self.bot_channels is None or channel in self.bot_channels
        return {"ok": True, "channel": {"id": channel, "is_channel": True, "is_member": member}}

    def _m_chat_getPermalink(self, body: dict) -> dict:
        """chat.getPermalink: `channel`, `permalink`; `message_not_found` for a ts the channel does not
        hold (the fake holds only the bot's own posts, so a permalink is asked of those).
        https://docs.slack.dev/reference/methods/chat.getPermalink"""
        ts = str(body.get("message_ts") or "")
        with self.lock:
            held = any(m["ts"] == ts for m in self.messages.get(str(body.get("channel")), []))
        if not held:
            return {"ok": False, "error": "message_not_found"}
        return {
            "ok": True,
            "channel": body.get("channel"),
            "permalink": f"https://test.slack.com/archives/{body.get('channel')}/p{ts.replace('.', '')}",
        }

    def _m_chat_postEphemeral(self, body: dict) -> dict:
        """chat.postEphemeral: `message_ts`; message errors as `_refusal`.
        https://docs.slack.dev/reference/methods/chat.postEphemeral"""
        refusal = self._refusal(body)
        if refusal:
            return refusal
        with self.lock:
            self.ephemerals.append(
                {
                    "channel": body.get("channel"),
                    "user": body.get("user"),
                    "thread_ts": body.get("thread_ts"),
                    "text": body.get("text"),
                }
            )
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_scheduleMessage(self, body: dict) -> dict:
        """chat.scheduleMessage: `scheduled_message_id`, `post_at`; `time_in_past`, `time_too_far`.
        https://docs.slack.dev/reference/methods/chat.scheduleMessage"""
        refusal = self._refusal(body)
        if refusal:
            return refusal
        post_at = int(body.get("post_at") or 0)
        if post_at <= time.time():
            return {"ok": False, "error": "time_in_past"}
        if post_at > time.time() + MAX_SCHEDULE_DAYS * 86400:
            return {"ok": False, "error": "time_too_far"}
        with self.lock:
            self.scheduled.append(
                {"channel": body.get("channel"), "post_at": post_at, "text": body.get("text")}
            )
        return {
            "ok": True,
            "channel": body.get("channel"),
            "scheduled_message_id": f"Q{next(self._file_ids)}",
            "post_at": int(body.get("post_at") or 0),
        }

    def _m_conversations_open(self, body: dict) -> dict:
        """conversations.open: the direct message `channel` with `users`.
        https://docs.slack.dev/reference/methods/conversations.open"""
        return {"ok": True, "channel": {"id": "D" + str(body.get("users", "")).lstrip("U")}}

    def _m_views_publish(self, body: dict) -> dict:
        """views.publish: the `view`; `invalid_arguments` for blocks Slack refuses.
        https://docs.slack.dev/reference/methods/views.publish"""
        view = body.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        try:
            validate_blocks(view.get("blocks") or [], max_blocks=MAX_VIEW_BLOCKS)
        except BlocksRefused as err:
            return {"ok": False, "error": "invalid_arguments", "errors": [str(err)]}
        return {"ok": True, "view": view}

    def _m_views_open(self, body: dict) -> dict:
        """views.open: the opened `view` (with its `id`); `invalid_trigger_id`, `exchanged_trigger_id`,
        `expired_trigger_id`; `invalid_arguments` for a view Slack refuses.
        https://docs.slack.dev/reference/methods/views.open"""
        view = body["view"]
        view = json.loads(view) if isinstance(view, str) else view
        trigger = str(body["trigger_id"])
        with self.lock:
            if trigger not in self.triggers:
                return {"ok": False, "error": "invalid_trigger_id"}
            issued = self.triggers[trigger]
            if issued is None:
                return {"ok": False, "error": "exchanged_trigger_id"}
            if self.clock() - issued > TRIGGER_SECONDS:
                return {"ok": False, "error": "expired_trigger_id"}
            self.triggers[trigger] = None
        try:
            validate_view(view)
        except BlocksRefused as err:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [str(err)]}}
        opened = {
            **view,
            "id": f"V{next(self._file_ids):08d}",
            "team_id": TEAM,
            "state": {"values": {}},
            "hash": f"{time.time():.6f}.hash",
            "app_id": "A0APP",
            "bot_id": BOT_ID,
        }
        with self.lock:
            self.views[opened["id"]] = opened
        return {"ok": True, "view": opened}

    def _m_files_getUploadURLExternal(self, body: dict) -> dict:
        """files.getUploadURLExternal: `upload_url`, `file_id`.
        https://docs.slack.dev/reference/methods/files.getUploadURLExternal"""
        file_id = f"FUP{next(self._file_ids)}"
        with self.lock:
            self.uploads[file_id] = {"filename": body.get("filename")}
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, body: dict) -> dict:
        """files.completeUploadExternal: `files`; `file_not_found` for an id never reserved.
        https://docs.slack.dev/reference/methods/files.completeUploadExternal"""
        files = body.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        with self.lock:
            if any(f.get("id") not in self.uploads for f in files):
                return {"ok": False, "error": "file_not_found"}
            for f in files:
                self.uploads[f["id"]].update(
                    title=f.get("title"),
                    channel_id=body.get("channel_id"),
                    thread_ts=body.get("thread_ts"),
                    initial_comment=body.get("initial_comment"),
                )
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _m_files_info(self, body: dict) -> dict:
        """files.info: `file`; `file_not_found`.
        https://docs.slack.dev/reference/methods/files.info"""
        info = self.files.get(body.get("file", ""))
        return {"ok": True, "file": info} if info else {"ok": False, "error": "file_not_found"}
