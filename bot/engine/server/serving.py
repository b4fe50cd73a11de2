"""`EngineServer`: the engine's Flask app under waitress, in a background thread or the foreground."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from typing import Any

from bot.config import Settings
from bot.engine import early_auth
from bot.engine.jobs import JobEvent, SpeechEngine
from bot.engine.server import auth
from bot.engine.server.app import create_app
from bot.engine.server.service import EXTENSION_KEY, EngineService
from bot.engine.server.uploads import UPLOAD_CHUNK
from bot.errors import EngineError
from bot.waitress_thread import create_server, stop_server


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EngineServer:
    """The API under waitress in a background thread: `EngineServer(settings).start()` → `.url`.

    Refuses to bind a non-loopback address without SYMBL_ENGINE_APP_ID/SYMBL_ENGINE_APP_SECRET, since any
    credentials would otherwise get a token.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        host: str | None = None,
        port: int | None = None,
        engine: SpeechEngine | None = None,
        threads: int = 8,
    ):
        self.host = host if host is not None else settings.engine_host
        if self.host == "localhost":
            self.host = "127.0.0.1"  # one socket, one port: waitress would bind every address it resolves to
        self.port = port if port is not None else settings.engine_port
        if not is_loopback(self.host) and not (settings.engine_app_id and settings.engine_app_secret):
            raise EngineError(
                f"Refusing to serve on {self.host} without credentials: set SYMBL_ENGINE_APP_ID and "
                "SYMBL_ENGINE_APP_SECRET, or bind 127.0.0.1."
            )
        self.settings = settings
        self.app = create_app(settings, engine)
        self.service: EngineService = self.app.extensions[EXTENSION_KEY]
        self._threads = threads
        self._server: Any = None
        self._stopped = False
        self._stop_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the engine server is not started")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self._server.effective_port}"

    def on_job_status(self, listener: Callable[[JobEvent], None]) -> Callable[[], None]:
        return self.service.queue.on_job_status(listener)

    def bind(self) -> EngineServer:
        """Open the listening socket (so `url` is known) without serving yet."""
        if self._server is None:
            # waitress buffers request bodies past `inbuf_overflow` in temporary files, not memory.
            self._server = create_server(
                self.app,
                host=self.host,
                port=self.port,
                threads=self._threads,
                max_request_body_size=self.settings.max_file_bytes + UPLOAD_CHUNK,
                inbuf_overflow=UPLOAD_CHUNK,
                ident="symbl-bot-engine",
                clear_untrusted_proxy_headers=True,
            )
            # Large unauthenticated bodies are refused at their headers, never buffered (see early_auth).
            self._server.channel_class = early_auth.channel_class(
                auth.early_refusal(self.service), spill_bytes=UPLOAD_CHUNK
            )
        return self

    def start(self) -> EngineServer:
        """Serve in a daemon thread; returns at once."""
        self.bind()
        self._thread = threading.Thread(target=self._server.run, name="engine-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.bind()
        try:
            self._server.run()
        finally:
            self.service.close()

    def stop(self) -> None:
        with self._stop_lock:  # stop() may come from a signal handler, a `with` block and a fixture at once
            if self._server is not None and not self._stopped:
                self._stopped = True
                stop_server(self._server, self._thread)
        self.service.close()

    def __enter__(self) -> EngineServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
