"""The summary's buttons: "Mark done" (`action_item_done`), "Remind me" (`action_item_remind`) and "Fix
speakers" (`fix_speakers`, which opens a modal: bot.slack.speakers; its submission is handlers.views').

Acknowledged in listener middleware, answered on `services.interactive`, as `/symbl` is (handlers.commands).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.errors import BotError
from bot.slack import errors as slack_errors
from bot.slack import queries, speakers
from bot.slack.render.summary import DONE_ACTION, FIX_SPEAKERS_ACTION, REMIND_ACTION
from bot.slack.services import Services
from handlers.commands import TROUBLE

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    def acked_first(do: Any) -> Any:
        def ack_then_run(
            ack: Ack, respond: Respond, body: dict[str, Any], action: dict[str, Any], next_: Any
        ) -> None:
            ack()
            services.interactive.submit(_run, respond, do, body, action)
            next_()

        return ack_then_run

    done = acked_first(lambda inv, c, k: queries.mark_done(services, inv, c, k))
    remind = acked_first(lambda inv, c, k: queries.remind(services, inv, c, k))
    app.action(DONE_ACTION, middleware=[done])(_acked)
    app.action(REMIND_ACTION, middleware=[remind])(_acked)
    fix = acked_first(lambda inv, c, _k: speakers.open_editor(services, inv, c))
    app.action(FIX_SPEAKERS_ACTION, middleware=[fix])(_acked)


def _acked(ack: Ack) -> None:
    """The listener proper: the middleware acked and handed the work on."""


def _run(respond: Respond, do: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
    try:
        value = json.loads(action.get("value") or "{}")
        inv = queries.Invocation(
            team_id=(body.get("team") or {}).get("id") or "",
            user_id=body["user"]["id"],
            channel_id=(body.get("channel") or {}).get("id") or "",
            trigger_id=body.get("trigger_id") or "",
        )
        message = do(inv, str(value.get("c") or ""), str(value.get("k") or ""))
    except BotError as err:
        message = f":warning: {err.user_message}"
    except SlackApiError as err:  # a refusal is explained; only 429/5xx are "try again in a minute"
        failure = slack_errors.classify(err)
        message = TROUBLE if failure.transient else f":warning: Could not do that: {failure.user_message}"
    except Exception:
        log.exception("action %s failed", action.get("action_id"))
        message = TROUBLE
    if message:
        respond(text=message, response_type="ephemeral", replace_original=False)
