"""A Symbl-compatible API for the bot's and the client's tests: `StubSymbl`, and `ChaosSymbl` with faults.

Both answer through one router (`StubSymbl.route`): token, file/URL submissions and appends, job polls,
the conversation resources, `PUT …/members/{memberId}` and DELETE. `ChaosSymbl` only decides, before
routing, whether a request fails.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.chaos import Chaos, Chaotic, Gates, drop_connection, quiet
from tests.support.http import FakeServer

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
RESOURCES = {
    "messages": "messages",
    "topics": "topics",
    "questions": "questions",
    "action-items": "actionItems",
    "follow-ups": "followUps",
    "members": "members",
}


class StubSymbl(FakeServer):
    """A Symbl-compatible API with scripted job states and faults.

    mode: "complete" (a job completes at its `polls_to_complete`-th poll), "hold" (in_progress until
    `finish(job)`), "fail" (the job fails). `fail_next(prefix, status, times)` answers matching paths with an
    error first. Jobs remember the `name` option of their submission (`jobs_named`). `GET
    /v1/conversations/{id}` (§5.8) is a 404 unless `metadata` is given: then Symbl's fields plus `metadata`
    (e.g. our engine's `language` and `warnings`).

    Like the engine (bot/engine/server/auth.py, conversations.py): a token is granted only for `app_id` /
    `app_secret` (the credentials `tests/slack_fakes.bot_settings` configures), 401 otherwise; a conversation
    no submission created is a 404, on reading and on DELETE.
    """

    def __init__(
        self,
        mode: str = "complete",
        insights: dict | None = None,
        *,
        polls_to_complete: int = 1,
        token: str = "stub-token",
        app_id: str = "app",
        app_secret: str = "secret",
        metadata: dict | None = None,
    ) -> None:
        self.mode = mode
        self.metadata = metadata
        self.credentials = {"appId": app_id, "appSecret": app_secret}
        self.insights = insights or INSIGHTS
        self.polls_to_complete = polls_to_complete
        self.token = token
        self.jobs: dict[str, dict] = {}
        self.submissions: list[dict] = []
        self.requests: list[str] = []
        self.deleted: list[str] = []  # conversation ids deleted through DELETE /v1/conversations/{id}
        self.renamed: list[
            tuple[str, str, dict]
        ] = []  # (conversation id, member id, body) of each PUT member
        self.faults: list[list] = []
        self.names: dict[str, str] = {}  # job id → submitted name
        self.conversation_names: dict[str, str] = {}
        self.polls: Counter = Counter()
        self.lock = threading.Lock()
        super().__init__()

    def finish(self, job_id: str, status: str = "completed") -> None:
        with self.lock:
            self.jobs[job_id]["status"] = status

    def fail_next(self, prefix: str, status: int = 500, times: int = 1) -> None:
        with self.lock:
            self.faults.append([prefix, status, times])

    def jobs_named(self, name: str) -> list[str]:
        with self.lock:
            return [job for job, n in self.names.items() if n == name]

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        path = urlsplit(h.path).path
        with self.lock:
            self.requests.append(f"{h.command} {path}")
            for fault in self.faults:
                if path.startswith(fault[0]) and fault[2] > 0:
                    fault[2] -= 1
                    return h._reply(fault[1], b'{"message": "injected"}', "application/json")  # type: ignore[attr-defined]
        self.route(h, raw)

    def route(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        """Answer one request as the Symbl Async API would (the one router of both fakes)."""
        parts = urlsplit(h.path)
        path = parts.path
        if path == "/oauth2/token:generate":
            return self._grant(h, raw)
        if h.headers.get("x-api-key") != self.token:
            return self._json(h, 401, {"message": "The x-api-key token is unknown or expired."})
        if h.command in ("POST", "PUT") and path.startswith("/v1/process/"):
            return self._submit(h, raw, path, parts.query)
        if path.startswith("/v1/job/"):
            return self._poll(h, path.rsplit("/", 1)[1])
        if path.startswith("/v1/conversations/") and not self._known(path.split("/")[3]):
            return self._json(h, 404, {"message": f"Conversation {path.split('/')[3]} was not found."})
        if h.command == "PUT" and path.count("/") == 5 and path.split("/")[4] == "members":
            return self._put_member(h, raw, path.split("/")[3], path.split("/")[5])
        if h.command == "DELETE" and path.startswith("/v1/conversations/"):
            with self.lock:
                self.deleted.append(path.rsplit("/", 1)[1])
            return self._json(h, 200, {"message": "deleted"})
        if path.startswith("/v1/conversations/"):
            key = RESOURCES.get(path.rsplit("/", 1)[1])
            if key:
                return self._json(h, 200, {key: self.insights[key]})
            if path.count("/") == 3 and self.metadata is not None:
                return self._json(h, 200, self._conversation(path.split("/")[3]))
        self._json(h, 404, {"message": "not found"})

    def _conversation(self, conversation_id: str) -> dict:
        messages = self.insights.get("messages") or []
        return {
            "id": conversation_id,
            "type": "meeting",
            "name": self.conversation_names.get(conversation_id, ""),
            "startTime": messages[0]["startTime"] if messages else "2024-03-12T15:00:00Z",
            "endTime": messages[-1]["endTime"] if messages else "2024-03-12T15:00:00Z",
            "members": self.insights.get("members") or [],
            **(self.metadata or {}),
        }

    def _put_member(
        self, h: BaseHTTPRequestHandler, raw: bytes, conversation_id: str, member_id: str
    ) -> None:
        """`PUT …/members/{memberId}` as the engine answers it (bot/engine/server/updates.py): 400 without a
        name or with another id in the body, 404 for a member the conversation does not have; otherwise every
        person record with that id (members, messages' `from`, insights' assignees) takes the new name."""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"].strip():
            return self._json(
                h, 400, {"message": "name (the member's new name, a non-empty string) is required."}
            )
        if body.get("id") not in (None, "", member_id):
            return self._json(
                h, 400, {"message": f"id {body['id']!r} does not match the member id in the path."}
            )
        with self.lock:
            insights = copy.deepcopy(self.insights)
            known = any(m.get("id") == member_id for m in insights.get("members") or []) or any(
                (m.get("from") or {}).get("id") == member_id for m in insights.get("messages") or []
            )
            if known:
                _rename(insights, member_id, body["name"], body.get("email"))
                self.insights = insights
                self.renamed.append((conversation_id, member_id, body))
        if not known:
            return self._json(
                h, 404, {"message": f"Member {member_id} was not found in conversation {conversation_id}."}
            )
        self._json(h, 200, {"message": f"Member {member_id} is now {body['name']}."})

    def _grant(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("type") != "application":
            return self._json(h, 400, {"message": 'The body must be JSON: {"type": "application", …}.'})
        if {k: body.get(k) for k in self.credentials} != self.credentials:
            return self._json(h, 401, {"message": "Unknown appId or wrong appSecret."})
        self._json(h, 200, {"accessToken": self.token, "expiresIn": 86400})

    def _known(self, conversation_id: str) -> bool:
        with self.lock:
            return any(job["conversationId"] == conversation_id for job in self.jobs.values())

    def _submit(self, h: BaseHTTPRequestHandler, raw: bytes, path: str, query: str) -> None:
        # PUT …/{conversationId} appends: same conversation, new job.
        conversation_id = path.rsplit("/", 1)[1] if h.command == "PUT" else str(uuid.uuid4())
        if h.command == "PUT" and not self._known(conversation_id):
            return self._json(h, 404, {"message": f"Conversation {conversation_id} was not found."})
        job = {"id": str(uuid.uuid4()), "conversationId": conversation_id, "status": "scheduled"}
        name = _submitted_name(query, raw) or ""
        with self.lock:
            self.jobs[job["id"]] = job
            self.names[job["id"]] = name
            self.conversation_names.setdefault(conversation_id, name)
            self.submissions.append(
                {
                    "path": path,
                    "bytes": len(raw),
                    "query": query,
                    "body": raw if path.endswith("/url") else None,
                }
            )
        self._json(h, 201, {"conversationId": conversation_id, "jobId": job["id"]})

    def _poll(self, h: BaseHTTPRequestHandler, job_id: str) -> None:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is not None:
                self.polls[job_id] += 1
                if job["status"] not in ("completed", "failed"):  # "hold" leaves it to finish()
                    if self.mode == "fail":
                        job["status"] = "failed"
                    elif self.mode == "complete":
                        done = self.polls[job_id] >= self.polls_to_complete
                        job["status"] = "completed" if done else "in_progress"
                body = {"id": job_id, "status": job["status"]}
        if job is None:
            return self._json(h, 404, {"message": "no such job"})
        if body["status"] == "failed":
            body["message"] = "The audio could not be decoded."
        self._json(h, 200, body)

    @staticmethod
    def _json(h: Any, status: int, payload: dict) -> None:
        h._reply(status, json.dumps(payload).encode(), "application/json")


class ChaosSymbl(Chaotic, StubSymbl):
    """StubSymbl whose jobs complete after `polls_to_complete` polls, with seeded faults and gates."""

    def __init__(
        self,
        chaos: Chaos | None = None,
        *,
        polls_to_complete: int = 1,
        token: str = "stub-token",
        app_secret: str = "secret",
    ) -> None:
        self.chaos = chaos or Chaos()
        self.gates = Gates()
        self.closing = threading.Event()
        super().__init__(
            mode="complete", polls_to_complete=polls_to_complete, token=token, app_secret=app_secret
        )
        quiet(self)

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        parts = urlsplit(h.path)
        path = parts.path
        key = f"{h.command} {path}"
        info = {"name": _submitted_name(parts.query, raw), "job": path.rsplit("/", 1)[-1]}
        if path.startswith("/v1/job/"):
            info["name"] = self.names.get(info["job"])
        elif path.startswith("/v1/conversations/"):
            info["name"] = self.conversation_names.get(path.split("/")[3])
        fault = self.chaos.pick(key)
        if fault == "429":
            self.requests.append(key + " !429")
            retry_after = str(self.chaos._rng.choice((0, 1)))
            return h._reply(
                429,
                b'{"message": "slow down"}',
                "application/json",  # type: ignore[attr-defined]
                {"Retry-After": retry_after},
            )
        if fault == "500":
            self.requests.append(key + " !500")
            return h._reply(500, b'{"message": "injected"}', "application/json")  # type: ignore[attr-defined]
        if fault == "drop_before":
            self.requests.append(key + " !drop")
            return drop_connection(h)
        self._take_effect(h, key, info, fault, lambda: self._record_and_route(h, raw, key))

    def _record_and_route(self, h: BaseHTTPRequestHandler, raw: bytes, key: str) -> None:
        self.requests.append(key)
        self.route(h, raw)


def _submitted_name(query: str, raw: bytes) -> str | None:
    """The `name` option: in the query string of file submissions, in the JSON body of URL submissions."""
    name = dict(parse_qsl(query)).get("name")
    if name is None and raw[:1] == b"{":
        try:
            name = json.loads(raw).get("name")
        except ValueError:
            return None
    return name


def _rename(value: Any, member_id: str, name: str, email: str | None) -> None:
    """Every person record (a dict with an id and a name) with `member_id`, anywhere in `value`."""
    if isinstance(value, dict):
        if value.get("id") == member_id and "name" in value:
            value["name"] = name
            if email:
                value["email"] = email
        for nested in value.values():
            _rename(nested, member_id, name, email)
    elif isinstance(value, list):
        for item in value:
            _rename(item, member_id, name, email)
