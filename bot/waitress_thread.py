"""Stopping a waitress server that runs in a background thread (the engine server, the bot in tests).

waitress has no public stop: closing its sockets ends `run()`'s loop, as webtest does. That must happen inside
the loop's own thread (closing sockets from outside races its select()), so the work is handed over through
waitress's trigger.
"""

from __future__ import annotations

import threading


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
