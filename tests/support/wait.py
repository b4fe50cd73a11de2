"""Waiting for a condition in tests: poll it, return its first truthy value, fail clearly at a deadline.

The deadline bounds a hang; it is not a measurement, so tests never assert on how long a wait took.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], timeout: float = 60.0, what: str | None = None, *, interval: float = 0.02
) -> T:
    """Call `condition` every `interval` seconds until it returns something truthy, and return that.

    Raises AssertionError naming `what` (or the condition) when `timeout` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            name: Any = what or getattr(condition, "__name__", condition)
            raise AssertionError(f"{name}: not within {timeout:g} s")
        time.sleep(interval)
