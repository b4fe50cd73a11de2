"""`symbl-bot engine`: the Symbl-compatible API server in the foreground until interrupted."""

from __future__ import annotations

import dataclasses
import signal

import click

from bot import logs
from bot.config import Settings
from bot.data_dir import make_private
from bot.engine.core import Engine
from bot.engine.server import EngineServer


def run_engine(*, host: str | None, port: int | None, workers: int | None) -> None:
    settings = Settings.from_env()
    logs.configure(settings)  # the bot's format and secret redaction, here too
    make_private(settings.data_dir)
    if workers:
        settings = dataclasses.replace(settings, engine_workers=workers)
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
