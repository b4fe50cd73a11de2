"""The signed webhook URL the bot names in a submission (bot.slack.job_status serves it): an HMAC of the
recording id under the bot's secret, so only whoever was given the URL can nudge that recording."""

from __future__ import annotations

import hashlib
import hmac

from bot.config import Settings

PATH = "/symbl/job-status/<int:recording_id>/<signature>"


def _signature(secret: str, recording_id: int) -> str:
    return hmac.new(secret.encode(), f"job-status:{recording_id}".encode(), hashlib.sha256).hexdigest()


def webhook_url(settings: Settings, recording_id: int) -> str | None:
    """The signed URL for the recording's submission, or None when the bot has no public URL."""
    if not settings.public_url or not settings.job_status_secret:
        return None
    signature = _signature(settings.job_status_secret, recording_id)
    return f"{settings.public_url}/symbl/job-status/{recording_id}/{signature}"


def signed(settings: Settings, recording_id: int, signature: str) -> bool:
    secret = settings.job_status_secret
    return bool(secret) and hmac.compare_digest(signature, _signature(secret or "", recording_id))
