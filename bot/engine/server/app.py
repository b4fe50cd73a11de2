"""`create_app`: the Symbl-compatible Flask app composed from the server's blueprints and error handlers."""

from __future__ import annotations

from flask import Flask

from bot.config import Settings
from bot.engine.core import analyze
from bot.engine.jobs import Analyzer, SpeechEngine
from bot.engine.server import (
    auth,
    conversations,
    detections,
    errors,
    health,
    submissions,
    trackers,
    transcripts,
    updates,
)
from bot.engine.server.service import EXTENSION_KEY, EngineService


def create_app(
    settings: Settings, engine: SpeechEngine | None = None, *, analyzer: Analyzer = analyze
) -> Flask:
    """The Symbl-compatible API over the offline engine; its queue's workers are started on return.

    `engine` defaults to the real `bot.engine.core.Engine`; tests may pass a faster stand-in with the same
    `process` signature. The app's `EngineService` is `app.extensions["symbl_engine"]`.
    """
    app = Flask("bot.engine.server")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    service = EngineService(settings, engine, analyzer)
    app.extensions[EXTENSION_KEY] = service
    errors.register(app)
    for blueprint in (
        auth.blueprint,
        submissions.blueprint,
        conversations.blueprint,
        detections.blueprint,
        transcripts.blueprint,
        trackers.blueprint,
        updates.blueprint,
        health.blueprint,
    ):
        app.register_blueprint(blueprint)
    service.queue.start()
    return app
