"""`symbl-bot serve` with its background in a worker process (SYMBL_BOT_BACKGROUND=process, the default): real
subprocesses, real HTTP, real SQLite, the fake Slack and stub Symbl (or the embedded engine's Text API).

The web process answers Slack and writes rows; the worker it spawns polls and posts. What must hold: a
recording ends in exactly one note posted by the worker; a wake from the web process reaches the worker (with
a one-hour tick, nothing else could move the recording); a worker killed mid-run is restarted and the
recording still ends in one note; /healthz reports the worker's scheduler; shutdown leaves no process behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.errors import NotFound
from bot.providers.symbl.client import SymblClient
from storage import Recording, open_store
from storage import recordings as repo
from tests.slack_fakes import deliver, event_envelope, file_share_event, slash_command
from tests.suite_support import BotProcess, bot_env, free_port, summaries_by_thread
from tests.support.chaos import Gate
from tests.support.slack import FakeSlack
from tests.support.symbl import ChaosSymbl, StubSymbl
from tests.support.wait import wait_until
from tests.test_transcript_files import ZOOM_VTT

CHANNEL = "C0WORKER"
AUDIO = b"ID3" + b"\x00" * 4096


@pytest.fixture
def started() -> Iterator[list[BotProcess]]:
    """Bots a test starts; each is stopped (SIGTERM) at the end even if the test failed."""
    bots: list[BotProcess] = []
    yield bots
    for bot in bots:
        bot.stop()


def serve(started: list[BotProcess], tmp_path: Path, slack: FakeSlack, symbl: StubSymbl | None, **env: str):
    port = free_port()
    environment = bot_env(tmp_path / "data", slack, symbl, port, **env)
    bot = BotProcess(environment, tmp_path / f"bot-{port}.log")
    started.append(bot)
    return bot.start()


def health(bot: BotProcess) -> dict:
    return requests.get(bot.url + "/healthz", timeout=5).json()


def share(bot: BotProcess, slack: FakeSlack, file_id: str, ts: str, name: str = "call.mp3", data=AUDIO, **kw):
    file = slack.add_file(file_id, name, data, **kw)
    response = deliver(bot.url, event_envelope(file_share_event(file, channel=CHANNEL, ts=ts)))
    assert response.status_code == 200


def rows(bot: BotProcess) -> list[Recording]:
    store = open_store(Path(bot.env["SYMBL_BOT_DATA_DIR"]) / "bot.db")
    try:
        return [r for r in (repo.get(store, i) for i in range(1, 50)) if r is not None]
    finally:
        store.close()


def posted_state(bot: BotProcess, ts: str) -> bool:
    return any(r.message_ts == ts and r.state == "posted" for r in rows(bot))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_a_file_share_is_recorded_by_the_web_process_and_summarized_once_by_the_worker(
    tmp_path, fake_slack, stub_symbl, started
):
    bot = serve(started, tmp_path, fake_slack, stub_symbl)
    report = health(bot)
    worker_pid = report["worker"]["pid"]
    assert report["ok"] and report["worker"]["ok"] and worker_pid not in (None, bot.pid)
    assert report["scheduler"]["state"] == "owner" and report["scheduler"]["ok"]
    share(bot, fake_slack, "F1", "1700500001.000100")
    wait_until(lambda: summaries_by_thread(fake_slack, CHANNEL), timeout=60, what="the summary")
    wait_until(lambda: posted_state(bot, "1700500001.000100"), what="the row marked posted")
    assert summaries_by_thread(fake_slack, CHANNEL) == {"1700500001.000100": 1}


def test_a_wake_from_the_web_process_reaches_the_worker(tmp_path, fake_slack, started):
    """A one-hour tick: after the worker's first tick at start, only the web process's wake (the file_share)
    and the engine's completion notice (inside the worker) can move the recording to its note."""
    bot = serve(started, tmp_path, fake_slack, None, SYMBL_BOT_POLL_SECONDS="3600")  # the embedded engine
    assert health(bot)["engine"]["provider"] == "embedded"
    share(bot, fake_slack, "F1", "1700500002.000100", "standup.vtt", ZOOM_VTT.encode(),
          mimetype="text/vtt", filetype="vtt")  # fmt: skip
    wait_until(lambda: summaries_by_thread(fake_slack, CHANNEL), timeout=60, what="the summary")
    assert summaries_by_thread(fake_slack, CHANNEL) == {"1700500002.000100": 1}


def test_the_web_process_reaches_the_workers_engine_for_its_own_calls(tmp_path, fake_slack, started):
    """`/symbl forget` runs in the web process, against the engine in the worker (its URL came by pipe)."""
    bot = serve(started, tmp_path, fake_slack, None)
    fake_slack.add_user("U0ALICE", "Alice", channels=(CHANNEL,))
    share(bot, fake_slack, "F1", "1700500003.000100", "standup.vtt", ZOOM_VTT.encode(),
          mimetype="text/vtt", filetype="vtt")  # fmt: skip
    wait_until(lambda: posted_state(bot, "1700500003.000100"), timeout=60, what="the summary")
    [rec] = rows(bot)
    engine = SymblClient(health(bot)["engine"]["url"], "local", "local")
    assert engine.fetch_insights(rec.conversation_id)["topics"] is not None
    response_url = fake_slack.response_url()
    answer = slash_command(
        bot.url, f"forget {rec.conversation_id}", response_url=response_url, channel=CHANNEL
    )
    assert answer.status_code == 200
    [reply] = wait_until(lambda: fake_slack.responses_to(response_url), what="the answer")
    assert "Forgot" in json.dumps(reply)
    with pytest.raises(NotFound):
        engine.fetch_insights(rec.conversation_id)


def test_a_killed_worker_is_restarted_and_the_recording_still_gets_one_note(tmp_path, fake_slack, started):
    # Symbl keeps the job in progress until told, so the worker is killed with the recording mid-run.
    symbl = StubSymbl(mode="hold")
    try:
        bot = serve(started, tmp_path, fake_slack, symbl)
        first_pid = health(bot)["worker"]["pid"]
        share(bot, fake_slack, "F1", "1700500004.000100")
        # Killed once the row holds the job id: killed between Symbl's answer and that write, the worker has
        # not recorded the job, and its successor rightly submits again (a second job this test never ends).
        wait_until(
            lambda: any(r.job_id for r in rows(bot) if r.message_ts == "1700500004.000100"),
            what="the job submitted by the worker and recorded",
        )
        os.kill(first_pid, signal.SIGKILL)
        restarted = wait_until(
            lambda: (h := health(bot))["worker"]["ok"] and h["worker"]["pid"] != first_pid and h,
            timeout=60,
            what="the worker restarted",
        )
        assert restarted["worker"]["restarts"] == 1 and bot.proc.poll() is None
        wait_until(
            lambda: health(bot)["scheduler"]["state"] == "owner", what="the new worker owning the lease"
        )
        [job_id] = symbl.jobs
        symbl.finish(job_id)
        wait_until(lambda: posted_state(bot, "1700500004.000100"), timeout=60, what="the note")
        assert summaries_by_thread(fake_slack, CHANNEL) == {"1700500004.000100": 1}
        assert len(symbl.jobs) == 1  # submitted once: the restarted worker resumed the row, not resubmitted
    finally:
        symbl.close()


def test_healthz_reports_the_workers_scheduler_and_shutdown_leaves_no_process(
    tmp_path, fake_slack, stub_symbl, started
):
    bot = serve(started, tmp_path, fake_slack, stub_symbl)
    report = wait_until(
        lambda: (h := health(bot))["scheduler"].get("last_tick_seconds_ago") is not None and h
    )
    assert report["scheduler"]["state"] == "owner" and report["scheduler"]["ok"]
    assert report["disk"]["ok"] and report["engine"]["provider"] == "symbl"
    # A second serve on the same data dir: its worker stands by (one process polls), and its health says so.
    second = serve(started, tmp_path, fake_slack, stub_symbl)
    assert wait_until(lambda: health(second)["scheduler"]["state"] == "standby")
    worker_pid = report["worker"]["pid"]
    assert alive(worker_pid)
    bot.stop()
    assert bot.proc.returncode == 0  # SIGTERM: an orderly exit
    wait_until(lambda: not alive(worker_pid), timeout=30, what="the worker gone")
    # The standby's worker takes the lease over.
    wait_until(lambda: health(second)["scheduler"]["state"] == "owner", timeout=30)


def test_the_worker_checkpoints_the_wal_the_web_process_leaves_alone(tmp_path):
    """The web process's connection never checkpoints (an fsync under the store's lock stalled acks); the
    worker's periodic PASSIVE checkpoint copies every frame the web process wrote into the database."""
    from bot.slack.worker import _checkpoint

    web, worker = open_store(tmp_path / "bot.db"), open_store(tmp_path / "bot.db")
    web.leave_checkpoints_to_another_process()
    for i in range(300):
        repo.record(web, team_id="T1", channel_id="C1", source=f"F{i}", message_ts=f"{i}.0001")
    database = tmp_path / "bot.db"
    before = database.stat().st_size  # the rows are only in the WAL so far
    _checkpoint(worker)
    assert database.stat().st_size > before + 300 * 50  # copied into the database file itself
    with worker.read() as db:
        assert db.execute("SELECT count(*) FROM recordings").fetchone()[0] == 300
    web.close()
    worker.close()


def test_a_worker_whose_web_process_was_killed_stops_by_itself(tmp_path, fake_slack, stub_symbl, started):
    """SIGKILL leaves the web process no chance to stop its worker: the worker sees its pipe close and exits
    (no orphan polling on without supervision), and a new serve on the same data dir owns the lease."""
    bot = serve(started, tmp_path, fake_slack, stub_symbl)
    worker_pid = health(bot)["worker"]["pid"]
    bot.kill()
    wait_until(lambda: not alive(worker_pid), timeout=30, what="the orphaned worker gone")
    again = serve(started, tmp_path, fake_slack, stub_symbl)
    assert wait_until(lambda: health(again)["scheduler"]["state"] == "owner", timeout=30)


def test_the_background_setting():
    from bot.config import Settings
    from bot.errors import ConfigError

    assert Settings.from_env({}).background == "process"  # serve's default
    assert Settings.from_env({"SYMBL_BOT_BACKGROUND": " Thread "}).background == "thread"
    with pytest.raises(ConfigError, match="SYMBL_BOT_BACKGROUND must be one of process, thread"):
        Settings.from_env({"SYMBL_BOT_BACKGROUND": "fork"})


def test_a_killed_web_process_leaves_no_worker_even_mid_step_and_a_restarted_bot_processes(
    tmp_path, fake_slack, started
):
    """issue 21, finding 2: SIGKILL of the web process while a step is stuck (here a submission Symbl holds
    for two minutes). The orphan used to wait for that step before stopping, holding the scheduler lease the
    whole time: a restarted bot stood by, reported healthy and processed nothing. The worker must be gone
    within seconds, and the restarted bot's worker must own the lease and carry a new recording to its
    note."""
    symbl = ChaosSymbl()
    held = symbl.gates.add(
        Gate(lambda key, info: key.startswith("POST /v1/process/"), after_effect=False, limit=120)
    )
    try:
        bot = serve(started, tmp_path, fake_slack, symbl)
        worker_pid = health(bot)["worker"]["pid"]
        share(bot, fake_slack, "F1", "1700500005.000100")
        wait_until(held.arrived.is_set, timeout=60, what="the worker's submission held by Symbl")
        bot.kill()
        wait_until(lambda: not alive(worker_pid), timeout=20, what="the orphaned worker gone")
        again = serve(started, tmp_path, fake_slack, symbl)
        wait_until(lambda: health(again)["scheduler"]["state"] == "owner", timeout=30, what="the new owner")
        share(again, fake_slack, "F2", "1700500006.000100")
        wait_until(lambda: posted_state(again, "1700500006.000100"), timeout=60, what="the new note")
    finally:
        symbl.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_kernel_ends_a_worker_whose_parent_was_killed(tmp_path):
    """The first of the worker's ties to its web process (bot.slack.ops.lifeline): a process that asked for
    the parent-death signal and then waits on nothing else (as a wedged worker would) ends with its parent."""
    child = (
        "import os, signal, sys; from bot.slack.ops import lifeline; "
        "assert lifeline.die_with_parent(int(sys.argv[1])); print(os.getpid(), flush=True); signal.pause()"
    )
    with subprocess.Popen(
        [sys.executable, "-c", "import os, signal, subprocess, sys; "
         f"subprocess.Popen([sys.executable, '-c', {child!r}, str(os.getpid())]); signal.pause()"],
        stdout=subprocess.PIPE,
        text=True,
    ) as parent:  # fmt: skip
        try:
            child_pid = int(parent.stdout.readline())  # type: ignore[union-attr]
            assert alive(child_pid)
        finally:
            parent.kill()
    wait_until(lambda: not alive(child_pid), timeout=10, what="the child gone with its parent")


def test_a_stop_asked_for_ends_the_process_even_while_its_main_thread_is_stuck():
    """The worker's stop is bounded from the moment it is asked for (a signal, the pipe closing), not from
    when its main thread gets round to it: that thread may be waiting on a lock a stuck step holds."""
    from bot.slack.ops import lifeline

    script = (
        "import threading; from bot.slack.ops import lifeline; "
        "lifeline.Stopping(0.5, 'a stuck worker').set(); threading.Event().wait()"
    )
    ended = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert ended.returncode == lifeline.EXIT_STATUS


def test_once_a_stop_signal_has_come_the_next_ones_are_ignored():
    """The interpreter puts a handled signal's default action back as it shuts down, so a signal of a burst
    arriving then ended a worker that had stopped in order by that signal (status -15)."""
    script = (
        "import signal, os; from bot.slack.ops import lifeline\n"
        "stopping = lifeline.Stopping(30, 'a worker')\n"
        "lifeline.on_stop_signals(stopping.set, signal.SIGTERM, signal.SIGINT)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "stopping.wait(20)\n"
        "ignored = [signal.getsignal(s) is signal.SIG_IGN for s in (signal.SIGTERM, signal.SIGINT)]\n"
        "print(stopping.is_set(), ignored, flush=True)\n"
    )
    ended = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (ended.returncode, ended.stdout) == (0, "True [True, True]\n"), ended.stderr


def test_a_burst_of_stop_signals_stops_the_worker_in_order_every_time():
    """A Python signal handler runs in the main thread between any two bytecodes, also inside `Event.wait`
    holding the lock `Event.set` needs: an orphaned worker deadlocked so in a CI run and lived on, its lease
    held. The worker's handler only writes to a pipe, and a thread of its own sets the stop: a burst of
    signals while the main thread waits in short slices (as the worker's report loop does) stops the process
    in order, every time."""
    script = (
        "import signal; from bot.slack.ops import lifeline\n"
        "stopping = lifeline.Stopping(30, 'a worker')\n"
        "lifeline.on_stop_signals(stopping.set, signal.SIGTERM)\n"
        "print('ready', flush=True)\n"
        "while not stopping.wait(0.0005):\n"
        "    pass\n"
        "print('stopped in order', flush=True)\n"
    )
    for _ in range(5):
        with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as child:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
            for _ in range(100):
                child.send_signal(signal.SIGTERM)
            assert child.wait(20) == 0
            assert child.stdout.read() == "stopped in order\n"
