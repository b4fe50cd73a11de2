"""API benchmark: the engine server and our client, without speech-to-text in the way.

    python bench/api.py [--jobs 50] [--gets 300]

It measures the API, not the model, so the server runs with `InstantEngine`, a stand-in that checks the
upload with the real decoder and returns a fixed transcript built with the engine's own `build_messages`
(the real `analyze` still computes insights). Speech-to-text speed is bench/engine.py's business.

Prints:
- completion → `on_complete` latency: from the moment the server commits `completed` (its in-process
  `on_job_status` hook) to the moment our SDK-shaped `Conversation.on_complete` callback runs; p50/p95.
  The stand-in takes 0–3 s per job (random), so completions fall anywhere in the client's poll schedule.
- throughput: 50 concurrent small uploads (accepted per second) and all of them completed (jobs per second).
- server overhead per conversation GET (topics, messages with sentiment): client-observed loopback round trip.
"""

from __future__ import annotations

import argparse
import io
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.engine import decode  # noqa: E402
from bot.engine.core import Speaker, build_messages  # noqa: E402
from bot.engine.server import EngineServer  # noqa: E402
from bot.engine.transcribe import Word  # noqa: E402
from bot.providers.symbl import Audio, SymblClient  # noqa: E402

SCRIPT = (
    "Marco, please send the release notes by Thursday. Did the login bug get fixed? I will check next week."
)


class InstantEngine:
    """`delays`: how long each "transcription" takes, so completions land anywhere in the poll schedule."""

    def __init__(self, delays: list[float] | None = None):
        self.delays = list(delays or [])
        self._lock = threading.Lock()

    def process(
        self,
        media_path,
        options,
        *,
        conversation_id,
        start_time,
        time_offset=0.0,
        max_duration_seconds,
        progress=None,
    ):
        decode.probe(Path(media_path), max_duration_seconds=max_duration_seconds)
        with self._lock:
            delay = self.delays.pop() if self.delays else 0.0
        time.sleep(delay)
        words = [Word(" " + w, i * 0.4, i * 0.4 + 0.3, 0.9) for i, w in enumerate(SCRIPT.split())]
        speakers = [Speaker("Priya" if i < 8 else "Marco") for i in range(len(words))]
        return build_messages(
            words, speakers, conversation_id=conversation_id, start_time=start_time, time_offset=time_offset
        )


def small_wav(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (np.sin(2 * np.pi * 440 * t) * 3000).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    path.write_bytes(buffer.getvalue())
    return path


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def completion_latency(server: EngineServer, client: SymblClient, media: Path, jobs: int) -> list[float]:
    """Jobs run concurrently (several workers), each followed by its own `wait=False` conversation."""
    committed: dict[str, float] = {}
    fired: dict[str, float] = {}
    all_fired = threading.Event()
    lock = threading.Lock()
    server.on_job_status(
        lambda e: committed.setdefault(e.job_id, time.monotonic()) if e.status == "completed" else None
    )

    def on_complete(conversation) -> None:
        with lock:
            fired[conversation.get_job_id()] = time.monotonic()
            if len(fired) == jobs:
                all_fired.set()

    audio = Audio(client)
    for _ in range(jobs):
        audio.process_file(str(media), wait=False).on_complete(on_complete)
    if not all_fired.wait(300):
        raise RuntimeError("jobs did not complete within 300 s")
    return [fired[job] - committed[job] for job in fired]


def throughput(client: SymblClient, media: Path, jobs: int) -> tuple[float, float]:
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        submissions = list(pool.map(lambda _: client.submit_file(media), range(jobs)))
    accepted = time.monotonic() - start
    pending = {s.job_id for s in submissions}
    deadline = time.monotonic() + 300
    while pending and time.monotonic() < deadline:
        pending = {j for j in pending if client.job_status(j) not in ("completed", "failed")}
        time.sleep(0.05)
    if pending:
        raise RuntimeError(f"{len(pending)} jobs unfinished after 300 s")
    finished = time.monotonic() - start
    return jobs / accepted, jobs / finished


def get_overhead(client: SymblClient, conversation_id: str, gets: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"topics": [], "messages": []}
    for _ in range(gets):
        for name, call in (
            ("topics", lambda: client.get_topics(conversation_id)),
            ("messages", lambda: client.get_messages(conversation_id, sentiment=True)),
        ):
            t0 = time.perf_counter()
            call()
            timings[name].append((time.perf_counter() - t0) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--gets", type=int, default=300)
    args = parser.parse_args()
    logging.getLogger("waitress.queue").setLevel(
        logging.ERROR
    )  # "task queue depth" is expected at 50 at once
    random.seed(7)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", engine_workers=4)
        media = small_wav(Path(tmp) / "one-second.wav")
        engine = InstantEngine(delays=[random.uniform(0.0, 3.0) for _ in range(args.jobs)])
        server = EngineServer(settings, host="127.0.0.1", port=0, engine=engine).start()
        try:
            client = SymblClient(server.url, "bench", "bench")
            latencies = completion_latency(server, client, media, args.jobs)
            accepted, finished = throughput(client, media, args.jobs)
            submission = client.submit_file(media)
            while client.job_status(submission.job_id) != "completed":
                time.sleep(0.05)
            gets = get_overhead(client, submission.conversation_id, args.gets)
        finally:
            server.stop()

    print(
        f"completion → on_complete latency over {args.jobs} jobs of 0–3 s, 4 workers: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {pct(latencies, 0.95) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"{args.jobs} concurrent 1-s uploads: accepted {accepted:.1f}/s, all completed {finished:.1f} jobs/s"
    )
    for name, values in gets.items():
        print(
            f"GET {name} ({args.gets}×, loopback round trip): p50 {statistics.median(values):.2f} ms, "
            f"p95 {pct(values, 0.95):.2f} ms"
        )


if __name__ == "__main__":
    main()
