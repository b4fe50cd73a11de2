"""Operations under attack or trouble (issue 12 items 7 and 8): a full disk, a database locked by another
process, what /healthz discloses, a long file-name extension, and secrets in webhook/response URLs and signed
links in logs.

The full disk is real: a 256 KiB tmpfs mounted on the bot's download directory (root only; skipped elsewhere).
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import threading

import pytest
import requests

from bot.logs import RedactingFilter
from tests.slack_fakes import bot_settings, deliver, event_envelope, file_share_event, running_bot, wait_for
from tests.suite_support import BotProcess, bot_env, free_port
from tests.support import disk
from tests.support.drip import DripServer
from tests.support.wait import wait_until

CHANNEL = "C0OPS"
AUDIO = b"ID3" + b"\x00" * (1024 * 1024)  # 1 MiB: larger than the tiny disk


@pytest.fixture
def tiny_disk(tmp_path):
    with disk.tiny_disk(tmp_path / "data" / "downloads") as mounted:
        yield mounted.mount_point


def test_a_full_disk_is_transient_with_backoff_leaves_no_partial_file_and_shows_in_healthz(
    tmp_path, tiny_disk, fake_slack, stub_symbl
):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    ts = "1701100000.000100"
    with running_bot(settings) as (app, url):
        file = fake_slack.add_file("FD1", "standup.mp3", AUDIO)
        assert deliver(url, event_envelope(file_share_event(file, channel=CHANNEL, ts=ts))).ok
        row = wait_for(lambda: (r := next(iter(app.store.read().__enter__()["recordings"].rows), None))
                       and r["attempts"] >= 1 and r)  # fmt: skip
        health = requests.get(url + "/healthz", timeout=5)
        downloads = len(fake_slack.calls_to("/files/FD1/standup.mp3"))
    assert row["state"] == "queued" and "disk is full" in (row["error"] or "")
    assert list(tiny_disk.iterdir()) == []  # the partial file was removed
    assert downloads <= 2  # backoff: not re-downloaded every tick
    assert health.status_code == 503 and health.json()["disk"]["ok"] is False


def test_healthz_answers_while_another_process_holds_the_database_and_names_no_path(
    tmp_path, fake_slack, stub_symbl
):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    with running_bot(settings) as (_app, url):
        before = requests.get(url + "/healthz", timeout=5)
        holder = subprocess.Popen(
            [sys.executable, "-c", (
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30);"
                "c.execute('BEGIN IMMEDIATE'); c.execute('CREATE TABLE IF NOT EXISTS _lock_probe (x)');"
                "print('locked', flush=True); sys.stdin.readline()"
            ), str(settings.bot_db_path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert holder.stdout.readline().strip() == "locked", holder.stderr.read()
            # A delivery makes the bot write: that write waits for the other process, holding the bot's store.
            file = fake_slack.add_file("FK1", "standup.mp3", b"ID3" + b"\x00" * 2048)
            envelope = event_envelope(file_share_event(file, channel=CHANNEL, ts="1701100002.000100"))
            writer = threading.Thread(target=lambda: deliver(url, envelope, timeout=60), daemon=True)
            writer.start()
            wait_for(lambda: _store_busy(_app))
            during = requests.get(url + "/healthz", timeout=5)  # a deadline: the old check waited ~30 s
        finally:
            holder.communicate("\n", timeout=10)
        writer.join(60)
    assert before.status_code == 200
    assert during.status_code in (200, 503) and "db" in during.json()
    for answer in (before, during):
        assert str(tmp_path) not in answer.text and "/data" not in answer.text


def _store_busy(app) -> bool:
    """True while a write of the bot's waits for the other process's lock: under the store's lock (a
    transaction) or on one of the connections `write_one` takes from its pool (the ack path's INSERT)."""
    store = app.store
    if store._writers.qsize() < len(store._all_writers):
        return True
    if store._lock.acquire(blocking=False):
        store._lock.release()
        return False
    return True


def test_a_long_file_name_extension_neither_stalls_nor_shows_the_data_path(tmp_path, fake_slack, stub_symbl):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    ts = "1701100001.000100"
    with running_bot(settings) as (_app, url):
        file = fake_slack.add_file("FL1", "standup." + "x" * 300, b"ID3" + b"\x00" * 2048)
        file["mimetype"] = "audio/mpeg"
        assert deliver(url, event_envelope(file_share_event(file, channel=CHANNEL, ts=ts))).ok
        wait_for(lambda: fake_slack.summaries(CHANNEL, ts), timeout=60)
        texts = [m.get("text") or "" for m in fake_slack.thread(CHANNEL, ts)]
    assert not any(str(tmp_path) in t for t in texts)


def test_webhook_and_response_url_secrets_are_masked_in_logs():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s %s", (
        "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0%2F1%2Fs3cr3tpath",
        "POST https://hooks.slack.com/actions/T0/2/an0thers3cret",
        json.dumps({"webhookUrl": "https://hooks.example/h?token=webh00ksecret"}),
    ), None)  # fmt: skip
    RedactingFilter().filter(record)
    assert not any(s in record.getMessage() for s in ("s3cr3tpath", "an0thers3cret", "webh00ksecret"))


def test_anonymous_install_visits_leave_no_expired_state_rows(tmp_path, fake_slack, stub_symbl):
    import sqlite3
    import time

    from tests.test_oauth import oauth_settings

    settings = oauth_settings(tmp_path, fake_slack, stub_symbl)
    with running_bot(settings) as (_app, url):
        for _ in range(3):
            assert requests.get(url + "/slack/install", timeout=10).status_code == 200
        with sqlite3.connect(settings.oauth_db_path) as db:  # visits long past: their states have expired
            db.execute("UPDATE oauth_states SET expire_at = ?", [time.time() - 1])
        assert requests.get(url + "/slack/install", timeout=10).status_code == 200
        with sqlite3.connect(settings.oauth_db_path) as db:
            live = db.execute(
                "SELECT count(*) FROM oauth_states WHERE expire_at > ?", [time.time()]
            ).fetchone()
            total = db.execute("SELECT count(*) FROM oauth_states").fetchone()
    assert (total[0], live[0]) == (1, 1)


def test_debug_logs_show_no_webhook_path_or_query_nor_a_signed_links_query(tmp_path, file_server):
    """urllib3 logs each request's target at DEBUG: a webhook URL's path and a link's query stay hidden."""
    import io
    from pathlib import Path

    from bot import logs, net
    from bot.config import Settings

    link = file_server.add("/recordings/standup.mp3", b"ID3" + b"\x00" * 1024)
    out = io.StringIO()
    handler = logs.handler_for(Settings(data_dir=Path(tmp_path)), stream=out)
    root = logging.getLogger()
    root.addHandler(handler)
    # DEBUG on, whatever earlier tests (or libraries they imported) left on these loggers.
    loggers = [root, logging.getLogger("urllib3"), logging.getLogger("urllib3.connectionpool")]
    saved = [(logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    try:
        hook = file_server.base + "/hooks/T0/s3cr3tpath?token=webh00ksecret"
        net.post_json(hook, b"{}", deadline=10, allow_private=True)
        signed = link + "?X-Amz-Signature=s1gnature"
        net.download(signed, tmp_path / "a.mp3", max_bytes=1 << 20, deadline=10, allow_private=True)
    finally:
        root.removeHandler(handler)
        for logger, (level, disabled) in zip(loggers, saved, strict=True):
            logger.setLevel(level)
            logger.disabled = disabled
    logged = out.getvalue()
    assert '"POST [redacted] HTTP/1.1"' in logged  # the request lines were logged …
    assert '"GET /recordings/standup.mp3?[redacted] HTTP/1.1"' in logged
    assert not any(s in logged for s in ("s3cr3tpath", "webh00ksecret", "s1gnature"))  # … without the secrets


def test_the_data_directory_and_the_files_the_services_create_in_it_are_private(tmp_path, fake_slack):
    """issue 21, finding 6: the data directory was 0755 and its files 0644, readable by every local user:
    `slack_oauth.db` holds every workspace's token. A real `serve` (OAuth mode, the embedded engine in its
    worker) on a directory an older version left open: the directory is narrowed, and what the web process,
    the worker, SQLite and the engine create in it (databases and their -wal/-shm, the OAuth stores, the
    scheduler lock, a recording being downloaded) is the service user's alone."""
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    link = DripServer.media(b"ID3" + b"\x00" * 4096, interval=5)  # a download in progress for the whole test
    env = bot_env(
        data, fake_slack, None, free_port(),
        SLACK_CLIENT_ID="1111.2222", SLACK_CLIENT_SECRET="shh", SYMBL_ALLOW_PRIVATE_URLS="true",
    )  # fmt: skip
    bot = BotProcess(env, tmp_path / "bot.log").start()
    try:
        assert requests.get(bot.url + "/slack/install", allow_redirects=False, timeout=5).status_code < 400
        engine = requests.get(bot.url + "/healthz", timeout=5).json()["engine"]["url"]
        credentials = {"type": "application", "appId": "a", "appSecret": "b"}
        token = requests.post(engine + "/oauth2/token:generate", json=credentials, timeout=5).json()
        submitted = requests.post(
            engine + "/v1/process/audio/url",
            json={"url": link.base + "/call.mp3"},
            headers={"x-api-key": token["accessToken"]},
            timeout=5,
        )
        assert submitted.ok, submitted.text
        wait_until(lambda: list(data.rglob("*.download")), timeout=30, what="the recording being downloaded")
        modes = {str(p.relative_to(data)): stat.S_IMODE(p.stat().st_mode) for p in data.rglob("*")}
    finally:
        link.close()
        bot.stop()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    names = {name.rsplit("/", 1)[-1] for name in modes}
    assert {"bot.db", "bot.db-wal", "bot.db-shm", "engine.db", "slack_oauth.db", "scheduler.lock"} <= names
    assert any(name.endswith(".download") for name in names)
    opened = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert not opened, opened


def test_operator_commands_make_the_data_directory_private_too(tmp_path):
    """`jobs list` (or `process`, `doctor`) may be the first command run on a new machine: what it creates in
    the data directory is the user's alone, as `serve` makes it."""
    data = tmp_path / "data"
    env = {**os.environ, "SYMBL_BOT_DATA_DIR": str(data)}
    done = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.umask(0o022); from bot.cli import main; sys.exit(main())",
         "jobs", "list"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    opened = {
        p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in data.rglob("*") if p.stat().st_mode & 0o077
    }
    assert (data / "bot.db").is_file() and not opened, opened
