"""How the bot hears that a job it submitted changed status, when the engine runs elsewhere (issue 23).

Two ways, both hints that make the recording's row due now (`pipeline.on_job_status`); the poll with backoff
stays the fallback for a hint that never comes:
- **NOTIFY**, when bot and engine share a PostgreSQL database: the engine's store notifies
  `JOB_STATUS_CHANNEL` at the commit of every status change, and the bot's background listens
  (`Background.start`).
- **A webhook** otherwise, with SYMBL_BOT_PUBLIC_URL set: each submission names a signed
  `<public url>/symbl/job-status/<recording id>/<signature>` as its `webhookUrl` (bot.slack.job_status_url).
  A nudge can only make the bot read the job's real status from the engine, and only for that recording.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, request

from bot.engine.store import JOB_STATUS_CHANNEL
from bot.slack import pipeline
from bot.slack.job_status_url import PATH, signed
from bot.slack.services import Services

MAX_BODY_BYTES = 4096  # {"jobId", "status"}: a few dozen bytes
__all__ = ["JOB_STATUS_CHANNEL", "notice", "register"]


def notice(services: Services, payload: str | bytes, recording_id: int | None = None) -> None:
    """A `{"jobId", "status"}` notice (a NOTIFY payload or a webhook body); anything else is ignored, and so
    is a webhook's notice about another recording's job than the one its URL was signed for."""
    try:
        body = json.loads(payload)
    except ValueError:
        return
    if isinstance(body, dict) and isinstance(body.get("jobId"), str) and isinstance(body.get("status"), str):
        pipeline.on_job_status(services, body["jobId"], body["status"], recording_id=recording_id)


def register(flask: Flask, services: Services) -> None:
    """The webhook route: 404 unless the signature is the recording's (nothing to learn by guessing)."""

    @flask.route(PATH, methods=["POST"])
    def job_status(recording_id: int, signature: str) -> Any:
        if not signed(services.settings, recording_id, signature):
            return Response(status=404)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return Response(status=413)
        notice(services, request.get_data(cache=False)[:MAX_BODY_BYTES], recording_id)
        return Response(status=204)
