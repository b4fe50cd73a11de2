"""The official `symbl` SDK (2.0.6, with symbl-rest 1.0.14) against our engine, running the docs page's calls
unchanged but for the host.

The SDK must be redirected before `import symbl` (contract §7.8), and it configures process-wide state
(root logging, a shared token), so it runs in a subprocess with a small script. The SDK sleeps 30 s before
every job poll; like the SDK's own unit tests, the script swaps the `time` its job module sees for one
whose `sleep` is short — only inside `symbl.jobs_api.Job`, nothing else is patched. The SDK is installed
by the README's test command (`pip install --no-deps symbl==2.0.6 symbl-rest==1.0.14` plus the `[test]`
extra's dependencies); the test skips only when it is absent.

The engine behind it is the real one.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.config import Settings
from tests.engine_api_support import SAMPLE, check_docs_page_steps, running_engine
from tests.support.files import FileServer

pytestmark = pytest.mark.engine

SCRIPT = r"""
import json, sys, threading, time, types

host, sample, media_url = sys.argv[1:4]

from symbl_rest import Configuration
cfg = Configuration()
cfg.host = host
Configuration.set_default(cfg)

import symbl
import symbl.jobs_api.Job as job_module

_sleep = time.sleep
job_module.time = types.SimpleNamespace(sleep=lambda seconds: _sleep(0.2))  # the SDK waits 30 s per poll

credentials = {"app_id": "local", "app_secret": "local"}


def report(step, **fields):
    print(json.dumps({"step": step, **fields}, default=str), flush=True)


def texts(items):
    return [item.text for item in items]


# "Sample Code" and "Using Parameters" (file)
conversation = symbl.Audio.process_file(
    file_path=sample, credentials=credentials,
    parameters={"name": "new meeting", "detectPhrases": True, "enableSpeakerDiarization": True,
                "diarizationSpeakerCount": 3,
                "channelMetadata": [
                    {"channel": 1, "speaker": {"name": "Jon Snow", "email": "Jon@example.com"}}]})
topics = conversation.get_topics(parameters={"sentiment": True, "parentRefs": True})
messages = conversation.get_messages(parameters={"sentiment": True, "verbose": True})
report("process_file",
       status=conversation.get_job_status(),
       conversation_id=conversation.get_conversation_id(),
       topics=texts(topics.topics),
       topic_sentiment=topics.topics[0].sentiment.suggested,
       messages=texts(messages.messages),
       first_word=messages.messages[0].words[0].word,
       speaker=messages.messages[0]._from.name,
       action_items=texts(conversation.get_action_items().action_items),
       follow_ups=texts(conversation.get_follow_ups().follow_ups),
       questions=texts(conversation.get_questions().questions),
       members=[m.name for m in conversation.get_members().members],
       name=conversation.get_conversation().name)

# "Async Audio URL API" with a payload
payload = {"url": media_url, "detectPhrases": True,
           "channelMetadata": [{"channel": 1, "speaker": {"name": "Jon Snow", "email": "jon@example.com"}}]}
by_url = symbl.Audio.process_url(payload=payload, credentials=credentials)
report("process_url", status=by_url.get_job_status(), topics=texts(by_url.get_topics().topics),
       messages=len(by_url.get_messages().messages))

# "Appending Audio API" and "Appending Audio URL API"
appended = symbl.Audio.append_file(file_path=sample, conversation_id=conversation.get_conversation_id(),
                                   credentials=credentials)
report("append_file", status=appended.get_job_status(), conversation_id=appended.get_conversation_id(),
       job_id=appended.get_job_id(), first_job_id=conversation.get_job_id(),
       messages=len(appended.get_messages().messages))
appended = symbl.Audio.append_url(payload={"url": media_url},
                                  conversation_id=conversation.get_conversation_id(),
                                  credentials=credentials)
report("append_url", status=appended.get_job_status(), messages=len(appended.get_messages().messages),
       topics=len(appended.get_topics().topics))

# "Utilizing the wait Parameter"
done = threading.Event()
later = symbl.Audio.process_url(payload={"url": media_url}, credentials=credentials, wait=False)
later.on_complete(lambda c: done.set())
report("wait_false", returned_status=later.get_job_status(), completed=done.wait(120),
       status=later.get_job_status(), messages=len(later.get_messages().messages))
"""


def run_sdk(host: str, media_url: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, host, str(SAMPLE), media_url],
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {step["step"]: step for step in map(json.loads, result.stdout.splitlines())}


def test_the_docs_page_calls_work_against_our_engine(tmp_path):
    pytest.importorskip("symbl", reason="install the SDK as in the README's test command")
    files = FileServer(SAMPLE.parent)
    try:
        with running_engine(Settings(data_dir=tmp_path / "data", allow_private_urls=True)) as server:
            steps = run_sdk(server.url, f"{files.url}/{SAMPLE.name}")
    finally:
        files.close()

    check_docs_page_steps(steps)
