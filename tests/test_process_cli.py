"""`symbl-bot process`: every supported format through the real engine, and one clear line for each bad
input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.engine.input_identity import start_time_of
from bot.engine.insights.dates import find_due_date
from tests.media import FORMATS, SAMPLE, read_pcm, tone, write_audio, write_video_only
from tests.support.files import FileServer

pytestmark = pytest.mark.engine

MESSAGE_KEYS = {"id", "text", "from", "startTime", "endTime", "conversationId", "sentiment", "words"}
INSIGHT_KEYS = {"id", "text", "type", "score", "messageIds"}


@pytest.fixture(scope="module")
def excerpt() -> np.ndarray:
    """The sample's first 12 s: "Good morning everyone… the payment screen still crashes on older phones." """
    return read_pcm(SAMPLE, seconds=12.5)


def run(*args: str) -> click.testing.Result:  # noqa: F821
    return CliRunner().invoke(main, ["process", *args])


def assert_one_line_error(result, *needles: str) -> None:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output + result.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), lines[0]


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_every_format_transcribes_to_contract_json(kind, excerpt, tmp_path):
    media = write_audio(tmp_path / f"excerpt{FORMATS[kind][3]}", excerpt, kind)

    result = run(str(media), "--json", "--no-diarize", "-q")

    assert result.exit_code == 0, result.stderr
    conversation = json.loads(result.stdout)
    assert set(conversation) == {
        "conversationId",
        "messages",
        "topics",
        "questions",
        "actionItems",
        "decisions",
        "followUps",
        "members",
        "summary",
        "language",
        "warnings",
    }
    assert conversation["language"] == "en" and conversation["warnings"] == []
    text = " ".join(m["text"] for m in conversation["messages"]).lower()
    assert "payment screen" in text and "login bug" in text
    for message in conversation["messages"]:
        assert set(message) >= MESSAGE_KEYS
        assert (
            message["startTime"].endswith("Z") and message["conversationId"] == conversation["conversationId"]
        )
        assert message["sentiment"]["suggested"] in {"positive", "neutral", "negative"}
        assert all({"word", "startTime", "endTime"} <= set(w) for w in message["words"])
    message_ids = {m["id"] for m in conversation["messages"]}
    for key in ("topics", "questions", "actionItems", "followUps"):
        for item in conversation[key]:
            assert set(item) >= INSIGHT_KEYS
            assert set(item["messageIds"]) <= message_ids


def test_sample_summary_names_what_was_said():
    result = run(str(SAMPLE), "-q")

    assert result.exit_code == 0, result.stderr
    note = result.stdout
    actions = note.split("Action items:")[1].split("\n\n")[0].lower()
    assert "fix the payment crash" in actions and "friday" in actions
    assert "release notes" in actions
    assert "Topics:" in note and "payment" in note.split("Topics:")[1].lower()
    # Two voices: the one addressed as "Priya, please…" who answers is named; the other stays a label.
    speakers = note.split("Speakers:")[1].split("\n")[0]
    assert "Speaker 1" in speakers and "Priya" in speakers and "Speaker 2" not in speakers
    owners = [line.rsplit("— ", 1)[1].split(",")[0] for line in actions.splitlines() if "— " in line]
    # "I will check the marketing budget with finance and get back to you" is the chair's own commitment.
    assert owners == ["priya", "priya", "speaker 1"]
    assert "Overall sentiment:" in note


def test_members_given_name_the_voice_the_talk_never_names():
    # The chair is never addressed, but says "Priya": of the two members given, the chair is the other one.
    result = run(str(SAMPLE), "-q", "--member", "Priya Shah", "--member", "Dana Wu")

    assert result.exit_code == 0, result.stderr
    speakers = result.stdout.split("Speakers:")[1].split("\n")[0]
    assert "Dana Wu" in speakers and "Priya Shah" in speakers and "Speaker" not in speakers
    actions = result.stdout.split("Action items:")[1].split("\n\n")[0]
    assert "Dana will check the marketing budget" in actions


def test_a_member_given_with_an_email_carries_it_to_the_owners():
    result = run(
        str(SAMPLE), "--json", "-q", "--member", "Priya Shah <priya@example.com>", "--member", "Dana Wu"
    )

    assert result.exit_code == 0, result.stderr
    owners = {
        (i["assignee"]["name"], i["assignee"].get("email")) for i in json.loads(result.stdout)["actionItems"]
    }
    assert ("Priya Shah", "priya@example.com") in owners and ("Dana Wu", "") in owners


@pytest.mark.parametrize(
    "model_name",
    [pytest.param(None, marks=pytest.mark.slow, id="default model"), pytest.param("tiny.en", id="tiny.en")],
)
def test_sample_lists_priyas_tasks_under_her_name_in_the_third_person(model_name, monkeypatch):
    """Issue 9's acceptance, with the model a user gets (Whisper base, the default) and the small one."""
    if model_name is None:
        monkeypatch.delenv("SYMBL_ENGINE_MODEL", raising=False)
    else:
        monkeypatch.setenv("SYMBL_ENGINE_MODEL", model_name)

    result = run(str(SAMPLE), "--json", "-q")

    assert result.exit_code == 0, result.stderr
    conversation = json.loads(result.stdout)
    recorded = start_time_of(SAMPLE)  # what `process` dates "by Friday" from
    due = {
        day: f"{find_due_date(day, recorded).day.isoformat()}T00:00:00.000Z"
        for day in ("by Friday", "by Thursday")
    }
    items = [(i["text"], i["assignee"].get("name"), i.get("dueBy")) for i in conversation["actionItems"]]
    assert items[:2] == [
        ("Priya will fix the payment crash by Friday.", "Priya", due["by Friday"]),
        ("Priya will send the release notes to the design team by Thursday.", "Priya", due["by Thursday"]),
    ]
    # The chair's own promise is an action item too, under the chair's label (the recording never names them).
    [(chair_text, chair, _)] = items[2:]
    assert chair == "Speaker 1" and chair_text.startswith(
        "Speaker 1 will check the marketing budget with finance and get back to"
    )
    [next_steps] = [s["text"] for s in conversation["summary"] if s["text"].startswith("Next steps:")]
    assert next_steps.startswith(
        "Next steps: Priya will fix the payment crash by Friday; "
        "Priya will send the release notes to the design team by Thursday; Speaker 1 will check"
    )


def test_stereo_channels_map_to_named_speakers(excerpt, tmp_path):
    # Left channel carries the recording, right is near-silent: every word belongs to channel 1's person.
    stereo = np.stack([excerpt, (excerpt // 50).astype(np.int16)])
    media = write_audio(tmp_path / "call.wav", stereo, "wav", channels=2)
    from bot.engine.core import Engine, process_recording
    from bot.engine.options import ChannelSpeaker, ProcessOptions

    options = ProcessOptions(
        channel_metadata=(ChannelSpeaker(1, "Jon Snow", "jon@example.com"), ChannelSpeaker(2, "Arya Stark"))
    )
    conversation = process_recording(media, options, engine=Engine(), max_duration_seconds=3600)

    assert conversation["members"] == [
        {"id": conversation["messages"][0]["from"]["id"], "name": "Jon Snow", "email": "jon@example.com"}
    ]


@pytest.fixture
def file_server(tmp_path):
    """A loopback HTTP server for tmp_path, plus /moved → a redirect to the same file on another host name."""
    server = FileServer(tmp_path)
    server.redirect("/moved", f"http://localhost:{server.port}/excerpt.wav")
    yield server.url
    server.close()


def test_public_url_is_downloaded_and_processed(excerpt, tmp_path, file_server, monkeypatch):
    write_audio(tmp_path / "excerpt.wav", excerpt, "wav")
    monkeypatch.setenv("SYMBL_ALLOW_PRIVATE_URLS", "true")  # the test's server is on loopback

    result = run(f"{file_server}/excerpt.wav", "--json", "--no-diarize", "-q")

    assert result.exit_code == 0, result.stderr
    assert "payment screen" in result.stdout


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BAD_FILES = {
    "not media": (
        lambda d, pcm: _write(d / "notes.mp3", b"These are meeting notes, not audio.\n" * 50),
        "audio or video",
    ),
    "zero bytes": (lambda d, pcm: _write(d / "empty.wav", b""), "empty"),
    "truncated wav": (lambda d, pcm: _truncate(write_audio(d / "cut.wav", pcm, "wav")), "truncated"),
    "truncated mp3": (lambda d, pcm: _truncate(write_audio(d / "cut.mp3", pcm, "mp3")), "truncated"),
    "truncated mp4": (lambda d, pcm: _truncate(write_audio(d / "cut.mp4", pcm, "mp4")), "truncated"),
    "no audio stream": (lambda d, pcm: write_video_only(d / "screen.mp4"), "without sound"),
    "missing file": (lambda d, pcm: d / "nowhere.wav", "no such file"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_gives_one_clear_error(case, excerpt, tmp_path):
    make, needle = BAD_FILES[case]
    result = run(str(make(tmp_path, excerpt)))
    assert_one_line_error(result, needle)


def test_recording_over_the_duration_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMBL_MAX_DURATION_SECONDS", "60")
    media = write_audio(tmp_path / "long.flac", tone(61), "flac")
    assert_one_line_error(run(str(media)), "limit is 1m00s")


def test_file_over_the_size_limit_is_refused(excerpt, tmp_path, monkeypatch):
    monkeypatch.setenv("SYMBL_MAX_FILE_BYTES", "1000")
    assert_one_line_error(run(str(write_audio(tmp_path / "a.wav", excerpt, "wav"))), "limit")


@pytest.mark.parametrize(
    "url, needle",
    [
        ("http://127.0.0.1/meeting.mp3", "private or local"),
        ("http://10.1.2.3/meeting.mp3", "private or local"),
        ("http://169.254.169.254/latest/meta-data", "private or local"),
        ("http://[::1]/meeting.mp3", "private or local"),
        ("http://localhost/meeting.mp3", "private or local"),
        ("https://www.youtube.com/watch?v=abc", "youtube"),
        ("https://bit.ly/3xyz", "shortener"),
        ("ftp://example.com/meeting.mp3", "http(s)"),
    ],
)
def test_refused_urls(url, needle):
    assert_one_line_error(run(url), needle)


def test_unreachable_url(monkeypatch):
    monkeypatch.setenv("SYMBL_ALLOW_PRIVATE_URLS", "true")
    assert_one_line_error(run(f"http://127.0.0.1:{_closed_port()}/meeting.mp3"), "could not reach")


def test_redirect_to_another_host_is_refused(excerpt, tmp_path, file_server, monkeypatch):
    write_audio(tmp_path / "excerpt.wav", excerpt, "wav")
    monkeypatch.setenv("SYMBL_ALLOW_PRIVATE_URLS", "true")
    assert_one_line_error(run(f"{file_server}/moved"), "redirects to another host")


def test_console_script_prints_no_traceback(tmp_path):
    """The installed entry point, as a user runs it: exit status 1 and a single line on stderr."""
    bad = _write(tmp_path / "song.ogg", b"\x00" * 4096)
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "process", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 1
    assert completed.stderr.strip().startswith("Error: ") and len(completed.stderr.strip().splitlines()) == 1
