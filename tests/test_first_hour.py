"""Issue 24 (Build 4, 6, 7, smaller points): what a new user reads in the first hour says what happened.

`--help` is not cut and says what `--language` does; an engine job's failure names the recording, never the
engine's own file (an upload stored as `<id>.bin`, a download as `<job id>.download`); a note on another
language shows the transcript and measures no sentiment; a forced language the speech contradicts is said.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from bot.cli import main
from bot.cli.report import render_text
from bot.config import Settings
from bot.engine import decode
from tests.engine_api_support import running_engine
from tests.media import SAMPLE, read_pcm, tone, write_audio
from tests.support.files import FileServer
from tests.support.wait import wait_until


def test_the_command_list_cuts_no_description():
    listing = CliRunner().invoke(main, ["--help"], terminal_width=80).output
    commands = listing.split("Commands:", 1)[1]
    assert "..." not in commands, commands
    assert set(re.findall(r"^  ([\w-]+) ", commands, re.MULTILINE)) == set(main.commands)


def test_language_help_says_it_is_detected_unless_given():
    help_text = " ".join(CliRunner().invoke(main, ["process", "--help"]).output.split())
    assert "default: detected from the speech" in help_text and "en-US" not in help_text


class DecodingEngine:
    """The engine's first step for real (probing and decoding the media), and nothing after it: no model."""

    def process(self, media_path: Path, options, *, max_duration_seconds: float, **_: object) -> list[dict]:
        decode.probe(Path(media_path), max_duration_seconds=max_duration_seconds)
        for _block in decode.iter_pcm(Path(media_path), max_duration_seconds=max_duration_seconds):
            pass
        raise AssertionError("only undecodable media is sent to this engine")


def _session(url: str) -> requests.Session:
    session = requests.Session()
    grant = {"type": "application", "appId": "local", "appSecret": "local"}
    token = session.post(f"{url}/oauth2/token:generate", json=grant, timeout=10).json()["accessToken"]
    session.headers["x-api-key"] = token
    return session


def _failure(server, session: requests.Session, submit) -> str:
    job = submit(session).json()["jobId"]
    return wait_until(
        lambda: (answer := session.get(f"{server.url}/v1/job/{job}").json())["status"] == "failed" and answer
    )["message"]


@pytest.mark.parametrize("named", [True, False])
def test_an_uploads_failure_names_the_recording_not_the_stored_file(tmp_path, named):
    query = "?name=board.mp3" if named else ""
    whole = write_audio(tmp_path / "cut.mp3", tone(20), "mp3").read_bytes()
    truncated = whole[: len(whole) // 2]  # its header passes the upload's probe; decoding finds the cut
    with running_engine(Settings(data_dir=tmp_path / "data"), DecodingEngine()) as server:
        session = _session(server.url)
        message = _failure(
            server, session, lambda s: s.post(f"{server.url}/v1/process/audio{query}", data=truncated)
        )
    assert message.startswith("board.mp3 " if named else "The recording "), message
    assert ".bin" not in message and "media" not in message


def test_a_downloads_failure_names_the_recording_not_the_download(tmp_path):
    files = FileServer()
    url = files.add("/standup.mp3", b"\x00" * 4096)
    settings = Settings(data_dir=tmp_path / "data", allow_private_urls=True)
    try:
        with running_engine(settings, DecodingEngine()) as server:
            session = _session(server.url)
            message = _failure(
                server, session, lambda s: s.post(f"{server.url}/v1/process/audio/url", json={"url": url})
            )
    finally:
        files.close()
    assert message.startswith("The recording "), message
    assert ".download" not in message


GERMAN = {
    "messages": [
        {
            "id": "1",
            "text": "Guten Morgen zusammen, wir fangen mit dem Bericht an.",
            "from": {"name": "Anna"},
        },
        {
            "id": "2",
            "text": "Die neue Version der App ist fertig und geht morgen raus.",
            "from": {"name": "Jonas"},
        },
    ],
    "summary": [],
}


def test_a_non_english_note_shows_the_transcript_and_no_sentiment_score():
    note = render_text(GERMAN, title="standup")
    assert "Transcript:\n  Anna: Guten Morgen zusammen" in note and "  Jonas: Die neue Version" in note
    assert "Sentiment is measured for English only." in note and "neutral" not in note
    assert "Overall sentiment" not in note
    german = render_text({**GERMAN, "language": "de-DE"}, title="standup")
    assert "this conversation is in German," in german and "Sentiment is not measured for German." in german


def test_an_english_note_keeps_its_sentiment_and_no_transcript():
    english = {
        "messages": [
            {"id": "1", "text": "We will ship the release on Friday and the team is happy with it."}
        ],
    }
    note = render_text(english)
    assert "Transcript:" not in note and "Overall sentiment:" in note and "not measured" not in note


def test_the_warnings_are_printed_first():
    note = render_text({**GERMAN, "warnings": ["The language was given as de-DE, but …"]})
    assert note.index("Warning: The language was given as de-DE") < note.index("Transcript:")


@pytest.mark.engine
def test_a_forced_language_the_speech_contradicts_is_reported(tmp_path, monkeypatch):
    """English speech processed with --language de (the multilingual default model): the note says why it is
    empty or garbled; with --language en it says nothing of the kind."""
    monkeypatch.setenv("SYMBL_ENGINE_MODEL", "base")
    excerpt = write_audio(tmp_path / "standup.wav", read_pcm(SAMPLE, seconds=12.5), "wav")
    forced = CliRunner().invoke(main, ["process", str(excerpt), "--language", "de", "--quiet"])
    assert forced.exit_code == 0, forced.output
    assert "The language was given as de, but the speech sounds like English (en" in forced.output
    right = CliRunner().invoke(main, ["process", str(excerpt), "--language", "en-US", "--quiet"])
    assert right.exit_code == 0 and "The language was given" not in right.output
