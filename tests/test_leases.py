"""Claims and leases (storage.leases, storage.fence, the poller's claim mode), on both backends: a due row is
claimed by one worker at a time, a stalled worker's writes change nothing once its lease is taken over, a
post is made only inside the lease, housekeeping runs once per interval, and a killed worker process's row is
stepped again by another within the lease and two ticks."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.slack.ops.scheduler import Poller
from storage import fence, leases, open_store, summary_parts
from storage import recordings as repo
from storage.fence import LeaseLost
from tests.support.wait import wait_until


@pytest.fixture(name="store")
def store_fixture(bot_database):
    opened = open_store(bot_database)
    yield opened
    opened.close()


def _record(store, n: int, now: float | None = None) -> list[int]:
    return [
        repo.record(store, team_id="T1", channel_id="C1", source=f"F{i}", message_ts=f"{i}.1", now=now)[0].id
        for i in range(n)
    ]


def test_workers_claiming_at_once_each_get_different_rows(store):
    ids = _record(store, 60)
    claimed: dict[str, list[int]] = {}

    def worker(owner: str) -> None:
        mine = claimed.setdefault(owner, [])
        while got := leases.claim(store, owner, 60, 3):
            mine += got

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(worker, [f"w{i}" for i in range(8)]))
    every = [i for got in claimed.values() for i in got]
    assert sorted(every) == sorted(ids)  # each row once, none missed
    assert leases.claim(store, "late", 60, 10) == []  # all leased


def test_an_expired_lease_is_taken_over_and_the_old_owners_writes_are_fenced_off(store):
    now = time.time()
    rid, other = _record(store, 2, now)
    repo.mark_failed(store, other, "not due: stays out of the claims")
    assert leases.claim(store, "A", 10, 5, now=now) == [rid]
    assert leases.claim(store, "B", 10, 5, now=now + 5) == []  # A's lease holds
    assert leases.claim(store, "B", 10, 5, now=now + 11) == [rid]  # expired: B takes the row over
    with fence.fenced("A", 10, rid), pytest.raises(LeaseLost):
        repo.mark_submitted(store, rid, "conv-A", "job-A", now)
    with fence.fenced("A", 10, rid), pytest.raises(LeaseLost):
        leases.secure_post(store, 30)
    with fence.fenced("A", 10, rid), pytest.raises(LeaseLost):  # another row's write (an append's base's)
        summary_parts.remember(store, other, {1: "9.1"})
    assert repo.get(store, rid).job_id is None and summary_parts.of(store, other) == {}  # A changed nothing
    with fence.fenced("B", 10, rid):
        assert repo.mark_submitted(store, rid, "conv-B", "job-B", now)
        summary_parts.remember(store, other, {1: "9.1"})  # the step's lease fences writes to any row
    assert summary_parts.of(store, other) == {1: "9.1"}
    assert (repo.get(store, rid).job_id, repo.get(store, rid).lease_owner) == ("job-B", "B")


def test_a_post_gets_a_timeout_inside_the_renewed_lease(store):
    (rid,) = _record(store, 1)
    assert leases.claim(store, "A", 8, 1) == [rid]
    assert leases.secure_post(store, 30) is None  # outside a step: no lease to keep
    with fence.fenced("A", 8, rid):
        budget = leases.secure_post(store, 30)
    assert budget == 2.0  # a quarter of the lease, not the client's 30 s
    assert repo.get(store, rid).lease_until > time.time() + 8 - 2  # renewed before the post


def test_a_finished_step_releases_its_row_and_renewal_keeps_a_long_one(store):
    (rid,) = _record(store, 1)
    assert leases.claim(store, "A", 60, 1) == [rid]
    assert leases.renew(store, "A", 60, [rid]) == 1 and leases.renew(store, "B", 60, [rid]) == 0
    assert leases.release(store, "A", rid) == 1
    assert leases.claim(store, "B", 60, 1) == [rid]


def test_housekeeping_runs_once_per_interval_across_processes(bot_database):
    first, second = open_store(bot_database), open_store(bot_database)
    try:
        now = time.time()
        runs = [leases.claim_housekeeping(s, "sweep", 10, now) for s in (first, second, first)]
        assert runs == [True, False, False]
        assert leases.claim_housekeeping(second, "sweep", 10, now + 10) is True
        assert leases.claim_housekeeping(first, "other", 10, now) is True  # each job its own schedule
    finally:
        first.close()
        second.close()


_STALLING_WORKER = """
import sys, time
from bot.slack.ops.scheduler import Poller
from storage import open_store
def stall(recording_id):
    print(recording_id, flush=True)
    time.sleep(3600)
seconds = float(sys.argv[2])
poller = Poller(open_store(sys.argv[1]), stall, interval=0.1, lease_seconds=seconds, exclusive=False)
poller.start()
time.sleep(3600)
"""


@pytest.mark.slow  # starts a process
def test_a_killed_workers_row_is_stepped_again_within_the_lease_and_two_ticks(bot_database, tmp_path):
    lease_seconds, tick = 2.0, 0.1
    store = open_store(bot_database)
    (rid,) = _record(store, 1)
    target = str(bot_database)
    stalled = subprocess.Popen(
        [sys.executable, "-c", _STALLING_WORKER, target, str(lease_seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    stepped = threading.Event()
    poller = Poller(store, lambda i: stepped.set() if i == rid else None, interval=tick,
                    lease_seconds=lease_seconds, exclusive=False)  # fmt: skip
    try:
        assert stalled.stdout is not None and int(stalled.stdout.readline()) == rid  # it claimed the row
        assert repo.get(store, rid).lease_owner is not None
        stalled.kill()
        stalled.wait(10)
        poller.start()
        # The bound of the acceptance point: the dead worker's lease runs out, then within two ticks.
        wait_until(stepped.is_set, timeout=lease_seconds + 2 * tick + 1.0, what="the row stepped again")
        poller.stop(wait=True)
        assert repo.get(store, rid).lease_owner is None  # released after the step
    finally:
        if stalled.poll() is None:
            stalled.kill()
        stalled.wait(10)
        stalled.stdout.close()
        poller.stop(wait=True)
        store.close()


def test_a_wake_reaches_every_process_listening_on_postgres(postgres_cluster, tmp_path):
    url = postgres_cluster.new_database()
    listener, waker = open_store(url), open_store(url)
    woken = threading.Event()
    try:
        assert listener.listen(woken.set)
        # Repeated until heard: the listening connection may not be LISTENing yet at the first NOTIFY.
        wait_until(lambda: waker.wake_others() or woken.is_set(), timeout=10, what="the wake heard")
    finally:
        listener.close()
        waker.close()
    sqlite = open_store(tmp_path / "bot.db")
    try:
        assert sqlite.listen(woken.set) is False  # SQLite: the web process wakes its worker over their pipe
    finally:
        sqlite.close()


@pytest.mark.slow  # starts a process
def test_symbl_bot_worker_steps_what_a_web_process_recorded(bot_database, tmp_path, fake_slack, stub_symbl):
    """`symbl-bot worker`: the background alone, in its own process, on either backend."""
    from tests.suite_support import ROOT, bot_env, free_port

    database = {"SYMBL_BOT_DATABASE_URL": bot_database} if isinstance(bot_database, str) else {}
    data = tmp_path / "data"
    env = bot_env(data, fake_slack, stub_symbl, free_port(), **database)
    store = open_store(bot_database if database else data / "bot.db")
    file = fake_slack.add_file("FW1", "w.mp3", b"ID3" + b"\x00" * 2048)
    rec, _ = repo.record(store, team_id="T0TEAM", channel_id="C0CHAN", source="FW1", message_ts="1.5",
                         name="w.mp3", download_url=file["url_private_download"], size=2051)  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "worker"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: fake_slack.summaries("C0CHAN", "1.5"), timeout=60, what="the summary posted")
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        store.close()
    assert worker.returncode == 0, output  # SIGTERM: an orderly stop
    assert len(fake_slack.summaries("C0CHAN", "1.5")) == 1
    assert "Traceback" not in output, output


def test_healthz_reports_the_database_and_the_claim_mode(bot_database, tmp_path, fake_slack, stub_symbl):
    import requests

    from tests.slack_fakes import bot_settings, running_bot

    database_url = bot_database if isinstance(bot_database, str) else None
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl, database_url=database_url)
    with running_bot(settings) as (_bot, url):
        body = wait_until(
            lambda: (r := requests.get(url + "/healthz", timeout=5)).status_code == 200 and r.json()
        )
    assert body["db"]["backend"] == ("postgres" if database_url else "sqlite")
    assert body["db"]["pending_migrations"] == [] and body["db"]["ok"]
    # PostgreSQL: every process claims, none owns the schedule; SQLite: the lock holder owns it.
    assert body["scheduler"]["state"] == ("claiming" if database_url else "owner")
    assert body["scheduler"]["claim"] == "lease" and body["scheduler"]["ok"]
