"""Starting and stopping the waitress servers (the engine server, the bot's HTTP mode).

A port that cannot be bound (in use, privileged, an unknown host) is a `ConfigError` naming the address, which
the CLI prints as its one `Error:` line.

Stopping a waitress server that runs in a background thread (the engine server, the bot in tests):

waitress has no public stop: closing its sockets ends `run()`'s loop, as webtest does. That must happen inside
the loop's own thread (closing sockets from outside races its select()), so the work is handed over through
waitress's trigger.
"""

from __future__ import annotations

import threading
from typing import Any

from bot.errors import ConfigError


def create_server(app: Any, *, host: str, port: int, **options: Any) -> Any:
    """waitress's `create_server`, listening on host:port; a bind that fails is a `ConfigError`."""
    from waitress.server import create_server as waitress_server

    try:
        return waitress_server(app, host=host, port=port, **options)
    except OSError as err:  # EADDRINUSE, EACCES below 1024, an unresolvable host …
        raise ConfigError(
            f"Cannot listen on {host}:{port}: {err.strerror or err}. Stop what is listening there, or choose "
            "another port with --port."
        ) from err


def stop_server(server, thread: threading.Thread | None, *, timeout: float = 10.0) -> None:
    def close_everything() -> None:
        for channel in list(server._map.values()):
            if channel is not server and channel is not server.trigger:
                channel.handle_close()
        server.close()  # the listening socket and the trigger; the loop ends with an empty map

    # Let requests in flight finish while the loop still runs, then close the sockets.
    server.task_dispatcher.shutdown(timeout=5)
    try:
        server.trigger.pull_trigger(close_everything)
    except OSError:
        # The trigger is already closed, so the loop has ended: nothing races us any more.
        close_everything()
        return
    if thread is not None:
        thread.join(timeout)
