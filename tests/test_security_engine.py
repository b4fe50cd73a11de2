"""The engine's auth, tenancy and limits, probed over real HTTP (issue 12 items 4, 5, 7, the engine low
items), the ownership of rows from before tenancy, and a full disk during the engine's own URL downloads.

Each test starts the real EngineServer (waitress + Flask + SQLite) with `ScriptedEngine` in place of
speech-to-text, as tests/test_engine_server.py does.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from urllib.parse import urlsplit

import pytest
import requests

from bot.config import Settings
from bot.engine import jobs
from bot.engine.server import auth
from tests.engine_api_support import SAMPLE, ScriptedEngine, running_engine
from tests.support import disk
from tests.support.files import FileServer
from tests.support.wait import wait_until


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data", allow_private_urls=True, max_file_bytes=400 * 1024**2)


def _token(url: str, app_id: str) -> dict[str, str]:
    return _token_with(url, app_id, "s")


def _token_with(url: str, app_id: str, secret: str) -> dict[str, str]:
    answer = requests.post(
        url + "/oauth2/token:generate",
        json={"type": "application", "appId": app_id, "appSecret": secret},
        timeout=10,
    )
    assert answer.ok, answer.text
    return {"x-api-key": answer.json()["accessToken"]}


def _status(url: str, headers: dict[str, str]) -> int:
    """401 for a dead token; 404 (no such job) for a live one."""
    return requests.get(url + "/v1/job/no-such-job", headers=headers, timeout=10).status_code


def _upload(url: str, headers: dict[str, str], conversation_id: str | None = None) -> requests.Response:
    path = "/v1/process/audio" + (f"/{conversation_id}" if conversation_id else "")
    method = requests.put if conversation_id else requests.post
    return method(url + path, data=SAMPLE.read_bytes(), headers=headers, timeout=30)


def test_conversations_and_jobs_belong_to_the_app_that_created_them(settings):
    with running_engine(settings, ScriptedEngine()) as server:
        alice, mallory = _token(server.url, "alice"), _token(server.url, "mallory")
        created = _upload(server.url, alice).json()
        cid, job = created["conversationId"], created["jobId"]
        paths = [f"/v1/job/{job}", f"/v1/conversations/{cid}", f"/v1/conversations/{cid}/messages",
                 f"/v1/conversations/{cid}/topics", f"/v1/conversations/{cid}/action-items"]  # fmt: skip
        other = {p: requests.get(server.url + p, headers=mallory, timeout=10).status_code for p in paths}
        appended = _upload(server.url, mallory, cid).status_code
        deleted = requests.delete(
            f"{server.url}/v1/conversations/{cid}", headers=mallory, timeout=10
        ).status_code
        url_append = requests.put(
            f"{server.url}/v1/process/audio/url/{cid}", json={"url": "http://127.0.0.1:1/x.mp3"},
            headers=mallory, timeout=10,
        ).status_code  # fmt: skip
        own = {p: requests.get(server.url + p, headers=alice, timeout=10).status_code for p in paths}
    assert other == dict.fromkeys(paths, 404)
    assert (appended, deleted, url_append) == (404, 404, 404)
    assert own == dict.fromkeys(paths, 200)  # still there, untouched


def _raw_request(url: str, head: str, body_part: bytes) -> tuple[str, bytes]:
    """Send the headers and only the start of a body; the status line and body the server answers with."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(head.encode() + b"\r\n\r\n" + body_part)
        received = b""
        while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < 10:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    status, _, rest = received.partition(b"\r\n")
    return status.decode(), rest.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in rest else b""


@pytest.mark.parametrize("token", ["", "x-api-key: not-a-token\r\n"])
def test_an_unauthenticated_upload_is_refused_at_its_headers_and_never_stored(settings, token):
    with running_engine(settings, ScriptedEngine()) as server:
        declared = 300 * 1024**2
        head = (
            f"POST /v1/process/audio HTTP/1.1\r\nHost: 127.0.0.1\r\n{token}"
            f"Content-Type: audio/mpeg\r\nContent-Length: {declared}"
        )
        # Only 256 KiB of the declared 300 MiB are sent: the answer must come without the rest.
        status, body = _raw_request(server.url, head, b"\x00" * (256 * 1024))
        media = list((settings.data_dir / "engine" / "media").rglob("*"))
    assert status.startswith("HTTP/1.1 401"), status
    assert "x-api-key" in json.loads(body)["message"]
    assert media == []


def test_the_job_limit_holds_under_concurrent_submissions(settings):
    engine = ScriptedEngine()
    engine.gate.clear()  # jobs stay unfinished
    limited = dataclasses.replace(settings, engine_max_unfinished_jobs=5)
    with running_engine(limited, engine, threads=16) as server:
        headers = _token(server.url, "a")
        start = threading.Barrier(15)
        statuses: list[int] = []

        def submit() -> None:
            start.wait()
            statuses.append(_upload(server.url, headers).status_code)

        threads = [threading.Thread(target=submit) for _ in range(15)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        engine.gate.set()
        stored = list((settings.data_dir / "engine" / "media").rglob("*.media"))
    assert sorted(statuses) == [201] * 5 + [429] * 10
    assert len(stored) <= 5  # the refused uploads' files are removed


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"diarizationSpeakerCount": "nan"}, None),
        ({"diarizationSpeakerCount": "inf"}, None),
        ({"confidenceThreshold": "nan"}, None),
        ({"metadata": "[" * 5000 + "]" * 5000}, None),
        ({}, '{"url": "http://x.example/a.mp3", "metadata": ' + "[" * 100000 + "]" * 100000 + "}"),
        ({}, '{"url": "http://' + "a" * 64 + '.example/a.mp3"}'),  # IDNA: a label over 63 characters
        ({}, '{"url": "http://\\u2100.example/a.mp3"}'),  # IDNA: a character it refuses
        ({}, '{"url": "http://[::1/a.mp3"}'),
        ({}, '{"url": 1e999}'),
    ],
)
def test_bad_options_and_bodies_are_400_not_500(settings, params, body):
    with running_engine(dataclasses.replace(settings, allow_private_urls=False), ScriptedEngine()) as server:
        headers = _token(server.url, "a")
        if body is None:
            answer = requests.post(
                server.url + "/v1/process/audio",
                params=params,
                data=SAMPLE.read_bytes(),
                headers=headers,
                timeout=30,
            )
        else:
            json_headers = {**headers, "Content-Type": "application/json"}
            answer = requests.post(
                server.url + "/v1/process/audio/url", data=body.encode(), headers=json_headers, timeout=30
            )
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"]


def test_host_and_origin_must_be_loopback_ip_literals_or_configured(settings):
    configured = dataclasses.replace(settings, engine_allowed_hosts=("engine.internal",))
    with running_engine(configured, ScriptedEngine()) as server:
        port = urlsplit(server.url).port
        token_url = server.url + "/oauth2/token:generate"
        grant = {"type": "application", "appId": "a", "appSecret": "s"}

        def status(**headers: str) -> int:
            return requests.post(token_url, json=grant, headers=headers, timeout=10).status_code

        answers = {
            "rebound name": status(Host=f"attacker.example:{port}"),
            "foreign origin": status(Origin="http://attacker.example"),
            "null origin": status(Origin="null"),
            "localhost": status(Host=f"localhost:{port}"),
            "ip literal": status(Host=f"127.0.0.1:{port}"),
            "configured": status(Host=f"engine.internal:{port}", Origin=f"http://engine.internal:{port}"),
        }
    assert answers == {
        "rebound name": 403, "foreign origin": 403, "null origin": 403,
        "localhost": 200, "ip literal": 200, "configured": 200,
    }  # fmt: skip


# The engine's tables as `bot.engine.store` created them before conversations and jobs had an owner.
PRE_OWNER_SCHEMA = """
CREATE TABLE [tokens] ([token] TEXT PRIMARY KEY, [app_id] TEXT, [expires_at] FLOAT);
CREATE TABLE [conversations] ([id] TEXT PRIMARY KEY, [name] TEXT, [start_time] TEXT, [created_at] FLOAT,
    [messages] TEXT, [insights] TEXT, [last_job_id] TEXT);
CREATE TABLE [jobs] ([id] TEXT PRIMARY KEY, [seq] INTEGER, [conversation_id] TEXT, [status] TEXT,
    [source] TEXT, [media_path] TEXT, [url] TEXT, [options] TEXT, [message] TEXT, [webhook_url] TEXT,
    [created_at] FLOAT, [updated_at] FLOAT);
INSERT INTO conversations VALUES ('legacy-c', 'standup', '2024-01-02T10:00:00.000Z', 1.0,
    '[{"id": "m1", "text": "Ship it on Friday.", "startTime": "2024-01-02T10:00:00.000Z",
      "endTime": "2024-01-02T10:00:01.500Z", "timeOffset": 0, "duration": 1.5}]', '{}', 'legacy-j');
INSERT INTO jobs VALUES ('legacy-j', 1, 'legacy-c', 'completed', 'file', NULL, NULL, '{}', NULL, NULL,
    1.0, 1.0);
"""


def _pre_owner_database(settings: Settings) -> None:
    import sqlite3

    settings.engine_db_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(settings.engine_db_path) as db:
        db.executescript(PRE_OWNER_SCHEMA)


@pytest.mark.parametrize(
    ("configured", "owner", "stranger"),
    [(None, "local", "mallory"), ("acme", "acme", "local")],
    ids=["embedded engine: the bot's appId", "configured SYMBL_ENGINE_APP_ID"],
)
def test_rows_from_before_the_owner_column_belong_to_the_installs_own_app_only(
    settings, configured, owner, stranger
):
    """A pre-owner database keeps its history for the single-user install (the bot's embedded client uses
    appId "local"; an engine with configured credentials has exactly one appId), and nobody else sees it."""
    _pre_owner_database(settings)
    if configured:
        settings = dataclasses.replace(settings, engine_app_id=configured, engine_app_secret="s")
    paths = ["/v1/job/legacy-j", "/v1/conversations/legacy-c", "/v1/conversations/legacy-c/messages"]
    with running_engine(settings, ScriptedEngine()) as server:
        own = _token(server.url, owner)
        if configured:  # such an engine gives no other appId a token: store one as if it had
            fingerprint = auth.credentials_fingerprint(settings)
            server.service.store.add_token("stranger-token", stranger, 3600, fingerprint)
            other = {"x-api-key": "stranger-token"}
        else:
            other = _token(server.url, stranger)
        seen_by_other = {
            p: requests.get(server.url + p, headers=other, timeout=10).status_code for p in paths
        }
        deleted_by_other = requests.delete(
            server.url + "/v1/conversations/legacy-c", headers=other, timeout=10
        ).status_code
        seen_by_owner = {p: requests.get(server.url + p, headers=own, timeout=10).status_code for p in paths}
        messages = requests.get(server.url + paths[2], headers=own, timeout=10).json().get("messages", [])
    assert seen_by_other == dict.fromkeys(paths, 404) and deleted_by_other == 404
    assert seen_by_owner == dict.fromkeys(paths, 200)
    assert [m["text"] for m in messages] == ["Ship it on Friday."]


@pytest.fixture
def sample_host():
    files = FileServer()
    yield files, files.add("/standup.mp3", SAMPLE.read_bytes())
    files.close()


def _submit_url(server, headers: dict[str, str], url: str) -> str:
    answer = requests.post(
        server.url + "/v1/process/audio/url", json={"url": url}, headers=headers, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["jobId"]


def _job_status(server, headers: dict[str, str], job: str) -> dict:
    return requests.get(f"{server.url}/v1/job/{job}", headers=headers, timeout=10).json()


def _finished(server, headers: dict[str, str], job: str) -> dict:
    def status() -> dict | None:
        found = _job_status(server, headers, job)
        return found if found["status"] in ("completed", "failed") else None

    return wait_until(status, what=f"job {job} finished")


def _health_if(server, status: int) -> dict | None:
    answer = requests.get(server.url + "/healthz", timeout=10)
    return (
        {"status": answer.status_code, "text": answer.text, **answer.json()}
        if answer.status_code == status
        else None
    )


def _files_in(directory) -> list:
    return [p for p in directory.rglob("*") if p.is_file()]


def test_a_full_disk_during_the_engines_url_download_is_retried_and_shows_in_its_health(
    settings, sample_host, monkeypatch
):
    """The engine downloads a URL job's media itself: a full disk (a real 64 KiB tmpfs under the 316 KB
    sample) leaves the job unfinished, removes the partial file and makes /healthz 503; once there is
    room again the next try completes the job and the health is ok again."""
    monkeypatch.setattr(jobs, "STORAGE_RETRY_SECONDS", 0.2, raising=False)
    # This test frees the disk before the tries run out; the next one lets them run out.
    monkeypatch.setattr(jobs, "STORAGE_TRIES", 1000, raising=False)
    files, url = sample_host
    media = settings.data_dir / "engine" / "media"
    with disk.tiny_disk(media, "64k") as full, running_engine(settings, ScriptedEngine()) as server:
        headers = _token(server.url, "a")
        job = _submit_url(server, headers, url)
        full_health = wait_until(lambda: _health_if(server, 503), what="healthz reporting the full disk")
        while_full = _job_status(server, headers, job)["status"]
        left_behind = _files_in(media)
        full.free()
        done = _finished(server, headers, job)
        healthy = wait_until(lambda: _health_if(server, 200), what="healthz ok again")
    assert while_full in ("scheduled", "in_progress")  # not failed: a full disk is transient
    assert left_behind == []  # the partial download was removed
    assert full_health["disk"]["ok"] is False and "disk is full" in full_health["disk"]["error"]
    assert str(settings.data_dir) not in full_health["text"]  # no server paths
    assert done["status"] == "completed", done
    assert len(files.requests) >= 2  # tried again after the failure
    assert healthy["disk"]["ok"] is True


def test_a_disk_that_stays_full_fails_the_url_job_after_a_bounded_number_of_tries(
    settings, sample_host, monkeypatch
):
    monkeypatch.setattr(jobs, "STORAGE_RETRY_SECONDS", 0.05, raising=False)
    files, url = sample_host
    media = settings.data_dir / "engine" / "media"
    with disk.tiny_disk(media, "64k"), running_engine(settings, ScriptedEngine()) as server:
        headers = _token(server.url, "a")
        job = _submit_url(server, headers, url)
        done = _finished(server, headers, job)
        left_behind = _files_in(media)
    assert done["status"] == "failed" and "disk is full" in done["message"], done
    assert len(files.requests) > 1  # retried …
    assert len(files.requests) == jobs.STORAGE_TRIES  # … and bounded
    assert left_behind == []


def test_an_upload_to_a_full_disk_is_a_507_with_retry_after_and_leaves_nothing(settings):
    media = settings.data_dir / "engine" / "media"
    with disk.tiny_disk(media, "64k") as full, running_engine(settings, ScriptedEngine()) as server:
        headers = _token(server.url, "a")
        refused = _upload(server.url, headers)
        left_behind = _files_in(media)
        unhealthy = _health_if(server, 503)
        full.free()
        accepted = _upload(server.url, headers)
        healthy = _health_if(server, 200)
    assert refused.status_code == 507 and refused.headers["Retry-After"], refused.text
    assert "disk is full" in refused.json()["message"] and str(settings.data_dir) not in refused.text
    assert left_behind == []
    assert unhealthy and accepted.status_code == 201 and healthy


def test_the_bots_client_reaches_an_engine_on_loopback_directly_whatever_http_proxy_says(
    settings, monkeypatch
):
    """Behind a corporate proxy (HTTP_PROXY set, no NO_PROXY) the bot still reaches its embedded engine: a
    proxy would reach its own loopback, not ours."""
    from bot.providers.symbl.client import SymblClient

    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with running_engine(settings, ScriptedEngine()) as server:
        client = SymblClient(server.url, "local", "local", retries=0)
        submitted = client.submit_text(
            [{"payload": {"content": "Ship it on Friday."}, "from": {"name": "Sam"}}]
        )
        status = client.job_status(submitted.job_id)
    assert status in ("scheduled", "in_progress", "completed")


# --- tokens and the credentials that minted them (issue 21, finding 9) -------------------------------------


def test_a_secret_rotation_ends_the_tokens_the_old_secret_minted(settings):
    configured = dataclasses.replace(settings, engine_app_id="acme", engine_app_secret="first secret")
    with running_engine(configured, ScriptedEngine()) as server:
        old = _token_with(server.url, "acme", "first secret")
        assert _status(server.url, old) == 404
    with running_engine(configured, ScriptedEngine()) as server:  # a restart with the same credentials
        assert _status(server.url, old) == 404
    rotated = dataclasses.replace(configured, engine_app_secret="second secret")
    with running_engine(rotated, ScriptedEngine()) as server:
        assert _status(server.url, old) == 401
        assert _status(server.url, _token_with(server.url, "acme", "second secret")) == 404


def test_credentials_configured_where_the_engine_ran_open_end_the_open_tokens(settings):
    with running_engine(settings, ScriptedEngine()) as server:
        open_token = _token(server.url, "acme")  # open mode: any appId and secret
        assert _status(server.url, open_token) == 404
    configured = dataclasses.replace(settings, engine_app_id="acme", engine_app_secret="a real secret")
    with running_engine(configured, ScriptedEngine()) as server:
        assert _status(server.url, open_token) == 401


def test_tokens_are_stored_as_their_hash_and_clear_text_rows_of_old_databases_go(settings):
    import hashlib
    import sqlite3

    settings.engine_db_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(settings.engine_db_path) as db:  # the table as versions before stored tokens
        db.execute("CREATE TABLE tokens (token TEXT PRIMARY KEY, app_id TEXT, expires_at FLOAT)")
        db.execute("INSERT INTO tokens VALUES ('an-old-clear-token', 'local', 9999999999)")
    db.close()
    with running_engine(settings, ScriptedEngine()) as server:
        assert _status(server.url, {"x-api-key": "an-old-clear-token"}) == 401  # invalid now: by design
        token = _token(server.url, "local")["x-api-key"]
        assert _status(server.url, {"x-api-key": token}) == 404
    raw = settings.engine_db_path.read_bytes() + _wal(settings).read_bytes()
    assert token.encode() not in raw
    with sqlite3.connect(settings.engine_db_path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        stored = db.execute("SELECT token_sha256 FROM access_tokens").fetchall()
    db.close()
    assert "tokens" not in tables
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]


def _wal(settings: Settings):
    wal = settings.engine_db_path.with_name(settings.engine_db_path.name + "-wal")
    return wal if wal.exists() else settings.engine_db_path
