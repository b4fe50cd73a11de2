"""storage/: migrations, idempotent recording keys, the state machine and the due-row index, on both backends
(SQLite always; PostgreSQL where initdb exists), and the SQLite specifics (WAL, the query plan)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage import admin, ask_candidates, conversations, open_store, search
from storage import recordings as repo
from storage.postgres_schema import MIGRATIONS
from storage.schema import migrations


@pytest.fixture(name="store")
def store_fixture(bot_database):
    opened = open_store(bot_database)
    yield opened
    opened.close()


@pytest.fixture(name="sqlite_store")
def sqlite_store_fixture(tmp_path):
    opened = open_store(tmp_path / "bot.db")
    yield opened
    opened.close()


def _record(store, **overrides):
    values = {
        "team_id": "T1",
        "channel_id": "C1",
        "source": "F1",
        "message_ts": "1.1",
        "kind": "file",
        "name": "a.mp3",
    }
    values.update(overrides)
    return repo.record(store, **values)


def test_open_applies_migrations_once_and_uses_wal(tmp_path):
    first = open_store(tmp_path / "bot.db")
    names = [m.name for m in migrations.applied(first.db)]
    assert names[:3] == ["m001_recordings", "m002_conversations", "m003_commands"]
    first.close()
    again = open_store(tmp_path / "bot.db")
    assert [m.name for m in migrations.applied(again.db)] == names  # nothing applied twice
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_same_key_records_once(store):
    first, created = _record(store)
    second, created_again = _record(store, name="renamed.mp3")
    assert created and not created_again
    assert first.id == second.id and second.name == "a.mp3"
    _, other_message = _record(store, message_ts="1.2")  # the same file posted again in a new message
    assert other_message
    assert repo.source_seen(store, "T1", "C1", "F1") and not repo.source_seen(store, "T1", "C2", "F1")


def test_a_new_recording_is_returned_as_stored(store):
    """`record` builds the new row from what it wrote and the schema's defaults instead of reading it back."""
    new, created = _record(
        store, thread_ts="1.0", user_id="U1", download_url="https://files.slack.com/x", size=9, append_to="c"
    )
    assert created and new == repo.get(store, new.id)


def test_a_lone_write_leaves_no_transaction_open(sqlite_store):
    store = sqlite_store
    _record(store)
    assert not store.db.conn.in_transaction  # autocommit: SQLite's write lock is free for the worker


def test_a_recording_is_written_while_another_thread_holds_the_store(store):
    """The ack path's INSERT takes no turn behind the store's lock (a holder waiting for the interpreter lock
    made every request queue behind it): with the lock held elsewhere, `record` still finishes."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.read():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    outcome: list = []
    writer = threading.Thread(target=lambda: outcome.append(_record(store)))
    writer.start()
    writer.join(10)
    finished = not writer.is_alive()
    release.set()
    holder.join(10)
    writer.join(10)
    assert finished
    assert outcome[0][1] and repo.get(store, outcome[0][0].id) == outcome[0][0]


def test_concurrent_records_each_get_their_own_row_and_a_redelivery_none(store):
    """Many threads at once: each new key is created exactly once, with the id SQLite gave it (a pooled
    connection's rowcount and lastrowid are one writer's at a time)."""
    keys = [f"{i}.1" for i in range(40)] * 2  # every key delivered twice
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda ts: _record(store, message_ts=ts), keys))
    created = [rec for rec, new in results if new]
    assert sorted(rec.message_ts for rec in created) == sorted(set(keys))
    assert all(repo.get(store, rec.id) == rec for rec in created)
    by_key = {rec.message_ts: rec.id for rec in created}
    assert all(rec.id == by_key[rec.message_ts] for rec, _ in results)


def test_a_write_inside_a_transaction_joins_it(store):
    """Inside `tx()` the write uses the transaction's connection: a pooled one would wait for the write lock
    this very thread holds, and what the transaction rolls back goes with it."""
    with pytest.raises(RuntimeError), store.tx():
        _record(store, message_ts="9.1")
        raise RuntimeError("rolled back")
    assert not repo.source_seen(store, "T1", "C1", "F1")


def test_state_machine_moves_forward_only(store):
    rec, _ = _record(store)
    assert rec.state == "queued" and rec.thread_ts == "1.1"
    assert repo.mark_submitted(store, rec.id, "conv", "job", time.time() + 5)
    assert not repo.mark_submitted(store, rec.id, "conv2", "job2", time.time())  # not from submitted
    assert repo.mark_processing(store, rec.id, time.time(), polls=1)
    rec = repo.get(store, rec.id)
    assert repo.mark_completed(store, rec, {"topics": [{"text": "x"}]})
    assert repo.insights_for(store, "conv") == {"topics": [{"text": "x"}]}
    assert repo.mark_posted(store, rec.id, "9.9")
    done = repo.get(store, rec.id)
    assert (done.state, done.summary_ts, done.next_poll_at) == ("posted", "9.9", None)
    assert not repo.mark_failed(store, rec.id, "late error")  # finished rows stay finished


def test_due_rows_and_resume(store):
    now = time.time()
    a, _ = _record(store, source="A", now=now)
    b, _ = _record(store, source="B", now=now)
    repo.mark_submitted(store, b.id, "c", "j", now + 60)
    c, _ = _record(store, source="C", now=now)
    repo.mark_failed(store, c.id, "bad")
    assert repo.due(store, now + 1) == [a.id]
    assert repo.resume_all(store, now + 1) == 1  # b was waiting: due again
    assert sorted(repo.due(store, now + 1)) == [a.id, b.id]
    assert repo.by_job(store, "j").id == b.id


def test_due_query_is_served_by_the_index(sqlite_store):
    plan = sqlite_store.db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM recordings WHERE state IN ('queued','submitted','processing',"
        "'completed') AND next_poll_at <= ? ORDER BY next_poll_at LIMIT 100",
        [time.time()],
    ).fetchall()
    assert any("recordings_due" in row[-1] for row in plan), plan


def test_retry_later_keeps_the_row_and_counts(store):
    rec, _ = _record(store)
    assert repo.retry_later(store, rec.id, "503", time.time() + 10) == 1
    assert repo.retry_later(store, rec.id, "503", time.time() + 10) == 2
    kept = repo.get(store, rec.id)
    assert (kept.state, kept.error) == ("queued", "503")


def test_epoch_seconds_keep_their_precision(store):
    """Times are compared to the microsecond (a due row, a lease): PostgreSQL's REAL would round them."""
    now = 1_790_000_000.123456
    rec, _ = _record(store, now=now)
    assert repo.get(store, rec.id).created_at == now
    assert repo.due(store, now) == [rec.id] and repo.due(store, now - 0.000001) == []


def test_search_finds_stems_in_the_given_channels_only_and_reads_no_syntax(store):
    for source, channel, text in [("A", "C1", "We are releasing the mobile app on Friday"),
                                  ("B", "C2", "The mobile release slips"),
                                  ("C", "C1", "Budget talk only")]:  # fmt: skip
        rec, _ = _record(store, source=source, channel_id=channel, name=f"{source}.mp3")
        repo.mark_submitted(store, rec.id, f"conv-{source}", f"job-{source}", time.time())
        repo.mark_completed(store, repo.get(store, rec.id), {"messages": [{"text": text}]})
    hits = search.search(store, "T1", ["C1"], "released apps")
    assert [h.conversation_id for h in hits] == ["conv-A"] and "*" in hits[0].snippet
    assert [h.conversation_id for h in search.search(store, "T1", ["C1", "C2"], "mobile")] != []
    assert {h.channel_id for h in search.search(store, "T1", ["C1", "C2"], "mobile")} == {"C1", "C2"}
    assert [h.conversation_id for h in search.search(store, "T1", ["C1"], '"mobile')] == ["conv-A"]
    assert search.search(store, "T1", ["C1"], "mobile or budget") == []  # plain terms, all required


def test_ask_candidates_match_any_word_in_the_given_channels_only(store):
    for source, channel, text in [("A", "C1", "The vendor contract renews in March"),
                                  ("B", "C2", "The vendor contract is cancelled"),
                                  ("C", "C1", "Budget talk only")]:  # fmt: skip
        rec, _ = _record(store, source=source, channel_id=channel, name=f"{source}.mp3")
        repo.mark_submitted(store, rec.id, f"conv-{source}", f"job-{source}", time.time())
        repo.mark_completed(store, repo.get(store, rec.id), {"messages": [{"text": text}]})
    words = ["vendor", "contract", "pricing"]  # no meeting says "pricing": any word is enough
    assert ask_candidates.conversations_matching(store, "T1", ["C1"], words) == ["conv-A"]
    assert set(ask_candidates.conversations_matching(store, "T1", ["C1", "C2"], words)) == {
        "conv-A",
        "conv-B",
    }
    assert ask_candidates.conversations_matching(store, "T1", ["C1"], ["weather"]) == []
    assert ask_candidates.conversations_matching(store, "T2", ["C1"], words) == []  # another team's


def test_forgetting_a_conversation_deletes_it_everywhere_but_the_recording(store):
    rec, _ = _record(store)
    repo.mark_submitted(store, rec.id, "conv", "job", time.time())
    repo.mark_completed(store, repo.get(store, rec.id), {"messages": [{"text": "hello there"}]})
    assert search.search(store, "T1", ["C1"], "hello")
    assert admin.forget_conversation(store, "conv") >= 2  # the cached insights and the search entry
    assert (
        conversations.get(store, "T1", "conv") is None and search.search(store, "T1", ["C1"], "hello") == []
    )
    assert repo.get(store, rec.id) is not None


@pytest.mark.slow  # starts processes
def test_many_processes_opening_a_new_postgres_database_at_once_migrate_it_once(postgres_cluster):
    """The migrations run under an advisory lock: ten processes starting together do not race."""
    import subprocess
    import sys

    url = postgres_cluster.new_database()
    code = "import sys; from storage import open_store; open_store(sys.argv[1]).close()"
    starters = [
        subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE) for _ in range(10)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in starters]
    assert [p.returncode for p in starters] == [0] * 10, errors
    store = open_store(url)
    try:
        with store.read() as db:
            applied = [r[0] for r in db.execute("SELECT name FROM schema_migrations ORDER BY name")]
        assert applied == [name for name, _ in MIGRATIONS] and store.pending_migrations() == []
    finally:
        store.close()


def test_the_default_never_imports_the_postgres_driver(tmp_path):
    """psycopg is an optional extra: the bot, its storage and a SQLite store load without it."""
    import subprocess
    import sys

    code = (
        "import sys, bot, bot.slack.app, bot.cli, storage; storage.open_store(sys.argv[1]).close(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "bot.db")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_postgres_url_without_the_driver_is_one_clear_configuration_error(monkeypatch):
    import importlib.util

    from bot.config import Settings
    from bot.errors import ConfigError

    url = "postgresql://bot@db.example/symbl"
    assert Settings.from_env({"SYMBL_BOT_DATABASE_URL": url}).bot_database == url
    assert Settings.from_env({"DATABASE_URL": "mysql://x/y"}).database_url is None  # a platform's, not ours
    with pytest.raises(ConfigError, match="SYMBL_BOT_DATABASE_URL must be"):
        Settings.from_env({"SYMBL_BOT_DATABASE_URL": "mysql://x/y"})
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(ConfigError, match=r"\[postgres\]"):
        Settings.from_env({"DATABASE_URL": url})
