"""The offline engine served as the Symbl Async API (contract: shared/symbl-async-api.md, §8 checklist).

`create_app(settings, engine=None)` builds the Flask app, its SQLite store and its job queue (workers start
at once); `EngineServer` runs it under waitress on a host and port (port 0: an ephemeral one) in a
background thread, which is how the Slack bot embeds it on loopback and how tests start it.

Project decisions this server takes (the contract marks them): tokens last 24 h and survive restarts;
when no engine credentials are configured any appId/appSecret gets a token, which `EngineServer` only
allows on a loopback address; uploads are raw bodies of any Content-Type, checked with FFmpeg before a
job is accepted (so a corrupt file is a 400 now rather than a failed job later); errors are JSON
`{"message"}` with the §6.3 status codes; a failed job carries a `message`.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import shutil
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from bot.config import Settings
from bot.engine import decode, early_auth, limits
from bot.engine.core import Engine, analyze, iso
from bot.engine.ids import new_conversation_id
from bot.engine.jobs import JobEvent, JobQueue, Transcriber
from bot.engine.store import JobLimitReached, Store
from bot.engine.summary_api import regenerate_summary
from bot.engine.text_messages import TextMessage, dumps, earliest_start, parse_text_messages
from bot.engine.wire_options import InvalidOption, from_body, from_query, text_body_options
from bot.errors import ApiError, EngineError, InputError, MediaTooLong
from bot.net import check_url
from bot.waitress_thread import stop_server

log = logging.getLogger(__name__)

TOKEN_LIFETIME = 86400  # seconds; the official SDK regenerates after exactly this long (contract §2.3)
RETRY_AFTER_SECONDS = 30
UPLOAD_CHUNK = 1 << 20
MEDIA_KINDS = ("audio", "video")


class EngineService:
    """What the routes share: settings, the store and the queue."""

    def __init__(self, settings: Settings, engine: Transcriber | None, analyzer: Callable[..., dict]):
        self.settings = settings
        self.engine_dir = settings.data_dir / "engine"
        self.media_dir = self.engine_dir / "media"
        self.media_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.engine_db_path)
        self.queue = JobQueue(
            self.store,
            settings,
            engine or Engine(settings.engine_model, cache_dir=settings.model_cache_dir),
            analyzer,
            media_dir=self.media_dir,
        )

    def auth_refusal(self, token: str) -> str | None:
        """Why a request with this x-api-key is refused (401), or None for a live token."""
        if not token:
            return "Missing x-api-key header: generate a token at /oauth2/token:generate."
        if self.store.token_app(token) is None:
            return "The x-api-key token is unknown or expired."
        return None

    def early_refusal(self, method: str, path: str, headers: Any) -> str | None:
        """For early_auth: refuse a large body before it is buffered unless its token is live."""
        if path.startswith("/oauth2/token:generate"):
            return "A token request is a small JSON body."
        return self.auth_refusal(headers.get("X_API_KEY", ""))

    def credentials_ok(self, app_id: Any, app_secret: Any) -> bool:
        expected_id, expected_secret = self.settings.engine_app_id, self.settings.engine_app_secret
        if not (expected_id and expected_secret):
            return True  # open mode: EngineServer allows it on loopback only
        return (
            isinstance(app_id, str)
            and isinstance(app_secret, str)
            and hmac.compare_digest(app_id, expected_id)
            and hmac.compare_digest(app_secret, expected_secret)
        )

    def close(self) -> None:
        if self.queue.stop():
            self.store.close()


def _error(status: int, message: str, headers: dict | None = None) -> Response:
    response = jsonify({"message": message})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flag(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false, not {raw!r}.")
    return raw.lower() == "true"


def create_app(
    settings: Settings, engine: Transcriber | None = None, *, analyzer: Callable[..., dict] = analyze
) -> Flask:
    """The Symbl-compatible API over the offline engine.

    `engine` defaults to the real `bot.engine.core.Engine`; tests may pass a faster stand-in with the same
    `process` signature. The app's `EngineService` is `app.extensions["symbl_engine"]`.
    """
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    service = EngineService(settings, engine, analyzer)
    app.extensions["symbl_engine"] = service
    store, queue = service.store, service.queue

    @app.errorhandler(ApiError)
    def api_error(err: ApiError):
        return _error(err.status, err.message, err.headers)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        return _error(err.code or 500, err.description or err.name)

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        log.exception("unexpected error serving %s %s", request.method, request.path)
        return _error(500, f"The engine failed unexpectedly ({err.__class__.__name__}).")

    @app.before_request
    def authenticate():
        refusal = limits.rebinding_refusal(
            request.headers.get("Host"), request.headers.get("Origin"), settings.engine_allowed_hosts
        )
        if refusal:
            log.warning("refused %s %s: %s", request.method, request.path, refusal)
            return _error(403, refusal)
        if request.path.startswith("/oauth2/token:generate"):
            return None
        refusal = service.auth_refusal(request.headers.get("x-api-key", ""))
        if refusal:
            return _error(401, refusal)
        g.app_id = store.token_app(request.headers["x-api-key"])  # conversations and jobs belong to it
        return None

    def _json_body() -> Any:
        raw = request.get_data(cache=True)
        if limits.json_too_deep(raw):
            raise ApiError(400, f"The JSON body nests deeper than {limits.MAX_JSON_DEPTH} levels.")
        return request.get_json(silent=True, force=True)

    @app.post("/oauth2/token:generate")
    def generate_token():
        body = _json_body()
        if not isinstance(body, dict):
            raise ApiError(400, 'The body must be JSON: {"type": "application", "appId", "appSecret"}.')
        if body.get("type") != "application":
            raise ApiError(400, 'Only type "application" grants are supported.')
        if not body.get("appId") or not body.get("appSecret"):
            raise ApiError(400, "appId and appSecret are required.")
        if not service.credentials_ok(body.get("appId"), body.get("appSecret")):
            raise ApiError(401, "Unknown appId or wrong appSecret.")
        token = secrets.token_urlsafe(32)
        store.add_token(token, str(body["appId"]), TOKEN_LIFETIME)
        return jsonify({"accessToken": token, "expiresIn": TOKEN_LIFETIME})

    # --- submissions -------------------------------------------------------------------------------

    def _too_many() -> ApiError:
        return ApiError(
            429, "Too many unfinished jobs; try again later.", {"Retry-After": str(RETRY_AFTER_SECONDS)}
        )

    def _check_capacity() -> None:
        # Early and cheap, before an upload is read; add_job checks again atomically with its insert.
        if store.unfinished_count() >= settings.engine_max_unfinished_jobs:
            raise _too_many()

    def _check_webhook(options: dict) -> None:
        url = options.get("webhookUrl")
        if url:
            try:
                check_url(url, allow_private=settings.allow_private_urls)
            except InputError as err:
                raise ApiError(400, f"webhookUrl refused: {err}") from None

    def _parse(parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except InvalidOption as err:
            raise ApiError(400, str(err)) from None

    def _receive_upload(job_dir: Path, job_id: str) -> Path:
        if (request.mimetype or "").startswith("multipart/"):
            # `curl -F file=@x.mp3` wraps the bytes in a form; Symbl takes the raw bytes as the body.
            raise ApiError(
                415,
                "Send the recording's bytes as the request body (curl --data-binary @meeting.mp3 with an "
                "audio/* or video/* Content-Type), not as a multipart form (curl -F).",
            )
        limit = settings.max_file_bytes
        if request.content_length is not None and request.content_length > limit:
            raise ApiError(413, _too_large(limit))
        job_dir.mkdir(parents=True, exist_ok=True)
        partial = job_dir / f"{job_id}.part"
        size = 0
        try:
            with partial.open("wb") as out:
                while chunk := request.stream.read(UPLOAD_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise ApiError(413, _too_large(limit))
                    out.write(chunk)
            if size == 0:
                raise ApiError(400, "The recording is empty (0 bytes): send its bytes as the request body.")
            _check_media(partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return partial.rename(job_dir / f"{job_id}.media")

    def _check_media(path: Path) -> None:
        try:
            decode.probe(path, max_duration_seconds=settings.max_duration_seconds)
        except MediaTooLong as err:
            raise ApiError(400, str(err)) from None
        except InputError as err:
            content_type = (request.content_type or "").split(";")[0].strip().lower()
            if content_type and not content_type.startswith(("audio/", "video/", "application/octet-stream")):
                raise ApiError(415, f"Unsupported Content-Type {content_type}: {err}") from None
            raise ApiError(400, str(err).replace(path.name, "The uploaded file")) from None

    def _accept(
        conversation_id: str | None,
        *,
        source: str,
        options: dict,
        url: str | None = None,
        text: list[TextMessage] | None = None,
    ) -> Response:
        _check_capacity()
        _check_webhook(options)
        new = conversation_id is None
        cid = conversation_id or new_conversation_id()
        if not new and not store.conversation_exists(cid, g.app_id):
            raise ApiError(404, f"Conversation {cid} was not found.")
        job_id = str(uuid.uuid4())
        media_path = None
        if source == "file":
            media_path = str(_receive_upload(service.media_dir / cid, job_id))
        elif source == "text" and text is not None:
            # Stored like an upload, so a text job resumes after a crash exactly as a recording does.
            (service.media_dir / cid).mkdir(parents=True, exist_ok=True)
            media_file = service.media_dir / cid / f"{job_id}.text.json"
            media_file.write_text(dumps(text))
            media_path = str(media_file)
        # A transcript with its own clock starts the conversation at its first message.
        start = (earliest_start(text) if text else None) or datetime.now(UTC)
        try:
            added = store.add_job(
                job_id=job_id,
                conversation_id=cid,
                new_conversation=new,
                name=options.get("name"),
                start_time=iso(start),
                source=source,
                media_path=media_path,
                url=url,
                options=options,
                owner=g.app_id,
                max_unfinished=settings.engine_max_unfinished_jobs,
            )
        except JobLimitReached:
            added = None
        if not added:
            if media_path:
                Path(media_path).unlink(missing_ok=True)
            if added is None:
                raise _too_many()
            raise ApiError(404, f"Conversation {cid} was not found.")
        job = store.job(job_id)
        assert job is not None
        queue.submitted(job)
        response = jsonify({"conversationId": cid, "jobId": job_id})
        response.status_code = 201 if new else 200
        return response

    def _media_kind(kind: str) -> None:
        if kind not in MEDIA_KINDS:
            raise ApiError(404, f"Unknown endpoint /v1/process/{kind}.")

    @app.post("/v1/process/<kind>")
    def process_file(kind: str):
        _media_kind(kind)
        return _accept(
            None, source="file", options=_parse(lambda: from_query(request.args.items(multi=True)))
        )

    @app.put("/v1/process/<kind>/<conversation_id>")
    def append_file(kind: str, conversation_id: str):
        _media_kind(kind)
        return _accept(
            conversation_id, source="file", options=_parse(lambda: from_query(request.args.items(multi=True)))
        )

    def _url_submission(conversation_id: str | None) -> Response:
        body = _json_body()
        if body is None:
            raise ApiError(400, "The body must be JSON with a url.")
        url, options = _parse(lambda: from_body(body, request.args.items(multi=True)))
        try:
            check_url(url, allow_private=settings.allow_private_urls)
        except InputError as err:
            raise ApiError(400, str(err)) from None
        return _accept(conversation_id, source="url", options=options, url=url)

    @app.post("/v1/process/<kind>/url")
    def process_url(kind: str):
        _media_kind(kind)
        return _url_submission(None)

    @app.put("/v1/process/<kind>/url/<conversation_id>")
    def append_url(kind: str, conversation_id: str):
        _media_kind(kind)
        return _url_submission(conversation_id)

    def _text_submission(conversation_id: str | None) -> Response:
        body = request.get_json(silent=True, force=True)
        if body is None:
            raise ApiError(400, 'The body must be JSON: {"messages": [{"payload": {"content": …}}]}.')
        raw_messages, options = _parse(lambda: text_body_options(body, request.args.items(multi=True)))
        messages = _parse(lambda: parse_text_messages(raw_messages))
        return _accept(conversation_id, source="text", options=options, text=messages)

    @app.post("/v1/process/text")
    def process_text():
        return _text_submission(None)

    @app.put("/v1/process/text/<conversation_id>")
    def append_text(conversation_id: str):
        return _text_submission(conversation_id)

    # --- jobs and conversations --------------------------------------------------------------------

    @app.get("/v1/job/<job_id>")
    def job_status(job_id: str):
        job = store.job(job_id, g.app_id)
        if job is None:
            raise ApiError(404, f"Job {job_id} was not found.")
        body: dict[str, Any] = {"id": job.id, "status": job.status}
        if job.status == "failed" and job.message:
            body["message"] = job.message
        return jsonify(body)

    def _conversation(conversation_id: str) -> dict:
        found = store.conversation(conversation_id, g.app_id)
        if found is None:
            raise ApiError(404, f"Conversation {conversation_id} was not found.")
        return found

    @app.get("/v1/conversations/<conversation_id>")
    def conversation(conversation_id: str):
        found = _conversation(conversation_id)
        messages = found["messages"]
        end = messages[-1]["endTime"] if messages else found["start_time"]
        return jsonify(
            {
                "id": found["id"],
                "type": "meeting",
                "name": found["name"] or "",
                "startTime": found["start_time"],
                "endTime": end,
                "members": found["members"],
            }
        )

    @app.get("/v1/conversations/<conversation_id>/messages")
    def messages(conversation_id: str):
        sentiment, verbose = _flag("sentiment", False), _flag("verbose", False)
        found = _conversation(conversation_id)
        drop = ({"sentiment"} if not sentiment else set()) | ({"words"} if not verbose else set())
        return jsonify(
            {"messages": [{k: v for k, v in m.items() if k not in drop} for m in found["messages"]]}
        )

    @app.get("/v1/conversations/<conversation_id>/topics")
    def topics(conversation_id: str):
        sentiment, parent_refs = _flag("sentiment", False), _flag("parentRefs", False)
        drop = ({"sentiment"} if not sentiment else set()) | ({"parentRefs"} if not parent_refs else set())
        found = _conversation(conversation_id)
        return jsonify({"topics": [{k: v for k, v in t.items() if k not in drop} for t in found["topics"]]})

    def _listing(resource: str, key: str) -> None:
        def view(conversation_id: str):
            return jsonify({key: _conversation(conversation_id)[key]})

        app.add_url_rule(
            f"/v1/conversations/<conversation_id>/{resource}", f"list_{key}", view, methods=["GET"]
        )

    for resource, key in [
        ("questions", "questions"),
        ("action-items", "actionItems"),
        ("follow-ups", "followUps"),
        ("members", "members"),
    ]:
        _listing(resource, key)

    @app.get("/v1/conversations/<conversation_id>/summary")
    def summary(conversation_id: str):
        refresh = _flag("refresh", False)
        found = _conversation(conversation_id)
        if store.has_unfinished_job(conversation_id):
            # Symbl answers 404 until the conversation's processing has finished.
            raise ApiError(
                404, f"The summary of conversation {conversation_id} is not ready: its job is still running."
            )
        if refresh:
            regenerated = regenerate_summary(found)
            store.set_insight(conversation_id, "summary", regenerated)
            return jsonify({"summary": regenerated})
        return jsonify({"summary": found["summary"]})

    def _empty(resource: str, body: Callable[[], Any]) -> None:
        # Valid but empty: the engine does not compute these; the official SDK requires their keys.
        def view(conversation_id: str):
            _conversation(conversation_id)
            return jsonify(body())

        app.add_url_rule(
            f"/v1/conversations/<conversation_id>/{resource}", f"empty_{resource}", view, methods=["GET"]
        )

    _empty("entities", lambda: {"entities": []})
    _empty("analytics", lambda: {"metrics": [], "members": []})
    _empty("trackers", lambda: [])
    _empty("insights", lambda: {"insights": []})
    _empty("intents", lambda: {"intents": []})

    @app.delete("/v1/conversations/<conversation_id>")
    def delete_conversation(conversation_id: str):
        _conversation(conversation_id)
        store.delete_conversation(conversation_id)
        shutil.rmtree(service.media_dir / conversation_id, ignore_errors=True)
        return jsonify({"message": f"Conversation {conversation_id} was deleted."})

    queue.start()
    return app


def _too_large(limit: int) -> str:
    return f"The upload is larger than the {limit / 1024**2:,.0f} MB limit."


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EngineServer:
    """The API under waitress in a background thread: `EngineServer(settings).start()` → `.url`.

    Refuses to bind a non-loopback address without SYMBL_ENGINE_APP_ID/SYMBL_ENGINE_APP_SECRET, since any
    credentials would otherwise get a token.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        host: str | None = None,
        port: int | None = None,
        engine: Transcriber | None = None,
        threads: int = 8,
    ):
        self.host = host if host is not None else settings.engine_host
        if self.host == "localhost":
            self.host = "127.0.0.1"  # one socket, one port: waitress would bind every address it resolves to
        self.port = port if port is not None else settings.engine_port
        if not is_loopback(self.host) and not (settings.engine_app_id and settings.engine_app_secret):
            raise EngineError(
                f"Refusing to serve on {self.host} without credentials: set SYMBL_ENGINE_APP_ID and "
                "SYMBL_ENGINE_APP_SECRET, or bind 127.0.0.1."
            )
        self.settings = settings
        self.app = create_app(settings, engine)
        self.service: EngineService = self.app.extensions["symbl_engine"]
        self._threads = threads
        self._server: Any = None
        self._stopped = False
        self._stop_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the engine server is not started")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self._server.effective_port}"

    def on_job_status(self, listener: Callable[[JobEvent], None]) -> Callable[[], None]:
        return self.service.queue.on_job_status(listener)

    def bind(self) -> EngineServer:
        """Open the listening socket (so `url` is known) without serving yet."""
        if self._server is None:
            from waitress.server import create_server

            # waitress buffers request bodies past `inbuf_overflow` in temporary files, not memory.
            self._server = create_server(
                self.app,
                host=self.host,
                port=self.port,
                threads=self._threads,
                max_request_body_size=self.settings.max_file_bytes + UPLOAD_CHUNK,
                inbuf_overflow=UPLOAD_CHUNK,
                ident="symbl-bot-engine",
                clear_untrusted_proxy_headers=True,
            )
            # Large unauthenticated bodies are refused at their headers, never buffered (see early_auth).
            self._server.channel_class = early_auth.channel_class(
                self.service.early_refusal, spill_bytes=UPLOAD_CHUNK
            )
        return self

    def start(self) -> EngineServer:
        """Serve in a daemon thread; returns at once."""
        self.bind()
        self._thread = threading.Thread(target=self._server.run, name="engine-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.bind()
        try:
            self._server.run()
        finally:
            self.service.close()

    def stop(self) -> None:
        with self._stop_lock:  # stop() may come from a signal handler, a `with` block and a fixture at once
            if self._server is not None and not self._stopped:
                self._stopped = True
                stop_server(self._server, self._thread)
        self.service.close()

    def __enter__(self) -> EngineServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
