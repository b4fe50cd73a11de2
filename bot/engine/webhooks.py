"""The engine's webhook POSTs (contract §3.7): `{"jobId", "status"}` to a job's `webhookUrl` on every status
change, one POST each, failures logged and dropped.

What is owed comes from the store's outbox (`job_notices`, written with each status change): `NoticeSender`,
one thread per engine node (API or worker), claims the unsent notices, POSTs them, and marks each sent after
its POST. A node killed between a job's commit and its POST leaves the notice to any other node's sender once
the claim ends, so a webhook may arrive twice but is never lost; receivers treat it as a hint to read the job.

Senders: a small pool (`Settings.webhook_senders`), each tenant's (appId's) POSTs one after another in the
order the statuses happened, different tenants side by side. Why (issue 21, finding 5): with one sender, a
tenant whose endpoint answered slowly held every other tenant's webhooks behind it. Each POST is bounded by
`Settings.webhook_deadline_seconds` (bot.net's deadline), so a slow endpoint holds one sender for that long
at most, and only its own tenant's later POSTs wait for it.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from bot.config import Settings
from bot.engine.store import Notice
from bot.errors import BotError
from bot.net import parse, post_json

log = logging.getLogger(__name__)

CONNECT_AND_READ_SECONDS = (2.0, 5.0)


class SerialPerKey:
    """Runs tasks on a pool of `workers` threads: tasks of one key in submission order, one at a time; tasks
    of different keys side by side. A key holds at most one thread, so `workers` slow keys are needed to
    delay anyone else."""

    def __init__(self, workers: int, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Callable[[], None]]] = {}

    def submit(self, key: str, task: Callable[[], None]) -> None:
        """Queue `task` after `key`'s earlier ones. Raises RuntimeError once shut down."""
        with self._lock:
            queue = self._queues.get(key)
            if queue is not None:  # a thread is draining this key: it will run the task in turn
                queue.append(task)
                return
            self._queues[key] = deque([task])
        try:
            self._pool.submit(self._drain, key)
        except RuntimeError:
            with self._lock:
                del self._queues[key]
            raise

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _drain(self, key: str) -> None:
        while True:
            with self._lock:
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    return
                task = queue.popleft()
            try:
                task()
            except Exception:  # a task's failure must not strand the key's later tasks
                log.exception("task for %s failed", key)


class WebhookSender:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._senders = SerialPerKey(settings.webhook_senders, "engine-webhook")

    def send(self, tenant: str, url: str, job_id: str, status: str, *, then: Callable[[], None]) -> None:
        """Queue the POST for `tenant` (the job's appId) and `then` after it, delivered or not; dropped once
        the sender is shut down."""

        def post_then() -> None:
            self._post(url, job_id, status)
            then()

        try:
            self._senders.submit(tenant, post_then)
        except RuntimeError:  # shut down meanwhile
            pass

    def shutdown(self) -> None:
        self._senders.shutdown()

    def _post(self, url: str, job_id: str, status: str) -> None:
        """One POST, checked and pinned now (the name may resolve elsewhere than at submission); failures
        are logged with the host only, since webhook URLs often carry a secret in their path or query."""
        payload = json.dumps({"jobId": job_id, "status": status}).encode()
        try:
            post_json(
                url,
                payload,
                allow_private=self._settings.allow_private_urls,
                timeout=CONNECT_AND_READ_SECONDS,
                deadline=self._settings.webhook_deadline_seconds,
            )
        except BotError as err:
            log.info("webhook to %s for job %s (%s) not delivered: %s", _host_only(url), job_id, status, err)


class NoticeSender:
    """Drains the store's outbox through a `WebhookSender` until stopped: at once when `due()` is called
    (this node committed a status change), and on a shared database also every `POLL_SECONDS` (another
    node's commit, or a notice whose sender died). A database this process owns has no other writer: it
    looks again only when told, or after `OWN_DATABASE_SECONDS` (a notice whose claim a killed earlier run
    left), so an idle engine does not write to its SQLite file every second."""

    POLL_SECONDS = 1.0
    OWN_DATABASE_SECONDS = 60.0

    def __init__(self, store: NoticeOutbox, settings: Settings) -> None:
        self._store = store
        self._idle_seconds = self.POLL_SECONDS if store.shared else self.OWN_DATABASE_SECONDS
        self._webhooks = WebhookSender(settings)
        # Held while the POST waits behind its tenant's earlier ones and runs: then another sender may retry.
        self._claim_seconds = 2 * settings.webhook_deadline_seconds + 30.0
        self._due = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="engine-notices", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def due(self) -> None:
        self._due.set()

    def stop(self) -> None:
        self._stop.set()
        self._due.set()
        self._thread.join(5)
        self._webhooks.shutdown()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._due.clear()
            try:
                notices = self._store.claim_notices(self._claim_seconds)
            except Exception:  # a database hiccup: the next round tries again, nothing is lost
                log.exception("reading the webhook outbox failed")
                notices = []
            for notice in notices:
                sent = functools.partial(self._store.notice_sent, notice.id)
                self._webhooks.send(notice.owner, notice.url, notice.job_id, notice.status, then=sent)
            if not notices:
                self._due.wait(self._idle_seconds)


class NoticeOutbox(Protocol):
    """What `NoticeSender` needs of bot.engine.store.Store."""

    shared: bool  # whether other processes write to the database

    def claim_notices(self, seconds: float) -> list[Notice]: ...

    def notice_sent(self, notice_id: int) -> None: ...


def _host_only(url: str) -> str:
    try:
        return parse(url).host or "?"
    except BotError:
        return "?"
