"""Retention: transcripts and insights are dropped `SYMBL_BOT_RETENTION_DAYS` after processing.

A daily scheduler job (`RETENTION_JOB`) deletes each expired conversation at the provider first (our engine
then removes its transcript and any media it kept; the Symbl API deletes its copy) and then every row the
bot stored about it. A provider that is down keeps the local rows, so the next run tries again; a provider
that no longer knows the conversation counts as deleted. The recording's job row stays (it holds no
transcript), so the message that brought the recording is not processed again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.errors import NotFound, ProviderError
from bot.slack.services import Services
from storage import admin

log = logging.getLogger(__name__)

RETENTION_JOB = "retention"
RETENTION_INTERVAL_SECONDS = 24 * 3600


@dataclass
class RetentionResult:
    deleted: int = 0
    failed: int = 0


def run(services: Services, now: float | None = None) -> RetentionResult:
    """Delete conversations older than the retention period. No-op when retention is off (0 days)."""
    days = services.settings.retention_days
    result = RetentionResult()
    if days <= 0:
        return result
    now = time.time() if now is None else now
    for row in admin.expired_conversations(services.store, days, now):
        conversation_id = row["conversation_id"]
        try:
            services.provider.delete_conversation(conversation_id)
        except NotFound:
            pass
        except ProviderError as err:
            log.warning(
                "retention: the provider did not delete conversation %s (%s); will retry",
                conversation_id,
                err,
            )
            result.failed += 1
            continue
        admin.forget_conversation(services.store, conversation_id)
        result.deleted += 1
    if result.deleted or result.failed:
        log.info(
            "retention (%s days): deleted %s conversations, %s left for the next run",
            days,
            result.deleted,
            result.failed,
        )
    return result
