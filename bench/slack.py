"""Slack bot figures: ack latency vs a bare Bolt app, poll tick cost, completion → summary posted.

    python bench/slack.py [--rounds 6] [--summaries 5] [--skip-engine] [--background process|thread|off]
                           [--fakes-nice 10] [--arrival threads|at-once] [--postgres]

Everything runs locally: the fake Slack Web API and stub Symbl server from tests/slack_fakes.py (in their own
process for the ack figures, as remote as the real services are), real HTTP (waitress + Bolt), our bot
as `symbl-bot serve` (a real subprocess with, by default, its background worker process), the bare Bolt app
in a process of its own, a real SQLite file (with `--postgres`, a throwaway PostgreSQL cluster as the tests
start it, tests/support/postgres.py), and the embedded engine for the completion figure. Figures go to
stdout as Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from bot.config import Settings
from bot.slack.app import slack_client
from bot.slack.ops.scheduler import Poller
from storage import open_store
from storage import recordings as repo
from tests.media import SAMPLE
from tests.slack_fakes import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    running_bot,
    signed_headers,
)
from tests.suite_support import BotProcess, bot_env, free_port
from tests.support.symbl import StubSymbl

CONCURRENCY = 50


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# --- 1. ack latency -----------------------------------------------------------------------------------------
#
# Five processes, so that nothing but the app under test runs in the app's interpreter: the bare Bolt app
# (spawned, alone), ours as `symbl-bot serve` runs it (its web process and the background worker it spawns),
# the fakes (spawned), and the load generator (a spawned pool). Until issue 11 the bare app and our bot shared
# the bench's process, so our background work slowed the baseline too.


def bare_bolt(conn, api_url: str) -> None:
    """In its own process: a Bolt app with one no-op `message` listener on the same stack as ours (Bolt's
    WSGI adapter under waitress, 8 threads), until told to stop."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=api_url)
    app = App(client=slack_client(settings), signing_secret=SIGNING_SECRET)

    @app.event("message")
    def noop(body):  # the smallest app that answers the same events
        pass

    server = create_server(SlackRequestHandler(app), host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    conn.send(f"http://127.0.0.1:{server.effective_port}")
    conn.recv()
    server.close()


def fire(url: str, bodies: list[str]) -> list[float]:
    """In the load process: POST every body at once (one thread each). Returns per-request latency in ms."""
    local = threading.local()

    def one(body: str) -> float:
        session = getattr(local, "s", None) or requests.Session()
        local.s = session
        headers = signed_headers(body)
        start = time.perf_counter()
        response = session.post(url + "/slack/events", data=body.encode(), headers=headers, timeout=30)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(one, bodies))


def fire_at_once(url: str, bodies: list[str]) -> list[float]:
    """In the load process: every body sent at once from one asyncio loop, each on a connection of its own.

    The threaded `fire` spreads a burst over the time its 50 threads take to start and to get the load
    process's interpreter lock, and counts that time as latency. Here the requests are bytes built before
    the clock starts, so the burst reaches the server within a few milliseconds and what is timed is the
    server's queue. Raw HTTP/1.1 on purpose: an HTTP client library's per-request work is what is left out."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port
    requests_bytes = []
    for body in bodies:
        data = body.encode()
        head = "".join(
            f"{name}: {value}\r\n"
            for name, value in {
                "Host": f"{host}:{port}",
                "Content-Length": str(len(data)),
                "Connection": "close",
                **signed_headers(body),
            }.items()
        )
        requests_bytes.append(f"POST /slack/events HTTP/1.1\r\n{head}\r\n".encode() + data)

    async def one(request: bytes) -> float:
        start = time.perf_counter()
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request)
        status_line = await reader.readline()
        await reader.read()  # the rest, to the server's close
        elapsed = (time.perf_counter() - start) * 1000
        writer.close()
        assert status_line.split()[1] == b"200", status_line
        return elapsed

    async def all_at_once() -> list[float]:
        return list(await asyncio.gather(*(one(r) for r in requests_bytes)))

    return asyncio.run(all_at_once())


ARRIVALS = {"threads": fire, "at-once": fire_at_once}


def burst(
    load, url: str, files: dict[str, dict], tag: str, round_no: int, arrival: str = "threads"
) -> list[float]:
    """50 concurrent signed file_share events, each a distinct upload, sent from the load process."""
    bodies = []
    for i in range(CONCURRENCY):
        file = files[f"F{tag}{round_no}x{i}"]
        bodies.append(
            json.dumps(event_envelope(file_share_event(file, ts=f"17000{round_no:02d}{i:03d}.000100")))
        )
    return load.apply(ARRIVALS[arrival], (url, bodies))


def _file_ids(rounds: int) -> list[str]:
    tags = [("wours", 0), ("wbare", 0)] + [
        (name, r) for r in range(1, rounds + 1) for name in ("ours", "bare")
    ]
    return [f"F{tag}{r}x{i}" for tag, r in tags for i in range(CONCURRENCY)]


def serve_fakes(conn, file_ids: list[str], nice: int = 10) -> None:
    """In the fakes' own process: the fake Slack and stub Symbl, as remote as the real ones, until told.

    Niced (`nice`, like our worker) by default: they stand for Slack's and Symbl's servers, which in
    production do not run on the bot's cores. At normal priority, serving our worker's background traffic
    (downloads, posts) takes CPU from the web process under test, which the bare app, with no background,
    never pays. `--fakes-nice 0` measures that setup."""
    os.nice(nice)
    # Slack's rate-limit tiers off: 500 uploads in a minute would otherwise sleep the background on 429s.
    fake, stub = FakeSlack(rate_limits=False), StubSymbl()
    files = {fid: fake.add_file(fid, "clip.mp3", b"ID3" + b"\0" * 256) for fid in file_ids}
    conn.send((fake.api_url, stub.base, files))
    conn.recv()
    fake.close()
    stub.close()


@dataclass
class RemoteFakes:
    api_url: str  # what bot_env reads from a FakeSlack
    base: str  # … and from a StubSymbl


@dataclass
class AckRun:
    latencies: dict[str, list[float]]
    recordings: dict[str, int]  # ours by state when the last round ended (the background's progress)


def ack_latency(
    rounds: int,
    background: str,
    fakes_nice: int = 10,
    arrival: str = "threads",
    database_url: str | None = None,
) -> AckRun:
    """Ours (`symbl-bot serve`, its background per `background`, its state in `database_url` or SQLite) vs the
    bare app, rounds alternated."""
    context = multiprocessing.get_context("spawn")
    fakes_end, fakes_child = context.Pipe()
    fakes = context.Process(
        target=serve_fakes, args=(fakes_child, _file_ids(rounds), fakes_nice), daemon=True
    )
    fakes.start()
    api_url, base, files = fakes_end.recv()
    remote = RemoteFakes(api_url, base)
    bare_end, bare_child = context.Pipe()
    bare = context.Process(target=bare_bolt, args=(bare_child, api_url), daemon=True)
    bare.start()
    bare_url = bare_end.recv()
    results: dict[str, list[float]] = {"ours": [], "bare": []}
    with tempfile.TemporaryDirectory() as tmp:
        extra = {"SYMBL_BOT_BACKGROUND": "thread" if background == "thread" else "process"}
        if background == "off":
            extra["SYMBL_BOT_SCHEDULER"] = "off"
        if database_url:
            extra["SYMBL_BOT_DATABASE_URL"] = database_url
        env = bot_env(Path(tmp) / "data", remote, remote, free_port(), **extra)  # type: ignore[arg-type]
        ours = BotProcess(env, Path(tmp) / "serve.log").start()
        try:
            with context.Pool(1) as load:
                for name, url in (("ours", ours.url), ("bare", bare_url)):  # warm-up (auth.test, connections)
                    burst(load, url, files, "w" + name, 0, arrival)
                for r in range(1, rounds + 1):
                    order = [("ours", ours.url), ("bare", bare_url)]
                    if r % 2:
                        order.reverse()
                    for name, url in order:
                        results[name] += burst(load, url, files, name, r, arrival)
            recordings = requests.get(ours.url + "/healthz", timeout=10).json()["db"]["recordings"]
        finally:
            ours.stop()
    for end, process in ((bare_end, bare), (fakes_end, fakes)):
        end.send("stop")
        process.join(30)
    return AckRun(results, recordings)


# --- 2. poll tick cost --------------------------------------------------------------------------------------


def tick_cost(finished: int, active: int, due: int, repeats: int = 200) -> tuple[float, float]:
    """Median ms of the tick's selection (`repo.due`, its only database work) and of the whole tick."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bot.db")
        now = time.time()
        rows = []
        for i in range(finished + active):
            is_active = i >= finished
            is_due = is_active and i - finished < due
            rows.append(
                (
                    "T1",
                    "C1",
                    f"F{i}",
                    f"{i}.0001",
                    f"{i}.0001",
                    "file",
                    "processing" if is_active else "posted",
                    (now - 1 if is_due else now + 3600) if is_active else None,
                    now,
                    now,
                )
            )
        with store.tx() as db:
            db.conn.executemany(
                "INSERT INTO recordings (team_id, channel_id, source, message_ts, thread_ts, kind, state, "
                "next_poll_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        store.db.execute("ANALYZE")
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            ids = repo.due(store, time.time(), 100)
            timings.append((time.perf_counter() - start) * 1000)
        assert len(ids) == min(due, 100)
        # The whole tick (selection + hand-off to the worker pool), with a step that does nothing.
        poller = Poller(store, lambda _id: None, interval=1.0)
        ticks = []
        for _ in range(repeats // 4):
            start = time.perf_counter()
            poller.tick()
            ticks.append((time.perf_counter() - start) * 1000)
            while poller._in_flight:
                time.sleep(0.0005)
        poller.stop()
        store.close()
    return statistics.median(timings), statistics.median(ticks)


# --- 3. completion → summary posted -------------------------------------------------------------------------


class StampedSlack(FakeSlack):
    def __init__(self) -> None:
        super().__init__(rate_limits=False)
        self.posted_at: dict[str, float] = {}

    def _m_chat_postMessage(self, body: dict) -> dict:
        result = super()._m_chat_postMessage(body)
        metadata = body.get("metadata") or {}
        if isinstance(metadata, dict) and metadata.get("event_type") == "symbl_summary":
            self.posted_at[body["thread_ts"]] = time.monotonic()
        return result


def completion_to_post(count: int) -> list[float]:
    fake = StampedSlack()
    completed_at: dict[str, float] = {}
    lags = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = bot_settings(Path(tmp), fake, None)  # no credentials: the embedded engine
        with running_bot(settings) as (bot, url):
            bot.engine.on_job_status(
                lambda e: (
                    completed_at.setdefault(e.job_id, time.monotonic()) if e.status == "completed" else None
                )
            )
            data = SAMPLE.read_bytes()
            for i in range(count):
                ts = f"1800000{i:03d}.000100"
                file = fake.add_file(f"FE{i}", "standup.mp3", data)
                deliver(url, event_envelope(file_share_event(file, ts=ts)))
                deadline = time.monotonic() + 300
                while ts not in fake.posted_at and time.monotonic() < deadline:
                    time.sleep(0.01)
                rec = next(
                    r
                    for r in (repo.get(bot.store, k) for k in range(1, count + 1))
                    if r and r.message_ts == ts
                )
                lags.append(fake.posted_at[ts] - completed_at[rec.job_id])
    fake.close()
    return lags


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--summaries", type=int, default=5)
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument(
        "--background",
        choices=("process", "thread", "off"),
        default="process",
        help="where our bot's background runs (SYMBL_BOT_BACKGROUND); off: no scheduler at all (a floor)",
    )
    parser.add_argument(
        "--fakes-nice", type=int, default=10, help="CPU niceness of the fakes' process (0: normal priority)"
    )
    parser.add_argument(
        "--arrival",
        choices=tuple(ARRIVALS),
        default="threads",
        help="how a burst is sent: one thread per request (spread by thread start-up), or at-once (asyncio)",
    )
    parser.add_argument(
        "--postgres", action="store_true", help="our bot's state in a throwaway PostgreSQL instead of SQLite"
    )
    args = parser.parse_args()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # 50 requests on 8 threads queue by design

    cluster = None
    if args.postgres:
        from tests.support.postgres import PostgresCluster

        cluster = PostgresCluster()
    try:
        database_url = cluster.new_database() if cluster else None
        run = ack_latency(args.rounds, args.background, args.fakes_nice, args.arrival, database_url)
    finally:
        if cluster:
            cluster.stop()
    acks = run.latencies
    print(
        f"### Ack latency ({args.rounds} rounds × {CONCURRENCY} concurrent signed file_share events, HTTP "
        f"mode, background: {args.background}, fakes at nice {args.fakes_nice}, arrival: {args.arrival}, "
        f"database: {'PostgreSQL' if args.postgres else 'SQLite'})\n"
    )
    print("| app | n | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for name in ("bare", "ours"):
        v = acks[name]
        print(
            f"| {'bare Bolt (no-op listener)' if name == 'bare' else 'symbl bot'} | {len(v)} | "
            f"{pct(v, 50):.1f} | {pct(v, 99):.1f} |"
        )
    print(
        f"\nratio ours/bare: p50 {pct(acks['ours'], 50) / pct(acks['bare'], 50):.2f}×, "
        f"p99 {pct(acks['ours'], 99) / pct(acks['bare'], 99):.2f}×"
    )
    print(f"our recordings by state at the end of the last round: {run.recordings}\n")

    print("### Poll tick cost (medians, ms; a tick hands at most 100 due rows to the pool)\n")
    print(
        "| finished rows | active rows | due now | selection ms | whole tick ms |\n|---:|---:|---:|---:|---:|"
    )
    for finished, active, due in (
        (0, 1000, 0),
        (100_000, 1000, 0),
        (100_000, 1000, 100),
        (100_000, 1000, 1000),
    ):
        select, whole = tick_cost(finished, active, due)
        print(f"| {finished:,} | {active:,} | {due:,} | {select:.3f} | {whole:.3f} |")

    if not args.skip_engine:
        lags = completion_to_post(args.summaries)
        print(f"\n### Completion → summary posted (embedded engine, {len(lags)} runs of the sample)\n")
        print(
            f"p50 {pct(lags, 50) * 1000:.0f} ms, p95 {pct(lags, 95) * 1000:.0f} ms, "
            f"max {max(lags) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
