"""Slack's refusals in the bot's terms: is a `SlackApiError` worth retrying, and what to tell the user.

Self-contained on purpose (the bot's error tree lives in bot/errors.py): one function the pipeline, the thread
and the handlers share, so every place reads Slack's answers the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# Slack error codes → what a user can do about them
# (https://docs.slack.dev/reference/methods/chat.postMessage).
USER_MESSAGES = {
    "not_in_channel": "the app is not in this channel; invite it with `/invite @symbl` and try again.",
    "channel_not_found": "the app cannot see this channel any more.",
    "is_archived": "the channel is archived.",
    "invalid_blocks": "Slack refused the summary's layout (a bug on our side; it has been logged).",
    "msg_too_long": "the summary was too long for Slack.",
    "restricted_action": "a workspace setting does not let the app post here.",
    "missing_scope": "the app is missing a permission; reinstall it from the app's settings page.",
    "invalid_auth": "the app's Slack token is no longer valid; reinstall the app.",
    "account_inactive": "the app's Slack token is no longer valid; reinstall the app.",
    "token_revoked": "the app was uninstalled or its token revoked.",
    "time_too_far": "Slack cannot schedule a message that far ahead.",
    # views.open: a click's trigger is good for 3 s, once (https://docs.slack.dev/reference/methods/views.open)
    "expired_trigger_id": "the form took too long to open; click the button again.",
    "exchanged_trigger_id": "the form took too long to open; click the button again.",
}


@dataclass(frozen=True)
class SlackFailure:
    transient: bool
    code: str  # Slack's error code, or the HTTP status
    user_message: str


def classify(err: SlackApiError) -> SlackFailure:
    """Transient (429, 5xx, Slack's outage codes: retry later) or permanent, with a sentence for the user."""
    status = getattr(err.response, "status_code", 200)
    code = str(err.response.get("error") or status)
    transient = status == 429 or status >= 500 or code in TRANSIENT_ERRORS
    message = USER_MESSAGES.get(code, f"Slack answered `{code}`.")
    return SlackFailure(transient=transient, code=code, user_message=message)
