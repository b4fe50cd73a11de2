"""The bot hears of a remote engine's finished job at once (issue 23, build 5): by NOTIFY when they share a
PostgreSQL database, by a signed webhook to SYMBL_BOT_PUBLIC_URL otherwise; polling stays the fallback.

Each test runs the engine as a separate server (the real API, queue and store; a gated scripted transcriber)
and the bot with a poll interval so long that its first poll of the job would come 40 s after submission:
a note posted well before then was posted because the engine told the bot.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator

import pytest
import requests

from bot.config import Settings
from bot.slack.app import Bot, build_bot
from bot.slack.job_status_url import webhook_url
from storage import recordings as repo
from tests.engine_api_support import ScriptedEngine, running_engine
from tests.media import SAMPLE
from tests.slack_fakes import bot_settings, deliver, event_envelope, file_share_event, wait_for
from tests.suite_support import free_port

CHANNEL, TS = "C0CHAN", "1699999999.000200"
SLOW_POLLS = 20.0  # the bot's first poll of a submitted job: 2 × 20 s after submission
HEARD_WITHIN = 25.0  # well before it


@contextlib.contextmanager
def bot_on(settings: Settings, port: int) -> Iterator[tuple[Bot, str]]:
    bot = build_bot(settings)
    try:
        bot.start_background()
        yield bot, bot.start_http(port=port)
    finally:
        bot.close()
        bot.store.close()


def share_and_release(bot_url: str, fake_slack, engine: ScriptedEngine) -> None:
    """Drop the sample recording in the channel; let the engine finish once the bot's job is running."""
    shares = {"public": {CHANNEL: [{"ts": TS}]}}
    file = fake_slack.add_file("F1", "standup.mp3", SAMPLE.read_bytes(), shares=shares)
    engine.gate.clear()
    assert deliver(bot_url, event_envelope(file_share_event(file, ts=TS))).status_code == 200
    assert engine.started.wait(60), "the bot's job never started on the engine"
    engine.gate.set()


def remote_engine_settings(settings: Settings, engine_url: str) -> Settings:
    return dataclasses.replace(
        settings,
        symbl_app_id="app",
        symbl_app_secret="secret",
        symbl_api_url=engine_url,
        poll_seconds=SLOW_POLLS,
    )


def test_a_remote_engines_webhook_brings_the_note_at_once(tmp_path, fake_slack):
    engine = ScriptedEngine()
    engine_settings = Settings(data_dir=tmp_path / "engine", allow_private_urls=True)
    port = free_port()
    with running_engine(engine_settings, engine) as server:
        settings = remote_engine_settings(bot_settings(tmp_path / "data", fake_slack, None), server.url)
        settings = dataclasses.replace(
            settings, public_url=f"http://127.0.0.1:{port}", job_status_secret="webhook secret"
        )
        with bot_on(settings, port) as (bot, url):
            share_and_release(url, fake_slack, engine)
            wait_for(lambda: fake_slack.summaries(CHANNEL, TS), timeout=HEARD_WITHIN)
            rec = repo.get(bot.store, 1)
            [job] = server.service.store.jobs()
            assert job.webhook_url == webhook_url(settings, rec.id)
            wait_for(lambda: server.service.store.unsent_notices() == 0)  # every notice was sent


def test_the_webhook_route_takes_only_its_recordings_notices(tmp_path, fake_slack):
    port = free_port()
    settings = dataclasses.replace(
        bot_settings(tmp_path / "data", fake_slack, None),
        public_url=f"http://127.0.0.1:{port}",
        job_status_secret="webhook secret",
        poll_seconds=SLOW_POLLS,
    )
    with bot_on(settings, port) as (bot, url):
        rec, _ = repo.record(bot.store, team_id="T0TEAM", channel_id=CHANNEL, source="F9", message_ts=TS,
                             name="a.mp3", download_url="https://files.slack.com/a.mp3", size=10)  # fmt: skip
        assert repo.mark_submitted(bot.store, rec.id, "conv-1", "job-1", next_poll_at=9e12)
        signed = webhook_url(settings, rec.id)
        assert signed is not None and signed.startswith(f"{url}/symbl/job-status/{rec.id}/")
        forged = signed[:-4] + "0000"
        body = json.dumps({"jobId": "job-1", "status": "completed"})
        assert requests.post(forged, data=body, timeout=10).status_code == 404
        assert requests.post(signed, data="not json", timeout=10).status_code == 204
        assert requests.post(signed, data="x" * 5000, timeout=10).status_code == 413
        # Signed for another recording: accepted, and ignored (it may only nudge its own recording).
        other = webhook_url(settings, rec.id + 1)
        assert other is not None and requests.post(other, data=body, timeout=10).status_code == 204
        assert repo.get(bot.store, rec.id).next_poll_at == 9e12
        # Its own: the row is due now (and, with no engine behind this bot, its poll fails and reschedules).
        assert requests.post(signed, data=body, timeout=10).status_code == 204
        assert repo.get(bot.store, rec.id).next_poll_at < 9e12


@pytest.mark.slow  # a PostgreSQL database for bot and engine
def test_an_engine_on_the_bots_database_tells_it_by_notify(tmp_path, fake_slack, postgres_cluster):
    database = postgres_cluster.new_database()
    engine = ScriptedEngine()
    engine_settings = Settings(
        data_dir=tmp_path / "engine", allow_private_urls=True, engine_database_url=database
    )
    with running_engine(engine_settings, engine) as server:
        settings = remote_engine_settings(
            bot_settings(tmp_path / "data", fake_slack, None, database_url=database), server.url
        )
        assert settings.public_url is None  # no webhook: only the database can tell the bot
        with bot_on(settings, free_port()) as (bot, url):
            share_and_release(url, fake_slack, engine)
            wait_for(lambda: fake_slack.summaries(CHANNEL, TS), timeout=HEARD_WITHIN)
            [job] = server.service.store.jobs()
            assert job.webhook_url is None
