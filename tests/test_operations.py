"""Operations: /healthz, one scheduler per database, redacted (and JSON) logs, `symbl-bot jobs`, retention of
transcripts and of uploaded audio. Real HTTP, SQLite files and the real scheduler throughout.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import time

import pytest
import requests
from click.testing import CliRunner

from bot import logs
from bot.cli import main
from bot.config import Settings
from bot.slack.ops import retention
from bot.slack.ops.lease import SchedulerOwner
from storage import admin, open_store
from storage import recordings as repo
from tests.engine_api_support import ROOT, SAMPLE, ScriptedEngine, running_engine
from tests.slack_fakes import (
    BOT_TOKEN,
    SIGNING_SECRET,
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    message_event,
    running_bot,
    wait_for,
)
from tests.support.disk import tiny_disk
from tests.support.files import FileServer
from tests.support.wait import wait_until

AUDIO = b"ID3" + b"\x00" * 2048
DAY = 86400


def post_one(fake_slack, url, file_id="F1", ts="1.1", channel="C0CHAN"):
    file = fake_slack.add_file(file_id, f"{file_id}.mp3", AUDIO)
    assert deliver(url, event_envelope(file_share_event(file, ts=ts, channel=channel))).ok
    return wait_for(lambda: fake_slack.summaries(channel, ts))


# --- health ------------------------------------------------------------------------------------------------


def test_healthz_reports_database_scheduler_and_provider(bot, fake_slack):
    _bot, url = bot
    post_one(fake_slack, url)

    def health() -> dict:
        # The summary is in Slack a moment before its row says `posted` (the post comes first).
        r = requests.get(url + "/healthz", timeout=5)
        return r.status_code == 200 and r.json()["db"].get("recordings") == {"posted": 1} and r.json()

    body = wait_for(health)
    assert body["ok"] is True
    assert (
        body["db"]["ok"]
        and body["db"]["pending_migrations"] == []
        and body["db"]["recordings"] == {"posted": 1}
    )
    assert body["scheduler"]["state"] == "owner" and body["scheduler"]["last_tick_seconds_ago"] < 30
    assert body["engine"] == {"ok": True, "provider": "symbl", "url": _bot.settings.symbl_api_url}


def test_healthz_is_503_when_the_scheduler_stopped(bot):
    app, url = bot
    app.poller.stop(wait=True)
    response = requests.get(url + "/healthz", timeout=5)
    assert response.status_code == 503 and response.json()["scheduler"]["ok"] is False


def test_healthz_reports_a_full_disk_in_the_embedded_engines_own_download(tmp_path, fake_slack):
    """A link is downloaded by the embedded engine, not the bot: its full disk (a real 64 KiB tmpfs under the
    316 KB sample) must show in the bot's /healthz too, where a platform's health check looks."""
    files = FileServer()
    link = files.add("/standup.mp3", SAMPLE.read_bytes())
    settings = bot_settings(
        tmp_path / "data", fake_slack, None, allow_private_urls=True
    )  # the embedded engine
    try:
        with tiny_disk(settings.data_dir / "engine" / "media", "64k"), running_bot(settings) as (_bot, url):
            assert deliver(url, event_envelope(message_event(f"Notes please <{link}>", ts="7.1"))).ok
            body = wait_until(
                lambda: (r := requests.get(url + "/healthz", timeout=5)).status_code == 503 and r.json(),
                what="the bot's /healthz reporting the engine's full disk",
            )
    finally:
        files.close()
    assert body["engine"]["ok"] is False and "disk was full" in body["engine"]["error"]
    assert str(settings.data_dir) not in json.dumps(body)


# --- one scheduler per database -----------------------------------------------------------------------------


def test_a_second_process_on_the_same_database_stands_by(tmp_path, fake_slack, stub_symbl):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    with running_bot(settings) as (first, _url1), running_bot(settings) as (second, url2):
        assert first.scheduler_owner.state == "owner" and second.scheduler_owner.state == "standby"
        assert not second.poller.running
        health = requests.get(url2 + "/healthz", timeout=5).json()
        assert health["ok"] and health["scheduler"]["state"] == "standby"
        # Events reaching the standby process are recorded there and carried out by the owner.
        post_one(fake_slack, url2)
        assert second.poller.last_tick_at is None


def test_a_standby_reports_a_lease_holder_that_stopped_ticking(tmp_path, fake_slack, stub_symbl):
    """issue 21, finding 2: a holder alive but processing nothing (an orphan stuck in a step) keeps the lock;
    a standby behind it must not report "all fine". The holder's last tick is the lock file's mtime."""
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    with running_bot(settings) as (first, _url1), running_bot(settings) as (second, url2):
        assert second.scheduler_owner.state == "standby"
        assert requests.get(url2 + "/healthz", timeout=5).json()["scheduler"]["ok"]
        first.poller.stop()  # the holder keeps the lease and ticks no more
        assert first.scheduler_owner.state == "owner"
        hour_ago = time.time() - 3600  # as its heartbeat reads an hour later
        os.utime(settings.data_dir / "scheduler.lock", (hour_ago, hour_ago))
        stale = requests.get(url2 + "/healthz", timeout=5)
        assert stale.status_code == 503
        assert stale.json()["scheduler"]["state"] == "standby" and not stale.json()["scheduler"]["ok"]
        assert "stopped ticking" in stale.json()["scheduler"]["error"]
        assert stale.json()["scheduler"]["last_tick_seconds_ago"] >= 3600


def test_scheduler_off_never_polls(tmp_path, fake_slack, stub_symbl):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl, scheduler=False)
    with running_bot(settings) as (bot, url):
        assert bot.scheduler_owner.state == "off" and not bot.poller.running
        assert requests.get(url + "/healthz", timeout=5).json()["scheduler"] == {
            "state": "off",
            "claim": "lease",
            "ok": True,
        }


def test_standby_takes_over_when_the_owner_stops(tmp_path):
    started = []
    lock = tmp_path / "scheduler.lock"
    owner = SchedulerOwner(
        lock, lambda: started.append("a"), lambda: started.append("a-stop"), retry_seconds=0.05
    )
    standby = SchedulerOwner(lock, lambda: started.append("b"), lambda: None, retry_seconds=0.05)
    assert owner.start() == "owner" and standby.start() == "standby"
    owner.stop()
    wait_for(lambda: standby.state == "owner")
    assert started == ["a", "a-stop", "b"]
    standby.stop()
    assert standby.state == "stopped"


# --- logs ---------------------------------------------------------------------------------------------------


def test_no_secret_reaches_the_logs_while_a_recording_is_processed(tmp_path, fake_slack, stub_symbl):
    settings = bot_settings(
        tmp_path / "data",
        fake_slack,
        stub_symbl,
        symbl_app_secret="symbl-app-secret-value",
        slack_app_token=None,
    )
    stub_symbl.credentials["appSecret"] = settings.symbl_app_secret  # the stub grants tokens to it only
    stream = io.StringIO()
    handler = logs.handler_for(settings, stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with running_bot(settings) as (_bot, url):
            post_one(fake_slack, url)
            # What a careless log line (or a library's debug output) could carry.
            logging.getLogger("bot.test").warning(
                "calling with headers %s", {"Authorization": f"Bearer {BOT_TOKEN}"}
            )
            logging.getLogger("bot.test").info("secret=%s app=%s", SIGNING_SECRET, settings.symbl_app_secret)
            try:
                raise RuntimeError(f"token {BOT_TOKEN} rejected")
            except RuntimeError:
                logging.getLogger("bot.test").exception("failed")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    output = stream.getvalue()
    assert "chat.postMessage" in output or "recording" in output  # the run did log, at debug level
    for secret in (BOT_TOKEN, SIGNING_SECRET, "symbl-app-secret-value", "stub-token"):
        assert secret not in output, secret
    assert "[redacted]" in output and "RuntimeError: token [redacted] rejected" in output


def test_json_log_lines(tmp_path):
    settings = dataclasses.replace(
        Settings(data_dir=tmp_path), log_format="json", slack_bot_token="xoxb-1-secret"
    )
    stream = io.StringIO()
    log = logging.getLogger("bot.json-test")
    handler = logs.handler_for(settings, stream)
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("posting with %s", "xoxb-1-secret")
        try:
            raise ZeroDivisionError("division by zero")
        except ZeroDivisionError:
            log.exception("tick failed")
    finally:
        log.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    assert [entry["message"] for entry in lines] == ["posting with [redacted]", "tick failed"]
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "bot.json-test" and lines[0]["ts"]
    assert "ZeroDivisionError" in lines[1]["exc"]


def test_waitress_queue_depth_is_logged_once_a_minute_with_a_count_of_the_rest():
    """Waitress logs the queue depth for every request that queues; a burst of events must not build (and
    make the I/O thread format and write) a line each."""
    clock = [1000.0]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log = logging.getLogger("tests.queue-depth")
    log.addHandler(handler)
    log.propagate = False
    throttled = logs.ThrottledLogger(log, 60, clock=lambda: clock[0])
    try:
        for depth in range(1, 43):
            throttled.warning("Task queue depth is %d", depth)
        clock[0] += 61
        throttled.warning("Task queue depth is %d", 7)
    finally:
        log.removeHandler(handler)
    assert stream.getvalue().splitlines() == [
        "Task queue depth is 1",
        "Task queue depth is 7 (41 more like this since the last one)",
    ]


def test_the_bots_waitress_logs_its_queue_depth_throttled(bot):
    running, _url = bot  # `serve` and `start_http` build their server alike (Bot._http_server)
    assert isinstance(running._http.task_dispatcher.queue_logger, logs.ThrottledLogger)


def test_settings_read_the_operations_variables():
    settings = Settings.from_env(
        {
            "SYMBL_BOT_LOG_FORMAT": "JSON",
            "SYMBL_BOT_SCHEDULER": "off",
            "SYMBL_BOT_KEEP_AUDIO": "true",
            "SYMBL_BOT_RETENTION_DAYS": "30",
            "SLACK_CLIENT_ID": "1.2",
            "SLACK_CLIENT_SECRET": "s",
            "SYMBL_BOT_LOG_LEVEL": "debug",
        }
    )
    assert (settings.log_format, settings.scheduler, settings.keep_audio, settings.retention_days) == (
        "json",
        False,
        True,
        30,
    )
    assert settings.oauth_enabled and settings.log_level == "DEBUG"
    defaults = Settings.from_env({})
    assert (defaults.scheduler, defaults.keep_audio, defaults.retention_days, defaults.oauth_enabled) == (
        True,
        False,
        0,
        False,
    )


# --- symbl-bot jobs -----------------------------------------------------------------------------------------


def seed(data_dir):
    store = open_store(data_dir / "bot.db")
    old = time.time() - 40 * DAY
    done, _ = repo.record(
        store, team_id="T1", channel_id="C1", source="F1", message_ts="1.1", name="old.mp3", now=old
    )
    with store.tx() as db:
        db.execute(
            "UPDATE recordings SET state = 'posted', next_poll_at = NULL, updated_at = ? WHERE id = ?",
            [old, done.id],
        )
    failed, _ = repo.record(
        store, team_id="T1", channel_id="C1", source="F2", message_ts="2.2", name="bad.mp3"
    )
    repo.mark_failed(store, failed.id, "Slack answered not_in_channel")
    fresh, _ = repo.record(
        store, team_id="T2", channel_id="C9", source="F3", message_ts="3.3", name="new.mp3"
    )
    return store, done, failed, fresh


def test_jobs_list_retry_and_purge(tmp_path):
    data = tmp_path / "data"  # tests/conftest.py points SYMBL_BOT_DATA_DIR here
    store, done, failed, fresh = seed(data)
    runner = CliRunner()

    listing = runner.invoke(main, ["jobs", "list"])
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert lines[0].split()[:3] == ["ID", "STATE", "AGE"]
    assert [line.split()[1] for line in lines[1:]] == ["queued", "failed", "posted"]
    assert "40d" in lines[3] and "Slack answered not_in_channel" in lines[2]
    only_failed = runner.invoke(main, ["jobs", "list", "--state", "failed", "--json"])
    assert [json.loads(line)["id"] for line in only_failed.output.splitlines()] == [failed.id]

    assert (
        runner.invoke(main, ["jobs", "retry", str(failed.id)]).output.strip()
        == f"Recording {failed.id} queued again."
    )
    row = repo.get(store, failed.id)
    assert row.state == "queued" and row.error is None and row.next_poll_at <= time.time()
    refused = runner.invoke(main, ["jobs", "retry", str(done.id)])
    assert refused.exit_code == 1 and "is posted; only failed ones can be retried" in refused.output
    assert "No recording 999" in runner.invoke(main, ["jobs", "retry", "999"]).output

    purged = runner.invoke(main, ["jobs", "purge", "--older-than", "30"])
    assert purged.output.strip() == "Purged 1 finished recording(s) older than 30 days."
    assert repo.get(store, done.id) is None and repo.get(store, fresh.id) is not None
    assert runner.invoke(main, ["jobs", "purge", "--older-than", "0"]).exit_code == 2  # at least a day
    store.close()


def test_a_retried_recording_is_carried_out_by_the_running_bot(tmp_path, fake_slack, stub_symbl):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    with running_bot(settings) as (bot, url):
        fake_slack.fail_next("chat.postMessage", status=200, error="not_in_channel")
        file = fake_slack.add_file("F1", "F1.mp3", AUDIO)
        assert deliver(url, event_envelope(file_share_event(file, ts="1.1"))).ok
        wait_for(lambda: repo.get(bot.store, 1) and repo.get(bot.store, 1).state == "failed")
        assert CliRunner().invoke(main, ["jobs", "retry", "1"]).exit_code == 0
        wait_for(lambda: fake_slack.summaries("C0CHAN", "1.1"))
        # The fake records the post before the bot commits `posted` in the same step: wait for the commit.
        wait_for(lambda: repo.get(bot.store, 1).state == "posted")
        assert len(fake_slack.summaries("C0CHAN", "1.1")) == 1


# --- retention ----------------------------------------------------------------------------------------------


def age_conversations(store, days):
    with store.tx() as db:
        db.execute("UPDATE conversations SET fetched_at = ?", [time.time() - days * DAY])


def test_the_daily_job_drops_old_transcripts_here_and_at_the_provider(tmp_path, fake_slack, stub_symbl):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    with running_bot(settings) as (bot, url):
        post_one(fake_slack, url, "F1", "1.1")
        post_one(fake_slack, url, "F2", "2.2")
        first, second = repo.get(bot.store, 1), repo.get(bot.store, 2)
        with bot.store.tx() as db:
            db.execute(
                "UPDATE conversations SET fetched_at = ? WHERE conversation_id = ?",
                [time.time() - 31 * DAY, first.conversation_id],
            )
    # The next start runs the retention job at once, then daily.
    with running_bot(dataclasses.replace(settings, retention_days=30)) as (bot, _url):
        wait_for(lambda: stub_symbl.deleted == [first.conversation_id])
        wait_for(lambda: repo.insights_for(bot.store, first.conversation_id) is None)
        assert repo.insights_for(bot.store, second.conversation_id) is not None
        assert repo.get(bot.store, first.id).state == "posted"  # the job row stays: no reprocessing


def test_a_provider_refusing_the_delete_keeps_the_transcript_for_the_next_run(
    tmp_path, fake_slack, stub_symbl
):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl, retention_days=7)
    with running_bot(dataclasses.replace(settings, retention_days=0)) as (bot, url):
        post_one(fake_slack, url)
        age_conversations(bot.store, 8)
        cid = repo.get(bot.store, 1).conversation_id
        services = dataclasses.replace(bot.services, settings=settings)
        stub_symbl.fail_next("/v1/conversations/", status=403)
        assert retention.run(services) == retention.RetentionResult(deleted=0, failed=1)
        assert repo.insights_for(bot.store, cid) is not None
        assert retention.run(services) == retention.RetentionResult(deleted=1, failed=0)
        assert repo.insights_for(bot.store, cid) is None and admin.expired_conversations(bot.store, 7) == []


def test_retention_off_keeps_everything(tmp_path, fake_slack, stub_symbl):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    with running_bot(settings) as (bot, url):
        post_one(fake_slack, url)
        age_conversations(bot.store, 3650)
        assert retention.run(bot.services) == retention.RetentionResult()
        assert stub_symbl.deleted == []


def test_the_engine_deletes_uploaded_audio_once_a_job_finishes(tmp_path):
    for keep, expect_files in ((False, 0), (True, 1)):
        settings = Settings(data_dir=tmp_path / f"keep-{keep}", keep_audio=keep)
        with running_engine(settings, ScriptedEngine()) as server:
            http = requests.Session()
            token = http.post(
                f"{server.url}/oauth2/token:generate",
                json={"type": "application", "appId": "a", "appSecret": "b"},
                timeout=10,
            )
            http.headers["x-api-key"] = token.json()["accessToken"]
            job = http.post(f"{server.url}/v1/process/audio", data=SAMPLE.read_bytes(), timeout=30).json()
            status_url = f"{server.url}/v1/job/{job['jobId']}"
            wait_until(lambda h=http, u=status_url: h.get(u, timeout=10).json()["status"] == "completed")
            media = settings.data_dir / "engine" / "media" / job["conversationId"]
            assert len([p for p in media.iterdir() if p.is_file()]) == expect_files, keep
            # The transcript is what later appends and queries use; it is still there.
            assert http.get(
                f"{server.url}/v1/conversations/{job['conversationId']}/messages", timeout=10
            ).json()["messages"]


def test_the_bot_keeps_no_download_after_submitting(bot, fake_slack):
    app, url = bot
    post_one(fake_slack, url)
    assert list(app.services.download_dir.iterdir()) == []


# --- the README's offline try-out -------------------------------------------------------------------------


@pytest.mark.slow
def test_fake_workspace_and_the_procfile_web_line(tmp_path, stub_symbl):
    """The README's offline try-out, as a user runs it: `python -m tests.fake_workspace FILE` prints a
    command; `symbl-bot serve --mode http` (the Procfile's web line) started with it gets the recording and
    answers. Twice, on the same ./data: the second run's upload is new to the bot, not a duplicate of the
    first."""
    procfile = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert (
        procfile["web"].split()[:4] == ["symbl-bot", "serve", "--mode", "http"] and "$PORT" in procfile["web"]
    )
    assert procfile["worker"].split() == ["symbl-bot", "serve", "--mode", "socket"]
    for _ in range(2):
        out, thread, log_output = _try_out(procfile["web"], tmp_path / "serve-data", stub_symbl)
        assert "Uploaded standup.mp3" in out and "--- bot in thread ---" in out
        assert any((m.get("metadata") or {}).get("event_type") == "symbl_summary" for m in thread)
        assert "HTTP mode on port" in log_output and "xoxb-" not in log_output


def _try_out(web_line: str, data_dir, stub_symbl) -> tuple[str, list[dict], str]:
    """One run of the try-out: the printed thread, the thread itself and the bot's log."""
    import os
    import re
    import shlex
    import socket
    import subprocess
    import sys
    import threading

    from tests import fake_workspace

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = io.StringIO()
    result: dict = {}
    runner = threading.Thread(
        target=lambda: result.update(
            thread=fake_workspace.run(SAMPLE, f"http://127.0.0.1:{port}", timeout=60, out=out)
        ),
        daemon=True,
    )
    runner.start()
    printed = wait_for(lambda: re.search(r"^  (SLACK_API_URL=.*)$", out.getvalue(), re.MULTILINE)).group(1)
    words = shlex.split(printed)
    env = {
        **os.environ,
        **dict(w.split("=", 1) for w in words if "=" in w and w[0].isupper()),
        "SYMBL_APP_ID": "app",
        "SYMBL_APP_SECRET": "secret",
        "SYMBL_API_URL": stub_symbl.base,
        "SYMBL_BOT_DATA_DIR": str(data_dir),
        "PORT": str(port),
    }
    assert words[-3:] == ["serve", "--port", str(port)]
    command = [sys.executable, "-m", "bot", *web_line.split()[1:]]
    command = [port if part == "$PORT" else part for part in command]
    server = subprocess.Popen(
        [str(c) for c in command], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        runner.join(90)
        assert not runner.is_alive(), out.getvalue()
    finally:
        server.terminate()
        log_output = server.communicate(timeout=30)[0]
    return out.getvalue(), result["thread"], log_output
