"""Composition root: Settings → storage → Symbl client (cloud or embedded engine) → Bolt app → scheduler.

The only module that imports every part. `build_bot(settings)` wires them; `Bot.serve()` runs Socket Mode when
an app-level token is set, otherwise HTTP at `/slack/events` under waitress (the same WSGI stack as the
engine server).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

import handlers
from bot import pipeline
from bot.config import Settings
from bot.errors import BotError
from bot.pipeline import Services
from bot.scheduler import Poller
from bot.symbl.client import SymblClient
from storage import Store, open_store

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


def slack_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Web API client with slack-sdk's rate-limit and connection retry handlers."""
    kwargs: dict[str, Any] = {}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    return WebClient(
        token=token or settings.slack_bot_token,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3)],
        **kwargs,
    )


def bolt_app(settings: Settings, client: WebClient) -> App:
    socket_mode = bool(settings.slack_app_token)
    if not socket_mode and not settings.slack_signing_secret:
        raise BotError("SLACK_SIGNING_SECRET is not set (HTTP mode verifies every request with it).")
    return App(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not socket_mode,
        # Bolt acks events before listeners run; listeners only write a row and wake the scheduler.
        process_before_response=False,
    )


@dataclass
class Bot:
    settings: Settings
    store: Store
    services: Services
    app: App
    poller: Poller
    engine: Any = None  # bot.engine.server.EngineServer when embedded
    _http: Any = field(default=None, repr=False)
    _http_thread: threading.Thread | None = field(default=None, repr=False)

    def flask_app(self) -> Flask:
        flask = Flask("symbl-slack-bot")
        handler = SlackRequestHandler(self.app)

        @flask.route(EVENTS_PATH, methods=["POST"])
        def slack_events() -> Any:
            return handler.handle(request)

        @flask.route("/healthz", methods=["GET"])
        def healthz() -> Any:
            return {"ok": True}

        return flask

    def start_background(self) -> None:
        self.poller.start()

    def start_http(self, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> str:
        """HTTP mode in a background thread (tests, benchmarks); returns the base URL."""
        from waitress.server import create_server

        self._http = create_server(self.flask_app(), host=host, port=port, threads=threads, ident="symbl-bot")
        self._http_thread = threading.Thread(target=self._http.run, name="bot-http", daemon=True)
        self._http_thread.start()
        return f"http://{host}:{self._http.effective_port}"

    def serve(self, host: str = "0.0.0.0") -> None:
        """Block serving Slack: Socket Mode with an app-level token, else HTTP on settings.port."""
        self.start_background()
        try:
            if self.settings.slack_app_token:
                from slack_bolt.adapter.socket_mode import SocketModeHandler

                log.info("Socket Mode")
                SocketModeHandler(self.app, self.settings.slack_app_token).start()
            else:
                from waitress import serve

                log.info("HTTP mode on port %s at %s", self.settings.port, EVENTS_PATH)
                serve(self.flask_app(), host=host, port=self.settings.port, threads=8, ident="symbl-bot")
        finally:
            self.close()

    def close(self) -> None:
        if self._http is not None:
            server = self._http

            def close_everything() -> None:
                # waitress has no public stop; this runs inside its loop thread, as the engine server does.
                for channel in list(server._map.values()):
                    if channel is not server and channel is not server.trigger:
                        channel.handle_close()
                server.close()

            server.trigger.pull_trigger(close_everything)
            if self._http_thread is not None:
                self._http_thread.join(10)
            server.task_dispatcher.shutdown()
            self._http = None
        self.poller.stop(wait=True)
        if self.engine is not None:
            self.engine.stop()
            self.engine = None


def symbl_client(settings: Settings) -> tuple[SymblClient, Any]:
    """The Symbl cloud (or any compatible host) with credentials, else the embedded engine on loopback."""
    if settings.uses_symbl_cloud:
        return SymblClient.from_settings(settings), None
    from bot.engine.server import EngineServer

    engine = EngineServer(settings, host="127.0.0.1", port=0).start()
    log.info("embedded engine at %s", engine.url)
    return SymblClient(engine.url, "local", "local"), engine


def build_bot(settings: Settings, *, client: WebClient | None = None, symbl: SymblClient | None = None) -> Bot:
    store = open_store(settings.bot_db_path)
    engine = None
    if symbl is None:
        symbl, engine = symbl_client(settings)
    web = client or slack_client(settings)
    services = Services(settings=settings, store=store, symbl=symbl, slack_for=lambda _team: web)
    poller = Poller(store, lambda rid: pipeline.advance(services, rid), interval=settings.poll_seconds)
    services.wake = poller.wake
    services.poll_now = poller.poll_now
    if engine is not None:
        engine.on_job_status(lambda event: pipeline.on_job_status(services, event.job_id, event.status))
    app = bolt_app(settings, web)
    handlers.register(app, services)
    # A tick that finds the previous one still running is skipped (max_instances=1): by design, not news.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    return Bot(settings=settings, store=store, services=services, app=app, poller=poller, engine=engine)


def run_serve(port: int | None = None) -> None:
    """`symbl-bot serve`: configuration errors end as one `Error: …` line."""
    import dataclasses

    import click

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    if port is not None:
        settings = dataclasses.replace(settings, port=port)
    if not settings.slack_bot_token:
        raise click.ClickException("SLACK_BOT_TOKEN is not set.")
    try:
        bot = build_bot(settings)
    except BotError as err:
        raise click.ClickException(str(err)) from None
    bot.serve()
