"""Languages: the default multilingual model detects the language spoken and transcribes in it (no silent
translation), and the English-only insights are left out with a plain note instead of junk. The German
recording is made with espeak-ng, the real default model (Whisper base) transcribes it."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.language import english_share, is_english
from bot.slack.render.summary import render_summary

GERMAN = (
    "Guten Morgen zusammen. Heute sprechen wir über das Budget für das nächste Jahr. "
    "Thomas, bitte schick mir den Bericht bis Freitag. Ich denke, wir brauchen mehr Zeit für die Planung."
)


def test_english_is_told_from_other_languages_by_its_function_words():
    english = [{"text": "Marco, please send the release notes by Thursday; we will review them on Friday."}]
    spanish = [{"text": "Buenos días a todos, hoy vamos a hablar del presupuesto y de los nuevos productos."}]
    assert is_english(english) and not is_english(spanish)
    assert is_english([{"text": "Okay."}])  # too few words to tell: English rules may run
    assert not is_english(english, "de-DE") and is_english(spanish, "en-US")  # a given languageCode decides
    assert english_share([GERMAN])[0] < 0.05


def test_the_slack_note_says_plainly_why_it_has_no_insights():
    messages = [
        {"id": "1", "text": GERMAN, "from": {"name": "Speaker 1"}, "timeOffset": 0.0, "duration": 12.0}
    ]
    [note] = render_summary(
        {"messages": messages, "topics": [], "actionItems": []}, title="de.wav", recording_id=1
    )
    text = json.dumps(note.blocks, ensure_ascii=False)
    assert "English only" in text and "not in English" in text
    assert "No topics" not in text


@pytest.mark.engine
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng makes the German recording")
def test_german_speech_is_transcribed_in_german_with_no_english_insights(tmp_path, monkeypatch):
    monkeypatch.delenv("SYMBL_ENGINE_MODEL")  # the default model, as a user gets it
    recording = tmp_path / "besprechung.wav"
    subprocess.run(
        ["espeak-ng", "-v", "de", "-s", "140", "-w", str(recording), GERMAN], check=True, timeout=60
    )

    result = CliRunner().invoke(main, ["process", str(recording), "--json", "-q", "--no-diarize"])
    assert result.exit_code == 0, result.stderr
    conversation = json.loads(result.stdout)
    heard = " ".join(m["text"] for m in conversation["messages"]).lower()
    # German words, not an English translation of them.
    assert sum(word in heard for word in ("morgen", "heute", "bitte", "freitag", "planung")) >= 3
    assert not any(word in heard for word in (" the ", "please", "friday", "tomorrow"))
    assert (
        conversation["topics"] == [] and conversation["actionItems"] == [] and conversation["summary"] == []
    )
    assert conversation["questions"] == [] and conversation["followUps"] == []

    note = CliRunner().invoke(main, ["process", str(recording), "-q", "--no-diarize"])
    assert note.exit_code == 0 and "English only" in note.stdout and "Topics:" not in note.stdout
