"""Exactly once across crashes: a restarted bot resumes its rows and never posts a summary twice."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from slack_sdk import WebClient

from bot.providers.symbl.client import SymblClient
from bot.slack.pipeline import advance
from bot.slack.render.summary import render_summary
from bot.slack.services import Services
from storage import open_store
from storage import recordings as repo
from tests.slack_fakes import (
    BOT_TOKEN,
    SIGNING_SECRET,
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    wait_for,
)
from tests.support.slack import is_summary_post
from tests.support.symbl import INSIGHTS

ROOT = Path(__file__).resolve().parent.parent
CHANNEL = "C0CHAN"
TS = "1699999999.000200"
AUDIO = b"ID3" + b"\x00" * 4096


def _completed_row(store, *, started: bool):
    rec, _ = repo.record(
        store, team_id="T0TEAM", channel_id=CHANNEL, source="F1", message_ts=TS, name="a.mp3"
    )
    repo.mark_submitted(store, rec.id, "conv-1", "job-1", 0)
    repo.mark_completed(store, repo.get(store, rec.id), INSIGHTS)
    if started:
        repo.start_summary(store, rec.id)
    return repo.get(store, rec.id)


@pytest.fixture(name="store")
def store_fixture(tmp_path):
    opened = open_store(tmp_path / "bot.db")
    yield opened
    opened.close()


def _services(tmp_path, fake_slack, store):
    settings = bot_settings(tmp_path / "data", fake_slack, None)
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    # The provider is never reached here: insights are cached and the job is done.
    symbl = SymblClient("http://127.0.0.1:9", "x", "y", retries=0)
    return Services(settings=settings, store=store, provider=symbl, slack_for=lambda _t: client), client


def test_a_post_that_went_out_before_a_crash_is_found_not_repeated(tmp_path, fake_slack, store):
    rec = _completed_row(store, started=True)
    services, client = _services(tmp_path, fake_slack, store)
    [message] = render_summary(INSIGHTS, title="a.mp3", recording_id=rec.id)
    posted = client.chat_postMessage(
        channel=CHANNEL, thread_ts=TS, text=message.text, blocks=message.blocks, metadata=message.metadata
    )  # the crash came right after this

    advance(services, rec.id)

    assert len(fake_slack.summaries(CHANNEL, TS)) == 1
    done = repo.get(store, rec.id)
    assert (done.state, done.summary_ts) == ("posted", posted["ts"])
    [search] = fake_slack.calls_to("conversations.replies")
    assert search.body["include_all_metadata"] in (True, "1", "true")


def test_a_crash_between_parts_posts_only_the_missing_part(tmp_path, fake_slack, store):
    big = {**INSIGHTS, "topics": [{"text": f"topic {i} " + "word " * 40} for i in range(300)]}
    rec = _completed_row(store, started=True)
    with store.tx() as db:  # a long meeting: its cached insights need several messages
        db.execute("UPDATE conversations SET insights = ?", [json.dumps(big)])
    services, client = _services(tmp_path, fake_slack, store)
    parts = render_summary(big, title="a.mp3", recording_id=rec.id)
    assert len(parts) >= 2
    first = client.chat_postMessage(
        channel=CHANNEL, thread_ts=TS, text=parts[0].text, blocks=parts[0].blocks, metadata=parts[0].metadata
    )

    advance(services, rec.id)

    posted = fake_slack.summaries(CHANNEL, TS)
    assert sorted(m["metadata"]["event_payload"]["part"] for m in posted) == list(range(1, len(parts) + 1))
    assert repo.get(store, rec.id).summary_ts == first["ts"]


def test_without_an_earlier_attempt_the_thread_is_not_searched(tmp_path, fake_slack, store):
    rec = _completed_row(store, started=False)
    services, _ = _services(tmp_path, fake_slack, store)
    advance(services, rec.id)
    assert len(fake_slack.summaries(CHANNEL, TS)) == 1
    assert fake_slack.calls_to("conversations.replies") == []
    assert repo.get(store, rec.id).state == "posted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _healthy(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).ok
    except requests.RequestException:
        return False


@pytest.mark.slow
def test_sigkill_after_submission_then_restart_posts_exactly_once(tmp_path, fake_slack, stub_symbl):
    stub_symbl.mode = "hold"  # jobs stay in progress until the test finishes them
    port = _free_port()
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SYMBL_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "SYMBL_APP_ID": "app",
            "SYMBL_APP_SECRET": "secret",
            "SYMBL_API_URL": stub_symbl.base,
            "SYMBL_BOT_DATA_DIR": str(data),
            "SYMBL_BOT_POLL_SECONDS": "0.1",
            "PORT": str(port),
        }
    )
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "bot.log"
    first = _start(env, log)
    try:
        wait_for(lambda: _healthy(url), timeout=30)
        file = fake_slack.add_file("F1", "standup.mp3", AUDIO)
        assert deliver(url, event_envelope(file_share_event(file, ts=TS))).status_code == 200
        wait_for(lambda: stub_symbl.jobs and any(r.startswith("GET /v1/job/") for r in stub_symbl.requests))
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    [job_id] = stub_symbl.jobs
    stub_symbl.finish(job_id)

    second = _start(env, log)
    try:
        summaries = wait_for(lambda: fake_slack.summaries(CHANNEL, TS), timeout=30)
        wait_for(lambda: "Done" in (fake_slack.statuses(CHANNEL, TS) or [{}])[0].get("text", ""))
        store = open_store(data / "bot.db")
        assert repo.get(store, 1).state == "posted"
        store.close()
        # Redelivery after the restart changes nothing either.
        assert deliver(url, event_envelope(file_share_event(file, ts=TS)), retry_num=1).status_code == 200
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    assert len(summaries) == 1 and len(fake_slack.summaries(CHANNEL, TS)) == 1
    assert len(stub_symbl.submissions) == 1
    assert len(fake_slack.statuses(CHANNEL, TS)) == 1, log.read_text()


class _StalledPoster:
    """Worker A's poster, stalled (SIGSTOP, a frozen VM) after renewing its lease and before its request
    leaves: meanwhile worker B takes the row over and steps it; `a_lands` says when A's post reaches Slack,
    before B posts (after B searched the thread) or after B is done."""

    def __init__(self, poster, take_over, a_lands: str):
        self.poster, self.take_over, self.a_lands = poster, take_over, a_lands
        self.sent: dict | None = None
        self.kwargs: dict = {}

    def send(self):
        if self.sent is None:
            self.sent = self.poster.chat_postMessage(**self.kwargs)
        return self.sent

    def chat_postMessage(self, **kwargs):
        self.kwargs = kwargs
        self.take_over()
        return self.send()


@pytest.mark.parametrize("a_lands", ["after B posted", "between B's search and B's post"])
def test_a_worker_stalled_past_its_lease_mid_post_leaves_one_summary(tmp_path, fake_slack, store, monkeypatch,
                                                                     a_lands):  # fmt: skip
    """Slack has no idempotency key: the two copies are settled afterwards, the oldest standing."""
    import time

    from bot.slack import pipeline
    from storage import fence, leases

    rec = _completed_row(store, started=False)
    services, _ = _services(tmp_path, fake_slack, store)
    fake_slack.rate_limits = False  # B and A each search the thread within the minute
    real_poster = pipeline.poster_in_lease
    stalled: list[_StalledPoster] = []

    def take_over() -> None:
        assert leases.claim(store, "B", 10, 1, now=time.time() + 11) == [rec.id]  # A's lease ran out
        with fence.fenced("B", 10, rec.id):
            advance(services, rec.id)

    def poster_in_lease(services, client):
        poster = real_poster(services, client)
        if not stalled:  # A's post
            stalled.append(_StalledPoster(poster, take_over, a_lands))
            return stalled[0]
        if a_lands != "after B posted":  # B's post: A's request reaches Slack first
            stalled[0].send()
        return poster

    monkeypatch.setattr(pipeline, "poster_in_lease", poster_in_lease)
    assert leases.claim(store, "A", 10, 1) == [rec.id]
    with fence.fenced("A", 10, rec.id):
        advance(services, rec.id)  # A's write after the post is refused: LeaseLost, the step abandoned

    [summary] = fake_slack.summaries(CHANNEL, TS)
    done = repo.get(store, rec.id)
    assert (done.state, done.summary_ts) == ("posted", summary["ts"])
    posts = [c for c in fake_slack.calls_to("chat.postMessage") if is_summary_post(c.body)]
    assert (
        len(posts) == 2 and len(fake_slack.calls_to("chat.delete")) == 1
    )  # both went out; one was taken back
