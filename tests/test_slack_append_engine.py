"""Appending with the real embedded engine: a recording uploaded into a summary's thread extends the
conversation.

The engine transcribes the sample recording, then a 15-second clip cut from it is uploaded into the summary's
thread; the engine appends it (PUT /v1/process/audio/{conversationId}) and the bot edits the summary in place.
"""

from __future__ import annotations

import json

import pytest

from storage import conversations as convs
from storage import recordings as repo
from tests.media import SAMPLE, read_pcm, write_audio
from tests.slack_fakes import bot_settings, deliver, event_envelope, file_share_event, running_bot, wait_for

CHANNEL = "C0CHAN"
TS = "1699999999.000200"


@pytest.mark.engine
def test_upload_into_the_summary_thread_appends_with_the_engine(tmp_path, fake_slack):
    clip = write_audio(tmp_path / "part2.mp3", read_pcm(SAMPLE, seconds=15), "mp3")
    settings = bot_settings(tmp_path / "data", fake_slack, None)  # no Symbl credentials: embedded engine
    first = fake_slack.add_file("F1", "standup.mp3", SAMPLE.read_bytes())
    second = fake_slack.add_file("F2", "part2.mp3", clip.read_bytes())
    with running_bot(settings) as (bot, url):
        deliver(url, event_envelope(file_share_event(first, ts=TS)))
        [summary] = wait_for(lambda: fake_slack.summaries(CHANNEL, TS), timeout=180)
        base = wait_for(lambda: repo.get(bot.store, 1).state == "posted" and repo.get(bot.store, 1))
        before = convs.get(bot.store, base.team_id, base.conversation_id)
        assert before is not None

        event = file_share_event(second, ts="1699999999.000900", thread_ts=TS)
        assert deliver(url, event_envelope(event)).status_code == 200
        assert deliver(url, event_envelope(event), retry_num=1).status_code == 200
        appended = wait_for(
            lambda: (
                repo.get(bot.store, 2) and repo.get(bot.store, 2).state == "posted" and repo.get(bot.store, 2)
            ),
            timeout=180,
        )
        after = convs.get(bot.store, base.team_id, base.conversation_id)
        with bot.store.read() as db:
            assert db["recordings"].count == 2

    assert appended.append_to == base.conversation_id == appended.conversation_id
    assert appended.summary_ts == summary["ts"]
    # The conversation now holds both recordings' messages, the clip's after the original's.
    old, new = before.insights["messages"], after.insights["messages"]
    assert len(new) > len(old)
    assert new[-1]["timeOffset"] >= max(m["timeOffset"] for m in old)
    # One summary in the thread, edited to cover both recordings.
    [edited] = fake_slack.summaries(CHANNEL, TS)
    blocks = json.dumps(edited["blocks"])
    assert "Summary: standup.mp3 + part2.mp3" in blocks and "payment" in blocks.lower()
    assert any(c.body.get("ts") == summary["ts"] for c in fake_slack.calls_to("chat.update"))
    statuses = [m["text"] for m in fake_slack.statuses(CHANNEL, TS)]
    assert any("Added *part2.mp3*" in t for t in statuses)
