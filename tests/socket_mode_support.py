"""A fake Slack for Socket Mode: the Web API fake plus `apps.connections.open` and a real WebSocket endpoint.

As Slack does (and bolt-python's own suite mimics): `apps.connections.open`, called with the app-level token,
answers a one-off `ws://127.0.0.1:PORT/link/?ticket=…` URL; the socket greets with `hello`, then carries
envelopes (`events_api`, `slash_commands`, …) to the app, which acks each by sending `{"envelope_id": …}` back
(optionally with a `payload`). The server is `websockets`' threaded server on an ephemeral loopback port.
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.slack_fakes import Call, FakeSlack, wait_for

APP_TOKEN = "xapp-1-A0APP-1-test"
APP_ID = "A0APP"


class SocketSlack(FakeSlack):
    """FakeSlack that also serves Socket Mode. `push(...)` sends an envelope; `acks` holds what came back."""

    def __init__(self) -> None:
        self.app_tokens = {APP_TOKEN}
        self.connections: list[ServerConnection] = []
        self.paths: list[str] = []  # the request path of every accepted WebSocket connection
        self.acks: dict[str, dict] = {}  # envelope_id → the app's ack message
        self.strays: list[Any] = []  # anything else the app sent (never expected)
        self._tickets = itertools.count(1)
        self._ws_lock = threading.Lock()
        self._ws: Server = serve(self._session, "127.0.0.1", 0)
        self.ws_port = self._ws.socket.getsockname()[1]
        self._ws_thread = threading.Thread(
            target=self._ws.serve_forever, name="fake-socket-mode", daemon=True
        )
        self._ws_thread.start()
        super().__init__()

    # --- Web API: apps.connections.open takes the app-level token, nothing else does ---

    def _api(self, h: Any, method: str, query: str, raw: bytes) -> None:
        if method != "apps.connections.open":
            return super()._api(h, method, query, raw)
        token = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
        with self.lock:
            self.calls.append(Call(method, dict(h.headers), {}))
        if token not in self.app_tokens:
            # A bot token here is Slack's `not_allowed_token_type`; anything else is invalid_auth.
            error = "not_allowed_token_type" if token in self.tokens else "invalid_auth"
            return self._json(h, {"ok": False, "error": error})
        url = f"ws://127.0.0.1:{self.ws_port}/link/?ticket={uuid.uuid4()}&app_id={APP_ID}"
        self._json(h, {"ok": True, "url": url})

    # --- the socket ---

    def _session(self, connection: ServerConnection) -> None:
        with self._ws_lock:
            self.connections.append(connection)
            self.paths.append(connection.request.path if connection.request else "")
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self.connections),
                    "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        try:
            for message in connection:
                try:
                    data = json.loads(message)
                except (TypeError, ValueError):
                    data = None
                with self._ws_lock:
                    if isinstance(data, dict) and "envelope_id" in data:
                        self.acks[data["envelope_id"]] = data
                    else:
                        self.strays.append(message)
        except ConnectionClosed:
            pass

    def connected(self) -> ServerConnection | None:
        """The newest connection still open (the one Slack would deliver on)."""
        with self._ws_lock:
            live = [c for c in self.connections if c.close_code is None]
        return live[-1] if live else None

    def push(
        self,
        kind: str,
        payload: dict,
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool = False,
    ) -> str:
        """Send one envelope over the live connection; returns its envelope_id."""
        connection = self.connected()
        assert connection is not None, "no Socket Mode connection to deliver on"
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        connection.send(json.dumps(envelope))
        return envelope_id

    def ack_for(self, envelope_id: str, timeout: float = 10.0) -> dict:
        def acked() -> dict | None:
            with self._ws_lock:
                return self.acks.get(envelope_id)

        return wait_for(acked, timeout=timeout)

    def close(self) -> None:
        self._ws.shutdown()
        with self._ws_lock:
            connections = list(self.connections)
        for connection in connections:
            connection.close()
        self._ws_thread.join(10)
        super().close()
