"""storage/: migrations, idempotent recording keys, the state machine and the due-row index."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage import open_store
from storage import recordings as repo
from storage.schema import migrations


@pytest.fixture(name="store")
def store_fixture(tmp_path):
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


def test_a_lone_write_leaves_no_transaction_open(store):
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


def test_due_query_is_served_by_the_index(store):
    plan = store.db.execute(
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
