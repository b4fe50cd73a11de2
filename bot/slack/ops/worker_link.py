"""The pipe between the web process and its background worker process: one JSON object per message.

A `SOCK_SEQPACKET` Unix socket pair keeps message boundaries, so a non-blocking send either goes whole or not
at all (the web side never waits on the worker), and a peer that exits shows as end-of-file at once.

web → worker: `{"op": "wake"}`, `{"op": "poll_now", "id": <recording id>}`.
worker → web: `{"op": "state", "state": <BackgroundState as a dict>, "engine_url": <str | None>}`.
"""

from __future__ import annotations

import json
import socket
from typing import Any

MAX_MESSAGE_BYTES = 64 * 1024


def socket_pair() -> tuple[socket.socket, socket.socket]:
    """(web end, worker end); both non-inheritable (a spawned worker gets its end explicitly)."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


def send(sock: socket.socket, message: dict[str, Any], *, wait: bool = True) -> bool:
    """Send one message. With `wait=False` a full buffer drops it (False) instead of blocking."""
    data = json.dumps(message).encode()
    try:
        sock.send(data, 0 if wait else socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    return True


def receive(sock: socket.socket) -> dict[str, Any] | None:
    """The next message; None once the other end has closed (its process exited) or the link is shut."""
    try:
        data = sock.recv(MAX_MESSAGE_BYTES)
    except OSError:
        return None
    return json.loads(data) if data else None
