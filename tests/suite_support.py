"""Helpers for the suites that try to break "exactly once, nothing lost" (tests/test_suite_*.py, bench/load.py).

- `ChaosSlack` / `ChaosSymbl`: the fakes from tests/slack_fakes.py with seeded fault injection (429 with
  Retry-After, 500, stalls past the client's timeout, dropped connections — before or *after* the request
  took effect, which is the case that duplicates a non-idempotent call) and gates that hold a chosen request
  so a test can SIGKILL the bot while that request is in flight.
- `BotProcess`: `symbl-bot serve` as a real subprocess in HTTP mode (start, SIGKILL, restart on one data dir).
- `connect_guard`: an audit hook that blocks and records every connection attempt to a non-loopback
  address, so SSRF tests can assert that a refused URL never reached the network at all.
- Sizes come from the environment so CI stays small and local runs can go big (`suite_size`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from tests.slack_fakes import (
    BOT_TOKEN,
    SIGNING_SECRET,
    Call,
    FakeSlack,
    StubSymbl,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent


def suite_size(name: str, default: int) -> int:
    """A suite's size: `SUITE_<NAME>` from the environment (bigger local runs), else the CI default."""
    raw = os.environ.get(f"SUITE_{name.upper()}", "").strip()
    return int(raw) if raw else default


def suite_seed() -> int:
    return suite_size("seed", 20240617)


# --- fault injection ------------------------------------------------------------------------------------------

FAULTS = ("429", "500", "stall", "drop_before", "drop_after")


@dataclass
class Chaos:
    """Which requests fail, and how: each matching request fails with probability `rate` (seeded)."""

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = FAULTS
    stall_seconds: float = 3.0  # longer than the client timeout the suite gives the bot
    matches: Callable[[str], bool] = lambda _key: True
    injected: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def pick(self, key: str) -> str | None:
        if not self.rate or not self.matches(key):
            return None
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(self.kinds)
            self.injected[kind] += 1
            return kind


class Gate:
    """Holds the first request that matches `predicate` until released; `arrived` is set when it is held."""

    def __init__(self, predicate: Callable[[str, dict], bool], *, after_effect: bool, limit: float = 60.0):
        self.predicate = predicate
        self.after_effect = after_effect  # hold after the request took effect (recorded), not before
        self.limit = limit
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.used = False
        self.dropped = False

    def hold(self) -> bool:
        """Wait for release; False when the held request is to be dropped instead of served."""
        self.arrived.set()
        self.release.wait(self.limit)
        return not self.dropped

    def abandon(self) -> None:
        """Drop the held request unanswered (its client is gone): it never takes effect."""
        self.dropped = True
        self.release.set()


class _Gates:
    def __init__(self) -> None:
        self._gates: list[Gate] = []
        self._lock = threading.Lock()

    def add(self, gate: Gate) -> Gate:
        with self._lock:
            self._gates.append(gate)
        return gate

    def take(self, key: str, body: dict, *, after_effect: bool) -> Gate | None:
        with self._lock:
            for gate in self._gates:
                if not gate.used and gate.after_effect == after_effect and gate.predicate(key, body):
                    gate.used = True
                    return gate
        return None

    def release_all(self) -> None:
        with self._lock:
            for gate in self._gates:
                gate.release.set()


def _drop(h: BaseHTTPRequestHandler) -> None:
    h.close_connection = True
    try:
        h.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _quiet(server: Any) -> None:
    """A client that gave up (timeout, SIGKILL) makes the handler's write fail: expected here, not news."""
    server.httpd.handle_error = lambda request, address: None


class _Chaotic:
    """What ChaosSlack and ChaosSymbl share: gates, closing, and serving a call between its two gates.

    A subclass sets `chaos`, `gates` and `closing` before its fake server starts.
    """

    chaos: Chaos
    gates: _Gates
    closing: threading.Event

    def gate(self, predicate: Callable[[str, dict], bool], *, after_effect: bool) -> Gate:
        return self.gates.add(Gate(predicate, after_effect=after_effect))

    def close(self) -> None:
        self.closing.set()
        self.gates.release_all()
        super().close()  # type: ignore[misc]

    def _take_effect(
        self, h: BaseHTTPRequestHandler, key: str, body: dict, fault: str | None, serve: Callable[[], None]
    ) -> None:
        """Hold at a before-effect gate, let `serve` take effect with its reply held back, then hold at an
        after-effect gate or apply an after-effect fault (the answer is lost or late), else send the reply."""
        gate = self.gates.take(key, body, after_effect=False)
        if gate and (not gate.hold() or self.closing.is_set()):
            return _drop(h)
        reply: dict[str, Any] = {}
        original_reply = h._reply

        def capture(status: int, data: bytes, content_type: str, headers: dict | None = None) -> None:
            reply.update(status=status, data=data, content_type=content_type, headers=headers)

        h._reply = capture  # type: ignore[method-assign]
        try:
            serve()
        finally:
            h._reply = original_reply  # type: ignore[method-assign]
        gate = self.gates.take(key, body, after_effect=True)
        if gate:
            gate.hold()
            return _drop(h)
        if fault == "drop_after":
            return _drop(h)
        if fault == "stall":
            self.closing.wait(self.chaos.stall_seconds)
        h._reply(reply["status"], reply["data"], reply["content_type"], reply["headers"])


class ChaosSlack(_Chaotic, FakeSlack):
    """FakeSlack with seeded faults on Web API calls and file downloads, and gates on chosen calls."""

    def __init__(self, chaos: Chaos | None = None) -> None:
        self.chaos = chaos or Chaos()
        self.gates = _Gates()
        self.closing = threading.Event()
        # Download paths served with a lying Content-Length (path → declared length), or with none at all.
        self.declared: dict[str, int] = {}
        self.unsized: set[str] = set()
        # The seeded 429s above stand in for the rate-limit tiers here, so the suites' mix stays as designed.
        super().__init__(rate_limits=False)
        _quiet(self)

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        path = urlsplit(h.path).path
        if not path.startswith("/api/"):
            fault = self.chaos.pick("download " + path)
            if fault and self._fault_before(h, fault):
                return
            gate = self.gates.take("download " + path, {}, after_effect=False)
            if gate and (not gate.hold() or self.closing.is_set()):
                return _drop(h)
            if path in self.declared or path in self.unsized:
                return self._serve_odd_length(h, path)
        super().handle(h, raw)

    def _api(self, h: BaseHTTPRequestHandler, method: str, query: str, raw: bytes) -> None:
        body = self.api_arguments(h, query, raw)
        fault = self.chaos.pick(method)
        if fault and self._fault_before(h, fault):
            with self.lock:
                self.calls.append(_call(method, h, body, fault))
            return
        # Past the first gate the call takes effect (FakeSlack records it and, for posts, stores the message).
        self._take_effect(h, method, body, fault, lambda: super(ChaosSlack, self)._api(h, method, query, raw))

    def _serve_odd_length(self, h: BaseHTTPRequestHandler, path: str) -> None:
        """The blob with a declared length that is not its own, or streamed to EOF with no length at all."""
        with self.lock:
            self.calls.append(Call(path, dict(h.headers), {}))
        data, content_type = self.blobs[path]
        h.close_connection = True
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        if path in self.declared:
            h.send_header("Content-Length", str(self.declared[path]))
        h.send_header("Connection", "close")
        h.end_headers()
        try:
            h.wfile.write(data)
        except OSError:  # the client stopped reading at the limit
            pass

    def _fault_before(self, h: BaseHTTPRequestHandler, fault: str) -> bool:
        """Answer a fault that prevents the call from taking effect; False for the after-effect kinds."""
        if fault == "429":
            retry_after = str(self.chaos._rng.choice((0, 1)))
            h._reply(
                429,
                b'{"ok": false, "error": "ratelimited"}',
                "application/json",
                {"Retry-After": retry_after},
            )
            return True
        if fault == "500":
            h._reply(500, b'{"ok": false, "error": "internal_error"}', "application/json")
            return True
        if fault == "drop_before":
            _drop(h)
            return True
        return False


def _call(method: str, h: BaseHTTPRequestHandler, body: dict, fault: str) -> Any:
    return Call(method, {**dict(h.headers), "X-Injected-Fault": fault}, body)


class ChaosSymbl(_Chaotic, StubSymbl):
    """StubSymbl whose jobs complete after `polls_to_complete` polls, with seeded faults and gates.

    Jobs remember the `name` option of their submission, so a test can find the job of a given recording.
    """

    def __init__(
        self, chaos: Chaos | None = None, *, polls_to_complete: int = 1, token: str = "stub-token"
    ) -> None:
        self.chaos = chaos or Chaos()
        self.gates = _Gates()
        self.closing = threading.Event()
        self.polls_to_complete = polls_to_complete
        self.token = token
        self.names: dict[str, str] = {}  # job id → submitted name
        self.conversation_names: dict[str, str] = {}
        self.polls: Counter = Counter()
        super().__init__(mode="complete")
        _quiet(self)

    def jobs_named(self, name: str) -> list[str]:
        with self.lock:
            return [job for job, n in self.names.items() if n == name]

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
            return h._reply(
                429,
                b'{"message": "slow down"}',
                "application/json",
                {"Retry-After": str(self.chaos._rng.choice((0, 1)))},
            )
        if fault == "500":
            self.requests.append(key + " !500")
            return h._reply(500, b'{"message": "injected"}', "application/json")
        if fault == "drop_before":
            self.requests.append(key + " !drop")
            return _drop(h)
        self._take_effect(h, key, info, fault, lambda: self._serve(h, raw, path))

    def _serve(self, h: BaseHTTPRequestHandler, raw: bytes, path: str) -> None:
        self.requests.append(f"{h.command} {path}")
        if path == "/oauth2/token:generate":
            return self._json(h, 200, {"accessToken": self.token, "expiresIn": 86400})
        if h.headers.get("x-api-key") != self.token:
            return self._json(h, 401, {"message": "bad token"})
        if h.command == "POST" and path.startswith("/v1/process/"):
            job = {"id": str(uuid.uuid4()), "conversationId": str(uuid.uuid4()), "status": "scheduled"}
            query = urlsplit(h.path).query
            with self.lock:
                self.jobs[job["id"]] = job
                self.names[job["id"]] = _submitted_name(query, raw) or ""
                self.conversation_names[job["conversationId"]] = self.names[job["id"]]
                self.submissions.append(
                    {
                        "path": path,
                        "bytes": len(raw),
                        "query": query,
                        "body": raw if path.endswith("/url") else None,
                    }
                )
            return self._json(h, 201, {"conversationId": job["conversationId"], "jobId": job["id"]})
        if path.startswith("/v1/job/"):
            job_id = path.rsplit("/", 1)[1]
            with self.lock:
                job = self.jobs.get(job_id)
                if job is not None:
                    self.polls[job_id] += 1
                    if job["status"] not in ("completed", "failed"):
                        done = self.polls[job_id] >= self.polls_to_complete
                        job["status"] = "completed" if done else "in_progress"
                    body = {"id": job_id, "status": job["status"]}
            if job is None:
                return self._json(h, 404, {"message": "no such job"})
            return self._json(h, 200, body)
        if path.startswith("/v1/conversations/"):
            key = {
                "messages": "messages",
                "topics": "topics",
                "questions": "questions",
                "action-items": "actionItems",
                "follow-ups": "followUps",
                "members": "members",
            }.get(path.rsplit("/", 1)[1])
            if key:
                return self._json(h, 200, {key: self.insights[key]})
        self._json(h, 404, {"message": "not found"})


def _submitted_name(query: str, raw: bytes) -> str | None:
    """The `name` option: in the query string of file submissions, in the JSON body of URL submissions."""
    name = dict(parse_qsl(query)).get("name")
    if name is None and raw[:1] == b"{":
        try:
            name = json.loads(raw).get("name")
        except ValueError:
            return None
    return name


# --- the bot as a real subprocess -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bot_env(
    data_dir: Path, slack: FakeSlack, symbl: StubSymbl | None, port: int, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SYMBL_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "SYMBL_BOT_DATA_DIR": str(data_dir),
            "SYMBL_BOT_POLL_SECONDS": "0.1",
            "PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if symbl is not None:
        env.update({"SYMBL_APP_ID": "app", "SYMBL_APP_SECRET": "secret", "SYMBL_API_URL": symbl.base})
    env.update(extra)
    return env


class BotProcess:
    """`symbl-bot serve` in HTTP mode; `kill()` is SIGKILL, `start()` again resumes on the same data dir."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env = env
        self.log = log
        self.url = f"http://127.0.0.1:{env['PORT']}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 60) -> BotProcess:
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "serve"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        wait_for(self.healthy, timeout=timeout)
        return self

    def healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(
                f"the bot exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}"
            )
        try:
            return requests.get(self.url + "/healthz", timeout=1).ok
        except requests.RequestException:
            return False

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


# --- no traffic leaves loopback ---------------------------------------------------------------------------------


class ConnectGuard:
    """Records (and blocks) connection attempts to non-loopback addresses made by this process.

    An audit hook sees every `socket.connect` before it happens; raising there stops it, so a test that
    fails open still never sends a byte to 10.x, 169.254.169.254 or a public host.
    """

    def __init__(self) -> None:
        self.blocked: list[Any] = []
        self.connects: list[Any] = []
        self.active = False
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if event != "socket.connect" or not self.active:
            return
        address = args[1]
        if not isinstance(address, tuple) or not address:
            return
        self.connects.append(address)
        try:
            loopback = ipaddress.ip_address(str(address[0]).split("%", 1)[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            self.blocked.append(address)
            raise PermissionError(f"test guard: connection to non-loopback {address!r} blocked")


_guard: ConnectGuard | None = None


def connect_guard() -> ConnectGuard:
    global _guard
    if _guard is None:
        _guard = ConnectGuard()
    return _guard


# --- assertions -----------------------------------------------------------------------------------------------


def summaries_by_thread(slack: FakeSlack, channel: str) -> Counter:
    """thread ts → number of first summary parts posted there (more than one is a duplicate summary)."""
    with slack.lock:
        messages = list(slack.messages[channel])
    counts: Counter = Counter()
    for m in messages:
        metadata = m.get("metadata") or {}
        if (
            metadata.get("event_type") == "symbl_summary"
            and (metadata.get("event_payload") or {}).get("part", 1) == 1
        ):
            counts[m.get("thread_ts")] += 1
    return counts


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    return wait_for(condition, timeout, interval, message=f"{what}: not within {timeout:.0f}s")
