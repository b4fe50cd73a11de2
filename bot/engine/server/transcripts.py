"""`POST /v1/conversations/{id}/transcript`: the conversation's transcript as Markdown or SRT (Symbl's
Conversation API; the shapes and choices are bot.engine.formatted_transcript's). Scoped as the other reads:
another appId's conversation is a 404, as a missing one is; a bad body a 400 naming the field."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from bot.engine.formatted_transcript import parse_request, render
from bot.engine.server.conversations import CONVERSATION, owned_conversation
from bot.engine.server.request_input import json_body, parsed

blueprint = Blueprint("transcripts", __name__)


@blueprint.post(f"{CONVERSATION}/transcript")
def transcript(conversation_id: str) -> Response:
    found = owned_conversation(conversation_id)
    asked = parsed(lambda: parse_request(json_body()))
    return jsonify(parsed(lambda: render(found["messages"], found["start_time"], asked)))
