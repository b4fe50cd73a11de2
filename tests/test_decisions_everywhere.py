"""Decisions (issue 20): served by the engine's API as our extension, read by our client and SDK-shaped
`Conversation`, printed in the CLI note and shown in the Slack note. Over real HTTP to a real engine server
(Text API jobs run the real queue, store and insights)."""

from __future__ import annotations

import requests

from bot.cli.report import render_text
from bot.providers.symbl import SymblClient
from bot.slack.render.summary import render_summary
from tests.engine_api_support import token_session
from tests.support.wait import wait_until

DESIGN_REVIEW = [
    ("Ines Duarte", "We have two options for the onboarding flow: the wizard or the checklist."),
    ("Paul Okafor", "The checklist tested better with the pilot customers last month."),
    ("Ines Duarte", "Okay, decision: we go with the checklist for onboarding and drop the wizard."),
    ("Paul Okafor", "Paul here, I'll update the design spec by Thursday."),
]


def _submit(server) -> tuple[requests.Session, str]:
    session = token_session(server.url)
    messages = [{"payload": {"content": text}, "from": {"name": name}} for name, text in DESIGN_REVIEW]
    ids = session.post(f"{server.url}/v1/process/text", json={"messages": messages}, timeout=10).json()
    wait_until(
        lambda: session.get(f"{server.url}/v1/job/{ids['jobId']}", timeout=10).json()["status"] == "completed"
    )
    return session, ids["conversationId"]


def test_the_api_serves_decisions_and_404s_an_unknown_conversation(server):
    session, conversation_id = _submit(server)

    body = session.get(f"{server.url}/v1/conversations/{conversation_id}/decisions", timeout=10).json()
    assert any("checklist" in d["text"].lower() for d in body["decisions"])
    assert all(d["type"] == "decision" and d["messageIds"] for d in body["decisions"])
    missing = session.get(f"{server.url}/v1/conversations/0000/decisions", timeout=10)
    assert missing.status_code == 404 and "message" in missing.json()


def test_the_client_fetches_decisions_with_the_note_and_the_notes_show_them(server):
    _, conversation_id = _submit(server)
    client = SymblClient(server.url, app_id="a", app_secret="b")

    insights = client.fetch_insights(conversation_id)
    assert insights["decisions"] == client.get_decisions(conversation_id)
    decision = next(d["text"] for d in insights["decisions"] if "checklist" in d["text"].lower())

    printed = render_text(insights, title="Design review")
    assert "Decisions:" in printed and decision in printed

    [message] = render_summary(insights, title="Design review", recording_id=1)
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    decisions = next(s for s in sections if s.startswith("*Decisions*"))
    assert "checklist" in decisions
    assert "decision" in message.text
