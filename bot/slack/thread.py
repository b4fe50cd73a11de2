"""The bot's messages in a recording's thread: the status message, and finding summary parts already posted.

Both the first post (`bot.slack.pipeline`) and the edits of a posted summary (`bot.slack.updates`) build on
these, which is why they live apart from either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

from bot.errors import SlackDeliveryError
from bot.slack.render.summary import STATUS_EVENT, SUMMARY_EVENT, status_metadata, status_text
from bot.slack.services import Services
from storage import Recording, leases
from storage import recordings as repo
from storage.fence import LeaseLost

log = logging.getLogger(__name__)

# Edits that only say how far along a recording is: the next one, or the note itself, supersedes each.
PROGRESS_STAGES = frozenset({"transcribing", "extracting"})


def without_connection_retries(client: WebClient) -> WebClient:
    """`client` minus slack_sdk's connection-error retries, for posts that must not repeat.

    A connection dropped after Slack stored a message looks like any other dropped connection, and the SDK
    would post again at once. Without that retry the error reaches the row's transient retry, which searches
    the thread for the part first (rate-limit retries stay: a 429 means nothing was stored).
    """
    return _without(client, ConnectionErrorRetryHandler)


def poster_in_lease(services: Services, client: WebClient) -> WebClient:
    """`client` for one post that must not repeat: without connection retries and, inside a step, renewed
    lease first and a timeout that ends before the lease can (storage.leases.secure_post: a worker that takes
    the row over later then finds the post in the thread). Raises `LeaseLost` when the lease is gone."""
    poster = without_connection_retries(client)
    budget = leases.secure_post(services.store, client.timeout)
    if budget is not None:
        poster.timeout = budget  # type: ignore[assignment]  # urllib takes a float; slack_sdk says int
    return poster


def without_rate_limit_retries(client: WebClient) -> WebClient:
    """`client` minus slack_sdk's rate-limit retries, which sleep the whole `Retry-After` (up to a minute)
    before trying again: for progress edits, which are better skipped than late."""
    return _without(client, RateLimitErrorRetryHandler)


def _without(client: WebClient, kind: type[RetryHandler]) -> WebClient:
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        logger=client.logger,
        retry_handlers=[h for h in client.retry_handlers if not isinstance(h, kind)],
    )


REPLIES_PAGE_LIMIT = 15  # conversations.replies' `limit` for apps outside the Marketplace (1 call a minute)


def find_posted_parts(client: WebClient, rec: Recording) -> dict[int, str]:
    """Summary parts for this recording already in its thread: part number → ts (the oldest copy of each).

    Costly: for apps outside the Marketplace Slack allows conversations.replies once a minute, 15 messages a
    page. Only a restart after an unconfirmed post needs it; edits read parts from `storage.summary_parts`.
    """
    return _oldest_copies(client, rec, SUMMARY_EVENT)


def find_status(client: WebClient, rec: Recording) -> str | None:
    """The ts of this recording's status message already in its thread (a post whose answer was lost)."""
    return _oldest_copies(client, rec, STATUS_EVENT).get(1)


def keep_oldest_copies(
    client: WebClient, rec: Recording, event_type: str, own: dict[int, str]
) -> dict[int, str]:
    """After posts that may have raced another worker's: part → the ts that stands, this worker's later
    copies deleted.

    Two workers can both post a part: one stalls (SIGSTOP, a long GC, a frozen VM) after renewing its lease
    but before its request leaves, the other takes the row over, finds nothing in the thread and posts, and
    then the first one's request goes out. Slack has no idempotency key, so the copies are settled after the
    fact by one rule both sides apply: the oldest copy of a part stands. The worker that lost its lease
    settles when its write is refused, the one that took over settles after its own posts; whichever looks
    last sees both copies, and neither ever deletes the oldest.
    """
    try:
        oldest = _oldest_copies(client, rec, event_type)
    except (SlackApiError, SlackClientError, OSError) as err:  # settling is a repair: never the step's error
        log.warning("recording %s: could not look for second copies: %s", rec.id, err)
        return dict(own)
    standing: dict[int, str] = {}
    for part, ts in own.items():
        standing[part] = oldest.get(part, ts)
        if standing[part] == ts:
            continue
        try:
            client.chat_delete(channel=rec.channel_id, ts=ts)
            log.info("recording %s: deleted a second copy of its %s (part %s)", rec.id, event_type, part)
        except SlackApiError as err:
            log.warning("recording %s: could not delete a second copy (%s): %s", rec.id, ts,
                        err.response.get("error"))  # fmt: skip
    return standing


def _oldest_copies(client: WebClient, rec: Recording, event_type: str) -> dict[int, str]:
    """part → the oldest ts among the thread's messages of `event_type` for this recording (a status
    message is part 1)."""
    found: dict[int, str] = {}
    for message in _bot_messages(client, rec, event_type):
        payload = message["metadata"].get("event_payload") or {}
        part = int(payload.get("part") or 1)
        if part not in found or float(message["ts"]) < float(found[part]):
            found[part] = message["ts"]
    return found


def _bot_messages(client: WebClient, rec: Recording, event_type: str) -> Iterable[dict]:
    """The thread's messages carrying this recording's metadata of `event_type`, page by page."""
    cursor = None
    while True:
        page = client.conversations_replies(
            channel=rec.channel_id,
            ts=rec.thread_ts,
            include_all_metadata=True,
            limit=REPLIES_PAGE_LIMIT,
            cursor=cursor,
        )
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == event_type and payload.get("recording_id") == rec.id:
                yield message
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


def ensure_status(services: Services, rec: Recording, stage: str) -> None:
    """Post the status message in the thread unless the row already has one.

    Posted once: a post whose answer was lost (a dropped connection, a crash) is found in the thread by its
    metadata on the next attempt, not posted again.
    """
    if rec.status_ts:
        return
    client = services.slack_for(rec.team_id)
    took_over = rec.status_started_at is not None
    if took_over:
        found = find_status(client, rec)
        if found:
            repo.set_status_message(services.store, rec.id, found, stage)
            return
    else:
        repo.start_status(services.store, rec.id)
    response = poster_in_lease(services, client).chat_postMessage(
        channel=rec.channel_id,
        thread_ts=rec.thread_ts,
        text=status_text(stage, rec.name),
        metadata=status_metadata(rec.id),
        unfurl_links=False,
        unfurl_media=False,
    )
    ts = response["ts"]
    try:
        if took_over:  # the worker this row was taken from may have posted meanwhile (keep_oldest_copies)
            ts = keep_oldest_copies(client, rec, STATUS_EVENT, {1: ts})[1]
        repo.set_status_message(services.store, rec.id, ts, stage)
    except LeaseLost:
        keep_oldest_copies(client, rec, STATUS_EVENT, {1: ts})
        raise


def set_stage(services: Services, recording_id: int, stage: str, error: str | None = None) -> None:
    """Edit the status message to `stage`. Progress edits are best effort; the row's state is what counts.

    A rate-limited progress edit (`PROGRESS_STAGES`) is skipped, not slept on: the step it would hold up
    has no use for it, and the next edit or the note supersedes it. Final edits ("done", "failed") keep
    slack_sdk's rate-limit retries.
    """
    rec = repo.get(services.store, recording_id)
    if rec is None or rec.status_stage == stage and stage != "failed":
        return
    client = services.slack_for(rec.team_id)
    progress = stage in PROGRESS_STAGES
    if progress:
        client = without_rate_limit_retries(client)
    text = status_text(stage, rec.name, error)
    try:
        if rec.status_ts:
            client.chat_update(channel=rec.channel_id, ts=rec.status_ts, text=text)
            repo.set_status_stage(services.store, rec.id, stage)
        else:
            response = client.chat_postMessage(
                channel=rec.channel_id,
                thread_ts=rec.thread_ts,
                text=text,
                metadata=status_metadata(rec.id),
                unfurl_links=False,
                unfurl_media=False,
            )
            repo.set_status_message(services.store, rec.id, response["ts"], stage)
    except SlackApiError as err:
        if stage == "failed":
            raise SlackDeliveryError(f"could not report the failure: {err.response.get('error')}") from err
        if progress and err.response.status_code == 429:
            log.info("recording %s: status update to %r rate limited; skipped", rec.id, stage)
            return
        log.warning("recording %s: status update to %r failed: %s", rec.id, stage, err.response.get("error"))
