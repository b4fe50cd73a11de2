"""What urllib3's DEBUG log may show of the requests `bot.net` sends.

urllib3 logs every request's target (path and query) at DEBUG, before any handler of ours sees it as a
secret: a webhook URL's path and query are its secret (whoever has it can post), and a download link's query
often is (signed links). While `bot.net` sends one, `hiding("all")` / `hiding("query")` masks that part of
urllib3's request line, for every handler, whatever logging the process configured.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Literal

MASK = "[redacted]"
Hidden = Literal["all", "query"]

_current = threading.local()


class _RequestTargetMask(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        hidden = getattr(_current, "hidden", None)
        args = record.args
        # urllib3's request line: '%s://%s:%s "%s %s %s" %s %s' (scheme, host, port, method, target, …).
        if hidden and isinstance(args, tuple) and len(args) == 8 and isinstance(args[4], str):
            target = args[4]
            if hidden == "all":
                target = MASK
            elif "?" in target:
                target = target.split("?", 1)[0] + "?" + MASK
            record.args = (*args[:4], target, *args[5:])
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RequestTargetMask())


@contextlib.contextmanager
def hiding(hidden: Hidden) -> Iterator[None]:
    """Within the block, this thread's urllib3 request lines show no target ("all") or no query ("query")."""
    previous = getattr(_current, "hidden", None)
    _current.hidden = hidden
    try:
        yield
    finally:
        _current.hidden = previous
