"""Multi-workspace installs: Bolt's OAuth flow with slack-sdk's SQLite stores, and a bot token per team.

Used when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. Installations and one-time OAuth states live in
`<data dir>/slack_oauth.db` (slack-sdk's own tables), beside the bot's database; with SYMBL_BOT_DATABASE_URL
in that database (bot.slack.oauth_stores), so an install started on one web process completes on another.
Incoming requests are authorized by Bolt from the installation store; the pipeline's background work
(downloads, status messages, summaries) asks `TeamClients` for the installing team's client, so every
workspace is answered with its own token. The bot's rows are keyed by team, so one workspace's recordings
never reach another's channels.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore

from bot.config import Settings
from bot.errors import SlackDeliveryError
from bot.slack.oauth_stores import DatabaseInstallationStore, DatabaseOAuthStateStore
from bot.slack.scopes import BOT_SCOPES
from storage.db import BotStore

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_EXPIRATION_SECONDS = 600


@functools.cache
def _database(url: str) -> BotStore:
    """One small pool per process for the OAuth stores (Bolt asks the installation store on every request)."""
    from storage.postgres_store import PostgresStore

    return PostgresStore(url, max_connections=2)


def installation_store(settings: Settings) -> InstallationStore:
    if settings.database_url:
        return DatabaseInstallationStore(_database(settings.database_url), settings.slack_client_id or "")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SQLite3InstallationStore(
        database=str(settings.oauth_db_path), client_id=settings.slack_client_id or ""
    )


class PurgingOAuthStateStore(SQLite3OAuthStateStore):
    """slack-sdk's SQLite state store, deleting expired states whenever it issues one.

    Every anonymous visit to /slack/install issues a state; the ones never brought back to the redirect would
    otherwise stay in the table for good.
    """

    def issue(self, *args: object, **kwargs: object) -> str:
        conn = self.connect()
        try:
            with conn:
                conn.execute("DELETE FROM oauth_states WHERE expire_at <= ?", [time.time()])
        finally:
            conn.close()
        return super().issue(*args, **kwargs)


def state_store(settings: Settings) -> OAuthStateStore:
    if settings.database_url:
        return DatabaseOAuthStateStore(_database(settings.database_url), STATE_EXPIRATION_SECONDS)
    return PurgingOAuthStateStore(
        database=str(settings.oauth_db_path), expiration_seconds=STATE_EXPIRATION_SECONDS
    )


def oauth_settings(settings: Settings, store: InstallationStore | None = None) -> OAuthSettings:
    """Bolt's OAuth settings: install at /slack/install, callback at /slack/oauth_redirect, SQLite stores."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=store or installation_store(settings),
        state_store=state_store(settings),
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
    )


class TeamClients:
    """team id → a WebClient carrying that workspace's bot token, from the installation store.

    Clients are cached per token, so a reinstall (new token) gets a fresh client and an uninstall (the
    installation deleted) stops the bot from acting in that workspace.
    """

    def __init__(self, store: InstallationStore, make_client: Callable[[str], WebClient]):
        self._store = store
        self._make_client = make_client
        self._clients: dict[str, WebClient] = {}
        self._lock = threading.Lock()

    def __call__(self, team_id: str) -> WebClient:
        bot = self._store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise SlackDeliveryError(f"the app is not installed in workspace {team_id} (install it again).")
        with self._lock:
            client = self._clients.get(bot.bot_token)
            if client is None:
                client = self._clients[bot.bot_token] = self._make_client(bot.bot_token)
            return client


def register_revocation_listeners(app: App) -> None:
    """Delete a workspace's installation when it uninstalls the app or revokes its tokens.

    Registered before the other listeners: Bolt runs the first listener that matches.
    """
    app.enable_token_revocation_listeners()
