"""What the Slack pipeline needs from a provider: submit or append media, poll the job, read and delete
results.

`bot.providers.symbl.client.SymblClient` is the implementation (the Symbl cloud, or our engine on loopback); a
new provider implements these methods and is passed to `Services(provider=...)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Submission:
    """What a provider answers to a submission or an append: the conversation it belongs to and the job."""

    conversation_id: str
    job_id: str


class Provider(Protocol):
    """Errors are `bot.errors.ProviderError`s; their `transient` says whether the pipeline should retry
    later."""

    def submit_file(
        self,
        path: str | Path,
        options: Mapping[str, Any] | None = None,
        *,
        content_type: str | None = None,
        media: str = "audio",
    ) -> Submission:
        """Start processing a local file; the options are Symbl's (camelCase, native types)."""
        ...

    def submit_url(
        self, url: str, options: Mapping[str, Any] | None = None, *, media: str = "audio"
    ) -> Submission:
        """Start processing a public URL (already checked by `bot.net.check_url`)."""
        ...

    def append_file(
        self,
        path: str | Path,
        conversation_id: str,
        options: Mapping[str, Any] | None = None,
        *,
        content_type: str | None = None,
        media: str = "audio",
    ) -> Submission:
        """Add a local file to an existing conversation."""
        ...

    def append_url(
        self,
        url: str,
        conversation_id: str,
        options: Mapping[str, Any] | None = None,
        *,
        media: str = "audio",
    ) -> Submission:
        """Add a URL's media to an existing conversation."""
        ...

    def submit_text(self, messages: list[dict], options: Mapping[str, Any] | None = None) -> Submission:
        """Start processing a transcript: Text API messages (`payload`, `from`, `duration`)."""
        ...

    def append_text(
        self, messages: list[dict], conversation_id: str, options: Mapping[str, Any] | None = None
    ) -> Submission:
        """Add transcript messages to an existing conversation."""
        ...

    def job(self, job_id: str) -> dict:
        """The job body: `{"id", "status"}` (`in_progress`, `completed`, `failed`), plus `message` on
        failure."""
        ...

    def fetch_insights(self, conversation_id: str) -> dict[str, Any]:
        """Everything a summary needs, keyed as on the Symbl wire (messages, topics, questions, actionItems,
        …)."""
        ...

    def put_member(self, conversation_id: str, member_id: str, name: str, email: str | None = None) -> str:
        """Rename a member (e.g. a diarized "Speaker 2") in the conversation's messages and insights;
        `NotFound` when the provider knows no such member (or cannot rename members)."""
        ...

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete the conversation and its results at the provider (`forget`, retention)."""
        ...
