"""A `requests` client for the Symbl Async API (contract: shared/symbl-async-api.md).

It talks to the Symbl cloud or to any Symbl-compatible host, including our own engine (`bot.engine.server`).
Unlike the official SDK it puts a timeout on every call, retries transient failures a bounded number of
times, refreshes its token before it expires, and raises the typed errors of `bot.errors` instead of hiding
them:

    401/403 → AuthenticationError    404 → NotFound    400/413/415/422 → BadRequest
    429 → RateLimited (after retries)    5xx, connection errors, timeouts, bodies that are not JSON
    → ProviderUnavailable (after retries)

Retries are urllib3's `Retry` (exponential backoff with jitter, `Retry-After` honoured up to a cap),
mounted through a requests `HTTPAdapter`. Submissions are not idempotent, so for them a request that may
have reached the server (a read error or timeout) is not retried; a refusal (429/5xx) or a failure to
connect is.
"""

from __future__ import annotations

import json
import mimetypes
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bot import insight_kinds
from bot.config import Settings
from bot.errors import (
    AuthenticationError,
    BadRequest,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from bot.providers.provider import Submission

LOCAL_APP_ID = "local"  # what the bot calls itself to an engine that accepts any credentials

# The only two options that travel in the query string of URL submissions (contract §3.4).
URL_QUERY_OPTIONS = ("enableSpeakerDiarization", "diarizationSpeakerCount")
RETRY_STATUSES = (429, 500, 502, 503, 504)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 60.0  # an upload of a large recording is read by the server before it answers
    upload_read: float = 600.0

    def for_upload(self) -> tuple[float, float]:
        return (self.connect, self.upload_read)

    def default(self) -> tuple[float, float]:
        return (self.connect, self.read)


class _BoundedRetry(Retry):
    """`Retry` that never sleeps longer than `max_retry_after` for a server's `Retry-After`."""

    # 413 means "too large", which waiting does not fix.
    RETRY_AFTER_STATUS_CODES = frozenset([429, 503])
    max_retry_after = 30.0

    def get_retry_after(self, response):
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after)


def _retry(total: int, backoff: float, *, retry_reads: bool) -> Retry:
    return _BoundedRetry(
        total=total,
        connect=total,
        read=total if retry_reads else 0,
        status=total,
        other=0,
        redirect=0,
        allowed_methods=None,  # every method: `retry_reads` decides what is safe to repeat
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        backoff_max=10.0,
        backoff_jitter=backoff,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last response comes back and is mapped to a typed error
        raise_on_redirect=False,
    )


def is_loopback_url(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


def _wire_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def query_options(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """File-submission options as query pairs (contract §1.3, §3.2).

    `customVocabulary` goes out as repeated parameters, the form every Symbl-compatible server reads.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in options.items():
        if value is None:
            continue
        if key == "customVocabulary" and isinstance(value, (list, tuple)):
            pairs.extend((key, str(word)) for word in value)
        else:
            pairs.append((key, _wire_value(value)))
    return pairs


def _message_of(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return body["message"]
    text = response.text.strip()
    return text[:200] if text else (response.reason or f"HTTP {response.status_code}")


def _error_for(response: requests.Response, what: str) -> ProviderError:
    status = response.status_code
    detail = _message_of(response)
    message = f"{what}: {detail} (HTTP {status})"
    if status in (401, 403):
        return AuthenticationError(message, status, detail)
    if status == 404:
        return NotFound(message, status, detail)
    if status == 429:
        return RateLimited(message, status, detail, retry_after=response.headers.get("Retry-After"))
    if status >= 500:
        return ProviderUnavailable(message, status, detail)
    if 400 <= status < 500:
        return BadRequest(message, status, detail)
    return ProviderError(message, status, detail)


class SymblClient:
    """One Symbl app's view of one Symbl-compatible host. Thread-safe."""

    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_secret: str,
        *,
        timeout: Timeouts | float = Timeouts(),
        retries: int = 4,
        backoff: float = 0.5,
        token_margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not app_id or not app_secret:
            raise AuthenticationError("Symbl credentials are missing: set SYMBL_APP_ID and SYMBL_APP_SECRET.")
        self.base_url = base_url.rstrip("/")
        self._app_id = app_id
        self._app_secret = app_secret
        self._timeouts = timeout if isinstance(timeout, Timeouts) else Timeouts(timeout, timeout, timeout)
        self._token_margin = token_margin
        self._clock = clock
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = threading.Lock()
        # requests sessions are not documented as thread-safe; one per thread keeps callers independent.
        self._local = threading.local()
        self._retries = retries
        self._backoff = backoff

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> SymblClient:
        """The client for `SYMBL_API_URL` with `SYMBL_APP_ID`/`SYMBL_APP_SECRET`.

        A loopback host (our engine bound to loopback accepts any credentials) gets placeholder ones.
        """
        app_id, app_secret = settings.symbl_app_id, settings.symbl_app_secret
        if not (app_id and app_secret) and is_loopback_url(settings.symbl_api_url):
            return cls.local(settings.symbl_api_url, **kwargs)
        return cls(settings.symbl_api_url, app_id or "", app_secret or "", **kwargs)

    @classmethod
    def local(cls, base_url: str, **kwargs: Any) -> SymblClient:
        """A client of our engine on loopback, as the install's own appId (the engine's store gives that
        appId the rows made before conversations had owners: bot.engine.store.LOCAL_APP_ID)."""
        return cls(base_url, LOCAL_APP_ID, LOCAL_APP_ID, **kwargs)

    # --- transport ---------------------------------------------------------------------------------

    def _session(self, *, retry_reads: bool) -> requests.Session:
        name = "reads" if retry_reads else "writes"
        session = getattr(self._local, name, None)
        if session is None:
            session = requests.Session()
            # An engine on loopback is never behind HTTP(S)_PROXY: a proxy would reach its own loopback.
            session.trust_env = not is_loopback_url(self.base_url)
            adapter = HTTPAdapter(max_retries=_retry(self._retries, self._backoff, retry_reads=retry_reads))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            setattr(self._local, name, session)
        return session

    def _send(
        self,
        method: str,
        path: str,
        what: str,
        *,
        retry_reads: bool = True,
        timeout: tuple[float, float] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        session = self._session(retry_reads=retry_reads)
        try:
            return session.request(
                method, self.base_url + path, timeout=timeout or self._timeouts.default(), **kwargs
            )
        except requests.exceptions.RetryError as err:  # only when a retryable status exhausted the budget
            raise ProviderUnavailable(f"{what}: {self.base_url} kept failing ({err})") from err
        except requests.exceptions.Timeout as err:
            raise ProviderUnavailable(f"{what}: {self.base_url} did not answer in time") from err
        except requests.exceptions.ConnectionError as err:
            raise ProviderUnavailable(f"{what}: cannot reach {self.base_url} ({err})") from err
        except requests.exceptions.RequestException as err:
            raise ProviderUnavailable(f"{what}: request to {self.base_url} failed ({err})") from err

    @staticmethod
    def _json(response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ProviderUnavailable(
                f"{what}: the server answered HTTP {response.status_code} with a body that is not JSON",
                response.status_code,
            ) from None

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        headers: dict | None = None,
        rewind: Any = None,
        **kwargs: Any,
    ) -> Any:
        """An authenticated call; a rejected token is replaced once (the server may have forgotten it)."""
        for attempt in (1, 2):
            sent = {
                "Accept": "application/json",
                **(headers or {}),
                "x-api-key": self._access_token(force=attempt == 2),
            }
            response = self._send(method, path, what, headers=sent, **kwargs)
            if response.status_code != 401 or attempt == 2:
                break
            if rewind is not None:
                rewind.seek(0)
        if not 200 <= response.status_code < 300:
            raise _error_for(response, what)
        return self._json(response, what)

    # --- tokens ------------------------------------------------------------------------------------

    def _access_token(self, *, force: bool = False) -> str:
        with self._token_lock:
            if force or self._token is None or self._clock() >= self._token_expires_at:
                self._generate_token()
            assert self._token is not None
            return self._token

    def _generate_token(self) -> None:
        what = "generating a Symbl token"
        payload = {"type": "application", "appId": self._app_id, "appSecret": self._app_secret}
        response = self._send("POST", "/oauth2/token:generate", what, json=payload)
        if not 200 <= response.status_code < 300:
            raise _error_for(response, what)
        body = self._json(response, what)
        token = body.get("accessToken") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderUnavailable(f"{what}: the answer carries no accessToken", response.status_code)
        try:
            lifetime = float(body.get("expiresIn") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        # Refresh early: by `token_margin`, or by a tenth of a short lifetime.
        margin = min(self._token_margin, lifetime / 10)
        self._token = token
        self._token_expires_at = self._clock() + max(lifetime - margin, 0.0)

    # --- submissions -------------------------------------------------------------------------------

    @staticmethod
    def _submission(body: Any, what: str) -> Submission:
        if not isinstance(body, dict) or not body.get("conversationId") or not body.get("jobId"):
            raise ProviderUnavailable(f"{what}: the answer carries no conversationId/jobId")
        return Submission(str(body["conversationId"]), str(body["jobId"]))

    def _upload(
        self,
        method: str,
        path: str,
        file_path: str | Path,
        options: Mapping[str, Any],
        content_type: str | None,
        what: str,
    ) -> Submission:
        file_path = Path(file_path)
        if content_type is None:
            content_type = mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"
        with file_path.open("rb") as body:
            result = self._call(
                method,
                path,
                what,
                params=query_options(options),
                data=body,
                rewind=body,
                headers={"Content-Type": content_type},
                retry_reads=False,
                timeout=self._timeouts.for_upload(),
            )
        return self._submission(result, what)

    def _by_url(self, method: str, path: str, url: str, options: Mapping[str, Any], what: str) -> Submission:
        body = {k: v for k, v in options.items() if k not in URL_QUERY_OPTIONS and v is not None}
        body["url"] = url
        params = [(k, _wire_value(options[k])) for k in URL_QUERY_OPTIONS if options.get(k) is not None]
        result = self._call(method, path, what, params=params, json=body, retry_reads=False)
        return self._submission(result, what)

    def submit_file(
        self,
        path: str | Path,
        options: Mapping[str, Any] | None = None,
        *,
        content_type: str | None = None,
        media: str = "audio",
    ) -> Submission:
        """`POST /v1/process/{audio|video}`: options (camelCase, native types) go in the query string."""
        return self._upload(
            "POST", f"/v1/process/{media}", path, options or {}, content_type, f"submitting {Path(path).name}"
        )

    def submit_url(
        self, url: str, options: Mapping[str, Any] | None = None, *, media: str = "audio"
    ) -> Submission:
        return self._by_url("POST", f"/v1/process/{media}/url", url, options or {}, "submitting a URL")

    def append_file(
        self,
        path: str | Path,
        conversation_id: str,
        options: Mapping[str, Any] | None = None,
        *,
        content_type: str | None = None,
        media: str = "audio",
    ) -> Submission:
        return self._upload(
            "PUT",
            f"/v1/process/{media}/{_seg(conversation_id)}",
            path,
            options or {},
            content_type,
            f"appending {Path(path).name} to conversation {conversation_id}",
        )

    def append_url(
        self,
        url: str,
        conversation_id: str,
        options: Mapping[str, Any] | None = None,
        *,
        media: str = "audio",
    ) -> Submission:
        return self._by_url(
            "PUT",
            f"/v1/process/{media}/url/{_seg(conversation_id)}",
            url,
            options or {},
            f"appending a URL to conversation {conversation_id}",
        )

    def _text(
        self, method: str, path: str, messages: list[dict], options: Mapping[str, Any], what: str
    ) -> Submission:
        # Contract §3.9: the options travel in the JSON body, except webhookUrl, which is a query parameter.
        body = {k: v for k, v in options.items() if k != "webhookUrl" and v is not None}
        body["messages"] = list(messages)
        params = [("webhookUrl", str(options["webhookUrl"]))] if options.get("webhookUrl") else []
        result = self._call(method, path, what, params=params, json=body, retry_reads=False)
        return self._submission(result, what)

    def submit_text(self, messages: list[dict], options: Mapping[str, Any] | None = None) -> Submission:
        """`POST /v1/process/text`: `messages` as the Text API takes them, `[{payload: {content,
        contentType}, from: {id, name, userId}, duration: {startTime, endTime}}]`."""
        return self._text("POST", "/v1/process/text", messages, options or {}, "submitting a transcript")

    def append_text(
        self, messages: list[dict], conversation_id: str, options: Mapping[str, Any] | None = None
    ) -> Submission:
        return self._text(
            "PUT",
            f"/v1/process/text/{_seg(conversation_id)}",
            messages,
            options or {},
            f"appending a transcript to conversation {conversation_id}",
        )

    # --- jobs and conversations --------------------------------------------------------------------

    def job(self, job_id: str) -> dict:
        """The job body: `{"id", "status"}`, plus `message` when our engine reports why it failed."""
        body = self._call("GET", f"/v1/job/{_seg(job_id)}", f"reading job {job_id}")
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            raise ProviderUnavailable(f"reading job {job_id}: the answer carries no status")
        return body

    def job_status(self, job_id: str) -> str:
        return self.job(job_id)["status"]

    def _list(self, conversation_id: str, resource: str, key: str, params: dict | None = None) -> list:
        what = f"reading {resource} of conversation {conversation_id}"
        body = self._call("GET", f"/v1/conversations/{_seg(conversation_id)}/{resource}", what, params=params)
        if not isinstance(body, dict) or not isinstance(body.get(key), list):
            raise ProviderUnavailable(f"{what}: the answer carries no {key!r} list")
        return body[key]

    def get_messages(self, conversation_id: str, sentiment: bool = True, verbose: bool = False) -> list[dict]:
        params = {"sentiment": _wire_value(sentiment), "verbose": _wire_value(verbose)}
        return self._list(conversation_id, "messages", "messages", params)

    def get_topics(
        self, conversation_id: str, sentiment: bool = True, parent_refs: bool = True
    ) -> list[dict]:
        params = {"sentiment": _wire_value(sentiment), "parentRefs": _wire_value(parent_refs)}
        return self._list(conversation_id, "topics", "topics", params)

    def get_questions(self, conversation_id: str) -> list[dict]:
        return self._list(conversation_id, "questions", "questions")

    def get_action_items(self, conversation_id: str) -> list[dict]:
        return self._list(conversation_id, "action-items", "actionItems")

    def get_follow_ups(self, conversation_id: str) -> list[dict]:
        return self._list(conversation_id, "follow-ups", "followUps")

    def get_decisions(self, conversation_id: str) -> list[dict]:
        """`GET …/decisions`: our engine's extension (README); a Symbl host without it answers 404."""
        return self._list(conversation_id, "decisions", "decisions")

    def get_members(self, conversation_id: str) -> list[dict]:
        return self._list(conversation_id, "members", "members")

    def get_summary(self, conversation_id: str, refresh: bool = False) -> list[dict]:
        """`GET …/summary`: `[{id, text, messageRefs: [{id}]}]`; NotFound while the conversation's job
        runs."""
        params = {"refresh": _wire_value(refresh)} if refresh else None
        return self._list(conversation_id, "summary", "summary", params)

    def get_analytics(self, conversation_id: str) -> dict:
        """`GET …/analytics` (contract §5.10): `{metrics: [...], members: [...]}`, talk time per member."""
        what = f"reading analytics of conversation {conversation_id}"
        body = self._call("GET", f"/v1/conversations/{_seg(conversation_id)}/analytics", what)
        if not isinstance(body, dict) or not isinstance(body.get("members"), list):
            raise ProviderUnavailable(f"{what}: the answer carries no 'members' list")
        return body

    def get_conversation(self, conversation_id: str) -> dict:
        what = f"reading conversation {conversation_id}"
        body = self._call("GET", f"/v1/conversations/{_seg(conversation_id)}", what)
        if not isinstance(body, dict):
            raise ProviderUnavailable(f"{what}: the answer is not a JSON object")
        return body

    def delete_conversation(self, conversation_id: str) -> None:
        # Not in the official SDK (contract §5.15); our engine and the Symbl REST API both offer it.
        self._call(
            "DELETE", f"/v1/conversations/{_seg(conversation_id)}", f"deleting conversation {conversation_id}"
        )

    def put_member(self, conversation_id: str, member_id: str, name: str, email: str | None = None) -> str:
        """`PUT …/members/{memberId}` (contract §5.14): the member's name and e-mail, which the host also
        writes into the messages and insights that name the member. The answer's `message`.

        NotFound: the host knows no such conversation or member, or (a Symbl-compatible host without the
        endpoint) no such route. A PUT of the same body twice ends the same, so reads are retried."""
        what = f"renaming member {member_id} of conversation {conversation_id}"
        body = {"id": member_id, "name": name, **({"email": email} if email else {})}
        path = f"/v1/conversations/{_seg(conversation_id)}/members/{_seg(member_id)}"
        answer = self._call("PUT", path, what, json=body)
        message = answer.get("message") if isinstance(answer, dict) else None
        if not isinstance(message, str):
            raise ProviderUnavailable(f"{what}: the answer carries no message")
        return message

    def fetch_insights(self, conversation_id: str) -> dict[str, Any]:
        """Everything a summary needs, keyed as on the wire; with `language` and `warnings` when the host
        reports them (our engine's extension of the conversation's metadata, contract §5.8)."""
        return {
            "messages": self.get_messages(conversation_id, sentiment=True, verbose=False),
            "topics": self.get_topics(conversation_id, sentiment=True, parent_refs=True),
            **{
                kind.key: self._list_if_offered(conversation_id, kind)
                for kind in insight_kinds.KINDS
                if kind.key != "topics"
            },
            "members": self.get_members(conversation_id),
            "summary": self._summary_if_offered(conversation_id),
            "analytics": self._analytics_if_offered(conversation_id),
            **self._language_if_offered(conversation_id),
        }

    def _language_if_offered(self, conversation_id: str) -> dict[str, Any]:
        # Only adds to the note: a Symbl host without these fields, or one failing to answer, gets the note
        # without them (the note then tells the language from the words, bot.language).
        try:
            metadata = self.get_conversation(conversation_id)
        except ProviderError:
            return {}
        facts: dict[str, Any] = {}
        if isinstance(metadata.get("language"), str) and metadata["language"]:
            facts["language"] = metadata["language"]
        warnings = metadata.get("warnings")
        if isinstance(warnings, list) and all(isinstance(w, str) for w in warnings):
            facts["warnings"] = warnings
        return facts

    def _list_if_offered(self, conversation_id: str, kind: insight_kinds.InsightKind) -> list[dict]:
        # Our extensions (decisions) are not on every Symbl-compatible host: a 404 there means none.
        try:
            return self._list(conversation_id, kind.path, kind.key)
        except NotFound:
            if kind.symbl:
                raise
            return []

    def _analytics_if_offered(self, conversation_id: str) -> dict:
        # Talk time only adds to the note: a host that does not measure it (or answers it badly) gets the
        # note without it.
        try:
            return self.get_analytics(conversation_id)
        except (NotFound, AuthenticationError, BadRequest, ProviderUnavailable):
            return {}

    def _summary_if_offered(self, conversation_id: str) -> list[dict]:
        # A Symbl host without the Summary API (or an app without access to it) still gets a note.
        try:
            return self.get_summary(conversation_id)
        except (NotFound, AuthenticationError, BadRequest):
            return []


def _seg(value: str) -> str:
    """A path segment, percent-encoded with no safe characters as the SDK does (contract §1.1)."""
    return quote(str(value), safe="")
