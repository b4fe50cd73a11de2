"""The bot with the real embedded engine on the sample recording, end to end over HTTP."""

from __future__ import annotations

import pytest

from storage import recordings as repo
from tests.media import SAMPLE
from tests.slack_fakes import (
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    file_shared_event,
    running_bot,
    wait_for,
)

CHANNEL = "C0CHAN"
TS = "1699999999.000200"


@pytest.mark.engine
def test_sample_recording_gets_one_summary_with_its_topics_and_action_items(tmp_path, fake_slack):
    settings = bot_settings(tmp_path / "data", fake_slack, None)  # no Symbl credentials: embedded engine
    shares = {"public": {CHANNEL: [{"ts": TS}]}}
    file = fake_slack.add_file("F1", "standup.mp3", SAMPLE.read_bytes(), shares=shares)
    with running_bot(settings) as (bot, url):
        assert bot.engine is not None and bot.services.provider.base_url.startswith("http://127.0.0.1:")
        envelope = event_envelope(file_share_event(file, ts=TS))
        assert deliver(url, envelope).status_code == 200
        for retry in (1, 2, 3):
            assert deliver(url, envelope, retry_num=retry).status_code == 200
        assert deliver(url, event_envelope(file_shared_event("F1"))).status_code == 200

        summaries = wait_for(lambda: fake_slack.summaries(CHANNEL, TS), timeout=180)
        wait_for(lambda: "Done" in (fake_slack.statuses(CHANNEL, TS) or [{}])[0].get("text", ""))
        assert repo.get(bot.store, 1).state == "posted"

    assert len(summaries) == 1 and summaries[0]["thread_ts"] == TS
    assert len(fake_slack.summaries(CHANNEL, TS)) == 1
    text = " ".join(
        b.get("text", {}).get("text", "") for b in summaries[0]["blocks"] if b["type"] == "section"
    )
    assert "*Topics*" in text and "*Action items*" in text
    lowered = text.lower()
    assert "payment" in lowered and "crash" in lowered
    assert "release notes" in lowered
    [status] = fake_slack.statuses(CHANNEL, TS)
    assert "Transcribing" in " ".join(status["edits"]) and "Done" in status["text"]
