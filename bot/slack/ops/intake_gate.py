"""Slack's requests first: background steps wait (briefly) while requests from Slack are being answered.

Why: Slack wants every event acknowledged within 3 s, and the recording is written before the ack. Measured in
bench/slack.py under 50 concurrent events, the ack's time went not to the INSERT (0.09 ms) but to waiting for
the interpreter while scheduler workers downloaded and uploaded recordings: with the scheduler off the bot's
acks were within 1.2× of a bare Bolt app, with it on 2.4×. Background work has no deadline, so a step about to
start waits until no Slack request is in flight, at most `max_wait` seconds (it is never starved: under
sustained traffic it goes ahead after the wait).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

MAX_WAIT_SECONDS = 1.0


class IntakeGate:
    def __init__(self, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.max_wait = max_wait
        self._in_flight = 0
        self._changed = threading.Condition()

    @contextmanager
    def request(self) -> Iterator[None]:
        """Around the handling of one request from Slack."""
        with self._changed:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= 1
                if not self._in_flight:
                    self._changed.notify_all()

    def wait_idle(self) -> bool:
        """Block until no request is in flight or `max_wait` has passed; True when idle."""
        with self._changed:
            return self._changed.wait_for(lambda: self._in_flight == 0, timeout=self.max_wait)
