"""`symbl-bot serve --mode socket` end to end: a real WebSocket on loopback, envelopes in, acks and Web API
out.

The bot runs as a subprocess, as deployed (the Procfile's `worker:` line): it opens its connection through the
fake Web API's `apps.connections.open` with the app-level token, receives `events_api` / `slash_commands`
envelopes over the socket, acks each with its envelope_id, and posts to the fake Slack; the provider is the
Symbl stub. No signing secret is set: Socket Mode does not need one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack.commands.registry import help_text
from bot.slack.render.summary import escape
from storage import open_store
from tests.slack_fakes import BOT_TOKEN, TEAM, event_envelope, file_share_event, wait_for
from tests.socket_mode_support import APP_TOKEN, SocketSlack

ROOT = Path(__file__).resolve().parent.parent
CHANNEL = "C0CHAN"
TS = "1699999999.000200"
LATER_TS = "1699999999.000900"
AUDIO = b"ID3" + b"\x00" * 2048


@pytest.fixture
def socket_slack() -> Iterator[SocketSlack]:
    server = SocketSlack()
    yield server
    server.close()


@pytest.fixture
def socket_bot(tmp_path, socket_slack, stub_symbl) -> Iterator[Path]:
    """`symbl-bot serve --mode socket` connected to the fake; yields its data directory."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SYMBL_"))}
    env.update(
        {
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": socket_slack.api_url,
            "SYMBL_APP_ID": "app",
            "SYMBL_APP_SECRET": "secret",
            "SYMBL_API_URL": stub_symbl.base,
            "SYMBL_BOT_DATA_DIR": str(data),
            "SYMBL_BOT_POLL_SECONDS": "0.1",
        }
    )
    log = tmp_path / "bot.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from bot.cli import main; sys.exit(main())",
                "serve",
                "--mode",
                "socket",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def connected() -> bool:
            assert process.poll() is None, f"serve exited {process.returncode}:\n{log.read_text()}"
            return socket_slack.connected() is not None

        wait_for(connected, timeout=30)
        yield data
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    assert "Traceback" not in log.read_text(), log.read_text()


def _recordings(data: Path) -> list[dict]:
    store = open_store(data / "bot.db")
    try:
        with store.read() as db:
            return [dict(r) for r in db["recordings"].rows]
    finally:
        store.close()


def test_socket_mode_upload_is_acked_and_summarised_once_even_when_redelivered(
    socket_bot, socket_slack, stub_symbl
):
    # The connection was opened as Slack requires: apps.connections.open with the app-level token, then the
    # one-off URL it answered.
    [opened] = socket_slack.calls_to("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert socket_slack.paths[0].startswith("/link/?ticket=")

    file = socket_slack.add_file("F1", "standup.mp3", AUDIO)
    payload = event_envelope(file_share_event(file, channel=CHANNEL, ts=TS))
    first = socket_slack.push("events_api", payload)
    assert socket_slack.ack_for(first) == {"envelope_id": first}

    summaries = wait_for(lambda: socket_slack.summaries(CHANNEL, TS))
    assert len(summaries) == 1
    assert summaries[0]["thread_ts"] == TS
    assert "Fix the payment crash" in str(summaries[0]["blocks"])
    wait_for(lambda: "Done" in (socket_slack.statuses(CHANNEL, TS) or [{}])[0].get("text", ""))

    # Slack redelivers the same event (same event_id) after a timeout: acked, and nothing new recorded.
    retry = socket_slack.push("events_api", payload, retry_attempt=1, retry_reason="timeout")
    assert socket_slack.ack_for(retry) == {"envelope_id": retry}
    # The recording step runs before the ack, so by now a duplicate row would exist.
    assert [(r["source"], r["message_ts"]) for r in _recordings(socket_bot)] == [("F1", TS)]

    # A later upload goes all the way through: the pipeline is still live, and a duplicate of the first would
    # have been posted ahead of it.
    later = socket_slack.add_file("F2", "retro.mp3", AUDIO)
    socket_slack.ack_for(
        socket_slack.push("events_api", event_envelope(file_share_event(later, ts=LATER_TS)))
    )
    wait_for(lambda: socket_slack.summaries(CHANNEL, LATER_TS))
    wait_for(lambda: "Done" in (socket_slack.statuses(CHANNEL, LATER_TS) or [{}])[0].get("text", ""))

    assert len(socket_slack.summaries(CHANNEL, TS)) == 1
    assert len(socket_slack.statuses(CHANNEL, TS)) == 1
    assert len(stub_symbl.submissions) == 2
    assert len(socket_slack.calls_to("/files/F1/standup.mp3")) == 1
    assert socket_slack.strays == []


def test_socket_mode_slash_command_help_is_answered_in_the_ack(socket_bot, socket_slack):
    payload = {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "test",
        "channel_id": CHANNEL,
        "channel_name": "general",
        "user_id": "U0ALICE",
        "user_name": "alice",
        "command": "/symbl",
        "text": "help",
        "api_app_id": "A0APP",
        "is_enterprise_install": "false",
        "response_url": socket_slack.response_url(),
        "trigger_id": "trig.1",
    }
    envelope_id = socket_slack.push("slash_commands", payload, accepts_response_payload=True)
    ack = socket_slack.ack_for(envelope_id)
    assert ack["envelope_id"] == envelope_id
    assert ack["payload"]["response_type"] == "ephemeral"
    assert ack["payload"]["text"] == escape(help_text())  # mrkdwn: `<command>` would read as a link
    assert "/symbl" in ack["payload"]["text"]
    assert socket_slack.strays == []
