"""The background, composed in one place (`build_background`): the scheduler (`Poller`) claiming and running
the pipeline's steps, its housekeeping jobs, the schedule's owner (SQLite's lock; none on PostgreSQL) and
the embedded engine, wired to one `Services` built once and never changed afterwards.

Built in the worker process (bot.slack.worker, `SYMBL_BOT_BACKGROUND=process`), by `symbl-bot worker`, or in
the web process (`thread`) by bot.slack.app, which decides between them; the clients every process builds
for itself are here too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

import handlers
from bot.config import Settings
from bot.providers.symbl.client import SymblClient
from bot.slack import intake, job_status, oauth, pipeline
from bot.slack.ops import lease, retention
from bot.slack.ops.health import BackgroundState, engine_status
from bot.slack.ops.scheduler import Poller
from bot.slack.services import Services
from storage import BotStore

log = logging.getLogger(__name__)


def slack_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Web API client with slack-sdk's rate-limit and connection retry handlers."""
    kwargs: dict[str, Any] = {}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    return WebClient(
        # With OAuth every workspace has its own token (bot.slack.oauth.TeamClients); the base client carries
        # none.
        token=token or (None if settings.oauth_enabled else settings.slack_bot_token),
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
        **kwargs,
    )


def symbl_client(settings: Settings) -> tuple[SymblClient, Any]:
    """The Symbl cloud (or any compatible host) with credentials, else the embedded engine on loopback."""
    if settings.uses_symbl_cloud:
        return SymblClient.from_settings(settings), None
    from bot.engine.server import EngineServer

    engine = EngineServer(settings, host="127.0.0.1", port=0).start()
    log.info("embedded engine at %s", engine.url)
    return SymblClient.local(engine.url), engine


def build_services(
    settings: Settings,
    store: BotStore,
    symbl: Any,
    web: WebClient,
    *,
    wake: Callable[[], None] = lambda: None,
    poll_now: Callable[[int], None] | None = None,
) -> Services:
    """The bundle every listener and step receives, built once, with how to reach the background (`wake`,
    `poll_now`: the poller's here, the worker process's through the web process's supervisor); `web` is the
    one-workspace Web API client."""
    slack_for: Any = lambda _team: web  # one workspace, one token
    if settings.oauth_enabled:
        slack_for = oauth.TeamClients(
            oauth.installation_store(settings), lambda token: slack_client(settings, token)
        )
    return Services(
        settings=settings, store=store, provider=symbl, slack_for=slack_for, wake=wake, poll_now=poll_now
    )


@dataclass
class Background:
    """The scheduler and what it runs, wired to one `Services`: in the web process (thread mode) or in the
    worker process (`bot.slack.worker`). `start()` contests the scheduler lease; `stop()` ends everything."""

    services: Services
    poller: Poller
    owner: lease.SchedulerOwner | lease.SharedSchedule
    engine: Any = None  # bot.engine.server.EngineServer when embedded

    def start(self) -> None:
        self.owner.start()
        if not self.poller.exclusive and self.poller.running:
            # Another process's new recording or finished job ticks us at once (the tick is the safety net),
            # and so does an engine's status change when the engine shares the database.
            services = self.services
            statuses = {job_status.JOB_STATUS_CHANNEL: lambda payload: job_status.notice(services, payload)}
            services.store.listen(self.poller.wake, statuses)

    def stop(self) -> None:
        self.owner.stop()  # stops the poller first, then hands ownership on
        self.poller.stop(wait=True)
        if self.engine is not None:
            self.engine.stop()
            self.engine = None

    def state(self) -> BackgroundState:
        return BackgroundState(
            scheduler=self.owner.state,
            running=self.poller.running,
            # A standby reports the holder's last tick: standing by behind a holder that stopped ticking is
            # as stale as not ticking oneself.
            last_tick_at=self.owner.holder_last_tick or self.poller.last_tick_at,
            storage_full_at=self.services.storage_full_at,
            engine=engine_status(self.services.settings, self.engine),
        )


def build_background(
    settings: Settings, store: BotStore, provider: Any, web: WebClient, engine: Any = None
) -> Background:
    """The one runner of the background, wherever it runs (the web process in thread mode, the worker process,
    `symbl-bot worker`): the poller claiming and stepping rows, its housekeeping jobs, the schedule's owner
    (SQLite's lock, or none on PostgreSQL) and the `Services` they share, built once; not started."""
    # On SQLite one process owns the file's schedule (scheduler.lock) and may resume everything at start; on
    # PostgreSQL every worker process claims rows (storage.leases) and housekeeping runs where claimed.
    exclusive = store.dialect == "sqlite"
    # `services` is looked up when a step runs, after it is built below: the poller and the bundle need
    # each other, and neither is changed once built.
    poller = Poller(store, lambda recording_id: pipeline.advance(services, recording_id),
                    interval=settings.poll_seconds, lease_seconds=settings.lease_seconds,
                    exclusive=exclusive, claim_mode=settings.claim_mode)  # fmt: skip

    def wake_all() -> None:  # PostgreSQL: this process's poller and every other listening one
        poller.wake()
        store.wake_others()

    services = build_services(settings, store, provider, web, wake=poller.wake if exclusive else wake_all,
                              poll_now=poller.poll_now)  # fmt: skip
    if engine is not None:
        engine.on_job_status(lambda event: pipeline.on_job_status(services, event.job_id, event.status))
    poller.every(
        intake.LEFTOVER_FILE_INTERVAL,
        lambda: intake.resolve_leftover_files(services),
        intake.LEFTOVER_FILE_JOB,
    )
    poller.every(
        intake.LEFTOVER_FILE_INTERVAL,
        lambda: handlers.mentions.answer_leftovers(services),
        "unanswered-mentions",
    )
    if settings.retention_days > 0:
        poller.every(
            retention.RETENTION_INTERVAL_SECONDS, lambda: retention.run(services), retention.RETENTION_JOB
        )
    owner: lease.SchedulerOwner | lease.SharedSchedule
    if exclusive:
        owner = lease.SchedulerOwner(
            settings.data_dir / "scheduler.lock",
            poller.start,
            lambda: poller.stop(wait=True),
            enabled=settings.scheduler,
        )
    else:
        owner = lease.SharedSchedule(poller.start, lambda: poller.stop(wait=True), enabled=settings.scheduler)
    poller.on_tick = owner.beat
    # A tick that finds the previous one still running is skipped (max_instances=1): by design, not news.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    return Background(services=services, poller=poller, owner=owner, engine=engine)
