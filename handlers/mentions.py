"""`@symbl <command>`: the slash-command verbs inside threads, where they mean the thread's conversation;
any other words to `@symbl` in a note's thread are a question about that meeting (`bot.slack.ask`).

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
from bot.slack import intake, queries
from bot.slack.commands.grammar import Command, split_share, strip_mention
from bot.slack.commands.registry import help_text, is_command, parse, run, usage_text
from bot.slack.render.summary import escape
from bot.slack.replies import Reply, plain
from bot.slack.services import Services
from handlers.commands import TROUBLE
from handlers.events import team_of
from storage import mentions

log = logging.getLogger(__name__)


LEFTOVER_SECONDS = 60.0  # a claimed mention unanswered this long has no listener working on it any more


def register(app: App, services: Services) -> None:
    def claim(body: dict, event: dict[str, Any], context: BoltContext, next_: Any) -> None:
        """Before the ack (database only): claim the mention with what answering it needs."""
        request = _request(event, context)
        if request is not None and mentions.claim(services.store, request["key"], request, time.time()):
            context["mention"] = request
        next_()

    def on_mention(context: BoltContext, client: WebClient) -> None:
        if context.get("mention"):
            answer_mention(services, client, context["mention"])

    app.event("app_mention", middleware=[claim])(on_mention)


def _request(event: dict[str, Any], context: BoltContext) -> dict[str, Any] | None:
    """What answering a mention needs, or None when it is not for this module."""
    user = event.get("user")
    if not user or user == context.bot_user_id or event.get("bot_id"):
        return None
    text = event.get("text") or ""
    if not is_command(text) and (intake.media_links(text) or event.get("files")):
        return None  # "@symbl here is the recording <link>" or an upload: the message listeners record it
    team, channel = team_of(context), event["channel"]
    return {
        "key": f"{team}:{channel}:{event['ts']}",
        "team_id": team,
        "user_id": user,
        "channel_id": channel,
        "ts": event["ts"],
        "thread_ts": event.get("thread_ts"),
        "text": text,
    }


def answer_mention(services: Services, client: WebClient, request: dict[str, Any]) -> None:
    """Answer a claimed mention and mark it answered (after the ack, or later by `answer_leftovers`)."""
    thread = request.get("thread_ts")
    inv = queries.Invocation(
        team_id=request["team_id"],
        user_id=request["user_id"],
        channel_id=request["channel_id"],
        thread_ts=thread,
        key=request["ts"],
    )
    reply = _answer(services, inv, strip_mention(request["text"]))
    _deliver(client, inv, thread or request["ts"], reply)
    mentions.answered(services.store, request["key"], time.time())


def answer_leftovers(services: Services, now: float | None = None) -> None:
    """Scheduler job: mentions claimed, never answered (a crash after the ack, Slack failing the answer)."""
    cutoff = (time.time() if now is None else now) - LEFTOVER_SECONDS
    for _key, request in mentions.unanswered(services.store, cutoff):
        try:
            answer_mention(services, services.slack_for(request["team_id"]), request)
        except Exception as err:  # noqa: BLE001 — tried again at the next run
            log.warning("mention %s: still unanswered: %s", request["key"], err)


def _answer(services: Services, inv: queries.Invocation, words: str) -> Reply:
    try:
        cmd = _question(inv, words) or parse(words)
    except UsageError as err:
        return plain(escape(usage_text(err)))
    if cmd.name == "help":
        return plain(escape(help_text()))
    try:
        return run(services, inv, cmd)
    except Exception:
        log.exception("@symbl %s failed", cmd.name)
        return plain(TROUBLE)


def _question(inv: queries.Invocation, words: str) -> Command | None:
    """A question to the app: `ask …`, or in a thread any words that are not a command (they mean the
    thread's meeting). Taken as typed, not shell-split: a question's apostrophe ("who's …") is no quote."""
    head, _, rest = words.strip().partition(" ")
    # One bare word ("@symbl frob") is more likely a mistyped command than a question: it gets the usage.
    asked = len(words.split()) > 1 or words.strip().endswith("?")
    if head.lower() != "ask" and not (inv.thread_ts and asked and not is_command(words)):
        return None
    question, share = split_share((rest if head.lower() == "ask" else words).split())
    return Command("ask", words=" ".join(question), share=share) if question else None


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
