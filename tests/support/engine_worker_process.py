"""`symbl-bot engine-worker` with the stand-in transcriber, as a process a chaos test can `kill -9`:

    python -m tests.support.engine_worker_process SECONDS [GO_FILE]

The worker node is the product's (`start_worker_node`: the store, media store, queue, leases, heartbeat and
outbox sender the CLI starts, configured from the environment as the CLI is); only speech-to-text is
`SleepingEngine`, which sleeps SECONDS per job instead of loading a model. Prints `ready` once its workers
run; SIGTERM stops it cleanly, as the CLI's does. With GO_FILE it prints `waiting` once imported and starts
its workers only when that file exists: a benchmark starts every node at one moment, not at each one's import.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

from bot.config import Settings
from bot.engine.server.service import start_worker_node
from tests.engine_api_support import SleepingEngine


def main() -> None:
    settings, engine = Settings.from_env(), SleepingEngine(float(sys.argv[1]))
    if len(sys.argv) > 2:
        print("waiting", flush=True)
        while not Path(sys.argv[2]).exists():
            time.sleep(0.01)
    node = start_worker_node(settings, engine)
    print("ready", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    node.close()


if __name__ == "__main__":
    main()
