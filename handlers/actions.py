"""The summary's action-item buttons: "Mark done" (`action_item_done`) and "Remind me" (`action_item_remind`)."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.errors import BotError
from bot.slack import queries
from bot.slack.render.summary import DONE_ACTION, REMIND_ACTION
from bot.slack.services import Services
from handlers.commands import TROUBLE

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(DONE_ACTION)
    def on_done(ack: Ack, respond: Respond, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        _run(respond, lambda inv, c, k: queries.mark_done(services, inv, c, k), body, action)

    @app.action(REMIND_ACTION)
    def on_remind(ack: Ack, respond: Respond, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        _run(respond, lambda inv, c, k: queries.remind(services, inv, c, k), body, action)


def _run(respond: Respond, do: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
    try:
        value = json.loads(action.get("value") or "{}")
        inv = queries.Invocation(
            team_id=(body.get("team") or {}).get("id") or "",
            user_id=body["user"]["id"],
            channel_id=(body.get("channel") or {}).get("id") or "",
        )
        message = do(inv, str(value.get("c") or ""), str(value.get("k") or ""))
    except BotError as err:
        message = f":warning: {err.user_message}"
    except Exception:
        log.exception("action %s failed", action.get("action_id"))
        message = TROUBLE
    if message:
        respond(text=message, response_type="ephemeral", replace_original=False)
