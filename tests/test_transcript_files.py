"""Transcript files (.vtt as Zoom and Teams write them, .srt, "Name: text" .txt): parsed with webvtt-py into
Text API messages, and through `symbl-bot process` (the Text API's conversion and the real insights)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.errors import InputError
from bot.transcript_import import parse_transcript, read_transcript, transcript_kind

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

ZOOM_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:05.500
Priya Patel: Good morning everyone. Marco, please send the release notes by Thursday.

2
00:00:06.000 --> 00:00:09.250
Marco Rossi: Sure, I will send the release notes to the whole team tomorrow.

3
00:00:10.000 --> 00:00:15.000
Priya Patel: The payment crash on checkout is the main blocker for this release.
"""

TEAMS_VTT = """WEBVTT

a1b2/12-0
00:00:00.500 --> 00:00:03.000
<v Priya Patel>Can everyone hear me?</v>

a1b2/13-0
00:00:03.500 --> 00:00:07.000
<v Marco Rossi>Yes. Note: the release build is green
since this morning.</v>
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
Priya: We need to decide on the launch date for the new mobile app.

2
00:00:05,000 --> 00:00:09,500
Marco: I think the launch date should move to April because of the payment crash.
"""

NOTES = """Priya: We need to decide on the launch date for the new mobile app.
Marco: I think the launch date should move to April,
because the payment crash is not fixed yet.
Priya: Okay. Marco will fix the crash and we launch in April.
"""


def test_kinds_by_extension_then_mimetype():
    assert transcript_kind("Meeting.VTT") == "vtt"
    assert transcript_kind("call.srt") == "srt"
    assert transcript_kind("notes.txt") == "txt"
    assert transcript_kind("clip", "application/x-subrip") == "srt"
    assert transcript_kind("clip", "text/vtt; charset=utf-8") == "vtt"
    assert transcript_kind("standup.mp3", "audio/mpeg") is None


def test_zoom_vtt_speakers_come_from_the_name_prefix_and_times_are_kept():
    messages = parse_transcript(ZOOM_VTT, "vtt", start_time=START)
    assert [m["from"]["name"] for m in messages] == ["Priya Patel", "Marco Rossi", "Priya Patel"]
    assert messages[0]["payload"]["content"].startswith("Good morning everyone.")
    assert messages[1]["duration"] == {
        "startTime": "2026-03-02T09:00:06.000Z",
        "endTime": "2026-03-02T09:00:09.250Z",
    }


def test_teams_vtt_voice_tags_name_the_speaker_and_a_colon_inside_the_text_stays():
    messages = parse_transcript(TEAMS_VTT, "vtt", start_time=START)
    assert [m["from"]["name"] for m in messages] == ["Priya Patel", "Marco Rossi"]
    assert messages[1]["payload"]["content"] == "Yes. Note: the release build is green since this morning."
    assert messages[0]["duration"]["startTime"] == "2026-03-02T09:00:00.500Z"


def test_srt_and_name_lines():
    srt = parse_transcript(SRT, "srt", start_time=START)
    assert [(m["from"]["name"], m["duration"]["endTime"]) for m in srt] == [
        ("Priya", "2026-03-02T09:00:04.000Z"),
        ("Marco", "2026-03-02T09:00:09.500Z"),
    ]
    notes = parse_transcript(NOTES, "txt", start_time=START)
    assert [m["from"]["name"] for m in notes] == ["Priya", "Marco", "Priya"]
    assert notes[1]["payload"]["content"].endswith("because the payment crash is not fixed yet.")
    assert all("duration" not in m for m in notes)  # no times in the file: the engine spaces them


def test_a_name_with_what_the_meeting_tool_appends_is_still_the_speaker():
    lines = "Jane Doe (Guest): Thanks for having me.\nAhmed (Acme Corp): Welcome. Note: we record.\n"
    messages = parse_transcript(lines, "txt", start_time=START)
    assert [m["from"]["name"] for m in messages] == ["Jane Doe (Guest)", "Ahmed (Acme Corp)"]
    assert messages[1]["payload"]["content"] == "Welcome. Note: we record."


def test_a_vtt_or_srt_sent_as_plain_text_is_read_as_what_it_is():
    assert parse_transcript(ZOOM_VTT, "txt", start_time=START)[1]["duration"]["startTime"].endswith(
        "09:00:06.000Z"
    )
    assert parse_transcript(SRT, "txt", start_time=START)[0]["from"]["name"] == "Priya"


@pytest.mark.parametrize(
    "text, kind, needle",
    [
        ("hello there\nno header", "vtt", "not a valid WebVTT"),
        ("WEBVTT\n\n", "vtt", "no text"),
        ("\n\n  \n", "txt", "no text"),
    ],
)
def test_unusable_transcripts_say_why(text, kind, needle):
    with pytest.raises(InputError, match=needle):
        parse_transcript(text, kind, start_time=START)


def test_binary_or_empty_files_are_refused(tmp_path):
    binary = tmp_path / "x.vtt"
    binary.write_bytes(b"WEBVTT\x00\x01\x02")
    with pytest.raises(InputError, match="binary"):
        read_transcript(binary, "vtt", start_time=START)
    empty = tmp_path / "e.srt"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_transcript(empty, "srt", start_time=START)


def _process(path, *args):
    return CliRunner().invoke(main, ["process", str(path), *args])


@pytest.mark.parametrize(
    "name, text", [("zoom.vtt", ZOOM_VTT), ("teams.vtt", TEAMS_VTT), ("call.srt", SRT), ("notes.txt", NOTES)]
)
def test_symbl_bot_process_reads_transcript_files(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    os.utime(path, (START.timestamp(), START.timestamp()))

    result = _process(path, "--json")
    assert result.exit_code == 0, result.stderr
    conversation = json.loads(result.stdout)
    speakers = {m["from"]["name"] for m in conversation["messages"]}
    assert len(speakers) == 2 and {m["name"] for m in conversation["members"]} == speakers
    assert conversation["messages"][0]["startTime"].startswith("2026-03-02T09:00:0")
    assert conversation["topics"]
    assert result.stdout == _process(path, "--json").stdout  # the same file, the same note

    note = _process(path)
    assert note.exit_code == 0 and name in note.stdout


def test_the_note_opens_with_a_summary_naming_the_owner(tmp_path):
    path = tmp_path / "zoom.vtt"
    path.write_text(ZOOM_VTT)
    note = _process(path).stdout
    assert "Summary:" in note and note.index("Summary:") < note.index("Topics:")
    summary = note[note.index("Summary:") : note.index("Topics:")]
    assert "Marco" in summary and "release notes" in summary


def test_a_bad_transcript_file_is_one_error_line(tmp_path):
    path = tmp_path / "broken.vtt"
    path.write_text("this is not webvtt\n")
    result = _process(path)
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("Error: ") and "WebVTT" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
