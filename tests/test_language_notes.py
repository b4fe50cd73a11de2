"""Issue 24, build item 5: a conversation's language travels through the API to every note.

The engine records the language a conversation was processed in and a warning when a given language is
contradicted by the speech (`GET /v1/conversations/{id}`: `language`, `warnings`, our extension of §5.8);
messages of another language carry no sentiment. The client reads both as an optional enrichment, and the
Slack note shows the warning first and, for another language, the transcript and no sentiment.

Speech-to-text is scripted (`HeardEngine`): what matters here is what is done with what was heard.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.engine.core import Speaker, analyze, build_messages
from bot.engine.language_check import Heard, Transcript, contradiction
from bot.engine.options import ProcessOptions
from bot.engine.transcribe import Word
from bot.providers.symbl.client import SymblClient
from bot.slack.render.summary import MAX_BLOCKS, MAX_SECTION_CHARS, render_summary
from bot.slack.replies import sentiment_lines
from storage import recordings as repo
from tests.engine_api_support import SAMPLE, running_engine, token_session
from tests.slack_fakes import bot_settings, deliver, event_envelope, file_share_event, running_bot, wait_for
from tests.support.symbl import StubSymbl
from tests.support.wait import wait_until

ENGLISH = [
    "Marco, please send the release notes by Thursday.",
    "Sure, I will do that and I think it is fine.",
]
GERMAN = [
    "Guten Morgen zusammen, wir fangen heute mit dem Bericht an.",
    "Die neue Version der App ist fertig und geht morgen raus.",
]
CONTRADICTED = "The language was given as de-DE, but the speech sounds like English (en"


def scripted(sentences: list[str], conversation_id: str, start: datetime, offset: float = 0.0) -> list[dict]:
    words, speakers, t = [], [], 0.0
    for index, sentence in enumerate(sentences):
        for token in sentence.split():
            words.append(Word(" " + token, t, t + 0.3, 0.9))
            speakers.append(Speaker(("Anna", "Jonas")[index % 2]))
            t += 0.4
        t += 0.6
    return build_messages(
        words, speakers, conversation_id=conversation_id, start_time=start, time_offset=offset
    )


class HeardEngine:
    """Hears `sentences`, and of their language what `heard` says (Whisper's detection, scripted)."""

    def __init__(self, sentences: list[str], heard: Heard):
        self.sentences, self.heard = sentences, heard

    def process(self, media_path, options, *, conversation_id, start_time, time_offset=0.0, **_):
        messages = scripted(self.sentences, conversation_id, start_time, time_offset)
        return Transcript(messages, self.heard)


def _finished(session, url: str, answer) -> dict:
    body = answer.json()
    wait_until(lambda: session.get(f"{url}/v1/job/{body['jobId']}").json()["status"] == "completed")
    return body


# --- the engine --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "opening", "warned"),
    [
        pytest.param("de-DE", ("en", 0.97), True, id="English speech forced to German"),
        pytest.param("de-DE", ("de", 0.99), False, id="the language given is heard"),
        pytest.param("de", ("en", 0.3), False, id="not clearly another language"),
        pytest.param(None, ("en", 0.97), False, id="no language given"),
        pytest.param("de", None, False, id="an English-only model hears nothing to compare"),
    ],
)
def test_a_warning_only_when_the_speech_clearly_contradicts_the_given_language(code, opening, warned):
    assert (contradiction(code, opening) is not None) == warned


@pytest.mark.parametrize(
    ("sentences", "code", "heard", "language"),
    [
        pytest.param(ENGLISH, None, None, "en", id="an English transcript"),
        pytest.param(GERMAN, None, None, None, id="another language's transcript: not named"),
        pytest.param(GERMAN, None, Heard(detected="de"), "de", id="the language Whisper detected"),
        pytest.param(ENGLISH, "en-GB", Heard(opening=("en", 0.9)), "en-GB", id="the language given"),
    ],
)
def test_the_conversation_records_the_language_it_was_processed_in(sentences, code, heard, language):
    start = datetime(2024, 3, 12, 15, tzinfo=UTC)
    result = analyze(
        scripted(sentences, "c1", start),
        reference_time=start,
        options=ProcessOptions(language_code=code),
        heard=heard,
    )
    assert result["language"] == language and result["warnings"] == []


def test_messages_of_another_language_carry_no_sentiment():
    """The sentiment lexicon is English: on German it scored every sentence 0, a fake "neutral"."""
    start = datetime(2024, 3, 12, 15, tzinfo=UTC)
    german = analyze(scripted(GERMAN, "c1", start), reference_time=start, options=ProcessOptions())
    assert german["messages"] and all("sentiment" not in m for m in german["messages"])
    # An earlier analysis's sentiment does not survive the conversation turning out to be German.
    again = analyze(
        german["messages"] + [{**german["messages"][0], "id": "x", "sentiment": {"suggested": "neutral"}}],
        reference_time=start,
        options=ProcessOptions(language_code="de-DE"),
    )
    assert all("sentiment" not in m for m in again["messages"])
    english = analyze(scripted(ENGLISH, "c1", start), reference_time=start, options=ProcessOptions())
    assert all(
        m["sentiment"]["suggested"] in {"positive", "neutral", "negative"} for m in english["messages"]
    )


def test_a_contradicted_language_is_a_warning_of_the_conversation_and_stays_after_an_append(tmp_path):
    engine = HeardEngine(ENGLISH, Heard(opening=("en", 0.97)))
    with running_engine(Settings(data_dir=tmp_path / "data"), engine) as server:
        session = token_session(server.url)
        audio = SAMPLE.read_bytes()
        first = session.post(f"{server.url}/v1/process/audio?languageCode=de-DE&name=standup", data=audio)
        cid = _finished(session, server.url, first)["conversationId"]
        meta = session.get(f"{server.url}/v1/conversations/{cid}").json()
        messages = session.get(f"{server.url}/v1/conversations/{cid}/messages?sentiment=true").json()[
            "messages"
        ]

        engine.heard = Heard(opening=("en", 0.98))
        appended = session.put(f"{server.url}/v1/process/audio/{cid}?languageCode=en-US", data=audio)
        _finished(session, server.url, appended)
        member = meta["members"][0]["id"]
        renamed = session.put(
            f"{server.url}/v1/conversations/{cid}/members/{member}", json={"id": member, "name": "Ann"}
        )
        after = session.get(f"{server.url}/v1/conversations/{cid}").json()  # an edit keeps both facts

    # Symbl's own fields are intact; `language` and `warnings` are added.
    assert {"id", "type", "name", "startTime", "endTime", "members"} <= set(meta)
    assert meta["name"] == "standup" and meta["language"] == "de-DE"
    [warning] = meta["warnings"]
    assert warning.startswith(CONTRADICTED) and "Leave the language out" in warning
    assert messages and all("sentiment" not in m for m in messages)  # processed as German: not measured
    assert renamed.status_code == 200 and "Ann" in {m["name"] for m in after["members"]}
    assert after["language"] == "en-US" and after["warnings"] == [warning]  # the first recording's stays true


def test_a_detected_language_is_the_conversations(tmp_path):
    engine = HeardEngine(GERMAN, Heard(detected="de"))
    with running_engine(Settings(data_dir=tmp_path / "data"), engine) as server:
        session = token_session(server.url, "local")  # the appId of `SymblClient.local`
        cid = _finished(
            session, server.url, session.post(f"{server.url}/v1/process/audio", data=SAMPLE.read_bytes())
        )["conversationId"]
        meta = session.get(f"{server.url}/v1/conversations/{cid}").json()
        insights = SymblClient.local(server.url).fetch_insights(cid)
    assert meta["language"] == "de" and meta["warnings"] == []
    assert insights["language"] == "de" and insights["warnings"] == []
    assert all("sentiment" not in m for m in insights["messages"])


# --- the Slack note ----------------------------------------------------------------------------------------


def _texts(messages) -> str:
    return json.dumps([m.blocks for m in messages], ensure_ascii=False)


def _german_insights(sentences: list[str] = GERMAN) -> dict:
    start = datetime(2024, 3, 12, 15, tzinfo=UTC)
    return {"messages": scripted(sentences, "c1", start), "language": "de-DE", "warnings": []}


def test_the_warning_is_the_notes_first_section():
    insights = {**_german_insights(), "warnings": [f"{CONTRADICTED}, 97% likely) <!channel>"]}
    [note] = render_summary(insights, title="standup.mp3", recording_id=1, conversation_id="c1")
    first = next(b for b in note.blocks if b["type"] == "section")
    assert first["text"]["text"].startswith(f":warning: {CONTRADICTED}")
    assert "&lt;!channel&gt;" in first["text"]["text"]  # a host's words are escaped like any other


def test_a_note_in_another_language_shows_its_transcript_and_no_sentiment():
    [note] = render_summary(_german_insights(), title="standup.mp3", recording_id=1, conversation_id="c1")
    text = _texts([note])
    facts = next(b for b in note.blocks if b["type"] == "context")["elements"][0]["text"]
    assert "Sentiment is not measured for German" in facts and "Overall sentiment" not in text
    assert "this conversation is in German" in text
    assert "*Transcript*" in text and "[0:00] Anna: Guten Morgen zusammen" in text
    assert "Jonas: Die neue Version der App" in text and "/symbl transcript" not in text


def test_an_english_note_keeps_its_sentiment_and_shows_no_transcript():
    start = datetime(2024, 3, 12, 15, tzinfo=UTC)
    insights = analyze(scripted(ENGLISH, "c1", start), reference_time=start, options=ProcessOptions())
    [note] = render_summary(insights, title="standup.mp3", recording_id=1, conversation_id="c1")
    text = _texts([note])
    assert "Overall sentiment" in text and "Transcript" not in text and "not measured" not in text


def test_a_long_transcript_is_cut_within_slacks_limits_and_says_how_to_get_the_whole():
    sentences = [f"Punkt {n}: die neue Version der App ist fertig und geht morgen raus." for n in range(400)]
    notes = render_summary(
        _german_insights(sentences), title="long.mp3", recording_id=1, conversation_id="c9"
    )
    text = _texts(notes)
    assert "Punkt 0:" in text and "Punkt 399:" not in text
    assert "more lines: `/symbl transcript c9` sends the whole transcript." in text
    for note in notes:
        assert len(note.blocks) <= MAX_BLOCKS
        assert all(len(b.get("text", {}).get("text", "")) <= MAX_SECTION_CHARS for b in note.blocks)


# --- end to end: Slack → bot → engine API → note -----------------------------------------------------------

CHANNEL = "C0CHAN"
TS = "1699999999.000300"


def _post_recording(fake_slack, url: str) -> None:
    shares = {"public": {CHANNEL: [{"ts": TS}]}}
    file = fake_slack.add_file("F1", "standup.mp3", SAMPLE.read_bytes(), shares=shares)
    assert deliver(url, event_envelope(file_share_event(file, ts=TS))).status_code == 200


def test_the_slack_note_of_a_german_meeting_shows_its_transcript_and_no_sentiment(tmp_path: Path, fake_slack):
    """The bot's provider is the engine's API, whose speech-to-text hears German."""
    with running_engine(
        Settings(data_dir=tmp_path / "engine"), HeardEngine(GERMAN, Heard(detected="de"))
    ) as server:
        settings = bot_settings(tmp_path / "bot", fake_slack, None)
        with running_bot(settings, symbl=SymblClient.local(server.url)) as (app, url):
            _post_recording(fake_slack, url)
            [note] = wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
            wait_for(lambda: repo.get(app.store, 1).state == "posted")
    text = json.dumps(note["blocks"], ensure_ascii=False)
    assert "Sentiment is not measured for German" in text and "Overall sentiment" not in text
    assert "this conversation is in German" in text and "[0:00] Anna: Guten Morgen zusammen" in text


def test_the_slack_note_shows_a_hosts_warning_first(tmp_path: Path, fake_slack):
    """A host reporting a contradicted language (our engine's metadata, §5.8): the warning leads the note,
    which is otherwise the usual English one."""
    warning = f"{CONTRADICTED}, 97% likely), so the transcript may be garbled or empty."
    stub = StubSymbl(metadata={"language": "en", "warnings": [warning]})
    try:
        with running_bot(bot_settings(tmp_path / "bot", fake_slack, stub)) as (app, url):
            _post_recording(fake_slack, url)
            [note] = wait_for(lambda: fake_slack.summaries(CHANNEL, TS))
            wait_for(lambda: repo.get(app.store, 1).state == "posted")
    finally:
        stub.close()
    sections = [b["text"]["text"] for b in note["blocks"] if b["type"] == "section"]
    assert sections[0] == f":warning: {warning}"
    text = json.dumps(note["blocks"])
    assert "Overall sentiment" in text and "*Action items*" in text and "Transcript" not in text


def test_the_sentiment_command_says_it_is_not_measured_for_another_language():
    assert sentiment_lines(_german_insights()) == ["_Sentiment is not measured for German._"]


# --- the CLI note ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says", "language"),
    [
        pytest.param([], "Sentiment is measured for English only.", None, id="detected from the words"),
        pytest.param(["--language", "de-DE"], "Sentiment is not measured for German.", "de-DE", id="given"),
    ],
)
def test_the_cli_note_of_a_german_transcript_prints_it_and_no_sentiment(tmp_path, args, says, language):
    transcript = tmp_path / "besprechung.txt"
    transcript.write_text(
        "".join(f"{who}: {line}\n" for who, line in zip(("Anna", "Jonas"), GERMAN, strict=True))
    )
    note = CliRunner().invoke(main, ["process", str(transcript), "-q", *args])
    assert note.exit_code == 0, note.output
    assert "Transcript:\n  Anna: Guten Morgen zusammen" in note.output and says in note.output
    assert "Overall sentiment" not in note.output and "Warning:" not in note.output
    as_json = json.loads(CliRunner().invoke(main, ["process", str(transcript), "-q", "--json", *args]).output)
    assert as_json["language"] == language and as_json["warnings"] == []
    assert all("sentiment" not in m for m in as_json["messages"])
