"""Composition root: Settings → storage → Symbl client (cloud or embedded engine) → Bolt app → scheduler.

The only module that imports every part. `build_bot(settings)` wires them; `Bot.serve()` runs Socket Mode when
an app-level token is set, otherwise HTTP at `/slack/events` under waitress (the same WSGI stack as the
engine server).

The background (the scheduler and the steps it runs, housekeeping, the embedded engine) runs, per
`settings.background`, in a supervised child process (`bot.slack.worker`, the default for `serve`: Slack's
acks then never wait for the interpreter while steps download and upload) or in threads of this process.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from flask import Flask
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler as BoltWsgiHandler
from slack_bolt.error import BoltError
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

import handlers
from bot import logs
from bot.config import Settings
from bot.errors import BotError, ConfigError
from bot.providers.symbl.client import SymblClient
from bot.slack import http_limits, job_status, oauth
from bot.slack.background import Background, build_background, build_services, slack_client, symbl_client
from bot.slack.http_guard import SignedRequestGuard
from bot.slack.ops import lease
from bot.slack.ops.health import BackgroundState, health
from bot.slack.ops.scheduler import Poller
from bot.slack.ops.supervisor import EngineViaWorker, WorkerSupervisor
from bot.slack.services import Services
from bot.waitress_thread import create_server, stop_server
from storage import BotStore, open_store
from storage import recordings as repo

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
__all__ = ["Bot", "build_bot", "slack_client", "symbl_client"]  # the clients live in bot.slack.background


class _ClientCarriesTheToken(logging.Filter):
    """Drops Bolt's "you gave `client` as well, `token` will be unused" warning, and only that.

    Bolt reads SLACK_BOT_TOKEN from os.environ itself even when it is handed a client, and then warns that the
    token it found is unused. Our client is built from the same variable (with our base URL and retry
    handlers), so the warning is noise on every `serve`; no constructor argument avoids it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def bolt_app(settings: Settings, client: WebClient) -> App:
    socket_mode = bool(settings.slack_app_token)
    if not socket_mode and not settings.slack_signing_secret:
        raise BotError("SLACK_SIGNING_SECRET is not set (HTTP mode verifies every request with it).")
    bolt_log = logging.getLogger("slack_bolt.App")  # Bolt's framework logger when none is passed
    if not any(isinstance(f, _ClientCarriesTheToken) for f in bolt_log.filters):
        bolt_log.addFilter(_ClientCarriesTheToken())
    try:
        with logs.silenced("slack_sdk.web.base_client"):  # its ERROR per failed try of auth.test
            return _bolt(settings, client)
    except BoltError as err:  # Bolt's auth.test of the token at start, answered ok: false
        refused = err.__context__  # Bolt raises inside its `except SlackApiError`
        code = refused.response.get("error") if isinstance(refused, SlackApiError) else err
        raise ConfigError(
            f"Slack refused SLACK_BOT_TOKEN ({code}). Copy the Bot User OAuth Token (xoxb-…) again from the "
            "app's OAuth & Permissions page; `symbl-bot doctor` checks it."
        ) from err
    except (SlackClientError, OSError) as err:  # no answer: urllib's URLError, a refused connection, timeouts
        reason = getattr(err, "reason", None) or err
        raise ConfigError(
            f"Slack could not be reached at {client.base_url} ({reason}). Check the network, or "
            "SLACK_API_URL."
        ) from err


def _bolt(settings: Settings, client: WebClient) -> App:
    return App(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        # Checked once, before Bolt: `Bot.wsgi_app()` routes POSTs to /slack/events (the only ones Bolt
        # dispatches) through `SignedRequestGuard`, and only in HTTP mode. Bolt's own check computed the same
        # HMAC again on every ack.
        request_verification_enabled=False,
        oauth_settings=oauth.oauth_settings(settings) if settings.oauth_enabled else None,
        # Bolt acks events before listeners run; listeners only write a row and wake the scheduler.
        process_before_response=False,
    )


@dataclass
class Bot:
    """The web side: Bolt, its handlers and the HTTP routes, plus the background in one of two places.

    Thread mode: `background` runs here (`poller`, `engine`, `scheduler_owner` are its parts). Process mode:
    `worker` supervises the child process that runs it, and those three are None.
    """

    settings: Settings
    store: BotStore
    services: Services
    app: App
    background: Background | None = None
    worker: WorkerSupervisor | None = None
    _http: Any = None
    _http_thread: threading.Thread | None = None

    @property
    def poller(self) -> Poller | None:
        return self.background.poller if self.background else None

    @property
    def engine(self) -> Any:
        return self.background.engine if self.background else None

    @property
    def scheduler_owner(self) -> lease.SchedulerOwner | lease.SharedSchedule | None:
        return self.background.owner if self.background else None

    def background_state(self) -> BackgroundState:
        """What /healthz reports about the scheduler, the disk and the engine, wherever they run."""
        if self.worker is not None:
            return self.worker.state()
        assert self.background is not None
        return self.background.state()

    def wsgi_app(self) -> Any:
        """Slack's paths straight to Bolt's own WSGI adapter, the rest (`/healthz`) to Flask.

        Bolt's WSGI adapter, not its Flask one, for Slack: building Flask's request, context and response
        around every event cost 0.35 ms of interpreter time (a bare Bolt app called in-process: 0.73 ms per
        event through Flask, 0.37 ms without), as much as writing the recording, on the path every ack waits
        on.
        """
        bolt = BoltWsgiHandler(self.app, path=EVENTS_PATH)
        slack_paths = {oauth.INSTALL_PATH, oauth.REDIRECT_PATH}
        if not self.settings.slack_app_token:
            # In Socket Mode events come over the socket, and there may be no signing secret for the guard
            # to check: served here, a forged POST to /slack/events would be dispatched as an event.
            slack_paths.add(EVENTS_PATH)
        flask = Flask("symbl-slack-bot")

        @flask.route("/healthz", methods=["GET"])
        def healthz() -> Any:
            return health(self)

        job_status.register(flask, self.services)  # a remote engine's webhooks (SYMBL_BOT_PUBLIC_URL)

        def route(environ: dict, start_response: Any) -> Any:
            # Bolt answers 404 on the OAuth paths when OAuth is not configured.
            app = bolt if environ.get("PATH_INFO") in slack_paths else flask
            return app(environ, start_response)

        # Body cap and signature before Bolt reads or parses anything (bot.slack.http_guard).
        return SignedRequestGuard(
            route, self.settings.slack_signing_secret,
            max_bytes=self.settings.max_request_bytes, paths=[EVENTS_PATH],
        )  # fmt: skip

    def _http_server(self, host: str, port: int, threads: int = 8) -> Any:
        """Waitress serving `wsgi_app()` (what `waitress.serve` builds, minus its per-request queue log)."""
        server = create_server(
            self.wsgi_app(),
            host=host,
            port=port,
            threads=threads,
            # waitress itself refuses (413) bodies past this before buffering them; the guard reads the rest.
            max_request_body_size=self.settings.max_request_bytes,
            ident="symbl-bot",
            # Connection limit and idle timeouts for facing the network (the why and waitress's words there).
            **http_limits.WAITRESS_LIMITS,
        )
        server.task_dispatcher.queue_logger = logs.ThrottledLogger(logging.getLogger("waitress.queue"), 60)
        server.print_listen("Serving on http://{}:{}")
        return server

    def start_background(self) -> None:
        if self.worker is not None:
            self.worker.start()
        else:
            assert self.background is not None
            self.background.start()

    def start_http(self, host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> str:
        """HTTP mode in a background thread (tests, benchmarks); returns the base URL."""
        self._http = self._http_server(host, port, threads)
        self._http_thread = threading.Thread(target=self._http.run, name="bot-http", daemon=True)
        self._http_thread.start()
        return f"http://{host}:{self._http.effective_port}"

    def serve(self, host: str = "0.0.0.0") -> None:
        """Block serving Slack: Socket Mode with an app-level token, else HTTP on settings.port."""
        try:
            # The port first: one in use is a start-up error before any worker process exists.
            server = None if self.settings.slack_app_token else self._http_server(host, self.settings.port)
            self.start_background()
            if self.settings.slack_app_token:
                from slack_bolt.adapter.socket_mode import SocketModeHandler

                log.info("Socket Mode")
                socket = SocketModeHandler(self.app, self.settings.slack_app_token)
                if not self.settings.oauth_enabled:
                    socket.start()
                    return
                # Installs still arrive over HTTP: serve /slack/install and the OAuth redirect beside the
                # socket.
                socket.connect()
                self._http_server(host, self.settings.port).run()
            else:
                log.info("HTTP mode on port %s at %s", self.settings.port, EVENTS_PATH)
                assert server is not None
                server.run()
        finally:
            self.close()

    def close(self) -> None:
        if self._http is not None:
            server, self._http = self._http, None
            stop_server(server, self._http_thread)
        if self.worker is not None:
            self.worker.stop()
        if self.background is not None:
            self.background.stop()
        self.services.interactive.shutdown(wait=False, cancel_futures=True)


def listening_app(settings: Settings, services: Services, web: WebClient) -> App:
    """The Bolt app with every listener registered."""
    app = bolt_app(settings, web)
    if settings.oauth_enabled:
        oauth.register_revocation_listeners(app)
    handlers.register(app, services)
    return app


def build_bot(
    settings: Settings, *, client: WebClient | None = None, symbl: SymblClient | None = None
) -> Bot:
    """The bot per `settings.background`. Injected `client` / `symbl` (tests) need thread mode: they cannot
    cross into another process."""
    store = open_store(settings.bot_database)
    web = client or slack_client(settings)
    if settings.background == "process":
        if client is not None or symbl is not None:
            raise ValueError("an injected client or provider needs SYMBL_BOT_BACKGROUND=thread")
        store.leave_checkpoints_to_another_process()
        provider: Any = EngineViaWorker()
        if settings.uses_symbl_cloud:  # the web process's own calls (`/symbl delete`) go to Symbl directly
            provider = SymblClient.from_settings(settings)
        worker = WorkerSupervisor(settings, provider if isinstance(provider, EngineViaWorker) else None)

        def poll_now(recording_id: int) -> None:
            repo.poll_now(store, recording_id)  # durable even if the worker is restarting just now
            worker.poll_now(recording_id)

        def wake() -> None:
            worker.wake()
            store.wake_others()  # PostgreSQL: every worker process listening (SQLite: nothing to do)

        services = build_services(settings, store, provider, web, wake=wake, poll_now=poll_now)
        app = listening_app(settings, services, web)
        bot = Bot(settings=settings, store=store, services=services, app=app, worker=worker)
    else:
        engine = None
        if symbl is None:
            symbl, engine = symbl_client(settings)
        background = build_background(settings, store, symbl, web, engine)
        services = background.services
        app = listening_app(settings, services, web)
        bot = Bot(settings=settings, store=store, services=services, app=app, background=background)
    return bot
