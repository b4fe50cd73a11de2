"""Logging for `symbl-bot serve`: plain text or JSON lines, with secrets masked in every record.

`SYMBL_BOT_LOG_FORMAT=json` writes one JSON object per line (ts, level, logger, message, and exc when an
exception is attached), for log shippers. Whatever the format, `RedactingFilter` on the handler masks Slack
tokens (xoxb-/xoxp-/xoxa-/xoxr-/xoxe-/xapp-), bearer and basic credentials, Authorization headers, Slack
response URLs and webhook URLs (`hooks.slack.com/…`, `response_url=`, `webhookUrl`), and the configured
secrets themselves (signing secret, client secret, Symbl and engine app secrets), in the message,
its arguments and any traceback.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO

from bot.config import Settings


@contextmanager
def silenced(name: str) -> Iterator[None]:
    """No records from logger `name` inside the block: for a start-up step whose failure the caller reports
    itself, in one line (the CLI's `Error:`), which the library's own ERROR lines would only repeat."""
    logger = logging.getLogger(name)
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


MASK = "[redacted]"
# (pattern, replacement): tokens by their prefixes, then credentials by the name they travel under.
_RULES = (
    (re.compile(r"\bxox[abposre]-[A-Za-z0-9-]+"), MASK),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), MASK),
    (re.compile(r"(?i)\b(bearer|basic) +[A-Za-z0-9._~+/=-]+"), r"\1 " + MASK),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\",}\n]+"), r"\1" + MASK),
    (
        re.compile(
            r"(?i)((?:x-api-key|client_secret|appSecret|accessToken|signing_secret)['\"]?\s*[:=]\s*['\"]?)"
            r"[^'\",}&\s]+"
        ),
        r"\1" + MASK,
    ),
    # Capability URLs: whoever has a response_url or a webhook URL can post with it (its path is the secret).
    (re.compile(r"(?i)(https?(?::|%3A)(?:/|%2F){2}hooks\.slack\.com(?:/|%2F))[^\s'\"&,}]+"), r"\1" + MASK),
    (
        re.compile(r"(?i)((?:response_url|webhookUrl|webhook_url)['\"]?\s*[:=]\s*['\"]?)[^'\",}&\s]+"),
        r"\1" + MASK,
    ),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every configured secret and anything shaped like a credential replaced by MASK."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message, arguments and traceback before any handler formats it."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        super().__init__()
        # Short values would mask ordinary words; real secrets are long.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


# C0 and C1 controls and Unicode line separators, bar tab: in a message they would end its line and start a
# forged one (a request path with %0A, a file name, anything a client chose).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT, one line per record whatever the message holds; a traceback keeps its own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class ThrottledLogger:
    """What waitress's task dispatcher logs the queue depth with: one line per `interval`, the rest counted.

    Waitress logs "Task queue depth is N" on its I/O thread for every request that finds all worker threads
    busy. A burst of Slack events queues by design, and a record built, redacted and written per queued
    request delays reading and acking the others; a logging.Filter would still build every record first.
    The depth stays visible, once a minute, with how many lines were held back.
    """

    def __init__(self, logger: logging.Logger, interval: float, clock: Callable[[], float] = time.monotonic):
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._held_back = 0

    def warning(self, msg: str, *args: object) -> None:
        with self._lock:
            now = self.clock()
            if now < self._next_at:
                self._held_back += 1
                return
            self._next_at = now + self.interval
            held_back, self._held_back = self._held_back, 0
        if held_back:
            msg = f"{msg} ({held_back} more like this since the last one)"
        self.logger.warning(msg, *args)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def secrets_of(settings: Settings) -> list[str | None]:
    return [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.slack_client_secret,
        settings.symbl_app_secret,
        settings.engine_app_secret,
    ]


def handler_for(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter(TEXT_FORMAT))
    handler.addFilter(RedactingFilter(secrets_of(settings)))
    return handler


def configure(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Replace the root logger's handlers with one redacting handler in the configured format."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = handler_for(settings, stream)
    root.addHandler(handler)
    root.setLevel(getattr(logging, settings.log_level, logging.INFO))
    return handler
