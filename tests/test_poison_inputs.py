"""Edge inputs that ended as 500s, tracebacks or forged log lines (issue 21, finding 11), through the real
engine server, transcript reader, log handler and settings."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import pytest
import requests

from bot.config import Settings
from bot.errors import ConfigError, InputError
from bot.logs import handler_for
from bot.transcript_import import parse_transcript
from tests.engine_api_support import ScriptedEngine, running_engine
from tests.support.wait import wait_until


def _session(url: str) -> requests.Session:
    session = requests.Session()
    grant = {"type": "application", "appId": "a", "appSecret": "b"}  # any credentials do on loopback
    token = session.post(f"{url}/oauth2/token:generate", json=grant, timeout=10).json()
    session.headers["x-api-key"] = token["accessToken"]
    return session


@pytest.fixture
def engine(tmp_path):
    with running_engine(Settings(data_dir=tmp_path / "d"), ScriptedEngine()) as server:
        yield server.url, _session(server.url)


def _message(**extra):
    return {"payload": {"content": "We ship on Friday."}, "from": {"name": "Ann"}, **extra}


def _text(session, url, raw: str, conversation_id: str | None = None):
    path = f"/v1/process/text/{conversation_id}" if conversation_id else "/v1/process/text"
    method = session.put if conversation_id else session.post
    return method(url + path, data=raw.encode("utf-8", "surrogatepass"), timeout=30)


@pytest.mark.parametrize(
    "raw, words",
    [
        ('{"messages": ' + "[" * 5000 + "]" * 5000 + "}", "nests deeper"),
        ('{"messages": [{"payload": {"content": "hi \\ud800 there"}}]}', "unpaired surrogate"),
        ('{"name": "\\udfff", "messages": [{"payload": {"content": "hi"}}]}', "unpaired surrogate"),
    ],
    ids=["5000 deep", "lone surrogate in content", "lone surrogate in name"],
)
def test_malformed_text_api_bodies_are_400s_with_a_message(engine, raw, words):
    url, session = engine
    response = _text(session, url, raw)
    assert response.status_code == 400 and words in response.json()["message"]


@pytest.mark.parametrize(
    "duration",
    [
        {"startTime": "9999-12-31T23:59:59Z", "endTime": "9999-12-31T23:59:59Z"},
        {"startTime": "9999-12-31T23:59:59Z"},
        {"startTime": "0001-01-01T00:00:00Z", "endTime": "0001-01-01T00:00:01Z"},
        {"startTime": "0001-01-01T00:00:00+14:00"},
        {"startTime": "9999-12-31T23:59:59-14:00"},
    ],
)
def test_dates_at_datetimes_limits_are_400s(engine, duration):
    url, session = engine
    response = _text(session, url, json.dumps({"messages": [_message(duration=duration), _message()]}))
    assert response.status_code == 400 and "outside the years 1900–9000" in response.json()["message"]


def _finished(session, url, job_id):
    def status():
        value = session.get(f"{url}/v1/job/{job_id}", timeout=10).json()["status"]
        return value if value in ("completed", "failed") else None

    return wait_until(status)


def test_message_ids_stay_unique_across_appends(engine):
    url, session = engine
    timed = {"startTime": "2026-03-02T09:00:00Z", "endTime": "2026-03-02T09:00:02Z"}
    body = json.dumps({"messages": [_message(id="m1"), _message(duration=timed), _message()]})
    first = _text(session, url, body).json()
    assert _finished(session, url, first["jobId"]) == "completed"
    for _ in range(2):  # the same messages again: the same sent id, the same times, the same places
        job = _text(session, url, body, first["conversationId"]).json()
        assert _finished(session, url, job["jobId"]) == "completed"
    messages = session.get(f"{url}/v1/conversations/{first['conversationId']}/messages", timeout=10).json()
    ids = [m["id"] for m in messages["messages"]]
    assert len(ids) == 9 and len(set(ids)) == 9 and ids[0] == "m1"


def test_a_vtt_cue_at_hour_70_million_is_a_clear_input_error():
    vtt = "WEBVTT\n\n70000000:00:00.000 --> 70000000:00:05.000\n<v Ann>We ship on Friday.\n"
    with pytest.raises(
        InputError, match=r"cue \(70000000:00:00.000 --> 70000000:00:05.000\) past 1000 hours"
    ):
        parse_transcript(vtt, "vtt", start_time=datetime(2026, 3, 2, tzinfo=UTC))


def test_a_request_path_with_line_breaks_cannot_forge_log_lines(engine):
    url, session = engine
    stream = io.StringIO()
    handler = handler_for(Settings(), stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        forged = "%0A2026-01-01 00:00:00,000 INFO bot.engine: forged%0D%1B[2J%E2%80%A8"
        session.get(f"{url}/v1/job/x{forged}", timeout=10)
        requests.get(f"{url}/v1/job/x{forged}", timeout=10)  # no token: refused
        logging.getLogger("bot.test").warning("path %s", "/x\n2026-01-01 INFO forged\u2028too")
    finally:
        root.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines and not any("forged" in line and not line.startswith(("20", " ")) for line in lines)
    assert not any(line.startswith("2026-01-01") for line in lines)
    assert any("/x\\n2026-01-01 INFO forged\\u2028too" in line for line in lines)


def test_an_engine_app_id_without_its_secret_is_a_config_error():
    with pytest.raises(ConfigError, match="SYMBL_ENGINE_APP_ID and SYMBL_ENGINE_APP_SECRET go together"):
        Settings.from_env({"SYMBL_ENGINE_APP_ID": "acme"})
    with pytest.raises(ConfigError, match="go together"):
        Settings.from_env({"SYMBL_ENGINE_APP_SECRET": "s3cret-value"})
    assert (
        Settings.from_env({"SYMBL_ENGINE_APP_ID": "acme", "SYMBL_ENGINE_APP_SECRET": "s"}).engine_app_id
        == "acme"
    )


# --- finding 7: JSON bodies bounded on their own ------------------------------------------------------------


def test_json_bodies_over_their_own_limit_are_413_before_parsing(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", engine_max_json_bytes=20_000)
    with running_engine(settings, ScriptedEngine()) as server:
        url = server.url
        session = _session(url)
        # A metadata option far over the limit (the media limit, 1 GB, was the only bound), and one that is
        # not even JSON: refused by size, unparsed.
        huge = json.dumps({"messages": [_message()], "metadata": {"x": "y" * 50_000}}).encode()
        for body in (huge, b"{" * 30_000):
            response = session.post(f"{url}/v1/process/text", data=body, timeout=30)
            assert response.status_code == 413 and "SYMBL_ENGINE_MAX_JSON_BYTES" in response.json()["message"]
        chunked = session.post(
            f"{url}/v1/process/text", data=iter([huge[:15_000], huge[15_000:]]), timeout=30
        )
        assert chunked.status_code == 413 and "20,000-byte limit" in chunked.json()["message"]
        url_body = json.dumps({"url": "https://example.com/a.mp3", "name": "x" * 30_000})
        assert session.post(f"{url}/v1/process/audio/url", data=url_body, timeout=30).status_code == 413
        fits = json.dumps({"messages": [_message()], "metadata": {"x": "y" * 10_000}})
        assert session.post(f"{url}/v1/process/text", data=fits, timeout=30).status_code == 201


def test_the_json_limit_is_a_few_megabytes_and_a_setting():
    assert Settings().engine_max_json_bytes == 5 * 1024**2
    assert Settings.from_env({"SYMBL_ENGINE_MAX_JSON_BYTES": "2000000"}).engine_max_json_bytes == 2_000_000
