"""Our client and SDK-shaped API against the engine server over real HTTP on an ephemeral loopback port.

The first test runs the real engine (speech model and all) through process, append and every query; the
others use `ScriptedEngine` (tests/engine_api_support.py) because they are about polling and callbacks.
"""

from __future__ import annotations

import threading

import pytest

from bot.config import Settings
from bot.errors import AuthenticationError, JobFailed, NotFound
from bot.providers.symbl import Audio, Conversation, SymblClient
from tests.engine_api_support import SAMPLE, ScriptedEngine, running_engine
from tests.support.files import FileServer


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data", allow_private_urls=True)


@pytest.fixture
def files():
    server = FileServer(SAMPLE.parent)
    yield server
    server.close()


@pytest.mark.engine
def test_real_engine_process_append_and_query_through_the_sdk_shaped_api(settings, files):
    with running_engine(settings) as server:  # the real Engine: the server's default
        audio = Audio(SymblClient(server.url, "local", "local"))
        conversation = audio.process_file(
            str(SAMPLE), parameters={"name": "standup", "enableSpeakerDiarization": True}
        )
        assert conversation.get_job_status() == "completed"
        topics = conversation.get_topics(parameters={"sentiment": True, "parentRefs": True})
        assert topics and all("sentiment" in t for t in topics)
        assert any("release" in t["text"] for t in conversation.topics())
        messages = conversation.get_messages(sentiment=True)
        assert messages[0]["text"].startswith("Good morning") and "sentiment" in messages[0]
        assert conversation.get_action_items() and conversation.get_follow_ups() is not None
        assert any(q["text"].endswith("?") for q in conversation.questions())
        assert len(conversation.members()) >= 1
        assert conversation.get_conversation()["name"] == "standup"

        appended = audio.append_url(
            url=f"{files.url}/{SAMPLE.name}", conversation_id=conversation.get_conversation_id()
        )
        assert appended.get_conversation_id() == conversation.get_conversation_id()
        assert appended.get_job_id() != conversation.get_job_id()
        combined = appended.messages()
        # The append ran without diarization, so it may split sentences differently: compare the words.
        assert len(combined) > len(messages) and combined[len(messages)]["text"].startswith("Good morning")
        assert combined[len(messages)]["startTime"] >= messages[-1]["endTime"]


def test_process_url_with_payload_and_append_file(settings, files):
    with running_engine(settings, ScriptedEngine()) as server:
        audio = Audio(SymblClient(server.url, "local", "local"))
        conversation = audio.process_url(
            payload={"url": f"{files.url}/{SAMPLE.name}", "name": "by url", "detectPhrases": True}
        )
        assert conversation.get_conversation()["name"] == "by url"
        before = len(conversation.get_messages())
        appended = audio.append_file(str(SAMPLE), conversation.get_conversation_id())
        assert len(appended.get_messages()) == 2 * before
        assert len(appended.action_items()) >= 1 and appended.questions()


def test_wait_false_returns_at_once_and_on_complete_fires_exactly_once(settings):
    engine = ScriptedEngine()
    engine.gate.clear()
    with running_engine(settings, engine) as server:
        audio = Audio(SymblClient(server.url, "local", "local"))
        completed, errors, done = [], [], threading.Event()
        conversation = audio.process_file(str(SAMPLE), wait=False)
        assert conversation.get_job_status() in ("scheduled", "in_progress")  # it did not block
        conversation.on_complete(lambda c: (completed.append(c), done.set())).on_error(errors.append)
        engine.gate.set()
        assert done.wait(30)
        assert completed == [conversation] and errors == []
        assert conversation._poller is not None and conversation._poller.daemon
        # Registered after completion: fires at once, and only once.
        late = []
        conversation.on_complete(late.append)
        assert late == [conversation]
        conversation.wait(5)
        assert completed == [conversation] and conversation.get_job_status() == "completed"


def test_wait_returns_only_once_the_completion_callbacks_have_run(settings):
    # A script that registers on_complete and then wait()s exits right after: the callback's work (the
    # README example prints "done: …") must be over by then, not still running on the poller thread.
    engine = ScriptedEngine()
    engine.gate.clear()
    with running_engine(settings, engine) as server:
        audio = Audio(SymblClient(server.url, "local", "local"))
        conversation = audio.process_file(str(SAMPLE), wait=False)
        entered, finished = threading.Event(), []

        def slow_callback(done: Conversation) -> None:
            entered.set()
            threading.Event().wait(0.5)  # long enough for a wait() that does not wait for it to return first
            finished.append(done)

        conversation.on_complete(slow_callback)
        engine.gate.set()
        conversation.wait(30)
        assert entered.is_set() and finished == [conversation]


def test_a_failed_job_calls_on_error_once_with_the_reason(settings, files):
    with running_engine(settings, ScriptedEngine()) as server:
        audio = Audio(SymblClient(server.url, "local", "local"))
        errors, completes = [], []
        conversation = audio.process_url(url=f"{files.url}/missing.mp3", wait=False)
        conversation.on_error(errors.append).on_complete(completes.append)
        with pytest.raises(JobFailed, match="404"):
            conversation.wait(30)
        assert len(errors) == 1 and isinstance(errors[0], JobFailed) and completes == []
        late = []
        conversation.on_error(late.append)
        assert late == errors
        with pytest.raises(JobFailed, match="404"):
            audio.process_url(url=f"{files.url}/missing.mp3")  # wait=True raises instead of hiding it


def test_getters_raise_typed_errors_instead_of_a_fixed_message(settings):
    with running_engine(settings, ScriptedEngine()) as server:
        client = SymblClient(server.url, "local", "local")
        with pytest.raises(NotFound, match="0000"):
            Conversation("0000", client=client).get_topics()
        with pytest.raises(ValueError, match="sentimnet"):
            Conversation("0000", client=client).get_messages(parameters={"sentimnet": True})


def test_wrong_credentials_raise_authentication_error(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", engine_app_id="team", engine_app_secret="s3cret")
    with running_engine(settings, ScriptedEngine()) as server:
        audio = Audio(SymblClient(server.url, "team", "s3cret"))
        with pytest.raises(AuthenticationError, match="appSecret"):
            audio.process_file(str(SAMPLE), credentials={"app_id": "team", "app_secret": "nope"})
        assert audio.process_file(str(SAMPLE)).get_job_status() == "completed"


def test_settings_supply_host_and_credentials(settings, monkeypatch):
    with running_engine(settings, ScriptedEngine()) as server:
        monkeypatch.setenv("SYMBL_API_URL", server.url)
        monkeypatch.setenv("SYMBL_APP_ID", "from-env")
        monkeypatch.setenv("SYMBL_APP_SECRET", "secret")
        conversation = Audio().process_file(str(SAMPLE))
        assert conversation.get_job_status() == "completed" and conversation.members()


def test_delete_conversation(settings):
    with running_engine(settings, ScriptedEngine()) as server:
        client = SymblClient(server.url, "local", "local")
        submission = client.submit_file(SAMPLE)
        Conversation(submission.conversation_id, submission.job_id, client=client).wait(30)
        client.delete_conversation(submission.conversation_id)
        with pytest.raises(NotFound):
            client.get_messages(submission.conversation_id)
