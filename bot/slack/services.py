"""`Services`: what the Slack side needs from the outside, passed explicitly to every step and listener.

Its own module so that modules needing only the bundle (handlers, queries, updates, retention) do not import
the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bot.config import Settings
from bot.providers.provider import Provider
from bot.slack.authz import Directory
from storage import BotStore

INTERACTIVE_WORKERS = 4


@dataclass
class Services:
    """What the pipeline needs from the outside, built by `bot.slack.app` (tests build their own)."""

    settings: Settings
    store: BotStore
    provider: Provider  # today the Symbl client (our engine speaks the same API)
    slack_for: Callable[[str], WebClient]  # team id → a Web API client with that workspace's bot token
    wake: Callable[[], None] = lambda: None  # ask the scheduler for a tick now
    poll_now: Callable[[int], None] | None = (
        None  # make one row due now and tick (the scheduler's, when running)
    )
    options: dict[str, Any] = field(default_factory=lambda: {"enableSpeakerDiarization": True})
    directory: Directory = field(default_factory=Directory)  # Slack membership and users, cached briefly
    storage_full_at: float | None = None  # when a download last failed for a full disk (/healthz reports it)
    # Commands, buttons and shortcuts answer here, not in Bolt's listener pool, which events share and where a
    # listener sleeping on a 429's Retry-After would hold up every ack behind it (slack-platform.md §1.3).
    interactive: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(INTERACTIVE_WORKERS, thread_name_prefix="symbl-ui")
    )

    @property
    def download_dir(self) -> Path:
        return self.settings.data_dir / "downloads"
