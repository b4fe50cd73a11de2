"""Edits of who spoke (contract §5.14): `PUT …/members/{memberId}` renames a member, `PUT …/speakers` says
who spoke when. Both answer `{"message"}`.

Scoped and answered as the reads are: another app's conversation is a 404, as a missing one is; a bad body
is a 400 naming what is wrong. While one of the conversation's jobs is unfinished an edit is a 409: the
job's result, computed from the conversation before the edit, would silently undo it when it lands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify

from bot.engine.member_rename import UnknownMember, UpdateMessage, parse_member_update, rename_member
from bot.engine.server.conversations import CONVERSATION
from bot.engine.server.request_input import json_body, parsed
from bot.engine.server.service import current_owner, current_service
from bot.engine.speaker_events import apply_speaker_events, parse_speaker_events
from bot.engine.store import INSIGHT_KEYS, ConversationBusy
from bot.errors import ApiError

blueprint = Blueprint("updates", __name__)


def _edit(conversation_id: str, edit: Callable[[dict[str, Any]], str]) -> Response:
    """Apply `edit` to the caller's conversation in the store; its return is the answer's message."""
    try:
        message = current_service().store.update_conversation(conversation_id, current_owner(), edit)
    except ConversationBusy:
        raise ApiError(
            409,
            f"Conversation {conversation_id} is still being processed: send the change once its job ends.",
        ) from None
    except UnknownMember as err:
        raise ApiError(404, str(err)) from None
    if message is None:
        raise ApiError(404, f"Conversation {conversation_id} was not found.")
    body: UpdateMessage = {"message": message}
    return jsonify(body)


@blueprint.put(f"{CONVERSATION}/members/<member_id>")
def put_member(conversation_id: str, member_id: str) -> Response:
    who = parsed(lambda: parse_member_update(json_body(), member_id))

    def rename(conversation: dict[str, Any]) -> str:
        rename_member(conversation, who, INSIGHT_KEYS)
        return f"Member {member_id} is now {who.name}."

    return _edit(conversation_id, rename)


@blueprint.put(f"{CONVERSATION}/speakers")
def put_speakers(conversation_id: str) -> Response:
    events = parsed(lambda: parse_speaker_events(json_body()))

    def assign(conversation: dict[str, Any]) -> str:
        changed = apply_speaker_events(conversation, events)
        return (
            f"Speaker events applied to conversation {conversation_id}: {changed} message(s) changed speaker."
        )

    return _edit(conversation_id, assign)
