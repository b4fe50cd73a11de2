"""Slow peers (issue 21, finding 5): a link or webhook endpoint that drips a byte at a time trips no per-read
timeout, and used to hold the engine's only worker, or its only webhook sender, indefinitely.

Every download and webhook POST now has a wall-clock deadline (bot.net), and webhooks go out from several
senders, one tenant's after another but tenants side by side (bot.engine.webhooks). The peers here are real
local HTTP servers that drip (tests/support/drip.py); the deadlines are small settings. The tests assert the
errors and who gets served, never how long anything took.
"""

from __future__ import annotations

import logging

import pytest
import requests

from bot import net
from bot.config import Settings
from bot.errors import FetchError
from tests.engine_api_support import SAMPLE, ScriptedEngine, running_engine
from tests.support.drip import DripServer
from tests.support.http import WebhookReceiver
from tests.support.wait import wait_until


@pytest.fixture
def media_drip():
    server = DripServer.media(b"ID3" + b"\x00" * 1024, interval=0.2)
    yield server
    server.close()


@pytest.fixture
def header_drip():
    server = DripServer.headers(interval=0.2)
    yield server
    server.close()


def test_a_download_that_drips_its_body_ends_at_its_deadline(tmp_path, media_drip):
    dest = tmp_path / "call.mp3"
    with pytest.raises(FetchError, match=r"The download took longer than 1 s") as raised:
        net.download(media_drip.base + "/call.mp3", dest, max_bytes=1 << 30, deadline=1, allow_private=True)
    assert not raised.value.transient  # the same peer would be as slow again
    assert media_drip.answering.is_set() and not dest.exists()  # it was under way; nothing is left of it


def test_a_download_whose_headers_drip_ends_at_its_deadline(tmp_path, header_drip):
    with pytest.raises(FetchError, match=r"The download took longer than 1 s"):
        net.download(header_drip.base + "/a.mp3", tmp_path / "a.mp3", max_bytes=1024, deadline=1,
                     allow_private=True)  # fmt: skip
    assert header_drip.answering.is_set()


def test_a_webhook_endpoint_that_drips_its_answer_ends_at_its_deadline(header_drip):
    with pytest.raises(FetchError, match=r"The webhook POST took longer than 1 s"):
        net.post_json(header_drip.base + "/hook", b"{}", deadline=1, allow_private=True)
    assert header_drip.requests == ["POST /hook"]


@pytest.fixture
def settings(tmp_path):
    return Settings(
        data_dir=tmp_path / "data",
        allow_private_urls=True,
        engine_workers=1,
        download_deadline_seconds=1,
        webhook_deadline_seconds=1,
    )


def _token(url: str, app_id: str) -> dict[str, str]:
    body = {"type": "application", "appId": app_id, "appSecret": "s"}
    return {
        "x-api-key": requests.post(url + "/oauth2/token:generate", json=body, timeout=10).json()[
            "accessToken"
        ]
    }


def _job(url: str, headers: dict[str, str], job_id: str) -> dict:
    return requests.get(f"{url}/v1/job/{job_id}", headers=headers, timeout=10).json()


def _text(url: str, headers: dict[str, str], **extra: str) -> str:
    body = {"messages": [{"payload": {"content": "Let's ship on Friday."}, "from": {"name": "Ann"}}], **extra}
    answer = requests.post(url + "/v1/process/text", json=body, headers=headers, timeout=10)
    assert answer.ok, answer.text
    return answer.json()["jobId"]


def test_a_dripping_link_fails_its_job_at_the_deadline_and_frees_the_engines_only_worker(
    settings, media_drip
):
    with running_engine(settings, ScriptedEngine()) as server:
        mallory, alice = _token(server.url, "mallory"), _token(server.url, "alice")
        slow = requests.post(
            server.url + "/v1/process/audio/url", json={"url": media_drip.base + "/call.mp3"},
            headers=mallory, timeout=10,
        ).json()["jobId"]  # fmt: skip
        wait_until(media_drip.answering.is_set, timeout=30, what="the slow download under way")
        upload = requests.post(server.url + "/v1/process/audio", data=SAMPLE.read_bytes(), headers=alice,
                               timeout=30).json()["jobId"]  # fmt: skip
        done = wait_until(
            lambda: (job := _job(server.url, alice, upload))["status"] in ("completed", "failed") and job,
            timeout=60,
            what="the other tenant's job",
        )
        failed = _job(server.url, mallory, slow)
    assert done["status"] == "completed"
    assert failed["status"] == "failed" and "took longer than 1 s" in failed["message"]


def test_a_tenant_whose_webhook_drips_does_not_hold_another_tenants_webhooks(settings, header_drip, caplog):
    hooks = WebhookReceiver()
    caplog.set_level(logging.INFO, logger="bot.engine.webhooks")
    try:
        with running_engine(settings, ScriptedEngine()) as server:
            mallory, alice = _token(server.url, "mallory"), _token(server.url, "alice")
            _text(server.url, mallory, webhookUrl=header_drip.base + "/hook")
            wait_until(header_drip.answering.is_set, timeout=30, what="mallory's webhook POST under way")
            job = _text(server.url, alice, webhookUrl=hooks.base + "/hook")
            wait_until(lambda: {"jobId": job, "status": "completed"} in hooks.received, timeout=30,
                       what="alice's webhooks")  # fmt: skip
            wait_until(lambda: "took longer than 1 s" in caplog.text, timeout=30, what="mallory's POST ended")
    finally:
        hooks.close()
    assert [h["status"] for h in hooks.received] == ["scheduled", "in_progress", "completed"]
    assert "not delivered: The webhook POST took longer than 1 s" in caplog.text


def test_the_deadline_settings():
    defaults = Settings.from_env({})
    assert (defaults.download_deadline_seconds, defaults.webhook_deadline_seconds) == (900.0, 15.0)
    assert defaults.webhook_senders == 4
    env = {"SYMBL_DOWNLOAD_DEADLINE_SECONDS": "60", "SYMBL_WEBHOOK_DEADLINE_SECONDS": "0",
           "SYMBL_ENGINE_WEBHOOK_SENDERS": "2"}  # fmt: skip
    tuned = Settings.from_env(env)
    assert (tuned.download_deadline_seconds, tuned.webhook_deadline_seconds, tuned.webhook_senders) == (
        60,
        1,
        2,
    )
