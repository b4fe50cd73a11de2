"""Event listeners for recordings: uploads (`message`/`file_share`, `file_shared`) and links in messages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.slack import pipeline
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
    @_before_ack(app, {"type": "message", "subtype": "file_share"})
    def on_file_share(body: dict, event: dict, context: BoltContext) -> None:
        if _from_self(event, context):
            return
        created = False
        for file in event.get("files") or []:
            if pipeline.is_media_file(file):
                _, new = pipeline.record_file(
                    services,
                    team_id=_team(body, context),
                    channel_id=event["channel"],
                    message_ts=event["ts"],
                    thread_ts=event.get("thread_ts"),
                    user_id=event.get("user"),
                    file=file,
                )
                created = created or new
        if created:
            services.wake()

    @_before_ack(app, "message")
    def on_message(body: dict, event: dict, context: BoltContext) -> None:
        if event.get("subtype") not in LINK_SUBTYPES or _from_self(event, context):
            return
        if f"<@{context.bot_user_id}>" in (event.get("text") or "") and is_command(event.get("text") or ""):
            return  # "@symbl append <url>": a command for handlers.mentions, not a new recording
        created = False
        links, left_out = pipeline.capped_links(services.settings, event.get("text"))
        for url in links:
            _, new = pipeline.record_link(
                services,
                team_id=_team(body, context),
                channel_id=event["channel"],
                message_ts=event["ts"],
                thread_ts=event.get("thread_ts"),
                user_id=event.get("user"),
                url=url,
            )
            created = created or new
        if created and left_out:  # once: a redelivered event creates nothing
            pipeline.tell_links_left_out(services, team_id=_team(body, context), channel_id=event["channel"],
                                         message_ts=event["ts"], left_out=left_out)  # fmt: skip
        if created:
            services.wake()

    @_before_ack(app, "file_shared")
    def on_file_shared(body: dict, event: dict, context: BoltContext) -> None:
        if event.get("user_id") and event.get("user_id") == context.bot_user_id:
            return
        result = pipeline.record_shared_file(
            services,
            team_id=_team(body, context),
            channel_id=event["channel_id"],
            file_id=event["file_id"],
            user_id=event.get("user_id"),
        )
        if result is not None and result[1]:
            services.wake()

    for name in NOOP_EVENTS:
        app.event(name)(_ignore)


def _before_ack(app: App, event_type: str | dict) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a recording step to run before Bolt acks the event, not after.

    Bolt acks an event before its listener runs, and Slack never delivers an acked event again: a process killed
    in between lost the recording. Listener middleware runs before the ack (a failure there answers 500, so
    Slack delivers again), so the step runs there and the listener itself is empty.
    """

    def decorator(step: Callable[..., None]) -> Callable[..., None]:
        def record_then_ack(body: dict, event: dict, context: BoltContext, next_: Callable[[], None]) -> None:
            step(body=body, event=event, context=context)
            next_()

        app.event(event_type, middleware=[record_then_ack])(_ignore)
        return step

    return decorator


def _ignore(body: dict) -> None:
    """Acknowledged and dropped (Bolt acks events before listeners run)."""


def _team(body: dict, context: BoltContext) -> str:
    return str(body.get("team_id") or context.team_id or "")


def _from_self(event: dict[str, Any], context: BoltContext) -> bool:
    """The bot's own posts (Bolt's IgnoringSelfEvents also drops them once it knows the bot's ids)."""
    return bool(
        (event.get("bot_id") and event.get("bot_id") == context.bot_id)
        or (event.get("user") and event.get("user") == context.bot_user_id)
    )
