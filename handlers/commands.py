"""`/symbl …`: acknowledged at once, on the request's own thread; answered through response_url (`respond`).

The ack happens in listener middleware, before Bolt hands the request to its listener pool (shared with every
event, where a listener may sleep on a 429), so a command is acknowledged within Slack's 3 seconds whatever
else is running; the answer is worked out on `services.interactive`, the commands' and buttons' own threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.errors import UsageError
from bot.slack import queries
from bot.slack.commands.grammar import Command
from bot.slack.commands.registry import help_text, parse, run, usage_text
from bot.slack.render.summary import escape
from bot.slack.services import Services

log = logging.getLogger(__name__)
COMMAND = "/symbl"
TROUBLE = ":warning: Something went wrong on my side; please try again in a minute."


def register(app: App, services: Services) -> None:
    def ack_then_answer(
        ack: Ack, respond: Respond, command: dict[str, Any], next_: Callable[..., Any]
    ) -> None:
        try:
            cmd = parse(command.get("text") or "")
        except UsageError as err:
            ack(text=escape(usage_text(err)), response_type="ephemeral")
            return next_()
        if cmd.name == "help":
            ack(text=escape(help_text()), response_type="ephemeral")
            return next_()
        ack()  # the answer may need Slack and the database: it follows through response_url
        services.interactive.submit(_answer, services, respond, command, cmd)
        next_()

    app.command(COMMAND, middleware=[ack_then_answer])(_acked)


def _acked(ack: Ack) -> None:
    """The listener proper: everything happened in the middleware, before Bolt's pool."""


def _answer(services: Services, respond: Respond, command: dict[str, Any], cmd: Command) -> None:
    inv = queries.Invocation(
        team_id=command.get("team_id") or "",
        user_id=command["user_id"],
        channel_id=command["channel_id"],
        key=command.get("trigger_id") or "",
    )
    try:
        reply = run(services, inv, cmd)
    except Exception:
        log.exception("/symbl %s failed", cmd.name)
        respond(text=TROUBLE, response_type="ephemeral", replace_original=False)
        return
    respond(
        text=reply.text,
        blocks=reply.blocks or None,
        response_type="in_channel" if reply.share else "ephemeral",
        replace_original=False,
    )
