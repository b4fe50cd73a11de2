"""Seeded fault injection for the fake servers (the chaos Symbl here, the chaos Slack in the Slack support).

A `Chaos` picks, per request and reproducibly from its seed, whether it fails and how: 429 with Retry-After,
500, a stall past the client's timeout, or a dropped connection — before or *after* the request took effect,
which is the case that duplicates a non-idempotent call. A `Gate` holds one chosen request so a test can
SIGKILL the bot while that request is in flight.
"""

from __future__ import annotations

import random
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

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


class Gates:
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


def drop_connection(h: BaseHTTPRequestHandler) -> None:
    h.close_connection = True
    try:
        h.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def quiet(server: Any) -> None:
    """A client that gave up (timeout, SIGKILL) makes the handler's write fail: expected here, not news."""
    server.httpd.handle_error = lambda request, address: None


class Chaotic:
    """What ChaosSlack and ChaosSymbl share: gates, closing, and serving a call between its two gates.

    A subclass sets `chaos`, `gates` and `closing` before its fake server starts.
    """

    chaos: Chaos
    gates: Gates
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
            return drop_connection(h)
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
            return drop_connection(h)
        if fault == "drop_after":
            return drop_connection(h)
        if fault == "stall":
            self.closing.wait(self.chaos.stall_seconds)
        h._reply(reply["status"], reply["data"], reply["content_type"], reply["headers"])
