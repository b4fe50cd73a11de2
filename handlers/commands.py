"""`/symbl …`: parse, ack within Slack's 3 seconds, answer through response_url (`respond`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.errors import UsageError
from bot.slack import queries
from bot.slack.commands.registry import help_text, parse, run, usage_text
from bot.slack.services import Services

log = logging.getLogger(__name__)
COMMAND = "/symbl"
TROUBLE = ":warning: Something went wrong on my side; please try again in a minute."


def register(app: App, services: Services) -> None:
    @app.command(COMMAND)
    def on_symbl(ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
        try:
            cmd = parse(command.get("text") or "")
        except UsageError as err:
            ack(text=usage_text(err), response_type="ephemeral")
            return
        if cmd.name == "help":
            ack(text=help_text(), response_type="ephemeral")
            return
        ack()  # the answer may need Slack and the database: it follows through response_url
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
