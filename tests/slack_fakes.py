"""Local stand-ins for the Slack Web API and a Symbl-compatible API, plus signed-request helpers.

Both are real threaded HTTP servers on loopback: the bot reaches Slack through slack_sdk's `WebClient(base_url=…)`
and Symbl through `SymblClient`, so what the tests assert is what crossed the wire.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from slack_sdk.signature import SignatureVerifier

from bot.config import Settings
from bot.slack.app import Bot, build_bot
from bot.slack.scopes import BOT_SCOPES

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


def wait_for(
    condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02, *, message: str | None = None
) -> Any:
    """Poll `condition` until it returns something truthy; fail with a clear message at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                message or f"condition not met within {timeout}s: {getattr(condition, '__name__', condition)}"
            )
        time.sleep(interval)


def serve_in_thread(handler: Callable[..., BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A threaded HTTP server on an ephemeral loopback port, serving from a daemon thread.

    Stop it with `shutdown()` then `server_close()`; its port is `server_address[1]`.
    """
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return httpd


class _Server:
    def __init__(self, handler_factory: Callable[[_Server], type]):
        self.httpd = serve_in_thread(handler_factory(self))
        self.port = self.httpd.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(server: Any) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            server.handle(self, self._body())

        def do_POST(self) -> None:
            server.handle(self, self._body())

        def do_PUT(self) -> None:
            server.handle(self, self._body())

        def do_DELETE(self) -> None:
            server.handle(self, self._body())

    return Handler


class FakeSlack(_Server):
    """The Slack Web API methods the bot calls, file downloads, and a record of every call.

    `fail_next(method, status, headers)` injects errors (e.g. 429 with Retry-After) for the next calls.
    Files: `add_file(...)` registers bytes under /files/<id>/<name>; variants serve an HTML sign-in page or
    redirect (same host, or to another host).
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict]] = defaultdict(list)
        self.files: dict[str, dict] = {}
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}
        self.faults: dict[str, deque] = defaultdict(deque)
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
        self.uploads: dict[str, dict] = {}  # file id → {"bytes", "filename", "channel_id", "thread_ts", …}
        self._file_ids = itertools.count(1)
        super().__init__(_handler)

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    # --- set-up ---

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
        path = f"/files/{file_id}/{name}"
        if variant == "html":
            self.blobs[path] = (b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", "text/html")
        elif variant == "redirect":
            self.redirects[path] = redirect_to or f"{self.base}/files-origin/{file_id}/{name}"
            self.blobs[f"/files-origin/{file_id}/{name}"] = (data, mimetype)
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
        return [m for m in self.thread(channel, thread_ts) if not m.get("metadata")]

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
        body: dict[str, Any] = dict(parse_qsl(query))
        if raw:
            if (h.headers.get("Content-Type") or "").startswith("application/json"):
                body.update(json.loads(raw))
            else:
                body.update(dict(parse_qsl(raw.decode())))
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
        if method == "auth.test":
            return self._json(
                h,
                self._m_auth_test(body) | {k: identity[k] for k in ("team_id", "user_id", "bot_id")},
                {"x-oauth-scopes": ",".join(identity["scopes"])},
            )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        self._json(h, handler(body) if handler else {"ok": True})

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, payload: dict, headers: dict | None = None) -> None:
        h._reply(200, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _m_auth_test(self, body: dict) -> dict:
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
        metadata = body.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        blocks = body.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if blocks and (
            len(blocks) > 50 or any(len((b.get("text") or {}).get("text", "")) > 3000 for b in blocks)
        ):
            return {"ok": False, "error": "invalid_blocks"}
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

    def _m_conversations_replies(self, body: dict) -> dict:
        with_metadata = str(body.get("include_all_metadata")).lower() in ("1", "true")
        replies = []
        for m in self.thread(body["channel"], body["ts"]):
            if not with_metadata:
                m.pop("metadata", None)
            replies.append(m)
        return {"ok": True, "messages": replies, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _m_users_conversations(self, body: dict) -> dict:
        user = body.get("user", "")
        with self.lock:
            channels = [{"id": c} for c, users in self.members.items() if user in users]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _m_conversations_members(self, body: dict) -> dict:
        with self.lock:
            return {
                "ok": True,
                "members": sorted(self.members.get(body.get("channel", ""), set())),
                "response_metadata": {"next_cursor": ""},
            }

    def _m_users_info(self, body: dict) -> dict:
        user = self.users.get(body.get("user", ""))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _m_users_list(self, body: dict) -> dict:
        return {"ok": True, "members": list(self.users.values()), "response_metadata": {"next_cursor": ""}}

    def _m_chat_getPermalink(self, body: dict) -> dict:
        ts = body.get("message_ts", "")
        return {
            "ok": True,
            "channel": body.get("channel"),
            "permalink": f"https://test.slack.com/archives/{body.get('channel')}/p{ts.replace('.', '')}",
        }

    def _m_chat_postEphemeral(self, body: dict) -> dict:
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_scheduleMessage(self, body: dict) -> dict:
        return {
            "ok": True,
            "channel": body.get("channel"),
            "scheduled_message_id": f"Q{next(self._file_ids)}",
            "post_at": int(body.get("post_at") or 0),
        }

    def _m_conversations_open(self, body: dict) -> dict:
        return {"ok": True, "channel": {"id": "D" + str(body.get("users", "")).lstrip("U")}}

    def _m_views_publish(self, body: dict) -> dict:
        return {"ok": True, "view": body.get("view")}

    def _m_files_getUploadURLExternal(self, body: dict) -> dict:
        file_id = f"FUP{next(self._file_ids)}"
        with self.lock:
            self.uploads[file_id] = {"filename": body.get("filename")}
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, body: dict) -> dict:
        files = body.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        with self.lock:
            for f in files:
                self.uploads[f["id"]].update(
                    title=f.get("title"),
                    channel_id=body.get("channel_id"),
                    thread_ts=body.get("thread_ts"),
                    initial_comment=body.get("initial_comment"),
                )
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _m_files_info(self, body: dict) -> dict:
        info = self.files.get(body.get("file", ""))
        return {"ok": True, "file": info} if info else {"ok": False, "error": "file_not_found"}


class FileServer(_Server):
    """A plain public-looking file host (for links), recording requests and their Authorization headers."""

    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.requests: list[tuple[str, str | None]] = []
        super().__init__(_handler)

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
        {
            "id": "m1",
            "text": "The payment screen crashes on checkout.",
            "from": {"id": "s1", "name": "Sam"},
            "startTime": "2024-03-12T15:00:00Z",
            "endTime": "2024-03-12T15:00:04Z",
            "sentiment": {"polarity": {"score": -0.4}, "suggested": "negative"},
        },
        {
            "id": "m2",
            "text": "I will fix the payment crash by Friday.",
            "from": {"id": "s2", "name": "Priya"},
            "startTime": "2024-03-12T15:00:05Z",
            "endTime": "2024-03-12T15:00:52Z",
            "sentiment": {"polarity": {"score": 0.6}, "suggested": "positive"},
        },
    ],
    "topics": [{"id": "t1", "text": "payment crash", "score": 0.9}, {"id": "t2", "text": "release notes"}],
    "questions": [{"id": "q1", "text": "Who owns the release notes?", "from": {"name": "Sam"}}],
    "actionItems": [
        {
            "id": "a1",
            "text": "Fix the payment crash",
            "assignee": {"name": "Priya"},
            "dueBy": "2024-03-15T00:00:00Z",
        }
    ],
    "followUps": [{"id": "f1", "text": "Check in on the release next week", "assignee": {"name": "Sam"}}],
    "members": [{"id": "s1", "name": "Sam"}, {"id": "s2", "name": "Priya"}],
}


class StubSymbl(_Server):
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
        super().__init__(_handler)

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
            job = {
                "id": str(uuid.uuid4()),
                "conversationId": conversation_id,
                "status": "scheduled" if self.mode == "hold" else "in_progress",
            }
            with self.lock:
                self.jobs[job["id"]] = job
                self.submissions.append(
                    {
                        "path": path,
                        "bytes": len(raw),
                        "query": urlsplit(h.path).query,
                        "body": raw if path.endswith("/url") else None,
                    }
                )
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
            key = {
                "messages": "messages",
                "topics": "topics",
                "questions": "questions",
                "action-items": "actionItems",
                "follow-ups": "followUps",
                "members": "members",
            }.get(resource)
            if key:
                return self._json(h, 200, {key: self.insights[key]})
        self._json(h, 404, {"message": "not found"})

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        h._reply(status, json.dumps(payload).encode(), "application/json")


# --- signed Slack requests -------------------------------------------------------------------------------------

_event_ids = itertools.count(1)


def event_envelope(event: dict, *, event_id: str | None = None, team: str = TEAM) -> dict:
    return {
        "token": "legacy",
        "team_id": team,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event": event,
        "event_id": event_id or f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": BOT_USER, "is_bot": True}],
    }


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
) -> dict:
    return {
        "type": "block_actions",
        "team": {"id": team, "domain": "test"},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A0APP",
        "token": "legacy",
        "trigger_id": f"trig.{next(_triggers)}",
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
