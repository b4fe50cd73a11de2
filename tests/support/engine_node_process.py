"""`symbl-bot engine` as one machine runs it (API and workers in one process, SQLite, local disk), with the
stand-in transcriber, as a process a chaos test can `kill -9`:

    python -m tests.support.engine_node_process SECONDS

The server is the product's (`EngineServer`, configured from the environment as the CLI is); only
speech-to-text is `SleepingEngine`, which sleeps SECONDS per job instead of loading a model. Prints its URL
once it serves; SIGTERM stops it cleanly, as the CLI's does.
"""

from __future__ import annotations

import sys

from bot.config import Settings
from bot.engine.server import EngineServer
from tests.engine_api_support import SleepingEngine
from tests.support.engine_worker_process import wait_for_sigterm


def main() -> None:
    engine = SleepingEngine(float(sys.argv[1]))
    server = EngineServer(Settings.from_env(), host="127.0.0.1", port=0, engine=engine).start()
    print(server.url, flush=True)
    wait_for_sigterm()
    server.stop()


if __name__ == "__main__":
    main()
