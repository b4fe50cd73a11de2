"""The life of one recording, as plain functions: record → submit → poll → fetch insights → post (or fail).

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
import re
import time
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

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
    UnsupportedMedia,
    UrlRefused,
)
from bot.providers.symbl.client import Submission
from bot.slack import errors as slack_errors
from bot.slack import updates
from bot.slack.services import Services
from bot.slack.speaker_hints import known_speakers
from bot.slack.thread import ensure_status, find_posted_parts, set_stage, without_connection_retries
from bot.transcript_import import TEXT_OPTIONS, is_transcript_file, read_transcript, transcript_kind
from storage import Recording, State, pending_files, summary_parts
from storage import conversations as convs
from storage import recordings as repo
from storage.pending_files import PendingFile

log = logging.getLogger(__name__)

MEDIA_EXTENSIONS = {
    ".mp3",
    ".wav",
    ".m4a",
    ".mp4",
    ".m4v",
    ".mov",
    ".webm",
    ".ogg",
    ".oga",
    ".opus",
    ".flac",
    ".aac",
    ".wma",
    ".amr",
    ".mkv",
    ".avi",
    ".mpeg",
    ".mpg",
    ".3gp",
    ".aiff",
    ".aif",
    ".caf",
}
MEDIA_FILETYPES = {ext.lstrip(".") for ext in MEDIA_EXTENSIONS} | {"mpga", "m4b", "qtz"}
UNRETRIEVABLE_MODES = {"external", "hidden_by_limit", "tombstone"}
# Slack wraps links as <url> or <url|label>.
LINK = re.compile(r"<(https?://[^>|\s]+)(?:\|[^>]*)?>")
# Hosts that may receive the bot token; downloads may also be redirected to Slack's CDN, without the token.
TOKEN_HOST_SUFFIXES = ("slack.com", "slack-files.com")
REDIRECT_HOST_SUFFIXES = TOKEN_HOST_SUFFIXES + ("slack-edge.com", "slack-imgs.com")
FILES_READ_MESSAGE = (
    "Slack sent a sign-in page instead of the file: the app is missing the `files:read` scope "
    "(add it and reinstall the app) or has no access to this file."
)
MAX_UNEXPECTED_ATTEMPTS = 5
LEFTOVER_FILE_SECONDS = 5.0  # a pending file note this old has no listener working on it any more
LEFTOVER_FILE_JOB = "pending-files"
LEFTOVER_FILE_INTERVAL = 10.0
MAX_TRANSIENT_ATTEMPTS = 30  # ~2 h at the 300 s cap; then the row fails with the last reason


# --- detection ---------------------------------------------------------------------------------------------


def _extension(name: str | None) -> str:
    return PurePosixPath(name or "").suffix.lower()


def is_media_file(file: dict[str, Any]) -> bool:
    """Audio or video, by mimetype, filetype, Slack clip subtype or name (slack-platform.md §1.2), or a
    transcript file (.vtt/.srt/.txt), which goes to the Text API instead."""
    if file.get("mode") in UNRETRIEVABLE_MODES:
        return False
    mimetype = str(file.get("mimetype") or "")
    return (
        is_transcript_file(file)
        or mimetype.startswith(("audio/", "video/"))
        or str(file.get("filetype") or "").lower() in MEDIA_FILETYPES
        or file.get("subtype") in ("slack_audio", "slack_video")
        or _extension(file.get("name")) in MEDIA_EXTENSIONS
    )


def is_file_stub(file: dict[str, Any]) -> bool:
    """A Slack Connect file the event only names: `{"id", "file_access": "check_file_info"}`; files.info has
    the rest (https://docs.slack.dev/apis/slack-connect/#check_file_info)."""
    return file.get("file_access") == "check_file_info" and bool(file.get("id"))


def is_candidate_link(url: str) -> bool:
    """A link worth answering: a direct audio/video file, or a video site/shortener we must explain we
    refuse."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # "http://[::1/x.mp3": not a URL at all; the message's other links still count
        return False
    return _extension(parts.path) in MEDIA_EXTENSIONS or net._refused_service(host) is not None


def media_links(text: str | None) -> list[str]:
    seen: dict[str, None] = {}
    for match in LINK.finditer(text or ""):
        url = match.group(1).replace("&amp;", "&")
        if is_candidate_link(url):
            seen.setdefault(url, None)
    return list(seen)


def capped_links(settings: Settings, text: str | None) -> tuple[list[str], int]:
    """The media links of a message up to SYMBL_BOT_MAX_LINKS_PER_MESSAGE, and how many were left out."""
    links = media_links(text)
    cap = settings.max_links_per_message
    return links[:cap], max(len(links) - cap, 0)


def tell_links_left_out(
    services: Services, *, team_id: str, channel_id: str, message_ts: str, left_out: int
) -> None:
    """One reply in the message's thread saying how many links were not taken (best effort: never raises)."""
    cap = services.settings.max_links_per_message
    text = (
        f":warning: I summarize at most {cap} links per message; the other {left_out} were not processed. "
        "Post them in another message."
    )
    try:
        services.slack_for(team_id).chat_postMessage(channel=channel_id, thread_ts=message_ts, text=text)
    except (SlackApiError, SlackClientError) as err:
        log.warning("could not say that %s links were left out in %s: %s", left_out, channel_id, err)


# --- recording (called by handlers; idempotent) -------------------------------------------------------------


def record_file(
    services: Services,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    thread_ts: str | None,
    user_id: str | None,
    file: dict[str, Any],
) -> tuple[Recording, bool]:
    """A recording uploaded into the thread of a posted summary is appended to that conversation."""
    append_to = convs.posted_in_thread(services.store, team_id, channel_id, thread_ts) if thread_ts else None
    return repo.record(
        services.store,
        team_id=team_id,
        channel_id=channel_id,
        source=str(file["id"]),
        message_ts=message_ts,
        thread_ts=thread_ts,
        user_id=user_id,
        kind="file",
        name=file.get("title") or file.get("name"),
        download_url=file.get("url_private_download") or file.get("url_private"),
        mimetype=file.get("mimetype"),
        size=file.get("size"),
        duration_ms=file.get("duration_ms"),
        append_to=append_to,
    )


def record_link(
    services: Services,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    thread_ts: str | None,
    user_id: str | None,
    url: str,
) -> tuple[Recording, bool]:
    name = PurePosixPath(urlsplit(url).path).name or urlsplit(url).hostname
    return repo.record(
        services.store,
        team_id=team_id,
        channel_id=channel_id,
        source=url,
        message_ts=message_ts,
        thread_ts=thread_ts,
        user_id=user_id,
        kind="url",
        name=name,
        download_url=url,
    )


def note_pending_file(
    services: Services,
    *,
    team_id: str,
    channel_id: str,
    file_id: str,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    user_id: str | None = None,
) -> PendingFile | None:
    """Before the ack (database only): a file the event names but does not describe (`file_shared`, a
    `check_file_info` stub). None when the channel already has it (its `file_share` twin usually came
    first)."""
    if repo.source_seen(services.store, team_id, channel_id, file_id):
        return None
    return pending_files.note(
        services.store,
        team_id=team_id,
        channel_id=channel_id,
        file_id=file_id,
        message_ts=message_ts,
        thread_ts=thread_ts,
        user_id=user_id,
    )


def resolve_pending_file(services: Services, pending: PendingFile) -> tuple[Recording, bool] | None:
    """After the ack: files.info says what the file is and (for `file_shared`) which message shared it; media
    is recorded as the message's full file object would be. The note goes once Slack has answered; if
    files.info fails, it stays for `resolve_leftover_files`."""
    result = None
    if not repo.source_seen(services.store, pending.team_id, pending.channel_id, pending.file_id):
        file = services.slack_for(pending.team_id).files_info(file=pending.file_id)["file"]
        share: dict[str, Any] | None = (
            {"ts": pending.message_ts, "thread_ts": pending.thread_ts}
            if pending.message_ts
            else _first_share(file, pending.channel_id)
        )
        if is_media_file(file) and share is not None:
            result = record_file(
                services,
                team_id=pending.team_id,
                channel_id=pending.channel_id,
                message_ts=share["ts"],
                thread_ts=share.get("thread_ts"),
                user_id=pending.user_id,
                file=file,
            )
        elif share is None:
            log.info(
                "file_shared %s in %s: no share with a message ts yet; waiting for the message event",
                pending.file_id,
                pending.channel_id,
            )
    pending_files.done(services.store, pending)
    return result


def pending_files_named(services: Services, files: list[tuple[str, str, str]]) -> list[PendingFile]:
    """The notes still pending of these (team, channel, file id)."""
    found = [pending_files.get(services.store, *key) for key in files]
    return [p for p in found if p is not None]


def resolve_leftover_files(services: Services, now: float | None = None) -> None:
    """Scheduler job: notes whose listener never finished (a crash after the ack, a Slack error)."""
    cutoff = (time.time() if now is None else now) - LEFTOVER_FILE_SECONDS
    created = False
    for pending in pending_files.older_than(services.store, cutoff):
        try:
            result = resolve_pending_file(services, pending)
        except SlackApiError as err:
            if not slack_errors.classify(err).transient:  # the file is gone or not ours to see: drop the note
                log.info("pending file %s: %s", pending.file_id, err.response.get("error"))
                pending_files.done(services.store, pending)
            continue
        except (SlackClientError, OSError) as err:
            log.info("pending file %s: %s; later", pending.file_id, err)
            continue
        created = created or bool(result and result[1])
    if created:
        services.wake()


def _first_share(file: dict[str, Any], channel_id: str) -> dict[str, Any] | None:
    shares = file.get("shares") or {}
    for visibility in ("public", "private"):
        for share in (shares.get(visibility) or {}).get(channel_id) or []:
            if share.get("ts"):
                return share
    return None


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
            submission = services.symbl.append_url(
                rec.source, rec.append_to, _options(services, rec), media=_media_of(rec)
            )
        else:
            submission = services.symbl.submit_url(rec.source, _options(services, rec), media=_media_of(rec))
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
                submission = services.symbl.append_file(
                    path,
                    rec.append_to,
                    _options(services, rec),
                    content_type=rec.mimetype or None,
                    media=_media_of(rec),
                )
            else:
                submission = services.symbl.submit_file(
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
        return services.symbl.append_text(messages, rec.append_to, options)
    return services.symbl.submit_text(messages, options)


def _options(services: Services, rec: Recording) -> dict[str, Any]:
    options = {**services.options, "name": rec.name or "Slack recording"}
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


# --- Slack file download ------------------------------------------------------------------------------------


def slack_api_host(settings: Settings) -> str | None:
    return urlsplit(settings.slack_api_url).hostname if settings.slack_api_url else None


def is_token_host(host: str, api_host: str | None) -> bool:
    host = host.lower().rstrip(".")
    return host == api_host or any(host == s or host.endswith("." + s) for s in TOKEN_HOST_SUFFIXES)


def may_redirect(host: str, api_host: str | None) -> bool:
    host = host.lower().rstrip(".")
    return host == api_host or any(host == s or host.endswith("." + s) for s in REDIRECT_HOST_SUFFIXES)


def _is_configured_api(hop: net.Target, settings: Settings) -> bool:
    """The exact scheme, host and port of SLACK_API_URL (a test fake, a proxy): trusted even on loopback."""
    if not settings.slack_api_url:
        return False
    api = net.parse(settings.slack_api_url)
    assert api.scheme and api.host, "net.parse refuses a URL without a scheme or host"
    port = api.port or net.DEFAULT_PORTS[api.scheme.lower()]
    host = api.host.strip("[]").rstrip(".").lower()
    return (hop.scheme, hop.host, hop.port) == (api.scheme.lower(), host, port)


def token_allowed(hop: net.Target, settings: Settings) -> bool:
    """The bot token goes to SLACK_API_URL's exact host:port, or to Slack's own hosts over https:443 only."""
    if _is_configured_api(hop, settings):
        return True
    slack_host = any(hop.host == s or hop.host.endswith("." + s) for s in TOKEN_HOST_SUFFIXES)
    return slack_host and hop.scheme == "https" and hop.port == 443


def download_slack_file(services: Services, rec: Recording) -> Path:
    """Fetch a Slack file with the bot token, which goes to Slack hosts only; redirects stay on Slack
    hosts."""
    settings = services.settings
    client = services.slack_for(rec.team_id)
    url = rec.download_url
    if not url:  # Slack Connect stubs carry no URLs: ask files.info
        file = client.files_info(file=rec.source)["file"]
        url = file.get("url_private_download") or file.get("url_private")
        if not url:
            raise UnsupportedMedia("Slack does not let the app download this file.")
    api_host = slack_api_host(settings)
    host = urlsplit(url).hostname or ""
    if not is_token_host(host, api_host):
        raise UrlRefused(f"the file's download link points outside Slack ({host}).")
    token = client.token or ""
    dest = services.download_dir / f"recording-{rec.id}{_download_suffix(rec.name)}"
    try:
        result = net.download(
            url,
            dest,
            max_bytes=settings.max_file_bytes,
            allow_private=settings.allow_private_urls,
            # Our configured Slack API host:port is trusted even on loopback (tests, proxies); each hop is
            # checked.
            allow_private_for=lambda hop: _is_configured_api(hop, settings),
            headers_for=lambda hop: _bearer(token) if token_allowed(hop, settings) else {},
            may_redirect_to=lambda _from, to: may_redirect(to, api_host),
        )
    except UnsupportedMedia:
        raise UnsupportedMedia(FILES_READ_MESSAGE) from None
    services.storage_full_at = None  # a download fitted on the disk again
    if _looks_like_html(result.path):
        result.path.unlink(missing_ok=True)
        raise UnsupportedMedia(FILES_READ_MESSAGE)
    return result.path


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _download_suffix(name: str | None) -> str:
    """The file name's extension for the temporary file, if it is a plain short one (a hostile 300-character
    "extension" would otherwise make the file name too long for the file system: ENAMETOOLONG)."""
    suffix = _extension(name)
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"


def _looks_like_html(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(512).lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


# --- polling ------------------------------------------------------------------------------------------------


def poll(services: Services, rec: Recording) -> None:
    assert rec.job_id and rec.conversation_id
    job = services.symbl.job(rec.job_id)
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
    insights = services.symbl.fetch_insights(rec.conversation_id or "")
    repo.mark_completed(services.store, rec, insights)


def on_job_status(services: Services, job_id: str, status: str) -> None:
    """A provider's notice (the embedded engine's hook or a webhook): make the row due now and tick."""
    if status not in ("completed", "failed", "in_progress"):
        return
    rec = repo.by_job(services.store, job_id)
    if rec is None:
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
        insights = services.symbl.fetch_insights(rec.conversation_id or "")
    messages = updates.summary_messages(services, rec, insights)
    client = services.slack_for(rec.team_id)
    poster = without_connection_retries(client)
    already: dict[int, str] = {}
    if rec.summary_started_at is not None:
        # A post went out unconfirmed before: only then search the thread (conversations.replies is scarce).
        already = summary_parts.of(services.store, rec.id)
        if len(already) < len(messages):
            already = {**find_posted_parts(client, rec), **already}
    else:
        repo.start_summary(services.store, rec.id)
    for part, message in enumerate(messages, start=1):
        if part in already:
            continue
        response = poster.chat_postMessage(
            channel=rec.channel_id,
            thread_ts=rec.thread_ts,
            text=message.text,
            blocks=message.blocks,
            metadata=message.metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        already[part] = response["ts"]
        summary_parts.remember(services.store, rec.id, {part: response["ts"]})
    first_ts = already.get(1)
    assert first_ts is not None
    repo.mark_posted(services.store, rec.id, first_ts)
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
    repo.mark_failed(services.store, rec.id, reason)
