"""Message shortcut "Summarize with Symbl" (`summarize_with_symbl`): for recordings posted before the bot."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack import queries
from bot.slack.services import Services
from handlers.commands import TROUBLE

log = logging.getLogger(__name__)
CALLBACK_ID = "summarize_with_symbl"


def register(app: App, services: Services) -> None:
    def ack_then_summarize(ack: Ack, respond: Respond, shortcut: dict[str, Any], next_: Any) -> None:
        ack()  # on the request's thread: files.info and the database come after (handlers.commands says why)
        services.interactive.submit(_summarize, services, respond, shortcut)
        next_()

    app.shortcut(CALLBACK_ID, middleware=[ack_then_summarize])(_acked)


def _acked(ack: Ack) -> None:
    """The listener proper: the middleware acked and handed the work on."""


def _summarize(services: Services, respond: Respond, shortcut: dict[str, Any]) -> None:
    inv = queries.Invocation(
        team_id=(shortcut.get("team") or {}).get("id") or "",
        user_id=shortcut["user"]["id"],
        channel_id=shortcut["channel"]["id"],
    )
    try:
        text = queries.summarize_message(services, inv, shortcut.get("message") or {})
    except Exception:
        log.exception("shortcut failed")
        text = TROUBLE
    respond(text=text, response_type="ephemeral", replace_original=False)
