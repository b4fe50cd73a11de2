"""SymblClient against a local fault-injecting HTTP server: retries within bounds, or a typed, clear error.

The server plays a script per path (a queue of responses, then a default) and records every request, so
the tests assert what reached the wire: how many attempts, which bodies, which headers.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

import pytest

from bot.errors import (
    AuthenticationError,
    BadRequest,
    NotFound,
    ProviderUnavailable,
    RateLimited,
)
from bot.providers.provider import Submission
from bot.providers.symbl.client import SymblClient, Timeouts
from tests.support.http import serve_in_thread

TOKEN = {"accessToken": "tok-1", "expiresIn": 86400}
SUBMITTED = {"conversationId": "c1", "jobId": "j1"}


def ok(body, status=200, headers=None):
    return ("json", status, body, headers or {})


def raw(status, text, headers=None):
    return ("raw", status, text.encode(), headers or {})


DROP = ("drop",)


def stall():
    return ("stall",)


class FaultServer:
    def __init__(self):
        self.script: dict[str, deque] = defaultdict(deque)
        self.default: dict[str, tuple] = {"/oauth2/token:generate": ok(TOKEN)}
        self.requests: list[dict] = []
        self.release = threading.Event()  # stalled responses wait on this, never on a clock
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                server.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": parse_qsl(parts.query),
                        "headers": dict(self.headers),
                        "body": body,
                    }
                )
                queue = server.script[parts.path]
                action = queue.popleft() if queue else server.default.get(parts.path, ok({}, 404))
                if action[0] == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if action[0] == "stall":
                    server.release.wait(10)
                    action = ok({"status": "completed", "id": "late"})
                kind, status, payload, headers = action
                data = json.dumps(payload).encode() if kind == "json" else payload
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.httpd = serve_in_thread(Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def hits(self, path):
        return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = FaultServer()
    yield s
    s.close()


def client_for(server, **kwargs):
    kwargs.setdefault("retries", 3)
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("timeout", Timeouts(connect=2, read=2, upload_read=2))
    return SymblClient(server.url, "app", "secret", **kwargs)


@pytest.fixture
def audio(tmp_path):
    path = tmp_path / "meeting.mp3"
    path.write_bytes(b"ID3" + bytes(range(256)) * 40)
    return path


def test_token_is_generated_once_and_sent_bare_in_x_api_key(server):
    server.default["/v1/job/j1"] = ok({"id": "j1", "status": "scheduled"})
    client = client_for(server)
    assert client.job_status("j1") == "scheduled"
    assert client.job_status("j1") == "scheduled"
    grants = server.hits("/oauth2/token:generate")
    assert len(grants) == 1
    assert json.loads(grants[0]["body"]) == {"type": "application", "appId": "app", "appSecret": "secret"}
    assert all(r["headers"]["x-api-key"] == "tok-1" for r in server.hits("/v1/job/j1"))


def test_token_is_refreshed_before_it_expires(server):
    now = [1000.0]
    server.default["/oauth2/token:generate"] = ok({"accessToken": "tok", "expiresIn": 100})
    server.default["/v1/job/j1"] = ok({"id": "j1", "status": "in_progress"})
    client = client_for(server, clock=lambda: now[0])
    client.job_status("j1")
    now[0] += 85  # still valid for 15 s: no refresh yet
    client.job_status("j1")
    assert len(server.hits("/oauth2/token:generate")) == 1
    now[0] += 6  # within the refresh margin (a tenth of a short lifetime), before actual expiry
    client.job_status("j1")
    assert len(server.hits("/oauth2/token:generate")) == 2


def test_a_rejected_token_is_replaced_once(server):
    server.script["/oauth2/token:generate"].extend(
        [ok({"accessToken": "old", "expiresIn": 86400}), ok({"accessToken": "new", "expiresIn": 86400})]
    )
    server.script["/v1/job/j1"].append(ok({"message": "Token expired"}, 401))
    server.default["/v1/job/j1"] = ok({"id": "j1", "status": "completed"})
    assert client_for(server).job_status("j1") == "completed"
    assert [r["headers"]["x-api-key"] for r in server.hits("/v1/job/j1")] == ["old", "new"]


def test_bad_credentials_raise_authentication_error_with_the_servers_message(server):
    server.default["/oauth2/token:generate"] = ok({"message": "Unknown appId"}, 401)
    with pytest.raises(AuthenticationError, match="Unknown appId") as info:
        client_for(server).job_status("j1")
    assert info.value.status == 401


def test_429_is_retried_honouring_retry_after_then_succeeds(server):
    server.script["/v1/job/j1"].extend([ok({"message": "slow down"}, 429, {"Retry-After": "0"})] * 2)
    server.default["/v1/job/j1"] = ok({"id": "j1", "status": "completed"})
    assert client_for(server).job_status("j1") == "completed"
    assert len(server.hits("/v1/job/j1")) == 3


def test_429_forever_ends_as_rate_limited_after_the_retry_budget(server):
    server.default["/v1/job/j1"] = ok({"message": "Too many jobs"}, 429, {"Retry-After": "0"})
    with pytest.raises(RateLimited, match="Too many jobs") as info:
        client_for(server, retries=2).job_status("j1")
    assert info.value.status == 429 and info.value.transient
    assert info.value.retry_after == "0"
    assert len(server.hits("/v1/job/j1")) == 3


def test_5xx_is_retried_then_succeeds(server):
    server.script["/v1/conversations/c1/topics"].extend(
        [ok({"message": "boom"}, 500), raw(502, "bad gateway")]
    )
    server.default["/v1/conversations/c1/topics"] = ok({"topics": [{"text": "release"}]})
    assert client_for(server).get_topics("c1") == [{"text": "release"}]
    query = dict(server.hits("/v1/conversations/c1/topics")[-1]["query"])
    assert query == {"sentiment": "true", "parentRefs": "true"}


def test_5xx_forever_ends_as_provider_unavailable_with_the_message(server):
    server.default["/v1/conversations/c1/members"] = ok({"message": "engine exploded"}, 503)
    with pytest.raises(ProviderUnavailable, match="engine exploded") as info:
        client_for(server, retries=1).get_members("c1")
    assert info.value.status == 503
    assert len(server.hits("/v1/conversations/c1/members")) == 2


def test_an_upload_refused_with_5xx_is_resent_whole(server, audio):
    server.script["/v1/process/audio"].append(ok({"message": "busy"}, 503))
    server.default["/v1/process/audio"] = ok(SUBMITTED, 201)
    sub = client_for(server).submit_file(audio, {"name": "standup"})
    assert sub == Submission("c1", "j1")
    uploads = server.hits("/v1/process/audio")
    assert len(uploads) == 2
    assert all(u["body"] == audio.read_bytes() for u in uploads)


def test_slow_reads_time_out_and_are_retried(server):
    server.script["/v1/job/j1"].append(stall())
    server.default["/v1/job/j1"] = ok({"id": "j1", "status": "completed"})
    client = client_for(server, timeout=Timeouts(connect=2, read=0.3, upload_read=0.3))
    assert client.job_status("j1") == "completed"
    assert len(server.hits("/v1/job/j1")) == 2


def test_a_server_that_never_answers_ends_as_a_clear_timeout(server):
    server.default["/v1/job/j1"] = stall()
    client = client_for(server, retries=1, timeout=Timeouts(connect=2, read=0.2, upload_read=0.2))
    with pytest.raises(ProviderUnavailable, match="did not answer in time|timed out"):
        client.job_status("j1")


def test_a_dropped_connection_is_retried_for_reads(server):
    server.script["/v1/conversations/c1/questions"].append(DROP)
    server.default["/v1/conversations/c1/questions"] = ok({"questions": []})
    assert client_for(server).get_questions("c1") == []
    assert len(server.hits("/v1/conversations/c1/questions")) == 2


def test_a_dropped_submission_is_not_repeated(server, audio):
    # The server may have accepted the upload before the connection dropped: a retry could start a second job.
    server.default["/v1/process/audio"] = DROP
    with pytest.raises(ProviderUnavailable):
        client_for(server).submit_file(audio)
    assert len(server.hits("/v1/process/audio")) == 1


def test_malformed_json_is_a_clear_error(server):
    server.default["/v1/conversations/c1/messages"] = raw(200, "<html>oops</html>")
    with pytest.raises(ProviderUnavailable, match="not JSON"):
        client_for(server).get_messages("c1")


def test_a_list_response_without_its_key_is_a_clear_error(server):
    server.default["/v1/conversations/c1/action-items"] = ok({"items": []})
    with pytest.raises(ProviderUnavailable, match="actionItems"):
        client_for(server).get_action_items("c1")


@pytest.mark.parametrize(
    "status,error",
    [(400, BadRequest), (413, BadRequest), (415, BadRequest), (404, NotFound), (403, AuthenticationError)],
)
def test_permanent_errors_are_typed_and_not_retried(server, status, error):
    server.default["/v1/job/j1"] = ok({"message": f"refused with {status}"}, status)
    with pytest.raises(error, match=f"refused with {status}") as info:
        client_for(server).job_status("j1")
    assert info.value.status == status and not info.value.transient
    assert len(server.hits("/v1/job/j1")) == 1


def test_an_unreachable_host_is_provider_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: nothing listens there
    client = SymblClient(f"http://127.0.0.1:{port}", "a", "b", retries=1, backoff=0.01)
    with pytest.raises(ProviderUnavailable, match="cannot reach"):
        client.job_status("j1")


def test_file_options_travel_in_the_query_and_url_options_in_the_body(server, audio):
    server.default["/v1/process/audio"] = ok(SUBMITTED, 201)
    server.default["/v1/process/audio/url"] = ok(SUBMITTED, 201)
    server.default["/v1/process/audio/url/c1"] = ok({"conversationId": "c1", "jobId": "j2"})
    client = client_for(server)
    options = {
        "name": "standup",
        "detectPhrases": True,
        "diarizationSpeakerCount": 2,
        "enableSpeakerDiarization": True,
        "customVocabulary": ["Slack", "Symbl"],
        "channelMetadata": [{"channel": 1, "speaker": {"name": "Jon"}}],
    }
    client.submit_file(audio, options)
    upload = server.hits("/v1/process/audio")[0]
    assert upload["headers"]["Content-Type"] == "audio/mpeg"
    assert ("customVocabulary", "Slack") in upload["query"] and ("customVocabulary", "Symbl") in upload[
        "query"
    ]
    query = dict(upload["query"])
    assert query["detectPhrases"] == "true" and query["diarizationSpeakerCount"] == "2"
    assert json.loads(query["channelMetadata"]) == options["channelMetadata"]

    assert client.submit_url("http://example.org/a.mp3", options) == Submission("c1", "j1")
    assert client.append_url("http://example.org/b.mp3", "c1", options) == Submission("c1", "j2")
    for request in (server.hits("/v1/process/audio/url")[0], server.hits("/v1/process/audio/url/c1")[0]):
        assert request["method"] in ("POST", "PUT")
        assert dict(request["query"]) == {"enableSpeakerDiarization": "true", "diarizationSpeakerCount": "2"}
        body = json.loads(request["body"])
        assert body["url"].startswith("http://example.org/")
        assert body["customVocabulary"] == ["Slack", "Symbl"] and body["detectPhrases"] is True
        assert "diarizationSpeakerCount" not in body


def test_fetch_insights_returns_every_list(server):
    for resource, key in [
        ("messages", "messages"),
        ("topics", "topics"),
        ("questions", "questions"),
        ("action-items", "actionItems"),
        ("decisions", "decisions"),
        ("follow-ups", "followUps"),
        ("members", "members"),
        ("summary", "summary"),
        ("analytics", "members"),
    ]:
        server.default[f"/v1/conversations/c1/{resource}"] = ok({key: [{"id": resource}]})
    insights = client_for(server).fetch_insights("c1")
    assert set(insights) == {
        "analytics",
        "messages",
        "topics",
        "questions",
        "actionItems",
        "decisions",
        "followUps",
        "members",
        "summary",
    }
    assert insights["decisions"] == [{"id": "decisions"}]
    assert insights["followUps"] == [{"id": "follow-ups"}]
    assert insights["summary"] == [{"id": "summary"}]


def test_fetch_insights_without_a_summary_api_still_returns_the_rest(server):
    """A Symbl host that answers 404 for /summary (or for /decisions, our extension) or no readable analytics
    still gives a note."""
    _every_list_empty(server)
    server.default["/v1/conversations/c1/analytics"] = ok({"metrics": []})  # no members list: unreadable
    insights = client_for(server).fetch_insights("c1")
    assert insights["summary"] == [] and insights["decisions"] == [] and insights["analytics"] == {}


def _every_list_empty(server):
    for resource, key in [
        ("messages", "messages"),
        ("topics", "topics"),
        ("questions", "questions"),
        ("action-items", "actionItems"),
        ("follow-ups", "followUps"),
        ("members", "members"),
    ]:
        server.default[f"/v1/conversations/c1/{resource}"] = ok({key: []})


SYMBL_METADATA = {"id": "c1", "type": "meeting", "name": "standup", "members": []}


@pytest.mark.parametrize(
    ("answer", "facts"),
    [
        pytest.param(
            ok(
                {
                    **SYMBL_METADATA,
                    "language": "de-DE",
                    "warnings": ["The language was given as de-DE, but …"],
                }
            ),
            {"language": "de-DE", "warnings": ["The language was given as de-DE, but …"]},
            id="our engine's extension",
        ),
        pytest.param(ok(SYMBL_METADATA), {}, id="a Symbl host without the fields"),
        pytest.param(
            ok({**SYMBL_METADATA, "language": 7, "warnings": "no list"}), {}, id="fields unreadable"
        ),
        pytest.param(ok({"message": "not found"}, 404), {}, id="404"),
        pytest.param(raw(500, "boom"), {}, id="5xx after the retries"),
        pytest.param(raw(200, "<html>"), {}, id="not JSON"),
    ],
)
def test_fetch_insights_adds_the_conversations_language_and_warnings_when_offered(server, answer, facts):
    """An enrichment (contract §5.8, our extension): a host without it, or failing to answer it, still
    gives the note."""
    _every_list_empty(server)
    server.default["/v1/conversations/c1"] = answer
    insights = client_for(server).fetch_insights("c1")
    assert {k: insights[k] for k in ("language", "warnings") if k in insights} == facts
    assert insights["messages"] == [] and insights["actionItems"] == []
