"""Transcript files uploaded to Slack, with the real embedded engine's Text API (no speech model needed):
a summary with its paragraph in the thread, an append edited in place, and queries about it."""

from __future__ import annotations

import json

import pytest

from bot.slack.intake import is_media_file
from storage import recordings as repo
from tests.slack_fakes import (
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    running_bot,
    slash_command,
    wait_for,
)
from tests.test_transcript_files import ZOOM_VTT as ZOOM_VTT_TEXT

CHANNEL = "C0CHAN"
TS = "1699999999.000200"

ZOOM_VTT = ZOOM_VTT_TEXT.encode()

LATER_SRT = b"""1
00:00:01,000 --> 00:00:05,000
Marco Rossi: The payment crash is fixed now; the login page still needs a review from design.
"""


def _sections(message: dict) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]


@pytest.mark.parametrize(
    "file, expected",
    [
        ({"name": "meeting.vtt", "mimetype": "text/vtt", "filetype": "vtt"}, True),
        ({"name": "call.srt", "mimetype": "application/x-subrip", "filetype": "srt"}, True),
        ({"name": "notes.txt", "mimetype": "text/plain", "filetype": "text"}, True),
        ({"name": "Untitled", "mimetype": "text/plain", "filetype": "text", "mode": "snippet"}, False),
        ({"name": "spec.pdf", "mimetype": "application/pdf", "filetype": "pdf"}, False),
    ],
)
def test_which_uploads_count_as_transcripts(file, expected):
    assert is_media_file({"mode": "hosted", **file}) is expected


def test_an_uploaded_transcript_gets_a_summary_and_an_append_edits_it(tmp_path, fake_slack):
    settings = bot_settings(tmp_path / "data", fake_slack, None)  # no Symbl credentials: embedded engine
    first = fake_slack.add_file("F1", "standup.vtt", ZOOM_VTT, mimetype="text/vtt", filetype="vtt")
    later = fake_slack.add_file("F2", "later.srt", LATER_SRT, mimetype="application/x-subrip", filetype="srt")
    fake_slack.add_user("U0ALICE", "Alice", channels=(CHANNEL,))
    with running_bot(settings) as (bot, url):
        assert deliver(url, event_envelope(file_share_event(first, ts=TS))).status_code == 200
        [summary] = wait_for(lambda: fake_slack.summaries(CHANNEL, TS), timeout=60)
        base = wait_for(lambda: repo.get(bot.store, 1).state == "posted" and repo.get(bot.store, 1))
        sections = _sections(summary)
        assert sections[0].startswith("*Summary*") and "Marco" in sections[0]
        assert any(s.startswith("*Action items*") for s in sections)
        assert "release notes" in json.dumps(summary["blocks"]).lower()

        event = file_share_event(later, ts="1699999999.000900", thread_ts=TS)
        assert deliver(url, event_envelope(event)).status_code == 200
        appended = wait_for(
            lambda: (
                repo.get(bot.store, 2) and repo.get(bot.store, 2).state == "posted" and repo.get(bot.store, 2)
            ),
            timeout=60,
        )
        assert appended.append_to == base.conversation_id and appended.summary_ts == summary["ts"]
        [edited] = fake_slack.summaries(CHANNEL, TS)
        assert "login page" in json.dumps(edited["blocks"]).lower()  # the appended part is in the note

        response_url = fake_slack.response_url()
        answer = slash_command(url, "actions", response_url=response_url, channel=CHANNEL)
        assert answer.status_code == 200
        body = wait_for(lambda: fake_slack.responses_to(response_url))[0]
        assert "release notes" in json.dumps(body).lower()
