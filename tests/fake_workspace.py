"""Try the bot without a Slack workspace: a local fake Slack that "uploads" a recording to a running bot.

    python -m tests.fake_workspace examples/standup.mp3

It starts the fake Slack Web API (the one the tests use) on a free loopback port and prints the command
that starts `symbl-bot serve` against it, to run in another terminal. Once the bot answers on /healthz, it
delivers a signed `file_share` event for the recording, as Slack would (a new file id and ts each run), waits
for the summary in the file's thread and prints the thread: the status message and the summary's text.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

import requests

from tests.slack_fakes import BOT_TOKEN, SIGNING_SECRET, FakeSlack, deliver, event_envelope, file_share_event

CHANNEL = "C0DEMO"


def wait_for_bot(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"No bot answered at {url}/healthz within {timeout:.0f} s.")


def summary_text(message: dict) -> str:
    lines = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        text = (block.get("text") or {}).get("text")
        if text:
            lines.append(text)
    return "\n".join(lines)


def run(recording: Path, bot_url: str, *, timeout: float = 600, out=sys.stdout) -> list[dict]:
    slack = FakeSlack()
    try:
        print("Fake Slack Web API at", slack.api_url, file=out)
        print(
            "Start the bot in another terminal with:\n\n"
            f"  SLACK_API_URL={slack.api_url} SLACK_BOT_TOKEN={BOT_TOKEN} "
            f"SLACK_SIGNING_SECRET={SIGNING_SECRET} symbl-bot serve --port {bot_url.rsplit(':', 1)[-1]}\n",
            file=out,
            flush=True,
        )
        wait_for_bot(bot_url, timeout)
        # A new file id and message ts on every run, as Slack would give: the bot keeps what it has seen
        # in its data folder's bot.db, and a fixed id would make a second run's upload a duplicate it
        # silently ignores.
        file_id, ts = f"F{uuid.uuid4().hex[:10].upper()}", f"{time.time():.6f}"
        file = slack.add_file(
            file_id,
            recording.name,
            recording.read_bytes(),
            mimetype="audio/mpeg",
            filetype=recording.suffix.lstrip("."),
        )
        event = file_share_event(file, channel=CHANNEL, ts=ts)
        envelope = event_envelope(event, event_id=f"Ev{uuid.uuid4().hex[:12]}")
        response = deliver(bot_url, envelope)
        print(
            f"Uploaded {recording.name} to #{CHANNEL}: the bot answered {response.status_code}; "
            "waiting for the summary…",
            file=out,
            flush=True,
        )
        deadline = time.monotonic() + timeout
        while not slack.summaries(CHANNEL, ts):
            if time.monotonic() > deadline:
                raise SystemExit("No summary within the time limit; see the bot's log.")
            time.sleep(0.2)
        thread = slack.thread(CHANNEL, ts)
        for message in thread:
            print("\n--- bot in thread ---\n" + summary_text(message), file=out)
        return thread
    finally:
        slack.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recording", type=Path)
    parser.add_argument("--bot", default="http://127.0.0.1:3000", help="the running bot's base URL")
    parser.add_argument("--json", action="store_true", help="print the thread as JSON at the end")
    args = parser.parse_args()
    thread = run(args.recording, args.bot.rstrip("/"))
    if args.json:
        print(json.dumps(thread, indent=2))


if __name__ == "__main__":
    main()
