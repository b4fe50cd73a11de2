"""Links to recordings in ordinary messages: processed when public, refused with a reply otherwise."""

from __future__ import annotations

import json

import pytest

from bot.slack.intake import media_links
from storage import recordings as repo
from tests.slack_fakes import bot_settings, deliver, event_envelope, message_event, running_bot, wait_for

CHANNEL = "C0CHAN"
TS = "1699999999.000300"


@pytest.mark.parametrize(
    "text, links",
    [
        ("<https://media.example.com/call.mp3|call.mp3>", ["https://media.example.com/call.mp3"]),
        (
            "see <https://media.example.com/a.MP4> and <https://media.example.com/a.MP4>",
            ["https://media.example.com/a.MP4"],
        ),
        ("<https://example.com/page.html> and <mailto:a@b.c>", []),
        ("<https://youtu.be/abc> <https://bit.ly/x1>", ["https://youtu.be/abc", "https://bit.ly/x1"]),
        ("<https://cdn.example.com/r.wav?sig=1&amp;exp=2>", ["https://cdn.example.com/r.wav?sig=1&exp=2"]),
        ("no links here https://bare.example.com/a.mp3", []),
    ],
)
def test_media_links_are_found_in_slack_markup(text, links):
    assert media_links(text) == links


def test_public_audio_url_is_processed(tmp_path, fake_slack, stub_symbl, file_server):
    # The file server is on loopback, so only this test allows private addresses.
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl, allow_private_urls=True)
    link = file_server.add("/standup.mp3", b"ID3" + b"\x00" * 64)
    with running_bot(settings) as (_app, url):
        assert (
            deliver(url, event_envelope(message_event(f"notes: <{link}|standup.mp3>", ts=TS))).status_code
            == 200
        )
        summaries = wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
        assert len(summaries) == 1 and "payment crash" in str(summaries[0]["blocks"])
        assert stub_symbl.submissions[0]["path"] == "/v1/process/audio/url"
        assert json.loads(stub_symbl.submissions[0]["body"])["url"] == link


@pytest.mark.parametrize(
    "link, reason",
    [
        ("http://127.0.0.1:9/recording.mp3", "private or local address"),
        ("http://10.1.2.3/recording.mp3", "private or local address"),
        ("http://[::1]/recording.wav", "private or local address"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "YouTube"),
        ("https://bit.ly/3xYzAbC", "link shortener"),
    ],
)
def test_private_and_refused_links_get_a_reply(bot, fake_slack, stub_symbl, link, reason):
    app, url = bot
    deliver(url, event_envelope(message_event(f"<{link}>", ts=TS)))
    replies = wait_for(lambda: [m for m in fake_slack.thread(CHANNEL, TS) if reason in (m["text"] or "")])
    assert len(fake_slack.thread(CHANNEL, TS)) == 1, replies
    # The failure is reported before the row is marked failed (so a Slack error cannot lose the report).
    wait_for(lambda: repo.get(app.store, 1).state == "failed")
    assert stub_symbl.submissions == []
