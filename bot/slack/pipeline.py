"""The life of a recording once `bot.slack.intake` has recorded it, as plain functions: submit → poll →
fetch insights → post (or fail).

Every step reads its row, talks to one outside system, and records the outcome in one transaction, so a crash
between steps loses nothing: the scheduler finds the row due again and repeats the step. Steps that are not
naturally repeatable are made so here: the summary post is searched for in the thread (by its metadata)
before it is posted a second time.

Errors: a `BotError` that is not `transient` (bad input, refused URL, failed job, bad credentials) ends the
row as `failed` and edits the status message into one clear sentence. Anything transient (provider 5xx/429,
timeouts, Slack rate limits and outages) reschedules the row with backoff; it is never dropped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot import net
from bot.config import Settings
from bot.errors import (
    BotError,
    JobFailed,
    MediaTooLarge,
    MediaTooLong,
    SlackDeliveryError,
    StorageFull,
)
from bot.providers.symbl.client import Submission
from bot.slack import errors as slack_errors
from bot.slack import updates
from bot.slack.downloads import download_slack_file
from bot.slack.job_status_url import webhook_url
from bot.slack.render.summary import SUMMARY_EVENT
from bot.slack.services import Services
from bot.slack.speaker_hints import known_speakers
from bot.slack.thread import ensure_status, find_posted_parts, keep_oldest_copies, poster_in_lease, set_stage
from bot.transcript_import import TEXT_OPTIONS, read_transcript, transcript_kind
from storage import Recording, State, action_items, summary_parts
from storage import recordings as repo
from storage.fence import LeaseLost

log = logging.getLogger(__name__)

MAX_UNEXPECTED_ATTEMPTS = 5
MAX_TRANSIENT_ATTEMPTS = 30  # ~2 h at the 300 s cap; then the row fails with the last reason


# --- one step of the lifecycle (called by the scheduler's workers) ------------------------------------------


def advance(services: Services, recording_id: int) -> None:
    """Take a due recording one step further; record failures on the row instead of raising."""
    rec = repo.get(services.store, recording_id)
    if rec is None or rec.state not in {s.value for s in repo.ACTIVE_STATES}:
        return
    try:
        if rec.state == State.QUEUED:
            submit(services, rec)
        elif rec.state in (State.SUBMITTED, State.PROCESSING):
            poll(services, rec)
        elif rec.state == State.COMPLETED:
            post_summary(services, rec)
    except LeaseLost as err:  # stalled past the lease: the new owner repeats the step; nothing to record
        log.warning("recording %s: step abandoned: %s", rec.id, err)
    except Exception as err:  # noqa: BLE001 — every outcome is recorded on the row
        _handle_error(services, rec, err)


def _handle_error(services: Services, rec: Recording, err: Exception) -> None:
    if isinstance(err, SlackApiError):
        failure = slack_errors.classify(err)
        transient, reason = failure.transient, failure.user_message
        if not transient:
            # Reported like any permanent failure: the status message is edited, never left at "Extracting…".
            log.warning("recording %s: Slack refused for good: %s", rec.id, failure.code)
    elif isinstance(err, BotError):
        transient, reason = err.transient, err.user_message
        if isinstance(err, StorageFull):
            services.storage_full_at = time.time()
        if reason != str(err):
            log.info("recording %s: %s", rec.id, err)
    elif isinstance(err, OSError):  # strerror only: str(err) would show the server's file paths in Slack
        transient, reason = True, f"{err.__class__.__name__}: {err.strerror or 'system error'}"
    elif isinstance(err, SlackClientError):
        transient, reason = True, f"{err.__class__.__name__}: {err}"
    else:
        log.exception("recording %s: unexpected error", rec.id)
        transient, reason = (
            rec.attempts + 1 < MAX_UNEXPECTED_ATTEMPTS,
            f"internal error ({err.__class__.__name__})",
        )
    if transient and rec.attempts + 1 < MAX_TRANSIENT_ATTEMPTS:
        delay = retry_delay(services.settings, rec.attempts + 1)
        attempts = repo.retry_later(services.store, rec.id, reason, time.time() + delay)
        log.info(
            "recording %s: transient error (attempt %s, retry in %.1fs): %s", rec.id, attempts, delay, reason
        )
        return
    fail(services, rec, reason)


def retry_delay(settings: Settings, attempts: int) -> float:
    return min(settings.poll_seconds * 5 * 2 ** max(attempts - 1, 0), 300.0)


def poll_delay(settings: Settings, polls: int) -> float:
    """2 ticks after submission, growing by half each poll, at most 30 s (the engine also notifies at
    once)."""
    return min(settings.poll_seconds * 2 * 1.5**polls, 30.0)


def submit(services: Services, rec: Recording) -> None:
    settings = services.settings
    ensure_status(services, rec, "queued")
    if rec.kind == "url":
        net.check_url(rec.source, allow_private=settings.allow_private_urls)
        if rec.append_to:
            submission = services.provider.append_url(
                rec.source, rec.append_to, _options(services, rec), media=_media_of(rec)
            )
        else:
            submission = services.provider.submit_url(
                rec.source, _options(services, rec), media=_media_of(rec)
            )
    else:
        _refuse_by_metadata(settings, rec)
        path = download_slack_file(services, rec)
        try:
            kind = transcript_kind(rec.name, rec.mimetype)
            if not kind:
                _refuse_by_duration(settings, path)
            if kind:
                submission = _submit_transcript(services, rec, path, kind)
            elif rec.append_to:
                submission = services.provider.append_file(
                    path,
                    rec.append_to,
                    _options(services, rec),
                    content_type=rec.mimetype or None,
                    media=_media_of(rec),
                )
            else:
                submission = services.provider.submit_file(
                    path, _options(services, rec), content_type=rec.mimetype or None, media=_media_of(rec)
                )
        finally:
            path.unlink(missing_ok=True)
    repo.mark_submitted(
        services.store,
        rec.id,
        submission.conversation_id,
        submission.job_id,
        time.time() + poll_delay(settings, 0),
    )
    set_stage(services, rec.id, "transcribing")


def _submit_transcript(services: Services, rec: Recording, path: Path, kind: str) -> Submission:
    """A transcript file as Text API messages, on the clock of the message that shared it."""
    started = datetime.fromtimestamp(float(rec.message_ts), tz=UTC)
    messages = read_transcript(path, kind, start_time=started)
    options = {k: v for k, v in _options(services, rec).items() if k in TEXT_OPTIONS}
    if rec.append_to:
        return services.provider.append_text(messages, rec.append_to, options)
    return services.provider.submit_text(messages, options)


def _options(services: Services, rec: Recording) -> dict[str, Any]:
    options = {**services.options, "name": rec.name or "Slack recording"}
    webhook = webhook_url(services.settings, rec.id)
    if webhook:
        options["webhookUrl"] = webhook
    if not services.settings.uses_symbl_cloud:
        members = known_speakers(
            services.slack_for(rec.team_id),
            services.directory,
            team_id=rec.team_id,
            channel_id=rec.channel_id,
            uploader=rec.user_id,
        )
        if members:
            options["members"] = members
    return options


def _media_of(rec: Recording) -> str:
    if (rec.mimetype or "").startswith("video/"):
        return "video"
    return "audio"


def _refuse_by_metadata(settings: Settings, rec: Recording) -> None:
    if rec.size and rec.size > settings.max_file_bytes:
        raise MediaTooLarge(
            f"the file is {rec.size / 1024**2:,.0f} MB; the limit is "
            f"{settings.max_file_bytes / 1024**2:,.0f} MB."
        )
    if rec.duration_ms and rec.duration_ms / 1000 > settings.max_duration_seconds:
        raise MediaTooLong(_too_long(rec.duration_ms / 1000, settings.max_duration_seconds))


def _too_long(seconds: float, limit: int) -> str:
    return f"the recording is {_length(seconds)} long; the limit is {_length(limit)}."


def _length(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes} min" if minutes else f"{round(seconds)} s"


def _refuse_by_duration(settings: Settings, path: Path) -> None:
    seconds = media_duration(path)
    if seconds is not None and seconds > settings.max_duration_seconds:
        raise MediaTooLong(_too_long(seconds, settings.max_duration_seconds))


def media_duration(path: Path) -> float | None:
    """The container's declared duration, or None when it does not say (the provider then decides)."""
    import av  # PyAV ships FFmpeg; imported lazily so the handlers' import stays light

    try:
        with av.open(str(path)) as container:
            if container.duration:
                return container.duration / 1_000_000
    except (av.FFmpegError, OSError, ValueError):
        return None
    return None


# --- polling ------------------------------------------------------------------------------------------------


def poll(services: Services, rec: Recording) -> None:
    assert rec.job_id and rec.conversation_id
    job = services.provider.job(rec.job_id)
    status = job["status"]
    polls = rec.polls + 1
    next_at = time.time() + poll_delay(services.settings, polls)
    if status == "completed":
        fetch_insights(services, rec)
        fresh = repo.get(services.store, rec.id)
        if fresh is not None and fresh.state == State.COMPLETED:
            post_summary(services, fresh)
    elif status == "failed":
        raise JobFailed(str(job.get("message") or "processing failed"))
    elif status == "in_progress":
        repo.mark_processing(services.store, rec.id, next_at, polls)
    else:
        repo.reschedule(services.store, rec.id, next_at, polls)


def fetch_insights(services: Services, rec: Recording) -> None:
    set_stage(services, rec.id, "extracting")
    insights = services.provider.fetch_insights(rec.conversation_id or "")
    repo.mark_completed(services.store, rec, insights)


def on_job_status(services: Services, job_id: str, status: str, *, recording_id: int | None = None) -> None:
    """A provider's notice (the embedded engine's hook, a NOTIFY or a webhook, bot.slack.job_status): make the
    row due now and tick. `recording_id`: the notice may only concern that recording (a webhook's URL)."""
    if status not in ("completed", "failed", "in_progress"):
        return
    rec = repo.by_job(services.store, job_id)
    if rec is None or (recording_id is not None and rec.id != recording_id):
        return
    if services.poll_now is not None:
        services.poll_now(rec.id)
    else:
        repo.poll_now(services.store, rec.id)
        services.wake()


# --- posting ------------------------------------------------------------------------------------------------


def post_summary(services: Services, rec: Recording) -> None:
    """Post the summary once: a post that went out before a crash is found by its metadata, not repeated.

    An appended recording edits its conversation's summary instead (bot.slack.updates).
    """
    if rec.append_to:
        updates.post_appended(services, rec)
        return
    insights = repo.insights_for(services.store, rec.conversation_id or "")
    if insights is None:  # the cache was lost: fetch again
        insights = services.provider.fetch_insights(rec.conversation_id or "")
    done_when_rendered = action_items.done_in(services.store, rec.conversation_id or "")
    messages = updates.summary_messages(services, rec, insights, done_when_rendered)
    client = services.slack_for(rec.team_id)
    already: dict[int, str] = {}
    took_over = rec.summary_started_at is not None
    if took_over:
        # A post went out unconfirmed before: only then search the thread (conversations.replies is scarce).
        already = summary_parts.of(services.store, rec.id)
        if len(already) < len(messages):
            already = {**find_posted_parts(client, rec), **already}
    else:
        repo.start_summary(services.store, rec.id)
    posted: dict[int, str] = {}
    for part, message in enumerate(messages, start=1):
        if part in already:
            continue
        response = poster_in_lease(services, client).chat_postMessage(
            channel=rec.channel_id,
            thread_ts=rec.thread_ts,
            text=message.text,
            blocks=message.blocks,
            metadata=message.metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        posted[part] = already[part] = response["ts"]
        try:
            summary_parts.remember(services.store, rec.id, {part: response["ts"]})
        except LeaseLost:  # stalled past the lease while posting: the new owner may have posted it too
            keep_oldest_copies(client, rec, SUMMARY_EVENT, posted)
            raise
    if took_over and posted:  # the worker this row was taken from may have posted meanwhile
        standing = keep_oldest_copies(client, rec, SUMMARY_EVENT, posted)
        summary_parts.remember(services.store, rec.id, standing)
        already.update(standing)
    first_ts = already.get(1)
    assert first_ts is not None
    repo.mark_posted(services.store, rec.id, first_ts)
    if action_items.done_in(services.store, rec.conversation_id or "") != done_when_rendered:
        # "Mark done" clicked before the summary's ts was stored: that click found nothing to edit.
        updates.refresh_summary(services, replace(rec, summary_ts=first_ts))
    set_stage(services, rec.id, "done")


def fail(services: Services, rec: Recording, reason: str) -> None:
    """A permanent failure: the thread gets one clear message (the status edited), then the row ends as
    failed.

    The message goes first. If Slack cannot take it just now, the row stays active and retries with backoff
    (its step fails the same way again and reports again), so a Slack hiccup does not leave the thread saying
    "Queued…" for good; once attempts run out, or Slack refuses for good, the row fails unreported.
    """
    current = repo.get(services.store, rec.id)
    if current is None or current.state not in {s.value for s in repo.ACTIVE_STATES}:
        return
    try:
        set_stage(services, rec.id, "failed", error=reason)
    except (SlackDeliveryError, SlackClientError, OSError) as err:
        if isinstance(
            err, SlackDeliveryError
        ):  # Slack answered (or there is no client): heals only if 429/5xx
            cause = err.__cause__
            transient = isinstance(cause, SlackApiError) and slack_errors.classify(cause).transient
        else:  # connection errors and timeouts
            transient = True
        if transient and current.attempts + 1 < MAX_TRANSIENT_ATTEMPTS:
            delay = retry_delay(services.settings, current.attempts + 1)
            repo.retry_later(services.store, rec.id, f"reporting the failure: {reason}", time.time() + delay)
            return
        log.warning("recording %s failed (%s) and the failure could not be reported in Slack", rec.id, reason)
    else:  # at INFO, the default level: `serve` said nothing when a recording failed (issue 24)
        log.info("recording %s failed: %s", rec.id, reason)
    repo.mark_failed(services.store, rec.id, reason)
