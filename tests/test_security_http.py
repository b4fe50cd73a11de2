"""Limits before work in HTTP mode (issue 12 items 3 and the unsigned-500 low item), against the real bot.

The bot runs under waitress with its real Bolt app; `bot.slack.http_guard.SignedRequestGuard` sits in front.
Oversized bodies (declared or chunked) get 413, unsigned or garbled ones 401, each with one log line and no
traceback, and none of them reaches Bolt (no row, no listener, no Slack call).
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import socket
from urllib.parse import urlsplit

import pytest
import requests

from bot.slack.http_guard import SignedRequestGuard
from tests.slack_fakes import bot_settings, event_envelope, file_share_event, running_bot, signed_headers
from tests.support.wait import wait_until

CHANNEL = "C0HTTP"
CAP = 64 * 1024


def _events(url: str, data, headers: dict[str, str]) -> requests.Response:
    return requests.post(url + "/slack/events", data=data, headers=headers, timeout=30)


def _chunks(total: int, size: int = 16 * 1024):
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size


@pytest.fixture
def bot(tmp_path, fake_slack, stub_symbl):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl, max_request_bytes=CAP)
    with running_bot(settings) as running:
        yield running


def test_oversized_unsigned_and_garbled_requests_never_reach_bolt(bot, fake_slack, caplog):
    app, url = bot
    caplog.set_level(logging.DEBUG)
    file = fake_slack.add_file("FH1", "a.mp3", b"ID3")
    body = json.dumps(event_envelope(file_share_event(file, channel=CHANNEL)))
    refusals = {
        "declared too large": _events(
            url, b"{" + b" " * (CAP + 10) + b"}", {"Content-Type": "application/json"}
        ),
        "chunked too large": _events(url, _chunks(4 * CAP), {"Content-Type": "application/json"}),
        "unsigned": _events(url, body.encode(), {"Content-Type": "application/json"}),
        "garbled timestamp": _events(
            url, body.encode(), {**signed_headers(body), "X-Slack-Request-Timestamp": "yesterday"}
        ),
        "not UTF-8": _events(
            url, b"\xff\xfe{}", {**signed_headers("{}"), "Content-Type": "application/json"}
        ),
        "signed for another body": _events(url, b"{not json", signed_headers(body)),
    }
    statuses = {name: r.status_code for name, r in refusals.items()}
    assert statuses == {
        "declared too large": 413, "chunked too large": 413, "unsigned": 401, "garbled timestamp": 401,
        "not UTF-8": 401, "signed for another body": 401,
    }  # fmt: skip
    with app.store.read() as db:
        assert db["recordings"].count == 0
    assert [c.method for c in fake_slack.calls if c.method != "auth.test"] == []  # auth.test: Bolt's start
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not [r for r in caplog.records if r.name.startswith("slack_bolt") and r.levelno >= logging.WARNING]
    # The signed request still works: the guard hands Bolt the exact bytes it read.
    assert _events(url, body.encode(), signed_headers(body)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/slack/events"),
        ("POST", "/slack/events/"),
        ("POST", "//slack/events"),
        ("POST", "/slack/%65vents"),
        ("POST", "/slack/events?ssl_check=1"),
        ("POST", "/slack/events;x"),
        ("PUT", "/slack/events"),
    ],
)
def test_no_spelling_of_the_events_request_gets_past_the_signature_check(bot, fake_slack, method, path):
    """The guard is the only signature check (Bolt's is off: it recomputed the same HMAC). So every
    request line that reaches Bolt's dispatch must have passed the guard: the guard, the router and Bolt's
    adapter read the same method and path."""
    app, url = bot
    file = fake_slack.add_file("FH9", "a.mp3", b"ID3")
    body = json.dumps(event_envelope(file_share_event(file, channel=CHANNEL)))
    connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)
    connection.request(method, path, body=body.encode(), headers={"Content-Type": "application/json"})
    status = connection.getresponse().status
    connection.close()
    assert status in (400, 401, 404, 405)
    with app.store.read() as db:
        assert db["recordings"].count == 0


class _CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk


def test_a_chunked_body_is_read_only_up_to_the_cap():
    reached = []
    guard = SignedRequestGuard(lambda env, start: reached.append(env) or [b""], "secret", max_bytes=CAP,
                               paths=["/slack/events"])  # fmt: skip
    stream = _CountingStream(b"y" * (50 * CAP))
    statuses: list[str] = []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "wsgi.input": stream}
    guard(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["413 Payload Too Large"] and reached == []
    assert stream.read_bytes <= CAP + 64 * 1024  # stopped at the cap, not at the end of the body


# --- slowloris (issue 21, finding 8) ------------------------------------------------------------------------

IDLE_CONNECTIONS = 120  # more than waitress's default connection_limit (100), which these used to exhaust


def test_idle_and_dripping_connections_do_not_shut_out_slack_or_healthz(tmp_path, fake_slack, stub_symbl):
    """Connections that send part of a request and then stay silent, or drip a byte now and then, each hold a
    waitress channel. With the defaults, 100 of them took every channel: signed events and /healthz waited in
    the listen backlog until their clients gave up. Now both still answer (bot.slack.http_limits)."""
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    with running_bot(settings) as (_bot, url):
        address = (urlsplit(url).hostname, urlsplit(url).port)
        held = [socket.create_connection(address, timeout=5) for _ in range(IDLE_CONNECTIONS)]
        try:
            for n, sock in enumerate(held):  # half a request line each; every other one drips a byte more
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Drip: " + b"a" * (n % 2))
            wait_until(
                lambda: _open_channels(_bot) >= IDLE_CONNECTIONS,
                timeout=10,
                what="every connection accepted (the default connection_limit stops near 100)",
            )
            for sock in held[1::2]:
                sock.sendall(b"a")
            file = fake_slack.add_file("FS1", "a.mp3", b"ID3")
            event = event_envelope(file_share_event(file, channel=CHANNEL))
            body = json.dumps(event)
            answered = requests.post(
                url + "/slack/events", data=body, headers=signed_headers(body), timeout=5
            )
            health = requests.get(url + "/healthz", timeout=5)
        finally:
            for sock in held:
                sock.close()
    assert answered.status_code == 200
    assert health.status_code == 200 and health.json()["ok"]


def _open_channels(bot) -> int:
    return sum(1 for channel in bot._http._map.values() if channel is not bot._http and channel is not
               bot._http.trigger)  # fmt: skip


def test_serve_raises_its_open_files_limit_for_the_connections_it_may_hold():
    """Many systems start processes at a soft limit of 1024 descriptors, fewer than 1000 channels can need."""
    import resource
    import subprocess
    import sys

    from bot.slack.http_limits import SPARE_FILES, WAITRESS_LIMITS

    wanted = WAITRESS_LIMITS["connection_limit"] * 3 + SPARE_FILES
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the hard limit ({hard}) is below {wanted}")
    script = "from bot.slack.http_limits import raise_open_files_limit; print(raise_open_files_limit())"
    raised = subprocess.run(
        [sys.executable, "-c", script],
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard)),
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(raised.stdout) == wanted
