"""Bad inputs: a corpus of broken, oversized, disguised and hostile recordings and links, interleaved with
good ones → each bad one ends in exactly one clear message in its thread, the good ones still get their
summary, nothing crashes, and a refused URL never reaches the network (an audit hook blocks and records any
connection to a non-loopback address, so "refused before connecting" is asserted, not assumed).

The file corpus runs through the real embedded engine (decoding is what rejects garbage and truncated media);
the SSRF corpus through the stub Symbl server (it is refused before any provider is asked).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterator

import pytest
import requests

from tests.media import SAMPLE, read_pcm, write_audio, write_video_only
from tests.slack_fakes import (
    SIGNING_SECRET,
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    message_event,
    running_bot,
    signed_headers,
    wait_for,
)
from tests.suite_support import ChaosSlack, connect_guard, suite_seed, summaries_by_thread

CHANNEL = "C0BAD"
LIMIT = 1024 * 1024  # the bot's byte limit in this suite: 1 MB


@pytest.fixture
def slack() -> Iterator[ChaosSlack]:
    server = ChaosSlack()
    yield server
    server.close()


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, bytes]:
    work = tmp_path_factory.mktemp("media")
    speech = read_pcm(SAMPLE, seconds=9)
    m4a = write_audio(work / "whole.m4a", speech, "m4a").read_bytes()
    return {
        "good_mp3": write_audio(work / "good.mp3", speech, "mp3").read_bytes(),
        "good_wav": write_audio(work / "good.wav", speech[: 16000 * 5], "wav").read_bytes(),
        "truncated_m4a": m4a[: len(m4a) // 2],  # the index (moov) is at the end: the first half is unreadable
        "video_only": write_video_only(work / "silent.mp4", 2).read_bytes(),
        "garbage": random.Random(suite_seed()).randbytes(64 * 1024),
    }


def _thread_texts(slack: ChaosSlack, ts: str) -> list[str]:
    return [m.get("text") or "" for m in slack.thread(CHANNEL, ts)]


def _upload(slack: ChaosSlack, url: str, i: int, name: str, data: bytes, **kwargs) -> str:
    ts = f"1700500{i:03d}.000100"
    file = slack.add_file(f"FB{i:03d}", name, data, **kwargs)
    assert deliver(url, event_envelope(file_share_event(file, channel=CHANNEL, ts=ts))).status_code == 200
    return ts


@pytest.mark.engine
def test_file_corpus_each_bad_file_one_clear_message_good_files_summarized(tmp_path, slack, media, caplog):
    caplog.set_level(logging.WARNING)
    settings = bot_settings(tmp_path / "data", slack, None, max_file_bytes=LIMIT)  # the embedded engine
    big = b"ID3" + b"\x00" * (LIMIT + 4096)
    html = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"
    cases: list[tuple[str, dict, list[str]]] = [
        # (name, add_file kwargs, words the single failure message must contain; [] = a good file)
        ("good-1.mp3", {"data": media["good_mp3"]}, []),
        ("garbage.mp3", {"data": media["garbage"]}, ["could not"]),
        (
            "truncated.m4a",
            {"data": media["truncated_m4a"], "mimetype": "audio/mp4", "filetype": "m4a"},
            ["could not"],
        ),
        ("empty.mp3", {"data": b""}, ["empty"]),
        (
            "screen.mp4",
            {"data": media["video_only"], "mimetype": "video/mp4", "filetype": "mp4"},
            ["without sound"],
        ),
        ("good-2.wav", {"data": media["good_wav"], "mimetype": "audio/wav", "filetype": "wav"}, []),
        ("allhands.mp4", {"data": b"ID3", "size": 50 * 1024**3, "mimetype": "video/mp4"}, ["limit is 1 MB"]),
        ("login.mp3", {"data": b"", "variant": "html"}, ["files:read"]),
        ("disguised.mp3", {"data": html}, ["files:read"]),
        ("lying-length.mp3", {"data": b"ID3" + b"\x00" * 100, "size": 103}, ["1 MB limit"]),
        ("endless.mp3", {"data": big, "size": 1000}, ["1 MB limit"]),
    ]
    threads: dict[str, tuple[str, list[str]]] = {}
    with running_bot(settings) as (app, url):
        for i, (name, kwargs, words) in enumerate(cases):
            data = kwargs.pop("data")
            if name == "lying-length.mp3":
                slack.declared[f"/files/FB{i:03d}/{name}"] = 40 * 1024**3  # Content-Length: 40 GB
            if name == "endless.mp3":
                slack.unsized.add(f"/files/FB{i:03d}/{name}")  # no Content-Length: counted while streaming
            threads[_upload(slack, url, i, name, data, **kwargs)] = (name, words)
        # A non-media upload is ignored silently (no row, no reply).
        pdf_ts = _upload(slack, url, 99, "notes.pdf", b"%PDF-1.4", mimetype="application/pdf", filetype="pdf")

        def finished() -> bool:
            with app.store.read() as db:
                states = [r["state"] for r in db["recordings"].rows]
            return len(states) == len(cases) and all(s in ("posted", "failed") for s in states)

        wait_for(finished, timeout=240, interval=0.2)
        wait_for(lambda: not app.poller._in_flight)
        with app.store.read() as db:
            rows = {r["message_ts"]: r for r in db["recordings"].rows}

    summaries = summaries_by_thread(slack, CHANNEL)
    for ts, (name, words) in threads.items():
        texts = _thread_texts(slack, ts)
        if not words:
            assert rows[ts]["state"] == "posted", (name, rows[ts]["error"])
            assert summaries[ts] == 1, name
            continue
        assert rows[ts]["state"] == "failed", name
        assert summaries.get(ts) is None, name
        assert len(texts) == 1, (name, texts)  # one message: the status, edited into the failure
        assert texts[0].startswith(":warning: Could not summarize"), (name, texts[0])
        # The provider's reason as a person reads it, without our request context or status codes.
        assert "(HTTP" not in texts[0] and "submitting" not in texts[0], (name, texts[0])
        for word in words:
            assert word in texts[0], (name, texts[0])
    assert slack.thread(CHANNEL, pdf_ts) == [] and pdf_ts not in rows
    unexpected = [r.getMessage() for r in caplog.records if "unexpected error" in r.getMessage()]
    assert unexpected == []
    assert list((tmp_path / "data" / "downloads").glob("*")) == []  # nothing left behind


# --- SSRF ---------------------------------------------------------------------------------------------------


def _ssrf_links(file_port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{file_port}/meeting.mp3",  # loopback, where a real service listens
        f"http://localhost:{file_port}/meeting.mp3",  # a name that resolves to loopback
        f"http://LOCALHOST.:{file_port}/meeting.mp3",  # same, upper case with the root dot
        "http://10.0.0.7/meeting.mp3",
        "http://10.255.255.1:8080/recordings/all.wav",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/role.mp3",
        "http://[::1]/meeting.mp3",
        f"http://[::ffff:127.0.0.1]:{file_port}/meeting.mp3",  # IPv4-mapped IPv6 loopback
        "http://[fd00::1]/meeting.mp3",  # IPv6 unique-local
        "http://[fe80::1%25eth0]/meeting.mp3",  # IPv6 link-local with a zone
        "http://2130706433/meeting.mp3",  # 127.0.0.1 as one decimal number
        "http://0x7f.0.0.1/meeting.mp3",  # hex octet
        # Parser differentials (issue 12): urlsplit sees example.com after "@", urllib3 ends the host at "\".
        f"http://127.0.0.1:{file_port}\\@example.com/../meeting.mp3",
        f"http://127.0.0.1:{file_port}@example.com/meeting.mp3",  # userinfo
        "http://0.0.0.0/meeting.mp3",
        "http://192.168.1.20/meeting.mp3",
        "http://172.16.0.1/meeting.mp3",
        "http://100.64.0.1/meeting.mp3",  # carrier-grade NAT
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://bit.ly/3xyzAbc",
    ]


def _states(app) -> dict[str, str]:
    with app.store.read() as db:
        return {r["message_ts"]: r["state"] for r in db["recordings"].rows}


def test_ssrf_links_refused_before_any_connection(tmp_path, slack, stub_symbl, file_server):
    file_port = file_server.port
    file_server.add("/meeting.mp3", b"ID3" + b"\x00" * 1024)
    guard = connect_guard()
    links = _ssrf_links(file_port)
    settings = bot_settings(tmp_path / "data", slack, stub_symbl)
    threads = {}
    with running_bot(settings) as (app, url):
        guard.active = True
        try:
            for i, link in enumerate(links):
                ts = f"1700600{i:03d}.000100"
                threads[ts] = link
                assert deliver(url, event_envelope(message_event(f"<{link}>", channel=CHANNEL, ts=ts))).ok
            wait_for(
                lambda: all(
                    _thread_texts(slack, ts) and "Could not" in _thread_texts(slack, ts)[0] for ts in threads
                ),
                timeout=60,
            )
            # The failure is reported before its row is marked failed: wait for the rows too.
            wait_for(lambda: all(_states(app).get(ts) == "failed" for ts in threads), timeout=60)
        finally:
            guard.active = False
        with app.store.read() as db:
            rows = {r["message_ts"]: r for r in db["recordings"].rows}

    assert guard.blocked == [], "a refused URL was connected to"
    assert all(addr[1] != file_port for addr in guard.connects), "the loopback file server was reached"
    assert file_server.requests == []
    assert stub_symbl.submissions == []
    for ts, link in threads.items():
        assert rows[ts]["state"] == "failed", link
        [text] = _thread_texts(slack, ts)
        assert text.startswith(":warning: Could not summarize"), (link, text)
        reasons = ("private or local address", "YouTube", "link shortener", "Could not resolve", "backslash",
                   "user name or password")  # fmt: skip
        assert any(w in text for w in reasons), (link, text)


def test_regression_unresolvable_host_fails_at_once_instead_of_sitting_queued(tmp_path, slack, stub_symbl):
    """Bug: a link whose host does not resolve (a typo, an invented name, an IPv6 literal with a zone) raised
    a transient error, so the row retried with backoff for hours and the thread said "Queued…" all along."""
    guard = connect_guard()
    settings = bot_settings(tmp_path / "data", slack, stub_symbl)
    links = {
        "1700650000.000100": "http://recordings.example.invalid/standup.mp3",
        "1700650001.000100": "http://[fe80::1%25eth0]/meeting.mp3",
    }
    with running_bot(settings) as (app, url):
        guard.active = True
        try:
            for ts, link in links.items():
                assert deliver(url, event_envelope(message_event(f"<{link}>", channel=CHANNEL, ts=ts))).ok
            wait_for(lambda: all(any("Could not" in t for t in _thread_texts(slack, ts)) for ts in links))
            # The row is marked failed after the reply is posted: wait for that too, not just the reply.
            wait_for(lambda: all(_states(app).get(ts) == "failed" for ts in links))
        finally:
            guard.active = False
        with app.store.read() as db:
            rows = list(db["recordings"].rows)
    assert [r["state"] for r in rows] == ["failed", "failed"]
    assert [r["attempts"] for r in rows] == [0, 0]
    for ts in links:
        [text] = _thread_texts(slack, ts)
        # A zone-scoped IPv6 literal resolves where the interface exists: then it is refused as link-local.
        assert "Could not resolve the host" in text or "private or local address" in text
    assert guard.blocked == []


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/audio.mp3",
        "http://10.1.2.3/audio.mp3",
        "http://[::1]:{port}/audio.mp3",
        "http://localhost:{port}/audio.mp3",
    ],
)
def test_slack_download_redirected_to_a_private_address_is_refused_and_the_token_stays(
    tmp_path, slack, stub_symbl, file_server, target
):
    file_server.add("/audio.mp3", b"ID3" + b"\x00" * 1024)
    target = target.format(port=file_server.port)
    guard = connect_guard()
    settings = bot_settings(tmp_path / "data", slack, stub_symbl)
    with running_bot(settings) as (_app, url):
        guard.active = True
        try:
            ts = _upload(
                slack, url, 1, "standup.mp3", b"ID3" + b"\x00" * 512, variant="redirect", redirect_to=target
            )
            wait_for(lambda: any("Could not" in t for t in _thread_texts(slack, ts)))
        finally:
            guard.active = False
    [text] = _thread_texts(slack, ts)
    assert "redirects to another host" in text
    assert guard.blocked == [] and file_server.requests == []
    assert stub_symbl.submissions == []


def test_a_file_whose_download_link_points_outside_slack_is_refused_before_connecting(
    tmp_path, slack, stub_symbl
):
    guard = connect_guard()
    settings = bot_settings(tmp_path / "data", slack, stub_symbl)
    with running_bot(settings) as (_app, url):
        info = slack.add_file("FB777", "meta.mp3", b"ID3")
        info["url_private_download"] = info["url_private"] = "http://169.254.169.254/latest/meta.mp3"
        ts = "1700700000.000100"
        guard.active = True
        try:
            assert deliver(url, event_envelope(file_share_event(info, channel=CHANNEL, ts=ts))).ok
            wait_for(lambda: any("Could not" in t for t in _thread_texts(slack, ts)))
        finally:
            guard.active = False
    [text] = _thread_texts(slack, ts)
    assert "points outside Slack" in text
    assert guard.blocked == []


# --- oversized text -----------------------------------------------------------------------------------------


def test_oversized_message_and_command_text_get_answers_and_the_bot_keeps_working(
    tmp_path, slack, stub_symbl
):
    settings = bot_settings(tmp_path / "data", slack, stub_symbl)
    with running_bot(settings) as (_app, url):
        # Slack's own ceiling for message text is 40,000 characters: fill it with words and refused links.
        links = " ".join(f"<http://10.0.0.{i}/part-{i}.mp3>" for i in range(40))
        text = links + " " + "word " * ((40_000 - len(links)) // 5)
        big_ts = "1700800000.000100"
        assert (
            deliver(url, event_envelope(message_event(text, channel=CHANNEL, ts=big_ts))).status_code == 200
        )
        # A slash command far over any sane length.
        form = "&".join(
            [
                "command=%2Fsymbl",
                "text=search+" + "x" * 100_000,
                "user_id=U0ALICE",
                "channel_id=" + CHANNEL,
                "team_id=T0TEAM",
                "response_url=" + requests.utils.quote(slack.base + "/response/1", safe=""),
                "trigger_id=1.2.3",
            ]
        )
        headers = {**signed_headers(form), "Content-Type": "application/x-www-form-urlencoded"}
        started = time.monotonic()
        answer = requests.post(url + "/slack/events", data=form.encode(), headers=headers, timeout=10)
        assert answer.status_code == 200 and time.monotonic() - started < 3  # Slack's ack window
        shown = json.dumps(answer.json()) if answer.content else ""
        wait_for(lambda: shown or slack.calls_to("/response/1"))
        # Still processing: a good upload after both is summarized.
        after_ts = "1700800001.000100"
        file = slack.add_file("FB900", "after.mp3", b"ID3" + b"\x00" * 2048)
        deliver(url, event_envelope(file_share_event(file, channel=CHANNEL, ts=after_ts)))
        wait_for(lambda: slack.summaries(CHANNEL, after_ts), timeout=60)
        wait_for(
            lambda: (
                sum("Could not" in t for t in _thread_texts(slack, big_ts)) == settings.max_links_per_message
            )
        )
        big_thread = _thread_texts(slack, big_ts)
    assert "x" * 3000 not in shown  # the answer does not echo the whole text back
    # 40 links, at most 10 taken (SYMBL_BOT_MAX_LINKS_PER_MESSAGE): ten refusals and one reply about the rest.
    cap = settings.max_links_per_message
    left_out = [t for t in big_thread if f"at most {cap} links" in t]
    assert len(left_out) == 1 and f"the other {40 - cap} were not processed" in left_out[0]
    refused = [t for t in big_thread if t not in left_out]
    assert len(refused) == cap and all("private or local address" in t for t in refused)
    assert SIGNING_SECRET not in shown
