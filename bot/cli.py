"""`symbl-bot`: the command line. Errors surface as one `Error: …` line (click.ClickException), never a traceback."""

from __future__ import annotations

import click
from dotenv import load_dotenv

from bot import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="symbl-bot")
def main() -> None:
    """Meeting recordings → summaries: offline engine, Symbl-compatible API server and Slack bot."""
    load_dotenv()
