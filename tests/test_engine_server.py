"""The engine's Symbl-compatible HTTP API, over real HTTP on an ephemeral loopback port.

These tests are about the API: auth, options, states, ordering, errors. They use `ScriptedEngine` (see
tests/engine_api_support.py) in place of speech-to-text so each job takes milliseconds; the real engine
runs in test_engine_server_restart.py and the client/SDK cycle tests.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import requests

from bot.config import Settings
from bot.engine.server import EngineServer
from bot.engine.store import Store
from bot.errors import EngineError
from tests.engine_api_support import SAMPLE, ScriptedEngine, running_engine
from tests.support.files import FileServer
from tests.support.http import serve_in_thread
from tests.support.wait import wait_until

STATUSES = {"scheduled", "in_progress", "completed", "failed"}


class Api:
    """A bare HTTP view of the server, so the tests see status codes and bodies as sent."""

    def __init__(self, url):
        self.url = url
        self.http = requests.Session()
        token = self.http.post(
            f"{url}/oauth2/token:generate",
            json={"type": "application", "appId": "a", "appSecret": "b"},
            timeout=10,
        )
        self.http.headers["x-api-key"] = token.json()["accessToken"]

    def __getattr__(self, method):
        return lambda path, **kw: self.http.request(method.upper(), self.url + path, timeout=30, **kw)

    def upload(self, path=SAMPLE, params=None, conversation_id=None, content_type=""):
        url = "/v1/process/audio" + (f"/{conversation_id}" if conversation_id else "")
        method = self.put if conversation_id else self.post
        return method(url, data=path.read_bytes(), params=params, headers={"Content-Type": content_type})

    def wait_done(self, job_id):
        return wait_until(
            lambda: (s := self.get(f"/v1/job/{job_id}").json())["status"] in ("completed", "failed") and s
        )


@pytest.fixture
def api(server):
    return Api(server.url)


# --- authentication ----------------------------------------------------------------------------------------


def test_token_generate_returns_a_long_lived_token(server):
    response = requests.post(
        f"{server.url}/oauth2/token:generate",
        json={"type": "application", "appId": "x", "appSecret": "y"},
        timeout=10,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["accessToken"] and body["expiresIn"] >= 3600


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "not-a-token"}, {"x-api-key": ""}])
def test_requests_without_a_valid_token_get_401_with_a_message(server, headers):
    for path in ("/v1/job/j1", "/v1/conversations/c1/topics"):
        response = requests.get(server.url + path, headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.headers["Content-Type"].startswith("application/json")
        assert "x-api-key" in response.json()["message"]


def test_configured_credentials_are_enforced(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", engine_app_id="team", engine_app_secret="s3cret")
    with running_engine(settings, ScriptedEngine()) as srv:
        grant = {"type": "application", "appId": "team", "appSecret": "wrong"}
        wrong = requests.post(f"{srv.url}/oauth2/token:generate", json=grant, timeout=10)
        assert wrong.status_code == 401 and "appSecret" in wrong.json()["message"]
        grant["appSecret"] = "s3cret"
        assert requests.post(f"{srv.url}/oauth2/token:generate", json=grant, timeout=10).status_code == 200


@pytest.mark.parametrize(
    "body", [None, {"type": "password", "username": "u", "password": "p"}, {"type": "application"}]
)
def test_malformed_grants_get_400(server, body):
    response = requests.post(f"{server.url}/oauth2/token:generate", json=body, timeout=10)
    assert response.status_code == 400 and response.json()["message"]


def test_a_public_address_without_credentials_is_refused(tmp_path):
    with pytest.raises(EngineError, match="SYMBL_ENGINE_APP_ID"):
        EngineServer(Settings(data_dir=tmp_path), host="0.0.0.0", port=0, engine=ScriptedEngine())


# --- a full cycle ------------------------------------------------------------------------------------------


def test_file_submission_with_empty_content_type_runs_through_the_four_statuses(server, api, engine):
    events = []
    server.on_job_status(lambda e: events.append(e.status))
    engine.gate.clear()
    response = api.upload(params={"name": "standup", "detectPhrases": "true"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"conversationId", "jobId"}
    engine.started.wait(10)
    assert api.get(f"/v1/job/{body['jobId']}").json() == {"id": body["jobId"], "status": "in_progress"}
    engine.gate.set()
    assert api.wait_done(body["jobId"])["status"] == "completed"
    wait_until(lambda: "completed" in events)
    assert events == ["scheduled", "in_progress", "completed"]
    assert engine.calls[0]["options"].name == "standup" and engine.calls[0]["options"].detect_phrases


def test_conversation_endpoints_return_symbl_shapes_and_honour_flags(api):
    cid, job = api.upload(params={"name": "standup"}).json().values()
    api.wait_done(job)
    plain = api.get(f"/v1/conversations/{cid}/messages").json()["messages"]
    assert plain and all("sentiment" not in m and "words" not in m for m in plain)
    rich = api.get(
        f"/v1/conversations/{cid}/messages", params={"sentiment": "true", "verbose": "true"}
    ).json()
    first = rich["messages"][0]
    assert first["text"].startswith("Marco, please send the release notes")
    assert first["from"]["name"] == "Priya" and first["from"]["email"] == "priya@example.org"
    assert first["sentiment"]["suggested"] in ("positive", "neutral", "negative")
    assert first["words"][0]["word"] == "Marco," and first["startTime"].endswith("Z")

    topics = api.get(f"/v1/conversations/{cid}/topics", params={"sentiment": "true", "parentRefs": "true"})
    assert topics.json()["topics"] and all(
        "sentiment" in t and "parentRefs" in t for t in topics.json()["topics"]
    )
    bare = api.get(f"/v1/conversations/{cid}/topics").json()["topics"]
    assert all("sentiment" not in t and "parentRefs" not in t for t in bare)

    for resource, key in [
        ("questions", "questions"),
        ("action-items", "actionItems"),
        ("follow-ups", "followUps"),
        ("members", "members"),
        ("entities", "entities"),
    ]:
        assert isinstance(api.get(f"/v1/conversations/{cid}/{resource}").json()[key], list)
    assert any(
        "login bug" in q["text"] for q in api.get(f"/v1/conversations/{cid}/questions").json()["questions"]
    )
    assert {m["name"] for m in api.get(f"/v1/conversations/{cid}/members").json()["members"]} == {
        "Priya",
        "Marco",
    }
    assert api.get(f"/v1/conversations/{cid}/trackers").json() == []
    meta = api.get(f"/v1/conversations/{cid}").json()
    assert meta["id"] == cid and meta["name"] == "standup" and meta["startTime"] < meta["endTime"]
    assert meta["language"] == "en" and meta["warnings"] == []  # our extension (contract §5.8)


def test_an_append_waits_for_the_earlier_job_and_goes_after_its_end(api, engine):
    engine.gate.clear()
    cid, first = api.upload().json().values()
    append = api.upload(conversation_id=cid)
    assert append.status_code == 200
    assert append.json()["conversationId"] == cid and append.json()["jobId"] != first
    engine.started.wait(10)
    assert api.get(f"/v1/job/{append.json()['jobId']}").json()["status"] == "scheduled"
    assert len(engine.calls) == 1  # the append is held back while the first job runs
    engine.gate.set()
    assert api.wait_done(append.json()["jobId"])["status"] == "completed"
    messages = api.get(f"/v1/conversations/{cid}/messages").json()["messages"]
    half = len(messages) // 2
    assert [m["text"] for m in messages[:half]] == [m["text"] for m in messages[half:]]
    first_end = messages[half - 1]["timeOffset"] + messages[half - 1]["duration"]
    assert engine.calls[1]["time_offset"] == pytest.approx(first_end)
    assert messages[half]["startTime"] >= messages[half - 1]["endTime"]
    assert len({m["id"] for m in messages}) == len(messages)


def test_url_submission_and_append_download_inside_the_job(api, engine, tmp_path):
    files = FileServer(SAMPLE.parent)
    try:
        response = api.post(
            "/v1/process/audio/url",
            params={"enableSpeakerDiarization": "true"},
            json={
                "url": f"{files.url}/{SAMPLE.name}",
                "name": "by url",
                "customVocabulary": ["Symbl"],
                "confidenceThreshold": 0.6,
            },
        )
        assert response.status_code == 201
        cid, job = response.json().values()
        assert api.wait_done(job)["status"] == "completed"
        options = engine.calls[0]["options"]
        assert options.enable_speaker_diarization and options.custom_vocabulary == ("Symbl",)
        assert options.confidence_threshold == 0.6 and options.name == "by url"
        again = api.put(f"/v1/process/audio/url/{cid}", json={"url": f"{files.url}/{SAMPLE.name}"})
        assert again.status_code == 200 and api.wait_done(again.json()["jobId"])["status"] == "completed"
    finally:
        files.close()


def test_a_url_that_cannot_be_fetched_fails_the_job_with_a_message(api):
    files = FileServer(SAMPLE.parent)
    try:
        job = api.post("/v1/process/audio/url", json={"url": f"{files.url}/missing.mp3"}).json()["jobId"]
        done = api.wait_done(job)
        assert done["status"] == "failed" and "404" in done["message"]
    finally:
        files.close()


def test_sdk_style_custom_vocabulary_one_character_per_parameter_is_understood(api, engine):
    quirky = [("customVocabulary", ch) for ch in json.dumps(["Slack", "Symbl"])]
    job = api.upload(params=quirky).json()["jobId"]
    api.wait_done(job)
    assert engine.calls[0]["options"].custom_vocabulary == ("Slack", "Symbl")


def test_video_endpoints_are_aliases(api):
    response = api.post("/v1/process/video", data=SAMPLE.read_bytes(), headers={"Content-Type": "video/mp4"})
    assert response.status_code == 201
    assert api.wait_done(response.json()["jobId"])["status"] == "completed"


def test_webhook_receives_each_status_change(api):
    received, done = [], threading.Event()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()
            if received[-1]["status"] == "completed":
                done.set()

        def log_message(self, *args):
            pass

    hook = serve_in_thread(Hook)
    try:
        url = f"http://127.0.0.1:{hook.server_address[1]}/hook"
        job = api.upload(params={"webhookUrl": url}).json()["jobId"]
        assert done.wait(30)
        assert received == [{"jobId": job, "status": s} for s in ("scheduled", "in_progress", "completed")]
    finally:
        hook.shutdown()
        hook.server_close()


def test_delete_removes_the_conversation_its_jobs_and_its_audio(server, api, settings):
    cid, job = api.upload().json().values()
    api.wait_done(job)
    media = settings.data_dir / "engine" / "media" / cid
    assert media.is_dir()  # the audio itself went when the job finished (SYMBL_BOT_KEEP_AUDIO off)
    assert api.delete(f"/v1/conversations/{cid}").status_code == 200
    assert not media.exists()
    assert api.get(f"/v1/conversations/{cid}/messages").status_code == 404
    assert api.get(f"/v1/job/{job}").status_code == 404
    assert api.delete(f"/v1/conversations/{cid}").status_code == 404


# --- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/job/nope",
        "/v1/conversations/nope",
        "/v1/conversations/nope/messages",
        "/v1/conversations/nope/topics",
        "/v1/conversations/nope/action-items",
    ],
)
def test_unknown_ids_are_404_with_a_message(api, path):
    response = api.get(path)
    assert response.status_code == 404 and "nope" in response.json()["message"]


def test_appending_to_an_unknown_conversation_is_404(api):
    assert api.upload(conversation_id="0000").status_code == 404
    assert api.put("/v1/process/audio/url/0000", json={"url": "http://127.0.0.1/a.mp3"}).status_code == 404


@pytest.mark.parametrize(
    "params,fragment",
    [
        ({"diarizationSpeakerCount": "many"}, "diarizationSpeakerCount"),
        ({"enableSpeakerDiarization": "yes please"}, "enableSpeakerDiarization"),
        ({"confidenceThreshold": "2"}, "confidenceThreshold"),
        ({"channelMetadata": "{not json"}, "channelMetadata"),
        ({"channelMetadata": json.dumps([{"channel": 0, "speaker": {"name": "A"}}])}, "channelMetadata"),
        ({"webhookUrl": "ftp://example.org/hook"}, "webhookUrl"),
    ],
)
def test_bad_options_are_400_naming_the_option(api, params, fragment):
    response = api.upload(params=params)
    assert response.status_code == 400
    assert fragment in response.json()["message"]


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({}, "url"),
        ({"url": ""}, "url"),
        ({"url": "ftp://x/a.mp3"}, "http"),
        ({"url": "https://youtu.be/abc"}, "YouTube"),
    ],
)
def test_bad_url_submissions_are_400(api, body, fragment):
    response = api.post("/v1/process/audio/url", json=body)
    assert response.status_code == 400 and fragment in response.json()["message"]


def test_malformed_json_body_is_400(api):
    response = api.post("/v1/process/audio/url", data=b"{oops", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["message"]


def test_corrupt_or_empty_uploads_are_refused_with_a_reason(api, tmp_path):
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"this is not audio at all" * 100)
    corrupt = api.upload(junk, content_type="audio/mpeg")
    assert corrupt.status_code == 400 and "uploaded file" in corrupt.json()["message"]
    unsupported = api.upload(junk, content_type="text/plain")
    assert unsupported.status_code == 415 and "text/plain" in unsupported.json()["message"]
    empty = api.post("/v1/process/audio", data=b"")
    assert empty.status_code == 400 and "empty" in empty.json()["message"]


def test_oversize_uploads_are_413(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", max_file_bytes=100_000)
    with running_engine(settings, ScriptedEngine()) as srv:
        api = Api(srv.url)
        response = api.upload()
        assert response.status_code == 413 and "limit" in response.json()["message"]
        # Streamed without a Content-Length, the cap still holds while reading.
        chunked = api.post("/v1/process/audio", data=iter([SAMPLE.read_bytes()]))
        assert chunked.status_code == 413
        assert not any((tmp_path / "d" / "engine" / "media").rglob("*.part"))


def test_tokens_and_results_survive_a_restart(settings, tmp_path):
    with running_engine(settings, ScriptedEngine()) as srv:
        api = Api(srv.url)
        cid, job = api.upload().json().values()
        api.wait_done(job)
        before = api.get(f"/v1/conversations/{cid}/topics").json()
    with running_engine(settings, ScriptedEngine()) as srv:
        api.url = srv.url  # same token, new process state
        assert api.get(f"/v1/job/{job}").json()["status"] == "completed"
        assert api.get(f"/v1/conversations/{cid}/topics").json() == before


def test_too_many_unfinished_jobs_is_429_with_retry_after(settings, engine):
    engine.gate.clear()
    with running_engine(dataclasses.replace(settings, engine_max_unfinished_jobs=1), engine) as srv:
        api = Api(srv.url)
        assert api.upload().status_code == 201
        refused = api.upload()
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert "unfinished" in refused.json()["message"]
        engine.gate.set()


def test_media_a_killed_engine_left_behind_is_deleted_when_it_starts_again(settings, tmp_path):
    """Killed between a job's end and the deletion of its upload, the engine that owns its SQLite file deletes
    the upload at its next start (no other process is about to), not a lease later."""
    with running_engine(settings, ScriptedEngine()) as srv:
        api = Api(srv.url)
        _, job_id = api.upload().json().values()
        api.wait_done(job_id)
    store = Store(settings.engine_database)
    media = Path(store.job(job_id).media_path)
    assert not media.exists()
    media.write_bytes(SAMPLE.read_bytes())  # as the kill left it: the job ended, its upload still there
    with store.backend.tx() as db:
        db.execute("UPDATE jobs SET media_cleared = 0 WHERE id = ?", [job_id])
    store.close()
    with running_engine(settings, ScriptedEngine()):
        assert not media.exists()


def test_an_upload_a_killed_engine_left_half_written_is_deleted_hours_later_at_a_start(settings):
    folder = settings.engine_media_dir / "1234"
    folder.mkdir(parents=True)
    stale, fresh = folder / "j1.part", folder / "j2.part"
    for path in (stale, fresh):
        path.write_bytes(b"x")
    hours_ago = time.time() - 7 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    with running_engine(settings, ScriptedEngine()):
        assert not stale.exists() and fresh.exists()
