"""The engine's media in S3-compatible object storage (SYMBL_ENGINE_MEDIA_URL=s3://bucket/prefix), against a
real S3 server on loopback (moto's, over HTTP, through a real boto3 client).

An upload or a downloaded link is an object while its job runs and is gone when the job ends, completed or
failed; a refused upload never becomes one; deleting a conversation deletes its objects. Without the setting,
media stays on local disk at its paths of before.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.config import Settings
from bot.engine.server import EngineServer
from bot.errors import ConfigError, UnsupportedMedia
from tests.engine_api_support import SAMPLE, ScriptedEngine, finished_job, running_engine, token_session
from tests.support.files import FileServer
from tests.support.s3 import CREDENTIALS, S3Server
from tests.support.wait import wait_until

PREFIX = "media/prefix"

pytest.importorskip("moto.server", reason="the test extra's moto[server] is not installed")


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    # A developer's own AWS files must not change what the engine's boto3 finds.
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return s3.new_bucket()


@pytest.fixture
def settings(tmp_path: Path, s3: S3Server, bucket: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        allow_private_urls=True,
        max_file_bytes=5 * 1024**2,
        engine_media_url=f"s3://{bucket}/{PREFIX}/",
        engine_s3_endpoint_url=s3.url,
    )


def _local_files(settings: Settings) -> list[Path]:
    return [p for p in settings.engine_media_dir.rglob("*") if p.is_file()]


def _nothing_left(s3: S3Server, bucket: str, settings: Settings) -> None:
    """Wait for the bucket and the engine's disk to empty: a job reads `completed` once its result is
    committed, and its worker deletes the media just after."""
    wait_until(lambda: s3.keys(bucket) == [] and _local_files(settings) == [], timeout=30,
               what="the job's media deleted")  # fmt: skip


def _upload(session: requests.Session, url: str, data: object = None, path: str = "/v1/process/audio"):
    body = SAMPLE.read_bytes() if data is None else data
    return session.post(url + path, data=body, headers={"Content-Type": "audio/mpeg"}, timeout=30)


def test_an_upload_is_an_object_while_its_job_runs_and_is_deleted_when_it_completes(
    server: EngineServer, engine: ScriptedEngine, s3: S3Server, bucket: str, settings: Settings
):
    engine.gate.clear()
    session = token_session(server.url)
    answer = _upload(session, server.url)
    assert answer.status_code == 201, answer.text
    cid, job = answer.json()["conversationId"], answer.json()["jobId"]
    assert engine.started.wait(30)
    key = f"{PREFIX}/{cid}/{job}.media"
    while_running = s3.keys(bucket)
    stored = server.service.store.job(job)
    local_copy = engine.calls[0]["media"]
    copy_existed = local_copy.is_file()
    engine.gate.set()
    done = finished_job(session, server.url, job)
    assert while_running == [key]
    assert stored is not None and stored.media_path == f"s3://{bucket}/{key}"
    assert copy_existed and local_copy.name == f"{job}.media"  # decoded from a local copy …
    assert done["status"] == "completed"
    _nothing_left(s3, bucket, settings)  # the object went with the job; no spool or copy left on disk


def test_a_linked_recording_is_downloaded_into_the_bucket_and_deleted_with_its_job(
    server: EngineServer,
    engine: ScriptedEngine,
    s3: S3Server,
    bucket: str,
    settings: Settings,
    file_server: FileServer,
):
    engine.gate.clear()
    link = file_server.add("/standup.mp3", SAMPLE.read_bytes())
    session = token_session(server.url)
    answer = session.post(f"{server.url}/v1/process/audio/url", json={"url": link}, timeout=30)
    assert answer.status_code == 201, answer.text
    cid, job = answer.json()["conversationId"], answer.json()["jobId"]
    assert engine.started.wait(30)
    while_running = s3.keys(bucket)
    engine.gate.set()
    done = finished_job(session, server.url, job)
    assert while_running == [f"{PREFIX}/{cid}/{job}.download"]
    assert done["status"] == "completed"
    _nothing_left(s3, bucket, settings)


def test_an_oversized_upload_is_413_and_leaves_no_object(s3: S3Server, bucket: str, settings: Settings):
    # The sample is SYMBL_MAX_FILE_BYTES + 1 bytes here.
    small = dataclasses.replace(settings, max_file_bytes=SAMPLE.stat().st_size - 1)
    with running_engine(small, ScriptedEngine()) as server:
        session = token_session(server.url)
        declared = _upload(session, server.url)
        # Streamed without a Content-Length, the cap holds while the bytes are read.
        chunked = _upload(session, server.url, data=iter([SAMPLE.read_bytes()]))
        jobs = list(server.service.store.jobs())
    assert declared.status_code == 413 and "limit" in declared.json()["message"]
    assert chunked.status_code == 413 and "limit" in chunked.json()["message"]
    assert s3.keys(bucket) == [] and jobs == []
    assert _local_files(small) == []


def test_deleting_a_conversation_deletes_its_objects_and_no_others(
    s3: S3Server, bucket: str, settings: Settings
):
    kept = dataclasses.replace(settings, keep_audio=True)  # so the objects outlive their jobs
    with running_engine(kept, ScriptedEngine()) as server:
        session = token_session(server.url)
        first = _upload(session, server.url).json()
        other = _upload(session, server.url).json()
        cid = first["conversationId"]
        text = session.put(
            f"{server.url}/v1/process/text/{cid}",
            json={"messages": [{"payload": {"content": "Marco will send the notes."}}]},
            timeout=30,
        ).json()
        for job in (first["jobId"], other["jobId"], text["jobId"]):
            assert finished_job(session, server.url, job)["status"] == "completed"
        before = s3.keys(bucket)
        deleted = session.delete(f"{server.url}/v1/conversations/{cid}", timeout=30)
    assert before == sorted(
        [
            f"{PREFIX}/{cid}/{first['jobId']}.media",
            f"{PREFIX}/{cid}/{text['jobId']}.text.json",
            f"{PREFIX}/{other['conversationId']}/{other['jobId']}.media",
        ]
    )
    assert deleted.status_code == 200
    assert s3.keys(bucket) == [f"{PREFIX}/{other['conversationId']}/{other['jobId']}.media"]


class UndecodableEngine(ScriptedEngine):
    """Fails every job as the decoder does on a file it cannot read, after noting the object was there."""

    def process(self, media_path, options, **kwargs):
        self.calls.append({"media": Path(media_path), "options": options})
        raise UnsupportedMedia(f"{Path(media_path).name} could not be decoded.")


def test_a_job_that_fails_deletes_its_object(s3: S3Server, bucket: str, settings: Settings):
    with running_engine(settings, UndecodableEngine()) as server:
        session = token_session(server.url)
        job = _upload(session, server.url).json()["jobId"]
        done = finished_job(session, server.url, job)
    assert done["status"] == "failed"
    assert done["message"] == "The recording could not be decoded."  # no bucket, key or local path
    assert s3.keys(bucket) == []
    assert _local_files(settings) == []


def test_an_unreachable_bucket_refuses_the_upload_with_a_503_to_retry(
    bucket: str, settings: Settings, unused_port: int
):
    unreachable = dataclasses.replace(settings, engine_s3_endpoint_url=f"http://127.0.0.1:{unused_port}")
    with running_engine(unreachable, ScriptedEngine()) as server:
        answer = _upload(token_session(server.url), server.url)
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert "media store" in answer.json()["message"]
    assert _local_files(unreachable) == []


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_without_a_media_url_uploads_stay_on_local_disk_at_their_paths_of_before(tmp_path: Path):
    local = Settings(data_dir=tmp_path / "data", keep_audio=True)
    with running_engine(local, ScriptedEngine()) as server:
        session = token_session(server.url)
        cid, job = _upload(session, server.url).json().values()
        assert finished_job(session, server.url, job)["status"] == "completed"
        stored = server.service.store.job(job)
    expected = tmp_path / "data" / "engine" / "media" / cid / f"{job}.media"
    assert expected.is_file()
    assert stored is not None and stored.media_path == str(expected)


def test_a_file_media_url_keeps_media_in_that_folder(tmp_path: Path):
    folder = tmp_path / "elsewhere"
    local = Settings(data_dir=tmp_path / "data", keep_audio=True, engine_media_url=f"file://{folder}")
    with running_engine(local, ScriptedEngine()) as server:
        session = token_session(server.url)
        cid, job = _upload(session, server.url).json().values()
        assert finished_job(session, server.url, job)["status"] == "completed"
    assert (folder / cid / f"{job}.media").is_file()


@pytest.mark.parametrize("url", ["ftp://bucket/prefix", "s3://", "s3:///prefix", "file://", "bucket/prefix"])
def test_an_unusable_media_url_is_a_config_error_naming_it(url: str):
    with pytest.raises(ConfigError, match="SYMBL_ENGINE_MEDIA_URL"):
        Settings.from_env({"SYMBL_ENGINE_MEDIA_URL": url})


def test_the_media_settings_are_read_from_the_environment():
    settings = Settings.from_env(
        {"SYMBL_ENGINE_MEDIA_URL": "s3://b/p", "SYMBL_ENGINE_S3_ENDPOINT_URL": "http://minio:9000"}
    )
    assert settings.engine_media_url == "s3://b/p"
    assert settings.engine_s3_endpoint_url == "http://minio:9000"
    assert Settings.from_env({}).engine_media_url is None


def test_the_bot_and_the_engine_never_import_boto3_unless_s3_is_configured():
    probe = "import sys, bot, bot.engine.server, bot.engine.media; print('boto3' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"


def _uploaded_while_no_worker_runs(settings: Settings) -> tuple[str, str]:
    """An upload accepted by a node without workers (the job waits in the store): (conversation, job)."""
    with running_engine(dataclasses.replace(settings, engine_workers=0), ScriptedEngine()) as server:
        cid, job = _upload(token_session(server.url), server.url).json().values()
    return cid, job


def test_a_bucket_that_stops_answering_for_a_while_delays_the_job_and_loses_nothing(
    s3: S3Server, bucket: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    from bot.engine import jobs

    monkeypatch.setattr(jobs, "STORAGE_RETRY_SECONDS", 0.2)
    monkeypatch.setattr(jobs, "STORAGE_TRIES", 1000)
    cid, job = _uploaded_while_no_worker_runs(settings)
    key = f"{PREFIX}/{cid}/{job}.media"
    # The store cannot give the recording back (as when the bucket is unreachable): moved aside.
    s3.client.copy_object(Bucket=bucket, Key=key + ".aside", CopySource={"Bucket": bucket, "Key": key})
    s3.client.delete_object(Bucket=bucket, Key=key)
    with running_engine(settings, ScriptedEngine()) as server:
        wait_until(lambda: (j := server.service.store.job(job)) is not None and j.tries >= 2,
                   what="the job tried again")  # fmt: skip
        assert server.service.store.job(job).status == "in_progress"  # not failed: the store may come back
        s3.client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key + ".aside"})
        s3.client.delete_object(Bucket=bucket, Key=key + ".aside")
        done = finished_job(token_session(server.url), server.url, job)
    assert done["status"] == "completed"
    assert s3.keys(bucket) == []


def test_a_bucket_that_never_answers_fails_the_job_after_bounded_tries_saying_so(
    s3: S3Server, bucket: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    from bot.engine import jobs

    monkeypatch.setattr(jobs, "STORAGE_RETRY_SECONDS", 0.05)
    cid, job = _uploaded_while_no_worker_runs(settings)
    s3.client.delete_object(Bucket=bucket, Key=f"{PREFIX}/{cid}/{job}.media")
    with running_engine(settings, ScriptedEngine()) as server:
        session = token_session(server.url)
        done = finished_job(session, server.url, job)
        answer = session.get(f"{server.url}/v1/job/{job}", timeout=10).json()
    assert done["status"] == "failed"
    assert "media store" in answer["message"] and f"tried {jobs.STORAGE_TRIES} times" in answer["message"]


def _aged(path: Path, hours: float) -> Path:
    stamp = time.time() - hours * 3600
    os.utime(path, (stamp, stamp))
    return path


def test_a_start_deletes_the_spool_a_killed_process_left_and_keeps_what_is_being_written(settings: Settings):
    """A process killed mid-upload or mid-job leaves its staging file or local copy in the spool; the next
    start deletes what nobody has written to for hours (SPOOL_STALE_SECONDS) and leaves fresh files alone,
    since another process on this machine may be writing them."""
    spool = settings.engine_media_dir
    (spool / ".staging").mkdir(parents=True)
    (spool / ".copies" / "tmp1").mkdir(parents=True)
    old_upload = spool / ".staging" / "c1.j1.part"
    old_upload.write_bytes(b"x")
    _aged(old_upload, 7)
    copy = spool / ".copies" / "tmp1" / "j2.media"
    copy.write_bytes(b"x")
    _aged(copy.parent, 7)
    fresh = spool / ".staging" / "c3.j3.part"
    fresh.write_bytes(b"x")
    with running_engine(settings, ScriptedEngine()):
        assert not old_upload.exists() and not copy.parent.exists()
        assert fresh.exists()
