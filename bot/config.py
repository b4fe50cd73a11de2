"""The one place that reads the environment.

Everything else receives a `Settings` (or the values it needs) explicitly. `Settings.from_env()` reads
`os.environ` (the CLI loads the working directory's `.env` into it first) and raises `ConfigError` for a value
it cannot use.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from bot.errors import ConfigError

APP_NAME = "symbl-bot"  # the user data folder's name (platformdirs)

DEFAULT_SYMBL_API_URL = "https://api.symbl.ai"
DEFAULT_MAX_FILE_BYTES = 1024**3  # Slack's own per-file upload limit is 1 GB
DEFAULT_MAX_DURATION_SECONDS = 4 * 3600


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    """The variable as a number, `default` when unset or blank; `ConfigError` naming it when it is not one."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}.") from None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _float(env, name, default)
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {env.get(name, '').strip()!r}.")
    return int(value)


BACKGROUND_MODES = ("process", "thread")  # the first is the default
CLAIM_MODES = ("lease", "select")  # the first is the default


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """The variable, lower-cased, as one of `choices` (the first when unset); `ConfigError` otherwise."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return choices[0]
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}.")
    return raw


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _database_url(ours: str | None, platform: str | None) -> str | None:
    """SYMBL_BOT_DATABASE_URL, else DATABASE_URL (what Heroku-like platforms set) when it is PostgreSQL's:
    a platform's URL for another engine is not ours to refuse, an explicit setting we cannot use is."""
    if ours is not None and not ours.startswith(POSTGRES_SCHEMES):
        raise ConfigError("SYMBL_BOT_DATABASE_URL must be a postgresql:// URL (unset, the bot uses SQLite).")
    url = ours or (platform if platform is not None and platform.startswith(POSTGRES_SCHEMES) else None)
    return _with_driver(url)


def _public_url(url: str | None) -> str | None:
    if url and not url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"SYMBL_BOT_PUBLIC_URL must be an http(s):// URL, got {url!r}.")
    return url.rstrip("/") if url else None


def _job_status_secret(public_url: str | None, secret: str | None) -> str | None:
    if public_url and not secret:
        raise ConfigError(
            "SYMBL_BOT_PUBLIC_URL needs a secret to sign the engine's job-status webhooks: set "
            "SYMBL_BOT_WEBHOOK_SECRET (or SLACK_SIGNING_SECRET)."
        )
    return secret


def _engine_database_url(url: str | None) -> str | None:
    """SYMBL_ENGINE_DATABASE_URL: a PostgreSQL URL (API nodes sharing jobs and tokens), or None for the
    engine's SQLite file unless the bot's database is PostgreSQL (`from_env` then gives the engine that one,
    in its own schema: an embedded engine on every bot machine then serves one shared queue)."""
    if url is not None and not url.startswith(POSTGRES_SCHEMES):
        raise ConfigError(
            "SYMBL_ENGINE_DATABASE_URL must be a postgresql:// URL (unset, the engine uses SQLite)."
        )
    return _with_driver(url)


def _with_driver(url: str | None) -> str | None:
    # Looked up, not imported: the driver loads only when a store opens (storage.db.open_store,
    # bot.engine.store).
    if url and importlib.util.find_spec("psycopg") is None:
        raise ConfigError(
            "a PostgreSQL database URL needs the driver: pip install 'symbl-slack-bot[postgres]'."
        )
    return url


MEDIA_SCHEMES = ("file", "s3")  # bot.engine.media opens a store for each


def _media_url(url: str | None) -> str | None:
    """SYMBL_ENGINE_MEDIA_URL checked: `s3://bucket[/prefix]` (boto3 installed) or `file:///folder`; None is
    the local default. Checked here so a typo stops the engine at start, not at its first upload."""
    if url is None:
        return None
    scheme, _, rest = url.partition("://")
    # s3 needs a bucket (the host part); file needs a folder (the path).
    where = rest.split("/", 1)[0] if scheme == "s3" else rest.strip("/")
    if scheme not in MEDIA_SCHEMES or not where:
        raise ConfigError(
            f"SYMBL_ENGINE_MEDIA_URL must be s3://bucket/prefix or file:///folder, got {url!r} "
            "(unset, media stays under the data directory)."
        )
    # Looked up, not imported: boto3 loads only when the store opens (bot.engine.media.s3).
    if scheme == "s3" and importlib.util.find_spec("boto3") is None:
        raise ConfigError("an s3:// SYMBL_ENGINE_MEDIA_URL needs boto3: pip install 'symbl-slack-bot[s3]'.")
    return url


def _default_data_dir() -> Path:
    """The user's data folder, whatever directory a command runs from (platformdirs: ~/.local/share/symbl-bot
    on Linux, ~/Library/Application Support/symbl-bot on macOS, %LOCALAPPDATA%\\symbl-bot on Windows), so the
    assembled speech model and the job history exist once per user. A folder per working directory only when
    asked for: SYMBL_BOT_DATA_DIR=./data. (It was ./data: a 142 MB model copy in every directory run from.)"""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class Settings:
    # Processing provider: the Symbl cloud (or any Symbl-compatible host) when credentials are set,
    # otherwise the embedded offline engine on loopback.
    symbl_app_id: str | None = None
    symbl_app_secret: str | None = None
    symbl_api_url: str = DEFAULT_SYMBL_API_URL

    # The offline engine.
    engine_model: str | None = None  # a local faster-whisper model folder; default: the packaged tiny.en
    engine_app_id: str | None = None
    engine_app_secret: str | None = None
    engine_host: str = "127.0.0.1"
    engine_port: int = 8800
    engine_workers: int = 1
    engine_max_unfinished_jobs: int = 1000  # beyond it submissions get 429 (counted atomically)
    engine_allowed_hosts: tuple[str, ...] = ()  # Host names accepted besides loopback (DNS-rebinding check)
    # The engine's conversations, jobs, results and tokens in PostgreSQL (schema `engine`), shared by any
    # number of engine API nodes, instead of SQLite under data_dir. From the environment it defaults to the
    # bot's database (SYMBL_BOT_DATABASE_URL): bot processes on several machines then share one engine queue,
    # and the bot hears of finished jobs by NOTIFY.
    engine_database_url: str | None = None
    # How long an engine worker's claim on a job lasts without renewal (bot.engine.jobs renews it while the
    # job runs): a killed worker's job is taken over this long after it stopped renewing.
    engine_lease_seconds: float = 60.0
    # A job whose worker died this many times (its lease expired each time) is failed, not tried again: a
    # recording that kills the decoder must not kill every worker in turn.
    engine_max_starts: int = 2

    # Input limits and URL policy, shared by the CLI, the engine and the bot.
    allow_private_urls: bool = False
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_duration_seconds: int = DEFAULT_MAX_DURATION_SECONDS
    max_request_bytes: int = 1024**2  # a Slack event or command body; larger ones get 413 before any parsing
    # An engine JSON body (Text API, URL submissions, tokens): a long meeting's transcript is well under
    # 1 MB; appends carry more. Uploads are bounded by max_file_bytes, JSON by this, on its own.
    engine_max_json_bytes: int = 5 * 1024**2
    max_links_per_message: int = 10  # media links taken from one message; the rest get a reply saying so
    # Wall-clock bounds on a whole download (every hop, headers and body) and on a whole webhook POST: a peer
    # that drips a byte at a time never trips the per-read timeouts, and would hold a worker for good.
    download_deadline_seconds: float = 900.0  # ~1 GB at 1 MB/s; the file-size cap bounds the rest
    webhook_deadline_seconds: float = 15.0
    # The engine's webhook senders: one tenant's slow endpoint holds one of them, never another's POSTs.
    webhook_senders: int = 4

    # Storage.
    data_dir: Path = field(default_factory=_default_data_dir)
    # The bot's state in PostgreSQL (any number of web and worker processes) instead of SQLite under
    # data_dir (one machine). The engine's jobs stay under data_dir either way (its media too, by default).
    database_url: str | None = None
    # Where the engine keeps a job's recording until the job ends: None is local disk (data_dir/engine/media);
    # `s3://bucket/prefix` is S3-compatible object storage (the `s3` extra; credentials from boto3's usual
    # chain), at `s3_endpoint_url` when it is not AWS.
    engine_media_url: str | None = None
    engine_s3_endpoint_url: str | None = None
    # How long a worker's claim on a recording lasts without renewal (storage.leases): a killed worker's rows
    # are taken over this long after it stopped renewing. A post to Slack gets at most a quarter of it.
    lease_seconds: float = 60.0
    # "lease" (claims with leases and fenced writes); "select" is the unfenced selection of before, kept as
    # the chaos tests' negative control only: with several workers it posts twice.
    claim_mode: str = "lease"

    # Slack.
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    port: int = 3000
    poll_seconds: float = 1.0  # the bot's scheduler tick; polls back off from 2 ticks to 30 s
    # Multi-workspace install (Bolt's OAuth flow) when both are set; tokens then come per team from SQLite.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_redirect_uri: str | None = None
    # The bot's own base URL as a remote engine reaches it: set, every submission names a signed webhookUrl
    # under it (bot.slack.job_status), so the bot hears of a finished job at once instead of at its next poll.
    # Signed with `job_status_secret` (SYMBL_BOT_WEBHOOK_SECRET, else the Slack signing secret).
    public_url: str | None = None
    job_status_secret: str | None = None

    # Operations.
    scheduler: bool = True  # off for extra web processes: exactly one process may poll (see README, Procfile)
    # Where `serve` runs the background (scheduler, pipeline steps, housekeeping, embedded engine): "process"
    # (a lower-priority child process, so acks never wait for it) or "thread" (in the web process).
    background: str = "process"
    log_format: str = "text"  # or "json": one JSON object per line
    log_level: str = "INFO"
    keep_audio: bool = False  # keep uploaded media after a job completes
    retention_days: int = 0  # drop transcripts and insights this many days after processing; 0 keeps them

    @property
    def uses_symbl_cloud(self) -> bool:
        return bool(self.symbl_app_id and self.symbl_app_secret)

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def oauth_db_path(self) -> Path:
        return self.data_dir / "slack_oauth.db"

    @property
    def bot_db_path(self) -> Path:
        return self.data_dir / "bot.db"

    @property
    def bot_database(self) -> Path | str:
        """What storage.open_store opens: the PostgreSQL URL when set, else the SQLite file."""
        return self.database_url or self.bot_db_path

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def engine_media_dir(self) -> Path:
        """The engine's media on local disk: the store itself by default, the spool in front of S3."""
        return self.data_dir / "engine" / "media"

    @property
    def engine_db_path(self) -> Path:
        return self.data_dir / "engine.db"

    @property
    def engine_database(self) -> Path | str:
        """What bot.engine.store opens: the PostgreSQL URL when set, else the SQLite file."""
        return self.engine_database_url or self.engine_db_path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        get = lambda name: (env.get(name) or "").strip() or None  # noqa: E731
        if bool(get("SYMBL_ENGINE_APP_ID")) != bool(get("SYMBL_ENGINE_APP_SECRET")):
            # One without the other used to mean open mode, silently: any appId got a token on loopback.
            raise ConfigError(
                "SYMBL_ENGINE_APP_ID and SYMBL_ENGINE_APP_SECRET go together: set both to require "
                "credentials, or neither."
            )
        bot_database = _database_url(get("SYMBL_BOT_DATABASE_URL"), get("DATABASE_URL"))
        return cls(
            symbl_app_id=get("SYMBL_APP_ID"),
            symbl_app_secret=get("SYMBL_APP_SECRET"),
            symbl_api_url=(get("SYMBL_API_URL") or DEFAULT_SYMBL_API_URL).rstrip("/"),
            engine_model=get("SYMBL_ENGINE_MODEL"),
            engine_app_id=get("SYMBL_ENGINE_APP_ID"),
            engine_app_secret=get("SYMBL_ENGINE_APP_SECRET"),
            engine_host=get("SYMBL_ENGINE_HOST") or "127.0.0.1",
            engine_port=_int(env, "SYMBL_ENGINE_PORT", 8800),
            engine_workers=max(1, _int(env, "SYMBL_ENGINE_WORKERS", 1)),
            engine_max_unfinished_jobs=max(1, _int(env, "SYMBL_ENGINE_MAX_JOBS", 1000)),
            engine_allowed_hosts=tuple(
                h.strip().lower() for h in (get("SYMBL_ENGINE_ALLOWED_HOSTS") or "").split(",") if h.strip()
            ),
            engine_database_url=_engine_database_url(get("SYMBL_ENGINE_DATABASE_URL")) or bot_database,
            engine_lease_seconds=max(1.0, _float(env, "SYMBL_ENGINE_LEASE_SECONDS", 60.0)),
            engine_max_starts=max(1, _int(env, "SYMBL_ENGINE_MAX_STARTS", 2)),
            allow_private_urls=_bool(env.get("SYMBL_ALLOW_PRIVATE_URLS")),
            max_file_bytes=_int(env, "SYMBL_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES),
            max_duration_seconds=_int(env, "SYMBL_MAX_DURATION_SECONDS", DEFAULT_MAX_DURATION_SECONDS),
            max_request_bytes=_int(env, "SYMBL_BOT_MAX_REQUEST_BYTES", 1024**2),
            engine_max_json_bytes=max(1024, _int(env, "SYMBL_ENGINE_MAX_JSON_BYTES", 5 * 1024**2)),
            max_links_per_message=max(1, _int(env, "SYMBL_BOT_MAX_LINKS_PER_MESSAGE", 10)),
            download_deadline_seconds=max(1.0, _float(env, "SYMBL_DOWNLOAD_DEADLINE_SECONDS", 900.0)),
            webhook_deadline_seconds=max(1.0, _float(env, "SYMBL_WEBHOOK_DEADLINE_SECONDS", 15.0)),
            webhook_senders=max(1, _int(env, "SYMBL_ENGINE_WEBHOOK_SENDERS", 4)),
            data_dir=Path(get("SYMBL_BOT_DATA_DIR") or _default_data_dir()),
            database_url=bot_database,
            engine_media_url=_media_url(get("SYMBL_ENGINE_MEDIA_URL")),
            engine_s3_endpoint_url=get("SYMBL_ENGINE_S3_ENDPOINT_URL"),
            lease_seconds=max(1.0, _float(env, "SYMBL_BOT_LEASE_SECONDS", 60.0)),
            claim_mode=_choice(env, "SYMBL_BOT_CLAIM_MODE", CLAIM_MODES),
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_api_url=get("SLACK_API_URL"),
            port=_int(env, "PORT", 3000),
            poll_seconds=max(0.05, _float(env, "SYMBL_BOT_POLL_SECONDS", 1.0)),
            slack_client_id=get("SLACK_CLIENT_ID"),
            slack_client_secret=get("SLACK_CLIENT_SECRET"),
            slack_redirect_uri=get("SLACK_REDIRECT_URI"),
            public_url=_public_url(get("SYMBL_BOT_PUBLIC_URL")),
            job_status_secret=_job_status_secret(
                get("SYMBL_BOT_PUBLIC_URL"), get("SYMBL_BOT_WEBHOOK_SECRET") or get("SLACK_SIGNING_SECRET")
            ),
            scheduler=_bool(env.get("SYMBL_BOT_SCHEDULER"), default=True),
            background=_choice(env, "SYMBL_BOT_BACKGROUND", BACKGROUND_MODES),
            log_format=(get("SYMBL_BOT_LOG_FORMAT") or "text").lower(),
            log_level=(get("SYMBL_BOT_LOG_LEVEL") or "INFO").upper(),
            keep_audio=_bool(env.get("SYMBL_BOT_KEEP_AUDIO")),
            retention_days=max(0, _int(env, "SYMBL_BOT_RETENTION_DAYS", 0)),
        )
