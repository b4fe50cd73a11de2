"""Intake: which files and links are recordings, and recording them (idempotently) when Slack tells us.

Called by the handlers before the ack (database only: nothing here may wait on the network, Slack's 3 s
deadline) and by the housekeeping job that looks up file notes left pending (`resolve_leftover_files`).
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError, SlackClientError

from bot import net
from bot.config import Settings
from bot.slack import errors as slack_errors
from bot.slack.services import Services
from bot.transcript_import import is_transcript_file
from storage import Recording, pending_files
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
LEFTOVER_FILE_SECONDS = 5.0  # a pending file note this old has no listener working on it any more
LEFTOVER_FILE_JOB = "pending-files"
LEFTOVER_FILE_INTERVAL = 10.0


# --- detection ---------------------------------------------------------------------------------------------


def file_extension(name: str | None) -> str:
    return PurePosixPath(name or "").suffix.lower()


def is_media_file(file: dict[str, Any]) -> bool:
    """Audio or video, by mimetype, filetype, Slack clip subtype or name (slack-platform.md §1.2), or a
    transcript file (.vtt/.srt/.txt), which goes to the Text API instead."""
    if file.get("mode") in UNRETRIEVABLE_MODES:
        return False
    mimetype = str(file.get("mimetype") or "")
    return (  # the cheap tests first: this runs before the ack
        mimetype.startswith(("audio/", "video/"))
        or str(file.get("filetype") or "").lower() in MEDIA_FILETYPES
        or file.get("subtype") in ("slack_audio", "slack_video")
        or is_transcript_file(file)
        or file_extension(file.get("name")) in MEDIA_EXTENSIONS
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
    return file_extension(parts.path) in MEDIA_EXTENSIONS or net._refused_service(host) is not None


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
