"""Redelivery storm: every event up to 4 times (with Slack's retry headers), in seeded random order,
concurrently, with `file_shared` twins (some arriving before their message) and link messages → one summary
per recording.

Sizes: SUITE_STORM_RECORDINGS (default 20), SUITE_SEED.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage import recordings as repo
from tests.slack_fakes import (
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    file_shared_event,
    message_event,
    running_bot,
    wait_for,
)
from tests.suite_support import suite_seed, suite_size, summaries_by_thread

CHANNELS = ("C0STORM1", "C0STORM2")
AUDIO = b"ID3" + b"\x00" * 2048


def _ts(i: int) -> str:
    return f"1700000{i:03d}.000100"


def _plan(fake_slack, file_server, n: int, rng: random.Random) -> tuple[list[tuple], dict[str, str]]:
    """Deliveries for n recordings: (envelope, retry_num) pairs, shuffled. Returns them and thread →
    channel."""
    deliveries: list[tuple] = []
    threads: dict[str, str] = {}
    for i in range(n):
        channel, ts = CHANNELS[i % len(CHANNELS)], _ts(i)
        threads[ts] = channel
        if i % 5 == 4:  # a link in an ordinary message: no twin exists for links
            url = file_server.add(f"/meeting-{i}.mp3", AUDIO)
            envelope = event_envelope(
                message_event(f"notes from today <{url}|meeting {i}>", channel=channel, ts=ts)
            )
            twin = None
        else:
            shares = {"public": {channel: [{"ts": ts, "channel_name": "storm"}]}}
            file = fake_slack.add_file(f"F{i:04d}", f"rec-{i}.mp3", AUDIO, shares=shares)
            envelope = event_envelope(file_share_event(file, channel=channel, ts=ts))
            twin = event_envelope(file_shared_event(file["id"], channel=channel))
        # Slack's first delivery, then up to 3 retries of the same envelope (same event_id).
        for retry in range(rng.randint(1, 4)):
            deliveries.append((envelope, retry or None))
        if twin is not None:
            for retry in range(rng.randint(1, 2)):
                deliveries.append((twin, retry or None))
    rng.shuffle(deliveries)
    return deliveries, threads


def test_redelivery_storm_posts_every_recording_exactly_once(tmp_path, fake_slack, stub_symbl, file_server):
    n = suite_size("storm_recordings", 20)
    rng = random.Random(suite_seed())
    # The storm is about exactly-once under redelivery, not Slack's rate-limit tiers (its many status edits
    # in one minute would spend the run sleeping on Retry-After; tests/test_slack_rules.py covers the tiers).
    fake_slack.rate_limits = False
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl, allow_private_urls=True)
    deliveries, threads = _plan(fake_slack, file_server, n, rng)
    with running_bot(settings) as (app, url):
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda d: deliver(url, d[0], retry_num=d[1]).status_code, deliveries))
        assert statuses == [200] * len(deliveries)

        def all_finished() -> bool:
            with app.store.read() as db:
                return db.execute("SELECT count(*) FROM recordings WHERE state = 'posted'").fetchone()[0] == n

        wait_for(all_finished, timeout=60)
        wait_for(lambda: not app.poller._in_flight)
        # A late wave of retries after everything is posted changes nothing either.
        for envelope, _ in deliveries[: max(3, n // 4)]:
            assert deliver(url, envelope, retry_num=3).status_code == 200
        with app.store.read() as db:
            rows = list(db["recordings"].rows)

    assert len(rows) == n, [r["source"] for r in rows]
    assert {r["message_ts"] for r in rows} == set(threads)
    assert all(r["state"] == "posted" for r in rows)
    per_thread = {}
    for channel in CHANNELS:
        per_thread.update(summaries_by_thread(fake_slack, channel))
    assert per_thread == dict.fromkeys(threads, 1), "duplicate or missing summaries"
    for ts, channel in threads.items():
        assert len(fake_slack.statuses(channel, ts)) == 1, f"status messages in {ts}"
    assert len(stub_symbl.submissions) == n  # each recording submitted once
    assert len(fake_slack.calls_to("chat.postMessage")) == 2 * n  # one status and one summary each


@pytest.mark.parametrize("twin_first", [True, False])
def test_twin_and_retries_racing_one_recording(tmp_path, fake_slack, stub_symbl, twin_first):
    """The same recording's message, its three retries and two twins, all sent at once, many times over."""
    rounds = suite_size("storm_race_rounds", 5)
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    with running_bot(settings) as (app, url):
        for r in range(rounds):
            ts, channel = _ts(900 + r), CHANNELS[0]
            shares = {"public": {channel: [{"ts": ts}]}}
            file = fake_slack.add_file(f"FR{r}", f"race-{r}.mp3", AUDIO, shares=shares)
            message = event_envelope(file_share_event(file, channel=channel, ts=ts))
            twin = event_envelope(file_shared_event(file["id"], channel=channel))
            batch = [(twin, None), (twin, 1)] if twin_first else []
            batch += [(message, None), (message, 1), (message, 2), (message, 3)]
            if not twin_first:
                batch += [(twin, None), (twin, 1)]
            with ThreadPoolExecutor(max_workers=len(batch)) as pool:
                assert set(pool.map(lambda d: deliver(url, d[0], retry_num=d[1]).status_code, batch)) == {200}
        wait_for(
            lambda: all(r.state == "posted" for r in _rows(app)) and len(_rows(app)) == rounds, timeout=60
        )
    assert summaries_by_thread(fake_slack, CHANNELS[0]) == {_ts(900 + r): 1 for r in range(rounds)}
    assert len(stub_symbl.submissions) == rounds


def _rows(app) -> list[repo.Recording]:
    with app.store.read() as db:
        ids = [r["id"] for r in db["recordings"].rows]
    return [repo.get(app.store, i) for i in ids]
