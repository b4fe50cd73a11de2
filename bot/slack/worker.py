"""The background worker process: the scheduler and its steps, housekeeping, retention, the embedded engine.

Started (spawned) and supervised by the web process (bot.slack.ops.supervisor) when
`SYMBL_BOT_BACKGROUND=process`, the default for `symbl-bot serve`. It answers no Slack request, so its CPU
priority is lowered: it has no deadline, and acks do. Over its pipe (bot.slack.ops.worker_link) it turns the
web process's wakes into ticks and reports its state (scheduler, disk, engine URL) every `REPORT_SECONDS`.

It stops on SIGTERM (the poller waits for the steps under way) and when the web process is gone (nobody
would supervise it): its pipe closes, its pid is no longer our parent's, and on Linux the kernel sends
SIGTERM. Every stop is bounded (`STOP_SECONDS`, bot.slack.ops.lifeline): a step that never ends cannot keep
an orphan, and its scheduler lease, alive. SIGINT is ignored: Ctrl-C in a terminal reaches the whole process
group, and the web process stops it in order.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import socket
import sqlite3
import threading
from typing import Any

from bot import logs
from bot.config import Settings
from bot.slack.background import Background, build_background, slack_client, symbl_client
from bot.slack.ops import lifeline, worker_link
from storage import BotStore, open_store

log = logging.getLogger(__name__)

NICENESS = 10  # added to the web process's: the scheduler yields the CPU to acks
REPORT_SECONDS = 1.0
# The web process leaves WAL checkpoints to us (its acks must not wait for one): our own commits checkpoint
# past SQLite's 1,000 pages, and this bounds the WAL while we write nothing and the web process does.
CHECKPOINT_EVERY_REPORTS = 5
# An orderly stop (the poller waiting for steps under way) gets this long, then the process exits regardless.
# Shorter than the supervisor's SIGKILL deadline, so a worker the web process stops ends by itself.
STOP_SECONDS = 8.0


def run(settings: Settings, link: socket.socket, parent_pid: int) -> None:
    """The worker's main (a multiprocessing "spawn" target): build the background, run it until stopped.
    `parent_pid` is the web process's (the worker must not outlive it)."""
    # First, before any thread exists: on Linux a thread's nice value is its own, and new threads inherit it.
    os.nice(NICENESS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stopping = lifeline.Stopping(STOP_SECONDS, "the background worker")
    lifeline.on_stop_signals(stopping.set, signal.SIGTERM)  # also the parent-death signal
    if not lifeline.die_with_parent(parent_pid):
        return  # the web process died while we started
    logs.configure(settings)
    store, background, engine_url = _build(settings)
    try:
        threading.Thread(
            target=_obey, args=(link, background, stopping), name="worker-link", daemon=True
        ).start()
        background.start()
        reports = 0
        while _report(link, background, engine_url) and not stopping.wait(REPORT_SECONDS):
            if lifeline.parent_gone(parent_pid):
                break
            reports += 1
            if reports % CHECKPOINT_EVERY_REPORTS == 0:
                _checkpoint(store)
    finally:
        _stop(store, background, stopping)
        link.close()


def _build(settings: Settings) -> tuple[BotStore, Background, str | None]:
    store = open_store(settings.bot_database)
    symbl, engine = symbl_client(settings)
    background = build_background(settings, store, symbl, slack_client(settings), engine)
    return store, background, engine.url if engine is not None else None


def run_alone(settings: Settings) -> None:
    """`symbl-bot worker`: the background without a web server, until SIGTERM or Ctrl-C.

    For a shared PostgreSQL database (SYMBL_BOT_DATABASE_URL): any number of these, on any machines, claim
    recordings beside the web processes' own workers. Over SQLite it contests `scheduler.lock` like any other
    process (so it polls only while no other process does)."""
    stopping = lifeline.Stopping(STOP_SECONDS, "the background worker")
    lifeline.on_stop_signals(stopping.set, signal.SIGTERM, signal.SIGINT)
    logs.configure(settings)
    store, background, engine_url = _build(settings)
    try:
        background.start()
        log.info("background worker running (%s, engine %s)", background.owner.state, engine_url or "remote")
        ticks = 0
        while not stopping.wait(REPORT_SECONDS):
            ticks += 1
            if ticks % CHECKPOINT_EVERY_REPORTS == 0:
                _checkpoint(store)
    finally:
        _stop(store, background, stopping)


def _stop(store: BotStore, background: Background, stopping: lifeline.Stopping) -> None:
    """In order, and bounded (`STOP_SECONDS` from when the stop was asked for, or from now): a step that
    never ends cannot keep the process alive."""
    log.info("background worker stopping")
    stopping.set()
    background.stop()
    background.services.interactive.shutdown(wait=False, cancel_futures=True)
    store.close()


def _obey(link: socket.socket, background: Background, stopping: lifeline.Stopping) -> None:
    """Turn the web process's messages into the poller's calls; the pipe closing means it is gone: stop."""
    while (message := worker_link.receive(link)) is not None:
        op = message.get("op")
        if op == "wake":
            background.poller.wake()
        elif op == "poll_now":
            background.poller.poll_now(int(message["id"]))
    stopping.set()


def _checkpoint(store: BotStore) -> None:
    """Copy what the WAL holds into the database without blocking anyone (PASSIVE). SQLite's only: the
    PostgreSQL server checkpoints by itself."""
    if store.dialect != "sqlite":
        return
    try:
        with store.read() as db:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error as err:  # busy or the like: the next one catches up
        log.info("WAL checkpoint skipped: %s", err)


def _report(link: socket.socket, background: Background, engine_url: str | None) -> bool:
    """Send the state to the web process; False when it can no longer be reached."""
    state: dict[str, Any] = dataclasses.asdict(background.state())
    try:
        return worker_link.send(link, {"op": "state", "state": state, "engine_url": engine_url})
    except OSError:
        return False
