"""Event listeners for recordings: uploads (`message`/`file_share`, `file_shared`) and links in messages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.slack import intake
from bot.slack.commands.registry import is_command
from bot.slack.services import Services

log = logging.getLogger(__name__)

# Subscribed events this module does not act on (yet): answered 200 so Slack does not redeliver them.
NOOP_EVENTS = (
    "member_joined_channel",
    "member_left_channel",
    "link_shared",
    "app_uninstalled",
    "tokens_revoked",
)
# Message subtypes that are edits, deletions, joins and the like: never a new recording.
LINK_SUBTYPES = (None, "thread_broadcast")


def register(app: App, services: Services) -> None:
    def on_file_share(body: dict, event: dict, context: BoltContext) -> None:
        if _from_self(event, context):
            return
        created = False
        for file in event.get("files") or []:
            if intake.is_media_file(file):
                _, new = intake.record_file(services, file=file, **_origin(event, context))
                created = created or new
        if created:
            services.wake()

        for stub in [f for f in event.get("files") or [] if intake.is_file_stub(f)]:
            intake.note_pending_file(services, file_id=stub["id"], **_origin(event, context))

    def on_file_stubs(body: dict, event: dict, context: BoltContext) -> None:
        """After the ack: Slack Connect stubs need files.info before they can be recorded."""
        if not _from_self(event, context):
            stubs = [f["id"] for f in event.get("files") or [] if intake.is_file_stub(f)]
            _resolve(services, [(team_of(context), event["channel"], f) for f in stubs])

    _before_ack(app, {"type": "message", "subtype": "file_share"}, on_file_share, after=on_file_stubs)

    def on_message(body: dict, event: dict, context: BoltContext) -> None:
        if event.get("subtype") not in LINK_SUBTYPES or _from_self(event, context):
            return
        if f"<@{context.bot_user_id}>" in (event.get("text") or "") and is_command(event.get("text") or ""):
            return  # "@symbl append <url>": a command for handlers.mentions, not a new recording
        created = False
        links, left_out = intake.capped_links(services.settings, event.get("text"))
        for url in links:
            _, new = intake.record_link(services, url=url, **_origin(event, context))
            created = created or new
        if created and left_out:  # once: a redelivered event creates nothing
            intake.tell_links_left_out(services, team_id=team_of(context), channel_id=event["channel"],
                                         message_ts=event["ts"], left_out=left_out)  # fmt: skip
        if created:
            services.wake()

    _before_ack(app, "message", on_message)

    def note_shared_file(body: dict, event: dict, context: BoltContext) -> None:
        """Before the ack, database only: files.info may be rate limited (slack_sdk sleeps on Retry-After)."""
        if not (event.get("user_id") and event.get("user_id") == context.bot_user_id):
            intake.note_pending_file(
                services,
                team_id=team_of(context),
                channel_id=event["channel_id"],
                file_id=event["file_id"],
                user_id=event.get("user_id"),
            )

    def on_file_shared(body: dict, event: dict, context: BoltContext) -> None:
        _resolve(services, [(team_of(context), event["channel_id"], event["file_id"])])

    _before_ack(app, "file_shared", note_shared_file, after=on_file_shared)

    for name in NOOP_EVENTS:
        app.event(name)(_ignore)


def _before_ack(
    app: App, event_type: str | dict, step: Callable[..., None], after: Callable[..., None] | None = None
) -> None:
    """Register a recording step to run before Bolt acks the event, and optionally one to run after.

    Bolt acks an event before its listener runs, and Slack never delivers an acked event again: a process
    killed in between lost the recording. Listener middleware runs before the ack (a failure there answers
    500, so Slack delivers again), so the step runs there — database only, never the network, which could
    outlast Slack's 3 s — and the listener, run after the ack, does `after` (or nothing).
    """

    app.event(event_type, middleware=[_RecordThenAck(step)])(after or _ignore)


class _RecordThenAck(Middleware):
    """`_before_ack`'s listener middleware. A `Middleware` rather than a function: Bolt builds a function
    middleware's arguments from its signature on every request (7 % of the ack path's interpreter time
    under cProfile, 75 Python calls per event), a `Middleware` gets the request as it is."""

    def __init__(self, step: Callable[..., None]):
        self.step = step

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        self.step(body=req.body, event=req.body["event"], context=req.context)
        return next()


def _resolve(services: Services, files: list[tuple[str, str, str]]) -> None:
    """After the ack: the pending notes of these (team, channel, file) looked up and recorded."""
    created = False
    for pending in intake.pending_files_named(services, files):
        result = intake.resolve_pending_file(services, pending)
        created = created or bool(result and result[1])
    if created:
        services.wake()


def _ignore(body: dict) -> None:
    """Acknowledged and dropped (Bolt acks events before listeners run)."""


def team_of(context: BoltContext) -> str:
    """The installing workspace: Bolt's `context.team_id` is `authorizations[0].team_id` for events, which
    differs from the envelope's `team_id` in Slack Connect channels (the partner org's)."""
    return str(context.team_id or "")


def _origin(event: dict[str, Any], context: BoltContext) -> dict[str, Any]:
    """Where a message's recordings come from, as `intake.record_*` take it."""
    return {
        "team_id": team_of(context),
        "channel_id": event["channel"],
        "message_ts": event["ts"],
        "thread_ts": event.get("thread_ts"),
        "user_id": event.get("user"),
    }


def _from_self(event: dict[str, Any], context: BoltContext) -> bool:
    """The bot's own posts (Bolt's IgnoringSelfEvents also drops them once it knows the bot's ids)."""
    return bool(
        (event.get("bot_id") and event.get("bot_id") == context.bot_id)
        or (event.get("user") and event.get("user") == context.bot_user_id)
    )
