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
    @app.shortcut(CALLBACK_ID)
    def on_summarize(ack: Ack, respond: Respond, shortcut: dict[str, Any]) -> None:
        ack()
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
