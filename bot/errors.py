"""The project's exceptions, drawn once.

    BotError                      anything we raise on purpose; `str(err)` is a message fit for a user
    ├── InputError                the recording or request itself is unusable; retrying will not help
    │   ├── UnsupportedMedia      not audio/video, corrupt, truncated, empty, or no audio stream
    │   ├── MediaTooLarge         over the byte limit
    │   ├── MediaTooLong          over the duration limit
    │   └── UrlRefused            not http(s), private/loopback address, shortener/video site, bad redirect
    ├── FetchError                a URL could not be downloaded (unreachable, HTTP error, timeout)
    ├── StorageFull               the disk is full (ENOSPC) while writing a download      (transient)
    ├── EngineError               the offline engine cannot run (e.g. ModelMissing)
    │   └── ModelMissing
    ├── ProviderError             the Symbl(-compatible) API answered with an error or not at all
    │   ├── ProviderUnavailable   connection errors / 5xx after retries          (transient)
    │   ├── RateLimited           429 after retries                              (transient)
    │   ├── AuthenticationError   401 / bad credentials                          (permanent)
    │   ├── NotFound              404: unknown conversation or job               (permanent)
    │   ├── BadRequest            400/413/415: the provider refused the input    (permanent)
    │   └── JobFailed             the job ended as `failed`                      (permanent)
    └── SlackDeliveryError        a Slack Web API call failed for good

`transient` tells callers (the scheduler, the SDK-shaped client) whether a retry later may succeed.
"""

from __future__ import annotations


class BotError(Exception):
    transient = False

    @property
    def user_message(self) -> str:
        """What to tell the person who sent the recording (str(err) keeps the technical context for logs)."""
        return str(self)


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


class FetchError(BotError):
    transient = True


class StorageFull(BotError):
    transient = True


class EngineError(BotError):
    pass


class ModelMissing(EngineError):
    pass


class ProviderError(BotError):
    def __init__(self, message: str, status: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.status = status
        self.detail = detail  # the provider's own `message`, when it sent one


class ProviderUnavailable(ProviderError):
    transient = True


class RateLimited(ProviderError):
    transient = True


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
    pass


class SlackDeliveryError(BotError):
    pass
