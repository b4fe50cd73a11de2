"""The state every route of the engine server shares, and how a route finds it.

One `EngineService` per Flask app, kept in `app.extensions["symbl_engine"]`; routes live in blueprints and
reach it through `current_service()` rather than closing over locals of `create_app`.
"""

from __future__ import annotations

import logging

from flask import current_app, g

from bot.config import Settings
from bot.engine.core import Engine
from bot.engine.jobs import Analyzer, JobQueue, SpeechEngine
from bot.engine.media import open_media_store
from bot.engine.store import LOCAL_APP_ID, Store

EXTENSION_KEY = "symbl_engine"
log = logging.getLogger(__name__)


class EngineService:
    """What the routes share: settings, the job store, the media store and the queue (whose workers
    `create_app` starts)."""

    def __init__(self, settings: Settings, engine: SpeechEngine | None, analyzer: Analyzer):
        self.settings = settings
        self.engine_dir = settings.data_dir / "engine"
        self.media = open_media_store(settings)
        # Pre-owner rows go to the install's one appId: with credentials configured no other can get a token.
        self.store = Store(settings.engine_database, legacy_owner=settings.engine_app_id or LOCAL_APP_ID)
        if self.store.shared and settings.engine_media_url is None:
            log.warning(
                "the engine's jobs are in a shared database but its media is on this machine's disk: a "
                "worker on another machine cannot read them. Set SYMBL_ENGINE_MEDIA_URL (s3://… or a shared "
                "folder) when engines run on more than one machine."
            )
        speech = engine or Engine(settings.engine_model, cache_dir=settings.model_cache_dir)
        self.queue = JobQueue(self.store, settings, speech, analyzer, media=self.media)

    def close(self) -> None:
        if self.queue.stop():
            self.store.close()


def start_worker_node(
    settings: Settings, engine: SpeechEngine, analyzer: Analyzer | None = None
) -> EngineService:
    """The engine's store, media and queue with its workers started, and no API (`symbl-bot engine-worker`):
    on a shared database it runs jobs any API node accepted."""
    from bot.engine.core import analyze  # noqa: PLC0415 — the default analyzer, as create_app's

    service = EngineService(settings, engine, analyzer or analyze)
    service.queue.start()
    return service


def current_service() -> EngineService:
    """The service of the app serving the current request."""
    service: EngineService = current_app.extensions[EXTENSION_KEY]
    return service


def current_owner() -> str:
    """The appId whose token authenticated this request (set by `auth`): the owner of what it touches."""
    owner: str = g.app_id
    return owner
