"""Modal submissions: "Fix speakers" (bot.slack.speakers).

The submission is checked before its ack (the submitter must be able to read the conversation's channel; a
refusal replaces the modal's content, so they see why and nothing changes), then applied on
`services.interactive` after it: renaming at the provider and editing the note take longer than Slack's 3 s.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.slack import speakers
from bot.slack.render.speakers import VIEW_CALLBACK
from bot.slack.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    def check_then_apply(ack: Ack, body: dict[str, Any], next_: Any) -> None:
        submission = speakers.Submission.parse(body)
        try:
            refusal = speakers.check(services, submission)
        except Exception:
            log.exception("fix speakers: checking a submission failed")
            refusal = speakers.trouble()
        if refusal:
            ack(**refusal)
        else:
            ack()  # closes the modal; the note changes in a moment
            services.interactive.submit(speakers.apply, services, submission)
        next_()

    app.view(VIEW_CALLBACK, middleware=[check_then_apply])(_acked)


def _acked(ack: Ack) -> None:
    """The listener proper: the middleware acked and handed the work on."""
