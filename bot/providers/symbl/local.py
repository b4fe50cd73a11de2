"""The built-in engine for the SDK-shaped API when no Symbl host is configured (`symbl-bot process` uses it).

`Audio.process_file(...)` without `SYMBL_APP_ID`/`SYMBL_APP_SECRET` (and without `SYMBL_API_URL`) should
work on a fresh install, as the Symbl docs page's samples assume an account does. So the first such call
starts the engine's Symbl-compatible server in this process, on a free loopback port, and the client speaks
HTTP to it like to any host: the one place under `bot.providers` that imports the engine (tests/test_layout.py
names it), and only to start it. One server per process; it stops when the interpreter exits.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any

from bot.config import Settings
from bot.providers.symbl.client import SymblClient

log = logging.getLogger(__name__)

_lock = threading.Lock()
_server: Any = None  # bot.engine.server.EngineServer, once started


def embedded_client(settings: Settings) -> SymblClient:
    """A client of this process's built-in engine (started on first use, model checked at start)."""
    global _server
    with _lock:
        if _server is None:
            from bot.engine.core import Engine
            from bot.engine.server import EngineServer

            engine = Engine(settings.engine_model, cache_dir=settings.model_cache_dir)
            engine.check_ready()  # a missing model is one clear error here, not a failed job later
            _server = EngineServer(settings, host="127.0.0.1", port=0, engine=engine).start()
            atexit.register(_server.stop)
            log.info("built-in engine at %s (no Symbl credentials set)", _server.url)
        return SymblClient.local(_server.url)
