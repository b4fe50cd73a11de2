"""waitress's connection limits and idle timeouts for the bot's HTTP mode, where it may face the network.

Why (issue 21, finding 8): waitress's defaults let 100 idle connections, each dripping a byte every 30 s,
shut out signed Slack events and `/healthz`. waitress stops accepting at `connection_limit` open channels
(default 100; the rest wait in the listen backlog), and closes a channel only after `channel_timeout` seconds
without a byte (default 120, checked every `cleanup_interval`, default 30), so a byte every 30 s keeps a
channel forever. waitress has no deadline for a whole request, so these settings raise the price of the attack
(more connections, faster drips) rather than end it; behind a reverse proxy (nginx, an ALB), which buffers
requests before passing them on, none of this reaches waitress (README, "Behind a proxy").

The options, as waitress documents them (docs.pylonsproject.org/projects/waitress/en/stable/arguments.html,
and the comments in waitress/adjustments.py):
- `connection_limit`: "Stop creating new channels if too many are already active"; each channel costs at least
  one file descriptor, up to three. 1000: ten times the drip count that took the default down, well inside the
  descriptors `raise_open_files_limit` makes available.
- `channel_timeout`: "Maximum seconds to leave an inactive connection open". 20: Slack sends a request whole
  within milliseconds and wants its answer within 3 s, so 20 s of silence is never Slack; a connection must
  now drip faster than a byte every 20 s to stay.
- `cleanup_interval`: "Minimum seconds between cleaning up inactive channels". 5, so a silent channel goes
  within 25 s at most (the sweep walks the channels: cheap at this count).
- `asyncore_use_poll`: "use poll() instead of the default select()". select() cannot watch a descriptor
  numbered 1024 or above (FD_SETSIZE): with 1000 channels the loop would fail; poll() has no such limit.
"""

from __future__ import annotations

import logging
import resource
from typing import Any

log = logging.getLogger(__name__)

WAITRESS_LIMITS: dict[str, Any] = {
    "connection_limit": 1000,
    "channel_timeout": 20,
    "cleanup_interval": 5,
    "asyncore_use_poll": True,
}
# Descriptors besides the channels': databases and their WALs, the worker's pipe, log files, the engine.
SPARE_FILES = 256


def raise_open_files_limit(wanted: int = WAITRESS_LIMITS["connection_limit"] * 3 + SPARE_FILES) -> int:
    """Raise the soft RLIMIT_NOFILE towards `wanted` (never past the hard limit); the soft limit now.

    Many systems start processes at a soft limit of 1024, below what `connection_limit` channels can need.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as err:
            log.warning("could not raise the open files limit from %s to %s: %s", soft, target, err)
    return soft
