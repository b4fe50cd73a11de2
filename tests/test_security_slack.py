"""Slack-side probes (issue 12 items 7 and 8) against the running bot with the fake Slack and Symbl.

Links per message are capped with one reply saying so; a link that is not a URL (`<http://[::1/…>`) does not
crash the message listener, and the message's other links are still handled.
"""

from __future__ import annotations

import dataclasses

from tests.slack_fakes import (
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    message_event,
    running_bot,
    wait_for,
)
from tests.test_slack_commands import world  # noqa: F401 — the fixture: a public and a private conversation

CHANNEL = "C0SECSL"


def _texts(slack, ts: str) -> list[str]:
    return [m.get("text") or "" for m in slack.thread(CHANNEL, ts)]


def test_links_per_message_are_capped_with_one_reply_even_when_redelivered(tmp_path, fake_slack, stub_symbl):
    settings = dataclasses.replace(
        bot_settings(tmp_path / "data", fake_slack, stub_symbl), max_links_per_message=3
    )
    text = " ".join(f"<http://10.9.0.{i}/part-{i}.mp3>" for i in range(400))
    ts = "1701000000.000100"
    with running_bot(settings) as (app, url):
        envelope = event_envelope(message_event(text, channel=CHANNEL, ts=ts))
        assert deliver(url, envelope).status_code == 200
        assert deliver(url, envelope, retry_num=1).status_code == 200  # Slack's redelivery
        wait_for(lambda: sum("Could not" in t for t in _texts(fake_slack, ts)) == 3)
        with app.store.read() as db:
            recordings = db["recordings"].count
    texts = _texts(fake_slack, ts)
    assert recordings == 3
    expected = (
        ":warning: I summarize at most 3 links per message; the other 397 were not processed. "
        "Post them in another message."
    )
    assert [t for t in texts if "at most 3 links" in t] == [expected]


def test_a_malformed_link_does_not_crash_the_listener_and_the_other_links_count(
    tmp_path, fake_slack, stub_symbl
):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    ts = "1701000001.000100"
    text = "<http://[::1/secret.mp3> and <http://10.9.9.9/other.mp3>"
    with running_bot(settings) as (app, url):
        assert deliver(url, event_envelope(message_event(text, channel=CHANNEL, ts=ts))).status_code == 200
        wait_for(lambda: any("Could not" in t for t in _texts(fake_slack, ts)))
        with app.store.read() as db:
            sources = [r["source"] for r in db["recordings"].rows]
    assert sources == ["http://10.9.9.9/other.mp3"]


def test_a_shared_answer_never_carries_a_private_channels_conversation_elsewhere(world, fake_slack):  # noqa: F811
    """Eve is in the private channel and in #general: she may read the private conversation herself, but
    `public`/`--share` in #general must not post it there (slash command, mention and search alike)."""
    from tests.test_slack_commands import PRIVATE, PUBLIC, _text, ask, assert_no_secret

    fake_slack.add_user("U0EVE", "Eve", channels=(PRIVATE, PUBLIC))
    private_id = world["private_id"]
    _, own = ask(world, fake_slack, f"topics {private_id}", user="U0EVE")  # privately: fine
    assert "zanzibar" in _text(own) and own.get("response_type") != "in_channel"
    answers = [ask(world, fake_slack, f"{sub} {private_id} {word}", user="U0EVE")
               for sub, word in (("topics", "public"), ("actions", "--share"), ("status", "--share"),
                                 ("transcript", "--share"))]  # fmt: skip
    answers.append(ask(world, fake_slack, "search zanzibar --share", user="U0EVE"))
    for ack, body in answers:
        assert (body or ack).get("response_type") != "in_channel" or "zanzibar" not in _text(body or ack)
    mention = {"type": "app_mention", "user": "U0EVE", "text": f"<@U0BOT> topics {private_id} public",
               "ts": "1699999999.000900", "channel": PUBLIC}  # fmt: skip
    assert deliver(world["url"], event_envelope(mention)).status_code == 200
    wait_for(lambda: [c for c in fake_slack.calls_to("chat.postEphemeral") if c.body.get("user") == "U0EVE"])
    posted = [c.body for c in fake_slack.calls_to("chat.postMessage") if c.body.get("channel") == PUBLIC]
    uploads = [u for u in fake_slack.uploads.values() if u.get("channel_id") == PUBLIC]
    shared = [(b or a) for a, b in answers if (b or a).get("response_type") == "in_channel"]
    assert_no_secret(*posted, *uploads, *shared)


def test_a_file_title_with_a_link_and_mentions_reaches_no_text_unescaped(tmp_path, fake_slack, stub_symbl):
    """Issue 12 item 6: `<url|label>`, `<!channel>` and `<@U…>` in a file title would be a phishing link and a
    channel-wide ping in the summary's fallback `text` (notifications show it) and its mrkdwn blocks
    (plain_text, as in the header, is never parsed by Slack)."""
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    title = "<https://evil.example/login|Click to keep your account> <!channel> <@U0BOSS>.mp3"
    ts = "1701000002.000100"
    with running_bot(settings) as (_app, url):
        file = fake_slack.add_file("FT1", title, b"ID3" + b"\x00" * 2048)
        assert deliver(url, event_envelope(file_share_event(file, channel=CHANNEL, ts=ts))).status_code == 200
        wait_for(lambda: fake_slack.summaries(CHANNEL, ts))
        posted = fake_slack.thread(CHANNEL, ts)
    for message in posted:
        for where in (message.get("text") or "", *_mrkdwn_texts(message.get("blocks") or [])):
            assert "<https://evil.example" not in where and "<!channel>" not in where, where
            assert "<@U0BOSS>" not in where, where
    assert any("&lt;https://evil.example/login|Click" in (m.get("text") or "") for m in posted)
    assert sum(len(_mrkdwn_texts(m.get("blocks") or [])) for m in posted) > 3  # the blocks were looked at


def _mrkdwn_texts(node) -> list[str]:
    if isinstance(node, list):
        return [t for item in node for t in _mrkdwn_texts(item)]
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str) else []
        return own + [t for value in node.values() for t in _mrkdwn_texts(value)]
    return []
