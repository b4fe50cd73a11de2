"""Submissions: process and append a recording (upload or URL) or a transcript, each answered with its job.

A new conversation answers 201, an append to an existing one 200. Capacity is checked early (before an upload
is read) and again atomically with the job's insert; a refused job leaves no media behind. A job's input is
staged on local disk, checked, then kept in the service's media store (local disk or S3).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, Response, jsonify, request

from bot.engine.core import iso
from bot.engine.ids import new_conversation_id
from bot.engine.media import MediaStore
from bot.engine.server.request_input import json_body, parsed
from bot.engine.server.service import EngineService, current_owner, current_service
from bot.engine.server.uploads import receive_upload
from bot.engine.store import JobLimitReached
from bot.engine.text_messages import TextMessage, dumps, earliest_start, parse_text_messages
from bot.engine.wire_options import from_body, from_query, text_body_options
from bot.errors import ApiError, InputError, MediaStoreError, StorageFull
from bot.net import check_url

RETRY_AFTER_SECONDS = 30
DISK_FULL_RETRY_AFTER_SECONDS = 60
MEDIA_STORE_RETRY_AFTER_SECONDS = 30
MEDIA_KINDS = ("audio", "video")

blueprint = Blueprint("submissions", __name__)


def _too_many() -> ApiError:
    return ApiError(
        429, "Too many unfinished jobs; try again later.", {"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def _not_found(conversation_id: str) -> ApiError:
    return ApiError(404, f"Conversation {conversation_id} was not found.")


def _check_capacity(service: EngineService) -> None:
    # Early and cheap, before an upload is read; add_job checks again atomically with its insert.
    if service.store.unfinished_count() >= service.settings.engine_max_unfinished_jobs:
        raise _too_many()


def _check_webhook(service: EngineService, options: dict) -> None:
    url = options.get("webhookUrl")
    if url:
        try:
            check_url(url, allow_private=service.settings.allow_private_urls)
        except InputError as err:
            raise ApiError(400, f"webhookUrl refused: {err}") from None


def _stage_media(
    service: EngineService, cid: str, job_id: str, source: str, text: list[TextMessage] | None
) -> str | None:
    """Where the job's input is kept: an upload's checked bytes or a transcript's JSON (None for a URL)."""
    media = service.media
    if source == "file":
        try:
            staged = receive_upload(service.settings, media.staging(cid, f"{job_id}.part"))
        except StorageFull as err:
            # A 5xx with Retry-After: Symbl clients (the bot's among them) send it again later.
            service.queue.storage_full_at = time.time()
            raise ApiError(507, str(err), {"Retry-After": str(DISK_FULL_RETRY_AFTER_SECONDS)}) from None
        service.queue.storage_full_at = None  # it fitted: the disk has room again
        return _kept(media, staged, cid, f"{job_id}.media")
    if source == "text" and text is not None:
        # Stored like an upload, so a text job resumes after a crash exactly as a recording does.
        name = f"{job_id}.text.json"
        staged = media.staging(cid, name)
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_text(dumps(text))
        return _kept(media, staged, cid, name)
    return None


def _kept(media: MediaStore, staged: Path, cid: str, name: str) -> str:
    try:
        return media.keep(staged, cid, name)
    except MediaStoreError as err:
        # Like a full disk: the bucket may answer again, and Symbl clients send the request again later.
        raise ApiError(503, str(err), {"Retry-After": str(MEDIA_STORE_RETRY_AFTER_SECONDS)}) from None


def _accept(
    conversation_id: str | None,
    *,
    source: str,
    options: dict,
    url: str | None = None,
    text: list[TextMessage] | None = None,
) -> Response:
    service = current_service()
    _check_capacity(service)
    _check_webhook(service, options)
    new = conversation_id is None
    cid = conversation_id or new_conversation_id()
    if not new and not service.store.conversation_exists(cid, current_owner()):
        raise _not_found(cid)
    job_id = str(uuid.uuid4())
    media_path = _stage_media(service, cid, job_id, source, text)
    # A transcript with its own clock starts the conversation at its first message.
    start = (earliest_start(text) if text else None) or datetime.now(UTC)
    try:
        added: bool | None = service.store.add_job(
            job_id=job_id,
            conversation_id=cid,
            new_conversation=new,
            name=options.get("name"),
            start_time=iso(start),
            source=source,
            media_path=media_path,
            url=url,
            options=options,
            owner=current_owner(),
            max_unfinished=service.settings.engine_max_unfinished_jobs,
        )
    except JobLimitReached:
        added = None
    if not added:
        if media_path:
            service.media.delete(media_path)
        raise _too_many() if added is None else _not_found(cid)
    return _queued(service, cid, job_id, new)


def _queued(service: EngineService, cid: str, job_id: str, new: bool) -> Response:
    job = service.store.job(job_id)
    assert job is not None
    service.queue.submitted(job)
    response = jsonify({"conversationId": cid, "jobId": job_id})
    response.status_code = 201 if new else 200
    return response


def _media_kind(kind: str) -> None:
    if kind not in MEDIA_KINDS:
        raise ApiError(404, f"Unknown endpoint /v1/process/{kind}.")


def _file_submission(kind: str, conversation_id: str | None) -> Response:
    _media_kind(kind)
    options = parsed(lambda: from_query(request.args.items(multi=True)))
    return _accept(conversation_id, source="file", options=options)


def _url_submission(kind: str, conversation_id: str | None) -> Response:
    _media_kind(kind)
    body = json_body()
    if body is None:
        raise ApiError(400, "The body must be JSON with a url.")
    url, options = parsed(lambda: from_body(body, request.args.items(multi=True)))
    try:
        check_url(url, allow_private=current_service().settings.allow_private_urls)
    except InputError as err:
        raise ApiError(400, str(err)) from None
    return _accept(conversation_id, source="url", options=options, url=url)


def _text_submission(conversation_id: str | None) -> Response:
    body = json_body()
    if body is None:
        raise ApiError(400, 'The body must be JSON: {"messages": [{"payload": {"content": …}}]}.')
    raw_messages, options = parsed(lambda: text_body_options(body, request.args.items(multi=True)))
    messages = parsed(lambda: parse_text_messages(raw_messages))
    return _accept(conversation_id, source="text", options=options, text=messages)


@blueprint.post("/v1/process/<kind>")
def process_file(kind: str) -> Response:
    return _file_submission(kind, None)


@blueprint.put("/v1/process/<kind>/<conversation_id>")
def append_file(kind: str, conversation_id: str) -> Response:
    return _file_submission(kind, conversation_id)


@blueprint.post("/v1/process/<kind>/url")
def process_url(kind: str) -> Response:
    return _url_submission(kind, None)


@blueprint.put("/v1/process/<kind>/url/<conversation_id>")
def append_url(kind: str, conversation_id: str) -> Response:
    return _url_submission(kind, conversation_id)


@blueprint.post("/v1/process/text")
def process_text() -> Response:
    return _text_submission(None)


@blueprint.put("/v1/process/text/<conversation_id>")
def append_text(conversation_id: str) -> Response:
    return _text_submission(conversation_id)
