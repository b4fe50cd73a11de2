"""The SDK-shaped API of the Symbl docs page, built on `SymblClient` and without the official SDK's traps
(contract §7, §10).

`Audio`, `Video` and `Text` are module-level instances, as `symbl.Audio` is: the page's samples run with only
their import line changed (`from bot.providers.symbl import Audio, Text`):
`Audio.process_file(file_path=…, parameters=…)`, `process_url`, `append_file`, `append_url`, `wait=False` with
`on_complete` / `on_error`, then `conversation.get_topics()` …. Calling one (`Audio(client)`,
`Audio(settings=…)`) gives another instance on that client or settings.

Where the calls go: `credentials` given to a call, else SYMBL_APP_ID / SYMBL_APP_SECRET at SYMBL_API_URL (or
any SYMBL_API_URL that is set, e.g. a `symbl-bot engine` on loopback); with none of these, the built-in engine
started in this process (`bot.providers.symbl.local`), as `symbl-bot process` uses it: no account needed.

Compared with the official SDK:

- polling starts at once (first poll after `FIRST_POLL_SECONDS`, then backoff to `MAX_POLL_SECONDS`),
  not 30 s later;
- `wait=False` polls on a *daemon* thread, and callbacks registered at any time fire exactly once: a
  callback registered after the job ended fires immediately;
- `on_complete(conversation)` runs for a completed job, `on_error(error)` for a failed job or a polling
  error, never both;
- errors are raised (`wait=True`) or passed to `on_error` (`wait=False`), never swallowed; getters raise
  the typed errors of `bot.errors` instead of returning a fixed message;
- each call may name its own `credentials`; the host comes from `SYMBL_API_URL` (via `Settings`);
- without any Symbl settings, the built-in engine answers instead of a traceback about credentials.

Getters return plain JSON values (lists of dicts with the wire's camelCase keys), not generated models.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.config import DEFAULT_SYMBL_API_URL, Settings
from bot.errors import BotError, JobFailed, ProviderError
from bot.providers.provider import Submission
from bot.providers.symbl.client import SymblClient
from bot.providers.symbl.local import embedded_client

log = logging.getLogger(__name__)

FIRST_POLL_SECONDS = 0.1
MAX_POLL_SECONDS = 1.0
POLL_BACKOFF = 1.5
TERMINAL = ("completed", "failed")

CompleteCallback = Callable[["Conversation"], Any]
ErrorCallback = Callable[[BaseException], Any]


def _flag(parameters: Mapping[str, Any], key: str, explicit: bool | None, default: bool) -> bool:
    if explicit is not None:
        return explicit
    value = parameters.get(key, default)
    if isinstance(value, str):
        if value.lower() not in ("true", "false"):
            raise ValueError(f"{key} must be true or false, not {value!r}")
        return value.lower() == "true"
    return bool(value)


def _known(parameters: Mapping[str, Any] | None, allowed: set[str]) -> Mapping[str, Any]:
    parameters = parameters or {}
    unknown = set(parameters) - allowed
    if unknown:
        # The official SDK turns a typo here into a fixed "does not exist" answer; say what is wrong instead.
        raise ValueError(f"unknown parameter(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return parameters


class Conversation:
    """A conversation, and the job that is producing it (if any). Thread-safe."""

    def __init__(self, conversation_id: str, job_id: str | None = None, *, client: SymblClient):
        self._id = conversation_id
        self._job_id = job_id
        self._client = client
        self._status: str | None = "scheduled" if job_id else None
        self._lock = threading.Lock()
        self._done = threading.Event()
        # Set once the callbacks of the end have run too: wait() returning before them would let a script
        # exit with its on_complete print still pending on the poller thread.
        self._settled = threading.Event()
        self._error: BaseException | None = None
        self._on_complete: list[CompleteCallback] = []
        self._on_error: list[ErrorCallback] = []
        self._poller: threading.Thread | None = None
        if job_id is None:
            self._done.set()
            self._settled.set()

    def __repr__(self) -> str:
        return f"Conversation(id={self._id!r}, job_id={self._job_id!r}, status={self._status!r})"

    # --- the job -----------------------------------------------------------------------------------

    def get_conversation_id(self) -> str:
        return self._id

    def get_job_id(self) -> str | None:
        return self._job_id

    def get_job_status(self) -> str | None:
        """The last status seen: scheduled, in_progress, completed or failed (None without a job)."""
        return self._status

    @property
    def error(self) -> BaseException | None:
        return self._error

    def on_complete(self, callback: CompleteCallback) -> Conversation:
        """Run `callback(conversation)` once when the job completes (at once if it already has)."""
        with self._lock:
            fire = self._done.is_set() and self._job_id is not None and self._error is None
            if not self._done.is_set():
                self._on_complete.append(callback)
        if fire:
            self._run(callback, self)
        return self

    def on_error(self, callback: ErrorCallback) -> Conversation:
        """Run `callback(error)` once when the job fails or cannot be followed (at once if it already has)."""
        with self._lock:
            error = self._error if self._done.is_set() else None
            if not self._done.is_set():
                self._on_error.append(callback)
        if error is not None:
            self._run(callback, error)
        return self

    def wait(self, timeout: float | None = None) -> Conversation:
        """Block until the job ends and its callbacks have run; raises its error (JobFailed, ProviderError …)
        or TimeoutError."""
        if self._poller is None and not self._done.is_set():
            self._poll()
        elif not self._settled.wait(timeout):
            raise TimeoutError(f"job {self._job_id} still {self._status} after {timeout} s")
        if self._error is not None:
            raise self._error
        return self

    def _follow(self, wait: bool) -> Conversation:
        if self._job_id is None:
            return self
        if wait:
            return self.wait()
        self._poller = threading.Thread(target=self._poll, name=f"symbl-job-{self._job_id}", daemon=True)
        self._poller.start()
        return self

    def _poll(self) -> None:
        assert self._job_id is not None
        delay = FIRST_POLL_SECONDS
        try:
            while True:
                time.sleep(delay)
                job = self._client.job(self._job_id)
                self._status = job["status"]
                if self._status == "completed":
                    return self._finish(None)
                if self._status == "failed":
                    reason = job.get("message") or "the provider did not say why"
                    return self._finish(JobFailed(f"Job {self._job_id} failed: {reason}", conversation=self))
                if self._status not in ("scheduled", "in_progress"):
                    return self._finish(
                        ProviderError(f"Job {self._job_id} has an unknown status {self._status!r}")
                    )
                delay = min(delay * POLL_BACKOFF, MAX_POLL_SECONDS)
        except BotError as err:
            self._finish(err)
        except Exception as err:  # a bug must still reach on_error, not die silently with the thread
            log.exception("polling job %s failed", self._job_id)
            self._finish(err)

    def _finish(self, error: BaseException | None) -> None:
        with self._lock:
            self._error = error
            completes, errors = self._on_complete, self._on_error
            self._on_complete, self._on_error = [], []
            self._done.set()
        try:
            if error is None:
                for callback in completes:
                    self._run(callback, self)
            else:
                for on_error in errors:
                    self._run(on_error, error)
        finally:
            self._settled.set()

    @staticmethod
    def _run(callback: Callable[[Any], Any], argument: Any) -> None:
        try:
            callback(argument)
        except Exception:
            log.exception("a conversation callback raised")

    # --- results -----------------------------------------------------------------------------------

    def get_messages(
        self,
        parameters: Mapping[str, Any] | None = None,
        *,
        sentiment: bool | None = None,
        verbose: bool | None = None,
    ) -> list[dict]:
        parameters = _known(parameters, {"sentiment", "verbose"})
        return self._client.get_messages(
            self._id,
            sentiment=_flag(parameters, "sentiment", sentiment, False),
            verbose=_flag(parameters, "verbose", verbose, False),
        )

    def get_topics(
        self,
        parameters: Mapping[str, Any] | None = None,
        *,
        sentiment: bool | None = None,
        parent_refs: bool | None = None,
    ) -> list[dict]:
        parameters = _known(parameters, {"sentiment", "parentRefs"})
        return self._client.get_topics(
            self._id,
            sentiment=_flag(parameters, "sentiment", sentiment, False),
            parent_refs=_flag(parameters, "parentRefs", parent_refs, False),
        )

    def get_questions(self) -> list[dict]:
        return self._client.get_questions(self._id)

    def get_action_items(self) -> list[dict]:
        return self._client.get_action_items(self._id)

    def get_follow_ups(self) -> list[dict]:
        return self._client.get_follow_ups(self._id)

    def get_decisions(self) -> list[dict]:
        """Our engine's extension (not in the official SDK): what the group decided."""
        return self._client.get_decisions(self._id)

    def get_members(self) -> list[dict]:
        return self._client.get_members(self._id)

    def get_analytics(self) -> dict:
        return self._client.get_analytics(self._id)

    def get_conversation(self) -> dict:
        return self._client.get_conversation(self._id)

    def get_summary(self, refresh: bool = False) -> list[dict]:
        """The Summary API's `[{id, text, messageRefs}]` (not in the official SDK 2.0.6)."""
        return self._client.get_summary(self._id, refresh=refresh)

    def put_member(self, member_id: str, name: str, email: str | None = None) -> str:
        """`PUT …/members/{memberId}`: rename a member (a diarized "Speaker 2") everywhere; the answer's
        message."""
        return self._client.put_member(self._id, member_id, name, email)

    def delete_conversation(self) -> None:
        self._client.delete_conversation(self._id)

    # The docs page also uses these short names.
    messages = get_messages
    topics = get_topics
    questions = get_questions
    action_items = get_action_items
    follow_ups = get_follow_ups
    decisions = get_decisions
    members = get_members
    analytics = get_analytics
    summary = get_summary


class AudioApi:
    """`process_file`, `process_url`, `append_file`, `append_url` of the Symbl docs page (`Audio` is one)."""

    media = "audio"

    def __init__(self, client: SymblClient | None = None, *, settings: Settings | None = None):
        self._client = client
        self._settings = settings
        self._lock = threading.Lock()
        self._latest: str | None = None  # the conversation this instance submitted last

    def __call__(self, client: SymblClient | None = None, *, settings: Settings | None = None) -> AudioApi:
        """Another instance, on `client` or `settings` (`Audio(client).process_file(…)`)."""
        return type(self)(client, settings=settings)

    def _client_for(self, credentials: Mapping[str, str] | None) -> SymblClient:
        settings = self._settings or Settings.from_env()
        if credentials:
            base = self._client.base_url if self._client else settings.symbl_api_url
            return SymblClient(base, credentials.get("app_id", ""), credentials.get("app_secret", ""))
        with self._lock:  # the module-level instances are shared by every thread of the program
            if self._client is None:
                self._client = _configured_client(settings)
            return self._client

    def _conversation(self, submission: Submission, client: SymblClient, wait: bool) -> Conversation:
        self._latest = submission.conversation_id
        return Conversation(submission.conversation_id, submission.job_id, client=client)._follow(wait)

    def _append_target(self, conversation_id: str | None) -> str:
        """The conversation to append to: the one given, else the last one this instance submitted (the docs
        page's `Audio.append_file(file_path=…)` names none)."""
        target = conversation_id or self._latest
        if not target:
            raise ValueError("conversation_id is required to append (no conversation was processed before)")
        return target

    def process_file(
        self,
        file_path: str,
        credentials: Mapping[str, str] | None = None,
        content_type: str = "",
        wait: bool = True,
        parameters: Mapping[str, Any] | None = None,
    ) -> Conversation:
        if not file_path:
            raise ValueError("file_path is required")
        client = self._client_for(credentials)
        submission = client.submit_file(
            file_path, parameters or {}, content_type=content_type or None, media=self.media
        )
        return self._conversation(submission, client, wait)

    def process_url(
        self,
        url: str | None = None,
        credentials: Mapping[str, str] | None = None,
        wait: bool = True,
        parameters: Mapping[str, Any] | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> Conversation:
        target, options = _url_and_options(url, payload, parameters)
        client = self._client_for(credentials)
        return self._conversation(client.submit_url(target, options, media=self.media), client, wait)

    def append_file(
        self,
        file_path: str,
        conversation_id: str | None = None,
        credentials: Mapping[str, str] | None = None,
        content_type: str = "",
        wait: bool = True,
        parameters: Mapping[str, Any] | None = None,
    ) -> Conversation:
        if not file_path:
            raise ValueError("file_path is required")
        conversation_id = self._append_target(conversation_id)
        client = self._client_for(credentials)
        submission = client.append_file(
            file_path, conversation_id, parameters or {}, content_type=content_type or None, media=self.media
        )
        return self._conversation(submission, client, wait)

    def append_url(
        self,
        url: str | None = None,
        conversation_id: str | None = None,
        credentials: Mapping[str, str] | None = None,
        wait: bool = True,
        parameters: Mapping[str, Any] | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> Conversation:
        conversation_id = self._append_target(conversation_id)
        target, options = _url_and_options(url, payload, parameters)
        client = self._client_for(credentials)
        return self._conversation(
            client.append_url(target, conversation_id, options, media=self.media), client, wait
        )


def _configured_client(settings: Settings) -> SymblClient:
    """The settings' Symbl host, or the built-in engine when no Symbl setting is there at all."""
    if settings.uses_symbl_cloud or settings.symbl_api_url != DEFAULT_SYMBL_API_URL:
        return SymblClient.from_settings(settings)
    return embedded_client(settings)


class VideoApi(AudioApi):
    media = "video"


class TextApi:
    """`process` and `append` of the Text API, as the official SDK's `symbl.Text` names them (`Text` is one).

    `payload` is the Text API body: `{"messages": [{payload: {content}, from: {name, userId}, duration:
    {startTime, endTime}}], "name": …, …}`; `parameters` adds options (the SDK's way) over it.
    """

    def __init__(self, client: SymblClient | None = None, *, settings: Settings | None = None):
        self._audio = AudioApi(client, settings=settings)  # the same credentials and host handling

    def __call__(self, client: SymblClient | None = None, *, settings: Settings | None = None) -> TextApi:
        """Another instance, on `client` or `settings` (`Text(client).process(…)`)."""
        return TextApi(client, settings=settings)

    def process(
        self,
        payload: Mapping[str, Any],
        credentials: Mapping[str, str] | None = None,
        wait: bool = True,
        parameters: Mapping[str, Any] | None = None,
    ) -> Conversation:
        messages, options = _messages_and_options(payload, parameters)
        client = self._audio._client_for(credentials)
        return self._audio._conversation(client.submit_text(messages, options), client, wait)

    def append(
        self,
        payload: Mapping[str, Any],
        conversation_id: str,
        credentials: Mapping[str, str] | None = None,
        wait: bool = True,
        parameters: Mapping[str, Any] | None = None,
    ) -> Conversation:
        if not conversation_id:
            raise ValueError("conversation_id is required to append")
        messages, options = _messages_and_options(payload, parameters)
        client = self._audio._client_for(credentials)
        return self._audio._conversation(client.append_text(messages, conversation_id, options), client, wait)


def _messages_and_options(
    payload: Mapping[str, Any], parameters: Mapping[str, Any] | None
) -> tuple[list[dict], dict]:
    body = dict(payload or {})
    messages = body.pop("messages", None)
    if not isinstance(messages, list) or not messages:
        raise ValueError("payload must carry a non-empty 'messages' list")
    return messages, {**body, **(parameters or {})}


def _url_and_options(
    url: str | None, payload: Mapping[str, Any] | None, parameters: Mapping[str, Any] | None
) -> tuple[str, dict]:
    payload = dict(payload or {})
    target = url or payload.pop("url", None)
    payload.pop("url", None)
    if not target:
        raise ValueError("a url is required (url=… or payload={'url': …})")
    return target, {**(parameters or {}), **payload}


# The docs page's objects: `from bot.providers.symbl import Audio` then `Audio.process_file(file_path=…)`.
Audio = AudioApi()
Video = VideoApi()
Text = TextApi()
