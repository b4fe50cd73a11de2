"""`symbl-bot jobs list|retry|purge`: the recordings table for operators. Safe while the bot runs."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

import click

from bot.config import Settings
from bot.data_dir import make_private
from storage import State, admin, open_store, recordings


def _store():
    settings = Settings.from_env()
    make_private(settings.data_dir)  # the first command run may be this one: its database is the user's alone
    return open_store(settings.bot_database)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


@click.group(short_help="List, retry and purge recordings.")
def jobs() -> None:
    """Inspect and repair recordings: list them, retry a failed one, purge old finished ones."""


@jobs.command("list")
@click.option("--state", type=click.Choice([s.value for s in State]), help="Only rows in this state.")
@click.option("--team", help="Only this workspace (team id).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_jobs(state, team, limit, as_json):
    """Recordings, newest first: id, state, age, workspace/channel, name and the last error."""
    store = _store()
    try:
        rows = admin.list_recordings(store, state=state, team_id=team, limit=limit)
    finally:
        store.close()
    now = time.time()
    if as_json:
        for row in rows:
            click.echo(json.dumps(asdict(row)))
        return
    if not rows:
        click.echo("No recordings.")
        return
    click.echo(f"{'ID':>6}  {'STATE':<10} {'AGE':>5}  {'TEAM/CHANNEL':<22} {'NAME':<28} ERROR")
    for r in rows:
        where = f"{r.team_id}/{r.channel_id}"
        name = (r.name or "")[:28]
        click.echo(
            f"{r.id:>6}  {r.state:<10} {_age(now - r.created_at):>5}  {where:<22} {name:<28} {r.error or ''}"
        )


@jobs.command()
@click.argument("recording_id", type=int)
def retry(recording_id):
    """Queue a failed recording again; the running bot picks it up on its next tick."""
    store = _store()
    try:
        done = admin.retry(store, recording_id)
        row = None if done else recordings.get(store, recording_id)
    finally:
        store.close()
    if not done:
        if row is None:
            raise click.ClickException(f"No recording {recording_id}.")
        raise click.ClickException(
            f"Recording {recording_id} is {row.state}; only failed ones can be retried."
        )
    click.echo(f"Recording {recording_id} queued again.")


@jobs.command()
@click.option(
    "--older-than",
    "days",
    type=click.FloatRange(min=1),
    default=30,
    show_default=True,
    help="Days since the row last changed (at least 1: Slack may redeliver an event for minutes).",
)
def purge(days):
    """Delete posted and failed rows older than N days (transcripts follow SYMBL_BOT_RETENTION_DAYS)."""
    store = _store()
    try:
        count = admin.purge_finished(store, days)
    finally:
        store.close()
    click.echo(f"Purged {count} finished recording(s) older than {days:g} days.")
