"""`@symbl <command>`: the slash-command verbs inside threads, where they mean the thread's conversation.

Slack delivers a mention twice (as `app_mention` and as a channel `message`) and may redeliver either; the
database claims each (team, channel, ts) once. Mentions that are not commands but carry a recording link are
left to the message listener, which records links.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.errors import UsageError
from bot.slack import pipeline, queries
from bot.slack.commands.grammar import strip_mention
from bot.slack.commands.registry import help_text, is_command, parse, run, usage_text
from bot.slack.replies import Reply, plain
from bot.slack.services import Services
from handlers.commands import TROUBLE
from storage import conversations as convs

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.event("app_mention")
    def on_mention(body: dict, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        user = event.get("user")
        if not user or user == context.bot_user_id or event.get("bot_id"):
            return
        text = event.get("text") or ""
        if not is_command(text) and pipeline.media_links(text):
            return  # "@symbl here is the recording <link>": the message listener records it
        team = str(body.get("team_id") or context.team_id or "")
        channel = event["channel"]
        if not convs.claim_mention(services.store, f"{team}:{channel}:{event['ts']}", time.time()):
            return
        thread = event.get("thread_ts")
        inv = queries.Invocation(
            team_id=team, user_id=user, channel_id=channel, thread_ts=thread, key=event["ts"]
        )
        reply = _answer(services, inv, strip_mention(text))
        _deliver(client, inv, thread or event["ts"], reply)


def _answer(services: Services, inv: queries.Invocation, words: str) -> Reply:
    try:
        cmd = parse(words)
    except UsageError as err:
        return plain(usage_text(err))
    if cmd.name == "help":
        return plain(help_text())
    try:
        return run(services, inv, cmd)
    except Exception:
        log.exception("@symbl %s failed", cmd.name)
        return plain(TROUBLE)


def _deliver(client: WebClient, inv: queries.Invocation, thread_ts: str, reply: Reply) -> None:
    if reply.share:
        client.chat_postMessage(
            channel=inv.channel_id,
            thread_ts=thread_ts,
            text=reply.text,
            blocks=reply.blocks or None,
            unfurl_links=False,
            unfurl_media=False,
        )
    else:
        client.chat_postEphemeral(
            channel=inv.channel_id,
            user=inv.user_id,
            thread_ts=thread_ts,
            text=reply.text,
            blocks=reply.blocks or None,
        )
