"""The project's exceptions, drawn once: every class we raise on purpose lives here.

    BotError                      anything we raise on purpose; `user_message` is what a person is shown
    ├── ConfigError               a setting (environment variable, .env) is unusable; the CLI prints one line
    ├── InputError                the recording or request itself is unusable; retrying will not help
    │   ├── UnsupportedMedia      not audio/video, corrupt, truncated, empty, or no audio stream
    │   ├── MediaTooLarge         over the byte limit
    │   ├── MediaTooLong          over the duration limit
    │   ├── UrlRefused            not http(s), private/loopback address, shortener/video site, bad redirect
    │   ├── InvalidOption         an engine submission option is malformed (→ HTTP 400)
    │   └── UsageError            `/symbl …` text the grammar cannot use; `usage` says how
    ├── FetchError                a URL could not be downloaded (unreachable, HTTP error, timeout)
    ├── StorageFull               the disk is full (ENOSPC) while writing a download      (transient)
    ├── MediaStoreError           the engine's media store (S3) refused or could not be reached (transient)
    ├── EngineError               the offline engine cannot run (e.g. ModelMissing)
    │   └── ModelMissing
    ├── ApiError                  the engine server's answer to a bad request: an HTTP status and message
    ├── ProviderError             the Symbl(-compatible) API answered with an error or not at all
    │   ├── ProviderUnavailable   connection errors / 5xx after retries          (transient)
    │   ├── RateLimited           429 after retries; `retry_after` from the header (transient)
    │   ├── AuthenticationError   401 / bad credentials                          (permanent)
    │   ├── NotFound              404: unknown conversation or job               (permanent)
    │   ├── BadRequest            400/413/415: the provider refused the input    (permanent)
    │   └── JobFailed             the job ended as `failed`                      (permanent)
    ├── Refused                   a `/symbl` query that cannot be answered (unknown id, no permission)
    └── SlackDeliveryError        a Slack Web API call failed for good

One exception lives elsewhere: storage.fence.LeaseLost (a step's lease taken over by another worker) is
storage's, which knows nothing of the bot.

`transient` tells callers (the scheduler, the SDK-shaped client) whether a retry later may succeed: a class
attribute, or a constructor argument where one class covers both cases (`FetchError`). Nothing patches it onto
an instance after the fact.

Users see `err.user_message` (Slack replies, the CLI's `Error: …` line); `str(err)` keeps the technical
context for logs. They are the same unless a class knows better (`BadRequest` shows the provider's own words).
"""

from __future__ import annotations

import errno
from collections.abc import Mapping


class BotError(Exception):
    transient = False

    @property
    def user_message(self) -> str:
        """What to tell the person who sent the recording (str(err) keeps the technical context for logs)."""
        return str(self)


class ConfigError(BotError):
    """A setting cannot be used; the message names the variable and the value it got."""


class InputError(BotError):
    pass


class UnsupportedMedia(InputError):
    pass


class MediaTooLarge(InputError):
    pass


class MediaTooLong(InputError):
    pass


class UrlRefused(InputError):
    pass


class InvalidOption(InputError):
    """A submission option of the engine's API is malformed; the message names the option."""


class UsageError(InputError):
    """The command text cannot be used; `str()` says why, `usage` how (when one subcommand is meant)."""

    def __init__(self, message: str, usage: str | None = None):
        super().__init__(message)
        self.usage = usage  # "`/symbl append <url> …` — what it does", or None when no subcommand is known


class FetchError(BotError):
    """A download failed; `transient` says whether the same URL may work later (timeouts, 5xx, DNS)."""

    def __init__(self, message: str, *, transient: bool = True):
        super().__init__(message)
        self.transient = transient


class StorageFull(BotError):
    transient = True

    @staticmethod
    def caused(err: OSError) -> bool:
        """Whether an OSError from writing a file means the disk (or the user's quota) is full."""
        return err.errno in (errno.ENOSPC, errno.EDQUOT)


class MediaStoreError(BotError):
    """The engine's object storage (SYMBL_ENGINE_MEDIA_URL=s3://…) failed; the message names the operation."""

    transient = True


class EngineError(BotError):
    pass


class ModelMissing(EngineError):
    pass


class ApiError(BotError):
    """The engine server's error answer: `status` is the HTTP status, `headers` extra response headers."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


class ProviderError(BotError):
    def __init__(self, message: str, status: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.status = status
        self.detail = detail  # the provider's own `message`, when it sent one


class ProviderUnavailable(ProviderError):
    transient = True


class RateLimited(ProviderError):
    transient = True

    def __init__(
        self,
        message: str,
        status: int | None = 429,
        detail: str | None = None,
        retry_after: str | None = None,
    ):
        super().__init__(message, status, detail)
        self.retry_after = retry_after  # the server's Retry-After header, as sent (seconds or an HTTP date)


class AuthenticationError(ProviderError):
    pass


class NotFound(ProviderError):
    pass


class BadRequest(ProviderError):
    @property
    def user_message(self) -> str:
        # The provider refused the recording itself ("…could not be read as audio or video…"): its words are
        # the explanation; our request context and the status code are noise in a Slack thread.
        return self.detail or str(self)


class JobFailed(ProviderError):
    """The job ended as `failed`; `conversation` is the SDK-shaped handle of the job, when one was polling."""

    def __init__(
        self, message: str, status: int | None = None, detail: str | None = None, conversation: object = None
    ):
        super().__init__(message, status, detail)
        self.conversation = conversation


class Refused(BotError):
    """A query that cannot be answered; `str()` is the reason shown to the user."""


class SlackDeliveryError(BotError):
    pass
