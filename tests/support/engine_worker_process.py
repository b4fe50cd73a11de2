"""`symbl-bot engine-worker` with the stand-in transcriber, as a process a chaos test can `kill -9`:

    python -m tests.support.engine_worker_process SECONDS

The worker node is the product's (`start_worker_node`: the store, media store, queue, leases, heartbeat and
outbox sender the CLI starts, configured from the environment as the CLI is); only speech-to-text is
`SleepingEngine`, which sleeps SECONDS per job instead of loading a model. Prints `ready` once its workers
run; SIGTERM stops it cleanly, as the CLI's does.
"""

from __future__ import annotations

import signal
import sys
import threading

from bot.config import Settings
from bot.engine.server.service import start_worker_node
from tests.engine_api_support import SleepingEngine


def main() -> None:
    node = start_worker_node(Settings.from_env(), SleepingEngine(float(sys.argv[1])))
    print("ready", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    node.close()


if __name__ == "__main__":
    main()
