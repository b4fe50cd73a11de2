"""`symbl-bot engine`: the Symbl-compatible API server in the foreground until interrupted."""

from __future__ import annotations

import dataclasses
import signal
import threading

import click

from bot import logs
from bot.config import Settings
from bot.data_dir import make_private
from bot.engine.core import Engine
from bot.engine.server import EngineServer
from bot.engine.server.service import start_worker_node
from bot.errors import ConfigError
from bot.slack.ops import lifeline


def run_engine(*, host: str | None, port: int | None, workers: int | None) -> None:
    settings = Settings.from_env()
    logs.configure(settings)  # the bot's format and secret redaction, here too
    make_private(settings.data_dir)
    if workers is not None:
        settings = dataclasses.replace(settings, engine_workers=workers)
    if settings.engine_workers == 0 and not settings.engine_database_url:
        raise ConfigError(
            "--workers 0 serves the API only: its jobs need engine-worker processes on a shared "
            "SYMBL_ENGINE_DATABASE_URL (PostgreSQL), which is not set."
        )
    # A BotError (port in use, a missing model) is the CLI's one `Error:` line (bot.cli._Cli).
    engine = Engine(settings.engine_model, cache_dir=settings.model_cache_dir)
    engine.check_ready()  # a missing or tampered model is a start-up error, not a failed first job
    server = EngineServer(settings, host=host, port=port, engine=engine).bind()
    # Flushed at once: a supervisor (or a test) reads the bound URL from this line.
    click.echo(f"symbl-bot engine listening on {server.url}", nl=True)
    signal.signal(signal.SIGTERM, _interrupt)  # a supervisor's stop: finish like Ctrl-C, not mid-write
    server.serve_forever()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def run_engine_worker(*, workers: int | None, device: str) -> None:
    """Transcription workers without the API: claim the shared database's jobs until SIGTERM or Ctrl-C."""
    settings = Settings.from_env()
    logs.configure(settings)
    make_private(settings.data_dir)
    if not settings.engine_database_url:
        raise ConfigError(
            "engine-worker takes its jobs from the API nodes' database: set SYMBL_ENGINE_DATABASE_URL "
            "(PostgreSQL) as for `symbl-bot engine`."
        )
    if workers is not None:
        settings = dataclasses.replace(settings, engine_workers=workers)
    engine = Engine(settings.engine_model, cache_dir=settings.model_cache_dir, device=device)
    engine.check_ready()  # a missing model or GPU is a start-up error, not a failed first job
    stopped = threading.Event()
    # Before the workers start: a SIGTERM once a job is claimed must hand it back, not kill the process.
    # Not `stopped.set` in a handler: a handler runs inside whatever the main thread is doing (lifeline).
    lifeline.on_stop_signals(stopped.set, signal.SIGTERM, signal.SIGINT)
    node = start_worker_node(settings, engine)
    click.echo(f"symbl-bot engine-worker: {settings.engine_workers} worker(s) on {device}", nl=True)
    stopped.wait()
    node.close()  # running jobs are handed back: another worker takes them at once
