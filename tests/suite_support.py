"""Helpers for the suites that try to break "exactly once, nothing lost" (tests/test_suite_*.py,
bench/load.py).

- `ChaosSlack`: the fake Slack with seeded fault injection and gates (tests/support/chaos.py; the chaos
  Symbl is `tests.support.symbl.ChaosSymbl`).
- `BotProcess`: `symbl-bot serve` as a real subprocess in HTTP mode (start, SIGKILL, restart on one data dir).
- `connect_guard`: an audit hook that blocks and records every connection attempt to a non-loopback
  address, so SSRF tests can assert that a refused URL never reached the network at all.
- Sizes come from the environment so CI stays small and local runs can go big (`suite_size`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.slack_fakes import BOT_TOKEN, SIGNING_SECRET, Call, FakeSlack
from tests.support.chaos import Chaos, Chaotic, Gates, drop_connection, quiet
from tests.support.symbl import StubSymbl
from tests.support.wait import wait_until

ROOT = Path(__file__).resolve().parent.parent


def suite_size(name: str, default: int) -> int:
    """A suite's size: `SUITE_<NAME>` from the environment (bigger local runs), else the CI default."""
    raw = os.environ.get(f"SUITE_{name.upper()}", "").strip()
    return int(raw) if raw else default


def suite_seed() -> int:
    return suite_size("seed", 20240617)


# --- the chaos Slack ----------------------------------------------------------------------------------------


class ChaosSlack(Chaotic, FakeSlack):
    """FakeSlack with seeded faults on Web API calls and file downloads, and gates on chosen calls."""

    def __init__(self, chaos: Chaos | None = None) -> None:
        self.chaos = chaos or Chaos()
        self.gates = Gates()
        self.closing = threading.Event()
        # Download paths served with a lying Content-Length (path → declared length), or with none at all.
        self.declared: dict[str, int] = {}
        self.unsized: set[str] = set()
        # The seeded 429s above stand in for the rate-limit tiers here, so the suites' mix stays as designed.
        super().__init__(rate_limits=False)
        quiet(self)

    def handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        path = urlsplit(h.path).path
        if not path.startswith("/api/"):
            fault = self.chaos.pick("download " + path)
            if fault and self._fault_before(h, fault):
                return
            gate = self.gates.take("download " + path, {}, after_effect=False)
            if gate and (not gate.hold() or self.closing.is_set()):
                return drop_connection(h)
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
            drop_connection(h)
            return True
        return False


def _call(method: str, h: BaseHTTPRequestHandler, body: dict, fault: str) -> Any:
    return Call(method, {**dict(h.headers), "X-Injected-Fault": fault}, body)


# --- the bot as a real subprocess ---------------------------------------------------------------------------


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

    command = "serve"

    def __init__(self, env: dict[str, str], log: Path):
        self.env = env
        self.log = log
        self.url = f"http://127.0.0.1:{env['PORT']}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 60) -> BotProcess:
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import sys; from bot.cli import main; sys.exit(main())",
                    self.command,
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        wait_until(self.healthy, timeout=timeout)
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


# --- no traffic leaves loopback -----------------------------------------------------------------------------


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


# --- assertions ---------------------------------------------------------------------------------------------


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


def summary_posts_by_thread(slack: FakeSlack, channel: str) -> Counter:
    """thread ts → how many times a first summary part was *posted* there, copies deleted since included
    (`summaries_by_thread` counts what stands in the end)."""
    counts: Counter = Counter()
    for call in slack.calls_to("chat.postMessage"):
        metadata = call.body.get("metadata") or {}
        if isinstance(metadata, str):  # a form-encoded body carries it as JSON text
            metadata = json.loads(metadata)
        payload = metadata.get("event_payload") or {}
        if call.body.get("channel") == channel and metadata.get("event_type") == "symbl_summary":
            counts[call.body.get("thread_ts")] += payload.get("part", 1) == 1
    return counts
