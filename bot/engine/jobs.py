"""The engine server's job queue: worker threads that run submissions through the engine, in order.

The queue lives in the engine's database (`bot.engine.store`: SQLite, or PostgreSQL shared by several
engine nodes), not in memory: a job is `scheduled` once its row is committed, and a worker claims it by
flipping it to `in_progress` under a lease in one statement. While the job runs a heartbeat renews the lease,
and the job's end is written only while this worker still holds it. A killed worker's job is taken over by
any worker once its lease expires (`SYMBL_ENGINE_LEASE_SECONDS`); on SQLite, whose one process owns the
file, jobs a killed process left `in_progress` go back to `scheduled` at the next start without waiting.
Appends to one conversation run one after another in submission order; each places its messages after the
conversation's current end and re-runs the insights over the whole conversation (contract §3.3).

A full disk while the engine downloads a URL job's media is transient: the partial file is removed, the job
stays `in_progress` and is tried again after a doubling wait, `STORAGE_TRIES` times in all (about 7.5
minutes), then fails saying the disk is full. A media store (S3) that does not answer is treated the same.
Bounded because a client polling the job, or a person waiting for a note, would rather read "the server's disk
is full" within minutes than watch a job that never ends; retried because the engine frees space itself (every
finished job's media is deleted) and an operator may too. `storage_full_at` (cleared by the next download that
fits) is what the server's /healthz reports.

A job's input lives in the media store (`bot.engine.media`: local disk, or S3 with SYMBL_ENGINE_MEDIA_URL):
a URL job's download is kept there like an upload, the job reads a local copy, and the stored media is
deleted when the job ends, completed or failed.

Every status change is announced to in-process listeners (`on_job_status`, how an embedded bot learns of
completion at once). The store writes its notices in the status change's own transaction: a webhook owed to
the submission's `webhookUrl` (sent by any node's `NoticeSender`, bot.engine.webhooks: one POST, errors
ignored, contract §3.7) and, on PostgreSQL, a NOTIFY for a bot on the same database.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from bot.config import Settings
from bot.engine import text_messages
from bot.engine.language_check import Transcript
from bot.engine.media import MediaStore
from bot.engine.options import ProcessOptions
from bot.engine.store import Job, LeaseLost, Store
from bot.engine.text_messages import to_symbl_messages
from bot.engine.webhooks import NoticeSender
from bot.engine.wire_options import to_process_options
from bot.errors import BotError, MediaStoreError, StorageFull
from bot.net import download

log = logging.getLogger(__name__)

IDLE_WAKEUP_SECONDS = 5.0  # a safety net: submissions wake workers at once through the condition
STORAGE_TRIES = 5  # downloads of a URL job tried on a full disk before it fails
STORAGE_RETRY_SECONDS = 30.0  # the first wait after a full disk, doubled after each try: 30 s … 4 min
# A staging file or local copy not written for this long belongs to a process that died (an upload's bytes
# keep arriving, and a copy is read for at most one job's run); looked for at start and then this often.
SPOOL_STALE_SECONDS = 6 * 3600.0
SPOOL_SWEEP_EVERY_SECONDS = 3600.0


def crashed_job_message(starts: int) -> str:
    """Why a job that was running at `starts` engine deaths (Settings.engine_max_starts) is not tried again:
    a recording that crashes the decoder must not crash a worker at every start."""
    times = "twice" if starts == 2 else f"{starts} times"
    return (
        f"The engine stopped {times} while processing this recording, so it is not tried again: the file "
        "may be damaged or in a form the decoder cannot handle. Convert it (for example to a mono WAV or "
        "MP3) and submit it again."
    )


class SpeechEngine(Protocol):
    """What the queue needs from `bot.engine.core.Engine` (tests may inject a faster stand-in)."""

    def process(
        self,
        media_path: Path,
        options: ProcessOptions,
        *,
        conversation_id: str,
        start_time: datetime,
        time_offset: float = 0.0,
        max_duration_seconds: float,
        progress: Callable[[str, float], None] | None = None,
    ) -> list[dict]: ...


Analyzer = Callable[..., dict]


@dataclass(frozen=True)
class JobEvent:
    job_id: str
    conversation_id: str
    status: str
    message: str | None = None


StatusListener = Callable[[JobEvent], None]


def conversation_end(messages: list[dict]) -> float:
    """Seconds from the conversation's start to the end of its last message (where an append goes)."""
    ends = [float(m.get("timeOffset", 0.0)) + float(m.get("duration", 0.0)) for m in messages]
    return max(ends, default=0.0)


class JobQueue:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        engine: SpeechEngine,
        analyze: Analyzer,
        *,
        media: MediaStore,
        workers: int | None = None,
    ):
        self._store = store
        self._settings = settings
        self._engine = engine
        self._analyze = analyze
        self._media = media
        self._workers = max(0, settings.engine_workers if workers is None else workers)  # 0: an API node
        self._wakeup = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        # This process's name on the leases it holds (one per worker thread: `<id>/w<n>`).
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lease_seconds = settings.engine_lease_seconds
        self._max_starts = settings.engine_max_starts
        self._crashed_message = crashed_job_message(self._max_starts)
        self._heartbeat_stop = threading.Event()
        self._running: dict[str, str] = {}  # the jobs this process's workers run: job id → lease owner
        self._running_lock = threading.Lock()
        self._listeners: list[StatusListener] = []
        self._listeners_lock = threading.Lock()
        self._notices = NoticeSender(store, settings)
        # When a download (or, set by the server, an upload) last failed for a full disk; None once one fits.
        self.storage_full_at: float | None = None
        self._spool_swept_at = 0.0

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        if not self._store.shared:  # on a shared database other nodes' jobs run: their leases expire instead
            self._requeue_interrupted()
            try:  # no other process is about to delete any of it
                self._sweep_media(ended_before=time.time())
            except Exception:  # the media store did not answer: the heartbeat looks again
                log.exception("deleting the media a killed engine left failed")
        self._sweep_spool()
        for n in range(self._workers):
            lease_owner = f"{self.id}/w{n + 1}"
            thread = threading.Thread(
                target=self._work, args=(lease_owner,), name=f"engine-worker-{n + 1}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        threading.Thread(target=self._heartbeat, name="engine-lease-heartbeat", daemon=True).start()
        self._notices.start()

    def _requeue_interrupted(self) -> None:
        resumed, failed = self._store.requeue_interrupted(self._max_starts, self._crashed_message)
        if resumed:
            log.info("resuming %d interrupted job(s): %s", len(resumed), ", ".join(resumed))
        self._crashed([job for job in map(self._store.job, failed) if job is not None])

    def _crashed(self, jobs: list[Job]) -> None:
        for job in jobs:
            log.warning(
                "job %s was running at %d engine stops: failed, not resumed", job.id, self._max_starts
            )
            self._discard_media(job)
            self.announce(job, "failed", self._crashed_message)

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop taking jobs; True when every worker finished within `timeout`.

        A job still running stays `in_progress` in the database and resumes at the next start.
        """
        self._stopping.set()
        with self._wakeup:
            self._wakeup.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._heartbeat_stop.set()
        with self._running_lock:
            running = sorted(self._running.items())
        # A clean stop is not a crash: the jobs it interrupts keep the start it cost them.
        for job_id, lease_owner in running:
            self._store.release_interrupted(job_id, lease_owner)
        self._notices.stop()  # notices not yet sent stay in the outbox for the next node to send
        return not any(t.is_alive() for t in self._threads)

    # --- notifications -----------------------------------------------------------------------------

    def on_job_status(self, listener: StatusListener) -> Callable[[], None]:
        """Call `listener(JobEvent)` after every status change is committed; returns an unsubscribe function.

        Listeners run on the worker (or request) thread that changed the status: keep them short.
        """
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def announce(self, job: Job, status: str, message: str | None = None) -> None:
        event = JobEvent(job.id, job.conversation_id, status, message)
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("job status listener failed for job %s", job.id)
        if job.webhook_url:
            self._notices.due()

    def submitted(self, job: Job) -> None:
        self.announce(job, "scheduled")
        with self._wakeup:
            self._wakeup.notify()

    # --- work --------------------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        """Three times a lease, until the workers have stopped: renew the leases of this process's running
        jobs, end any job whose workers died `engine_max_starts` times (its lease expired; claims skip it),
        and delete media that died workers left behind."""
        while not self._heartbeat_stop.wait(self._lease_seconds / 3):
            with self._running_lock:
                running = list(self._running.items())
            for job_id, lease_owner in running:
                try:
                    renewed = self._store.renew(job_id, lease_owner, self._lease_seconds)
                except Exception:  # a database hiccup: the next beat tries again, well within the lease
                    log.exception("renewing the lease on job %s failed", job_id)
                    continue
                with self._running_lock:
                    still_running = self._running.get(job_id) == lease_owner
                if not renewed and still_running:  # else it just ended here, which also ends the lease
                    log.warning(
                        "job %s: lease lost to another worker; its result will not be written", job_id
                    )
            # After the renewals, which must not wait behind a slow media store.
            try:
                self._crashed(self._store.fail_crashed(self._max_starts, self._crashed_message))
                self._sweep_media()
            except Exception:  # a database or media store hiccup: the next beat looks again
                log.exception("looking for crashed jobs or uncleared media failed")
            self._sweep_spool()

    def _sweep_spool(self) -> None:
        """Now and then, delete the staging files and local copies that dead processes left on this disk."""
        if time.time() - self._spool_swept_at < SPOOL_SWEEP_EVERY_SECONDS:
            return
        self._spool_swept_at = time.time()
        try:
            removed = self._media.sweep_local(untouched_since=time.time() - SPOOL_STALE_SECONDS)
        except OSError:
            log.exception("deleting stale staging files failed")
            return
        if removed:
            log.info("deleted %d staging file(s) or local copies a stopped process left", removed)

    def _work(self, lease_owner: str) -> None:
        while not self._stopping.is_set():
            job = self._store.claim(lease_owner, self._lease_seconds, self._max_starts)
            if job is None:
                retry_in = self._store.seconds_to_next_retry()
                with self._wakeup:
                    self._wakeup.wait(min(IDLE_WAKEUP_SECONDS, retry_in if retry_in is not None else 1e9))
                continue
            if not job.tries:  # a retried job was announced in_progress when it first started
                self.announce(job, "in_progress")
            with self._running_lock:
                self._running[job.id] = lease_owner
            try:
                self._run(job, lease_owner)
            except LeaseLost as err:  # it stalled past its lease: the worker that took the job over ends it
                log.warning("%s", err)
            finally:
                with self._running_lock:
                    self._running.pop(job.id, None)
                if self._stopping.is_set():  # left in_progress by a clean stop (see stop())
                    self._store.release_interrupted(job.id, lease_owner)
            # A finished job may unblock the next append of its conversation for another worker.
            with self._wakeup:
                self._wakeup.notify_all()

    def _run(self, job: Job, lease_owner: str) -> None:
        """Run the job and write its end, fenced by `lease_owner`'s lease (LeaseLost: someone else's now)."""
        try:
            stored = self._process(job, lease_owner)
        except LeaseLost:
            raise
        except StorageFull:
            self.storage_full_at = time.time()
            self._retry_later(
                job, lease_owner, "the disk is full",
                lambda tries: f"The engine's disk is full: the recording could not be downloaded ({tries} "
                "tries). Free space on the server, then submit it again.",
            )  # fmt: skip
            return
        except MediaStoreError as err:  # the bucket did not answer: as transient as a full disk
            reason = str(err)
            self._retry_later(
                job, lease_owner, "the media store is unavailable",
                lambda tries: f"{reason} The engine tried {tries} times over several minutes; submit the "
                "recording again later.",
            )  # fmt: skip
            return
        except BotError as err:
            self._fail(job, lease_owner, _without_internal_names(str(err), job))
        except Exception as err:  # an engine bug must fail the job, not kill the worker
            log.exception("job %s failed unexpectedly", job.id)
            self._fail(job, lease_owner, f"The engine failed unexpectedly ({err.__class__.__name__}).")
        else:
            self._discard_media(job)
            if stored:
                self.announce(job, "completed")
            else:
                log.info("conversation %s was deleted while job %s ran", job.conversation_id, job.id)

    def _retry_later(self, job: Job, lease_owner: str, why: str, final_message: Callable[[int], str]) -> None:
        """Try the job again after a doubling wait, STORAGE_TRIES times in all; then fail it with
        `final_message(tries)`."""
        tries = job.tries + 1
        if tries >= STORAGE_TRIES:
            self._fail(job, lease_owner, final_message(tries))
            return
        if self._stopping.is_set():
            return  # left in_progress: it resumes at the next start
        delay = STORAGE_RETRY_SECONDS * 2 ** (tries - 1)
        self._store.retry_later(job.id, time.time() + delay, lease_owner)
        log.warning("job %s: %s; try %d of %d in %.0f s", job.id, why, tries + 1, STORAGE_TRIES, delay)

    def _fail(self, job: Job, lease_owner: str, message: str) -> None:
        if self._stopping.is_set():
            return  # interrupted by shutdown: leave it in_progress so it resumes
        self._store.finish_job(job.id, "failed", message, lease_owner=lease_owner)
        self._discard_media(job)
        self.announce(job, "failed", message)

    def _discard_media(self, job: Job) -> None:
        """A finished job's recording bytes are not needed again (appends re-use the transcript, not the
        audio), so they are deleted unless SYMBL_BOT_KEEP_AUDIO is set. Interrupted jobs keep theirs to
        resume."""
        if self._settings.keep_audio:
            return
        refs = [job.media_path] if job.media_path else []
        refs.append(self._media.ref(job.conversation_id, _download_name(job)))
        for ref in refs:
            self._media.delete(ref)
        self._store.media_cleared(job.id)

    def _sweep_media(self, ended_before: float | None = None) -> None:
        """Delete what a worker killed between a job's end and `_discard_media` left in the media store
        (the store's copy of an upload, in S3 perhaps): by default of jobs that ended over a lease ago, so no
        worker is still about to."""
        if self._settings.keep_audio:
            return
        if ended_before is None:
            ended_before = time.time() - self._lease_seconds
        for job in self._store.uncleared_media(ended_before=ended_before):
            self._discard_media(job)

    def _process(self, job: Job, lease_owner: str) -> bool:
        conversation = self._store.conversation(job.conversation_id)
        if conversation is None:
            return False
        options = to_process_options(job.options)
        start_time = datetime.fromisoformat(conversation["start_time"].replace("Z", "+00:00"))
        earlier = conversation["messages"]
        if job.source == "text":
            assert job.media_path is not None
            with self._media.local_copy(job.media_path) as stored_text:
                text = stored_text.read_text()
            new = to_symbl_messages(
                text_messages.loads(text),
                conversation_id=job.conversation_id,
                start_time=start_time,
                time_offset=conversation_end(earlier),
                taken_ids=frozenset(str(m.get("id")) for m in earlier),
            )
        else:
            ref = job.media_path or self._download(job)
            with self._media.local_copy(ref) as media:
                new = self._engine.process(
                    media,
                    options,
                    conversation_id=job.conversation_id,
                    start_time=start_time,
                    time_offset=conversation_end(earlier),
                    max_duration_seconds=self._settings.max_duration_seconds,
                )
        heard = new.heard if isinstance(new, Transcript) else None  # what was heard of its language
        result = self._analyze(earlier + new, reference_time=start_time, options=options, heard=heard)
        return self._store.complete_job(job, result, lease_owner=lease_owner)

    def _download(self, job: Job) -> str:
        """Download a URL job's media into the media store; its reference."""
        assert job.url is not None
        name = _download_name(job)
        staged = download(
            job.url,
            self._media.staging(job.conversation_id, name),
            max_bytes=self._settings.max_file_bytes,
            deadline=self._settings.download_deadline_seconds,
            allow_private=self._settings.allow_private_urls,
        ).path
        self.storage_full_at = None  # it fitted: the disk has room again
        return self._media.keep(staged, job.conversation_id, name)


def _download_name(job: Job) -> str:
    return f"{job.id}.download"


def _without_internal_names(message: str, job: Job) -> str:
    """A job's failure as its submitter reads it: the engine's own file names (the stored upload, a download
    named after the job id) become the recording's name, or "The recording"."""
    name = job.options.get("name") if isinstance(job.options, dict) else None
    label = str(name) if name else "The recording"
    internal = [Path(job.media_path).name] if job.media_path else []
    internal.append(_download_name(job))
    for file_name in internal:
        message = message.replace(file_name, label)
    return message
