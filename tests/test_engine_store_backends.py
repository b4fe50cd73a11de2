"""The engine's store on both backends (SQLite file, PostgreSQL database): what API nodes share, and the
claims, leases and fenced writes its workers rely on. Two `Store`s on one target stand for two processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine.store import ConversationBusy, JobLimitReached, LeaseLost, Store, TrackerNameTaken
from bot.errors import ConfigError

CREDENTIALS = "fingerprint"
RESULT = {"messages": [{"id": "m1", "text": "Hello."}], "topics": [{"text": "greeting"}]}


@pytest.fixture
def stores(engine_database: Path | str) -> Iterator[tuple[Store, Store]]:
    first, second = Store(engine_database), Store(engine_database)
    yield first, second
    first.close()
    second.close()


def submit(store: Store, job_id: str, conversation_id: str, *, new: bool = True, **kwargs) -> bool:
    return store.add_job(
        job_id=job_id,
        conversation_id=conversation_id,
        new_conversation=new,
        name="standup",
        start_time="2026-12-01T10:00:00Z",
        source="text",
        media_path=f"{conversation_id}/{job_id}.json",
        url=None,
        owner="app",
        **{"options": {"name": "standup"}, **kwargs},
    )


def test_a_token_minted_through_one_store_is_valid_through_another(stores):
    a, b = stores
    a.add_token("secret-token", "app", 3600, CREDENTIALS)
    assert b.token_app("secret-token", CREDENTIALS) == "app"
    assert b.token_app("secret-token", "other credentials") is None
    assert b.token_app("another-token", CREDENTIALS) is None


def test_a_submission_through_one_store_is_worked_and_read_through_another(stores):
    a, b = stores
    assert submit(a, "j1", "c1")
    job = b.claim("worker-b", 60, 2)
    assert job is not None and (job.id, job.status, job.starts) == ("j1", "in_progress", 1)
    assert b.complete_job(job, RESULT, lease_owner="worker-b")
    assert a.job("j1", owner="app").status == "completed"
    conversation = a.conversation("c1", owner="app")
    assert conversation["messages"] == RESULT["messages"] and conversation["topics"] == RESULT["topics"]
    assert a.conversation("c1", owner="someone else") is None


def test_appends_to_one_conversation_are_claimed_in_order_one_at_a_time(stores):
    a, b = stores
    submit(a, "j1", "c1")
    submit(b, "j2", "c1", new=False)
    submit(a, "j3", "c2")
    first, other = a.claim("w1", 60, 2), b.claim("w2", 60, 2)
    assert (first.id, other.id) == ("j1", "j3")
    assert a.claim("w3", 60, 2) is None  # j2 waits for j1
    a.complete_job(first, RESULT, lease_owner="w1")
    assert b.claim("w3", 60, 2).id == "j2"


def test_a_stalled_workers_lease_is_taken_over_and_its_late_write_refused(stores):
    a, b = stores
    submit(a, "j1", "c1")
    stalled = a.claim(
        "worker-a", 10, 2, now=time.time() - 60
    )  # its lease ended 50 s ago: it stopped renewing
    assert (
        b.claim("worker-b", 60, 2, now=time.time() - 70) is None
    )  # before the lease expired: nobody's to take
    taken = b.claim("worker-b", 60, 2)
    assert taken is not None and taken.id == stalled.id and taken.starts == 2
    assert not a.renew("j1", "worker-a", 60)
    with pytest.raises(LeaseLost):
        a.complete_job(stalled, RESULT, lease_owner="worker-a")
    with pytest.raises(LeaseLost):
        a.finish_job("j1", "failed", "late", lease_owner="worker-a")
    assert a.conversation("c1")["messages"] == [] and a.job("j1").status == "in_progress"
    assert b.renew("j1", "worker-b", 60)
    assert b.complete_job(taken, RESULT, lease_owner="worker-b")
    assert a.conversation("c1")["messages"] == RESULT["messages"]


def test_a_job_that_keeps_killing_its_workers_fails_with_a_clear_message(stores):
    a, b = stores
    submit(a, "j1", "c1")
    long_ago = time.time() - 600
    a.claim("first", 10, 2, now=long_ago)
    b.claim("second", 10, 2, now=long_ago + 20)  # the first died; the second too
    assert b.claim("third", 60, 2) is None  # a job at two deaths does not start a third time
    failed = a.fail_crashed(2, "The engine stopped twice.")
    assert [job.id for job in failed] == ["j1"]
    assert (a.job("j1").status, a.job("j1").message) == ("failed", "The engine stopped twice.")
    assert b.fail_crashed(2, "again") == []


def test_a_clean_stop_gives_the_job_back_at_once(stores):
    a, b = stores
    submit(a, "j1", "c1")
    a.claim("stopping", 600, 2)
    a.release_interrupted("j1", "not-the-owner")
    assert b.claim("other", 60, 2) is None
    a.release_interrupted("j1", "stopping")
    taken = b.claim("other", 60, 2)
    assert taken.id == "j1" and taken.starts == 1  # a clean stop is not counted as a crash


def test_a_retry_waits_for_its_time_and_any_worker_takes_it(stores):
    a, b = stores
    submit(a, "j1", "c1")
    a.claim("w1", 60, 2)
    a.retry_later("j1", time.time() + 30, "w1")
    assert b.claim("w2", 60, 2) is None and 29 < b.seconds_to_next_retry() <= 30
    job = b.claim("w2", 60, 2, now=time.time() + 31)
    assert (job.id, job.tries, job.starts) == ("j1", 1, 1)


def test_the_unfinished_job_limit_holds_under_concurrent_submissions(engine_database, stores):
    # SQLite: one process owns the file, so its threads share one store; PostgreSQL: two nodes.
    pool = stores if isinstance(engine_database, str) else (stores[0], stores[0])
    outcomes: list[bool] = []

    def submit_one(n: int) -> None:
        try:
            outcomes.append(submit(pool[n % 2], f"j{n}", f"c{n}", max_unfinished=3))
        except JobLimitReached:
            outcomes.append(False)

    threads = [threading.Thread(target=submit_one, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(True) == 3 and stores[1].unfinished_count() == 3
    assert sorted(job.seq for job in stores[1].jobs()) == [1, 2, 3]


def test_concurrent_claims_take_different_jobs(engine_database, stores):
    pool = stores if isinstance(engine_database, str) else (stores[0], stores[0])
    for n in range(8):
        submit(stores[0], f"j{n}", f"c{n}")
    claimed: list[str] = []

    def claim_all(n: int) -> None:
        while (job := pool[n % 2].claim(f"w{n}", 60, 2)) is not None:
            claimed.append(job.id)

    threads = [threading.Thread(target=claim_all, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == [f"j{n}" for n in range(8)]


def test_an_edit_waits_for_the_conversations_jobs(stores):
    a, b = stores
    submit(a, "j1", "c1")
    with pytest.raises(ConversationBusy):
        b.update_conversation("c1", "app", lambda c: c["topics"].append({"text": "x"}))
    b.complete_job(b.claim("w", 60, 2), RESULT, lease_owner="w")
    assert (
        b.update_conversation("c1", "app", lambda c: c["topics"].append({"text": "x"}) or "edited")
        == "edited"
    )
    assert a.conversation("c1")["topics"] == [*RESULT["topics"], {"text": "x"}]
    assert a.set_insight("c1", "summary", [{"text": "short"}])
    assert b.conversation("c1")["summary"] == [{"text": "short"}]
    assert a.delete_conversation("c1") == ["c1/j1.json"] and b.conversation("c1") is None


def test_every_status_change_owes_its_webhook_in_the_same_transaction(stores):
    a, b = stores
    submit(a, "j1", "c1", options={"name": "standup", "webhookUrl": "https://bot.example/hook"})
    submit(a, "j2", "c2")  # no webhookUrl: nothing owed
    job = b.claim("worker-b", 60, 2)
    assert job is not None and job.id == "j1"
    assert b.complete_job(job, RESULT, lease_owner="worker-b")
    # Claimed by one sender (node), the notices are held from the others until sent or the hold ends.
    owed = a.claim_notices(30)
    assert [(n.job_id, n.status, n.owner, n.url) for n in owed] == [
        ("j1", status, "app", "https://bot.example/hook")
        for status in ("scheduled", "in_progress", "completed")
    ]
    assert b.claim_notices(30) == []
    a.notice_sent(owed[0].id)
    # The sender of the other two died before marking them sent: once the hold ends, another sends them.
    assert [n.id for n in b.claim_notices(30, now=time.time() + 31)] == [n.id for n in owed[1:]]
    for notice in owed[1:]:
        b.notice_sent(notice.id)
    assert a.unsent_notices() == 0


def test_media_a_dead_worker_left_after_the_jobs_end_is_found_a_while_later(stores):
    a, b = stores
    for job_id in ("j1", "j2", "j3"):
        submit(a, job_id, f"c-{job_id}")
    for _ in range(2):  # j1 and j2 end; j3 still runs
        job = a.claim("worker-a", 60, 2)
        assert job is not None
        a.complete_job(job, RESULT, lease_owner="worker-a")
    a.claim("worker-a", 60, 2)
    a.media_cleared("j1")  # its worker deleted j1's media; j2's died first
    assert b.uncleared_media(ended_before=time.time() - 60) == []  # too recent: its worker may be at it
    assert [j.id for j in b.uncleared_media(ended_before=time.time() + 1)] == ["j2"]


def test_a_status_change_rolled_back_owes_nothing(stores):
    a, b = stores
    submit(a, "j1", "c1", options={"name": "standup", "webhookUrl": "https://bot.example/hook"})
    a.notice_sent(a.claim_notices(30)[0].id)
    job = a.claim("worker-a", 60, 2)
    assert job is not None
    a.notice_sent(a.claim_notices(30)[0].id)
    b.claim("worker-b", 60, 2, now=time.time() + 61)  # taken over: a's late write is refused
    with pytest.raises(LeaseLost):
        a.complete_job(job, RESULT, lease_owner="worker-a")
    assert [n.status for n in a.claim_notices(30)] == ["in_progress"]  # b's start only, no completion


def test_trackers_keep_creation_order_and_unique_names(stores):
    a, b = stores
    a.add_trackers("app", [("t2", "zeta", ["z"]), ("t1", "alpha", ["a"])], max_trackers=10)
    assert [t["name"] for t in b.trackers("app")] == ["zeta", "alpha"]
    with pytest.raises(TrackerNameTaken):
        b.add_trackers("app", [("t3", "alpha", ["b"])], max_trackers=10)
    with pytest.raises(TrackerNameTaken):
        b.update_tracker("t2", "app", "alpha", ["z"])
    assert b.update_tracker("t2", "app", "omega", ["o"]) == {"id": "t2", "name": "omega", "vocabulary": ["o"]}
    assert a.delete_tracker("t1", "app") and [t["id"] for t in b.trackers("app")] == ["t2"]


def test_the_engine_schema_shares_a_database_with_the_bot(postgres_cluster):
    from storage.db import open_store

    url = postgres_cluster.new_database()
    stores: list[Store] = []
    openers = [threading.Thread(target=lambda: stores.append(Store(url))) for _ in range(4)]
    for opener in openers:  # nodes starting at once take turns at the migrations
        opener.start()
    for opener in openers:
        opener.join()
    bot_store = open_store(url)
    try:
        assert len(stores) == 4
        with bot_store.read() as db:
            tables = {r[0] for r in db.execute("SELECT table_name FROM information_schema.tables "
                                               "WHERE table_schema = 'engine'").fetchall()}  # fmt: skip
        assert {"jobs", "conversations", "access_tokens", "trackers", "schema_migrations"} <= tables
        assert "jobs" not in bot_store.tables_with_column("id")  # the bot's schema has no engine table
    finally:
        bot_store.close()
        for store in stores:
            store.close()


def test_the_engine_database_url_is_checked_where_settings_are_read(tmp_path):
    with pytest.raises(ConfigError, match="SYMBL_ENGINE_DATABASE_URL"):
        Settings.from_env({"SYMBL_ENGINE_DATABASE_URL": "mysql://db/engine"})
    default = Settings.from_env({"SYMBL_BOT_DATA_DIR": str(tmp_path)})
    assert default.engine_database == tmp_path / "engine.db"
    # The bot's PostgreSQL database is the engine's too unless it has its own (issue 23: "default: the bot's
    # database, its own schema"): every bot machine's embedded engine then shares one queue.
    assert Settings.from_env({"SYMBL_BOT_DATABASE_URL": "postgresql://h/db"}).engine_database_url == (
        "postgresql://h/db"
    )
    assert (
        Settings.from_env(
            {"SYMBL_BOT_DATABASE_URL": "postgresql://h/db", "SYMBL_ENGINE_DATABASE_URL": "postgresql://e/db"}
        ).engine_database_url
        == "postgresql://e/db"
    )
    shared = Settings.from_env(
        {"SYMBL_ENGINE_DATABASE_URL": "postgresql://h/db", "SYMBL_ENGINE_LEASE_SECONDS": "5"}
    )
    assert (shared.engine_database, shared.engine_lease_seconds) == ("postgresql://h/db", 5.0)


def test_the_sqlite_engine_never_imports_the_postgres_driver(tmp_path):
    script = (
        "import sys, pathlib; import bot; from bot.engine.server import EngineServer; "
        "from bot.engine.store import Store; Store(pathlib.Path(sys.argv[1])).close(); "
        "assert not [m for m in sys.modules if m.startswith('psycopg')], 'psycopg imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "engine.db")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
