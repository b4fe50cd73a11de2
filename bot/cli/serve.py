"""`symbl-bot serve`: the Slack bot in the foreground (Socket Mode or HTTP), with provider and scheduler."""

from __future__ import annotations

import dataclasses
import signal
from typing import Any, NoReturn

import click

from bot import logs
from bot.config import Settings
from bot.data_dir import make_private
from bot.errors import BotError
from bot.slack.app import build_bot
from bot.slack.http_limits import raise_open_files_limit


def run_serve(port: int | None = None, mode: str = "auto") -> None:
    """Build the bot from the environment and serve until interrupted; bad settings are one `Error:` line."""
    settings = Settings.from_env()
    logs.configure(settings)
    make_private(settings.data_dir)
    raise_open_files_limit()  # the connections waitress may hold (bot.slack.http_limits)
    if port is not None:
        settings = dataclasses.replace(settings, port=port)
    if mode == "http":
        settings = dataclasses.replace(settings, slack_app_token=None)
    elif mode == "socket" and not settings.slack_app_token:
        raise click.ClickException(
            "--mode socket needs SLACK_APP_TOKEN (an xapp- token with connections:write)."
        )
    if not settings.slack_bot_token and not settings.oauth_enabled:
        raise click.ClickException(
            "SLACK_BOT_TOKEN is not set. (Multi-workspace installs set SLACK_CLIENT_ID "
            "and SLACK_CLIENT_SECRET instead.)"
        )
    try:
        bot = build_bot(settings)
    except BotError as err:
        raise click.ClickException(err.user_message) from None
    signal.signal(signal.SIGTERM, _stop_serving)
    bot.serve()


def run_worker() -> None:
    """`symbl-bot worker`: the background from the environment until SIGTERM or Ctrl-C."""
    from bot.slack.worker import run_alone

    settings = Settings.from_env()
    make_private(settings.data_dir)
    try:
        run_alone(settings)
    except BotError as err:
        raise click.ClickException(err.user_message) from None


def _stop_serving(_signo: int, _frame: Any) -> NoReturn:
    """SIGTERM (a platform stopping the dyno, `kill`) ends `serve` like Ctrl-C: its `finally` stops the
    background worker process in order instead of leaving it to notice that its pipe closed."""
    raise SystemExit(0)
