"""Load: a burst of recordings into `symbl-bot serve` → every one posted exactly once; total time, ack latency
and the bot process's peak RSS.

    python bench/load.py [--recordings 200] [--channels 10] [--concurrency 16] [--poll 1.0]
                         [--background process|thread] [--slack-rate-limits]
                         [--engine 0] [--clip-seconds 3]

The bot runs as it does in production: `symbl-bot serve` in its own process (HTTP mode, waitress → Flask →
Bolt, a real SQLite file, the APScheduler tick at --poll seconds). This process plays Slack (signed events,
the fake Web API and file downloads from tests/slack_fakes.py) and, for the main burst, the Symbl-compatible
provider (the stub: jobs complete at their first poll), so the figures are the bot's own throughput. `--engine
N` adds a second, smaller burst of N clips through the real embedded engine (no Symbl credentials:
speech-to-text in the bot process). Peak RSS is the bot process's VmHWM from /proc (Linux). Figures go to
stdout as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests

from storage import open_store
from tests.media import SAMPLE, read_pcm, write_audio
from tests.slack_fakes import FakeSlack, event_envelope, file_share_event, signed_headers
from tests.suite_support import BotProcess, bot_env, free_port, summaries_by_thread
from tests.support.symbl import StubSymbl


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (serve's background worker, multiprocessing's helper), from /proc."""
    found, index = [pid], 0
    while index < len(found):
        try:
            for task in Path(f"/proc/{found[index]}/task").iterdir():
                found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:  # exited meanwhile
            pass
        index += 1
    return found


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) in kB, summed over the bot's processes: since the background runs in a worker
    process (SYMBL_BOT_BACKGROUND=process), the web process alone would leave out the engine's memory."""
    fields = {"VmRSS": 0, "VmHWM": 0}
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            key, _, value = line.partition(":")
            if key in fields:
                fields[key] += int(value.split()[0])
    return fields


def clip(seconds: float, work: Path) -> bytes:
    """A short speech clip cut from the sample recording (MP3), like a voice note."""
    return write_audio(work / f"clip-{seconds}.mp3", read_pcm(SAMPLE, seconds=seconds), "mp3").read_bytes()


def run_burst(
    n: int,
    channels: int,
    concurrency: int,
    poll: float,
    audio: bytes,
    engine: bool,
    options: argparse.Namespace,
) -> dict:
    slack = FakeSlack(rate_limits=options.slack_rate_limits)
    stub = None if engine else StubSymbl()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "data"
        env = bot_env(
            data,
            slack,
            stub,
            free_port(),
            SYMBL_BOT_POLL_SECONDS=str(poll),
            SYMBL_BOT_BACKGROUND=options.background,
        )
        bot = BotProcess(env, work / "bot.log").start(timeout=120)
        try:
            idle = memory_kb(bot.pid)
            threads: dict[str, str] = {}
            bodies = []
            for i in range(n):
                channel, ts = f"C0LOAD{i % channels:02d}", f"1701000{i:04d}.000100"
                threads[ts] = channel
                file = slack.add_file(f"FLOAD{i:04d}", f"clip-{i}.mp3", audio)
                bodies.append(json.dumps(event_envelope(file_share_event(file, channel=channel, ts=ts))))
            peak = [0]
            stop = threading.Event()

            def sample() -> None:  # VmHWM is the kernel's own peak; sampling only adds the RSS curve's top
                while not stop.is_set():
                    peak[0] = max(peak[0], memory_kb(bot.pid).get("VmRSS", 0))
                    stop.wait(0.2)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            local = threading.local()

            def deliver(body: str) -> float:
                session = getattr(local, "session", None) or requests.Session()
                local.session = session
                start = time.perf_counter()
                response = session.post(
                    bot.url + "/slack/events", data=body.encode(), headers=signed_headers(body), timeout=30
                )
                assert response.status_code == 200, response.status_code
                return (time.perf_counter() - start) * 1000

            started = time.monotonic()
            with ThreadPoolExecutor(concurrency) as pool:
                acks = list(pool.map(deliver, bodies))
            delivered = time.monotonic() - started
            deadline = time.monotonic() + max(600, n * (30 if engine else 2))

            def posted() -> int:
                return sum(sum(summaries_by_thread(slack, c).values()) for c in set(threads.values()))

            while posted() < n and time.monotonic() < deadline:
                time.sleep(0.1)
            total = time.monotonic() - started
            time.sleep(2 * poll + 1)  # let anything that would post twice do so before counting
            memory = memory_kb(bot.pid)
            stop.set()
            sampler.join()
        finally:
            bot.stop()
        counts = Counter()
        for channel in set(threads.values()):
            counts.update(summaries_by_thread(slack, channel))
        store = open_store(data / "bot.db")
        with store.read() as db:
            states = Counter(r["state"] for r in db["recordings"].rows)
        store.close()
    slack.close()
    if stub is not None:
        stub.close()
    return {
        "n": n,
        "engine": engine,
        "total_s": total,
        "delivered_s": delivered,
        "ack_p50": statistics.median(acks),
        "ack_p99": pct(acks, 99),
        "posted": sum(1 for ts in threads if counts.get(ts) == 1),
        "duplicates": sum(1 for ts in threads if counts.get(ts, 0) > 1),
        "missing": sum(1 for ts in threads if not counts.get(ts)),
        "states": dict(states),
        "idle_mb": idle["VmRSS"] / 1024,
        "peak_mb": max(memory["VmHWM"], peak[0]) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=200)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16, help="simultaneous event deliveries")
    parser.add_argument("--poll", type=float, default=1.0, help="the bot's tick (production default 1 s)")
    parser.add_argument("--engine", type=int, default=0, help="clips for the embedded-engine burst (0: skip)")
    parser.add_argument("--clip-seconds", type=float, default=3.0)
    parser.add_argument("--background", choices=("process", "thread"), default="process")
    parser.add_argument(
        "--slack-rate-limits",
        action="store_true",
        help="the fake Slack enforces the Web API's rate-limit tiers (then Slack's limits set the pace)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        audio = clip(args.clip_seconds, Path(tmp))
    runs = [run_burst(args.recordings, args.channels, args.concurrency, args.poll, audio, False, args)]
    if args.engine:
        runs.append(run_burst(args.engine, args.channels, args.concurrency, args.poll, audio, True, args))
    print(
        f"{os.cpu_count()} CPUs; {args.clip_seconds:g} s MP3 clips ({len(audio):,} bytes), "
        f"{args.channels} channels, {args.concurrency} concurrent deliveries, tick {args.poll:g} s, "
        f"background {args.background}, Slack rate limits {'on' if args.slack_rate_limits else 'off'}\n"
    )
    print(
        "| provider | recordings | posted once | duplicates | missing | all acked in s | all posted in s "
        "| per recording ms | ack p50 ms | ack p99 ms | bot RSS idle MB | bot peak RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        name = "embedded engine" if r["engine"] else "stub Symbl server"
        print(
            f"| {name} | {r['n']} | {r['posted']} | {r['duplicates']} | {r['missing']} | "
            f"{r['delivered_s']:.1f} | {r['total_s']:.1f} | {r['total_s'] * 1000 / r['n']:.0f} | "
            f"{r['ack_p50']:.1f} | {r['ack_p99']:.1f} | {r['idle_mb']:.0f} | {r['peak_mb']:.0f} |"
        )
    for r in runs:
        if r["duplicates"] or r["missing"]:
            print(f"\nFAILED: {r}")
            sys.exit(1)


if __name__ == "__main__":
    main()
