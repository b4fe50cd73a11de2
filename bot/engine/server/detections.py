"""`GET …/entities` and `GET …/trackers` (contract §5.9, §5.11): found in the stored messages when read.

Computed on read, not stored by the job: they are regular expressions and word-index lookups over the
messages' text (a few milliseconds for an hour's meeting), so reading them costs little, and they always
agree with the messages as they are now, after `PUT …/members` or `…/speakers` edits and appends, without
re-running the job. What to look for is what the conversation's completed jobs asked for (their
`trackers`, `entities`, `detectEntities`, `enableAllTrackers`), and, with `enableAllTrackers`, the appId's
trackers of the management API as they are at the time of reading.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, jsonify

from bot.engine.detection_options import Requested, requested
from bot.engine.insights.entities import find_entities
from bot.engine.insights.trackers import find_trackers
from bot.engine.server.conversations import CONVERSATION, owned_conversation
from bot.engine.server.request_input import parsed
from bot.engine.server.service import current_owner, current_service

blueprint = Blueprint("detections", __name__)


def _requested(conversation_id: str) -> Requested:
    store = current_service().store
    # Options were checked when submitted; a job stored before that check with a malformed one makes this a
    # 400 naming the option rather than a 500.
    return parsed(
        lambda: requested(store.completed_job_options(conversation_id), store.trackers(current_owner()))
    )


@blueprint.get(f"{CONVERSATION}/entities")
def entities(conversation_id: str) -> Response:
    found = owned_conversation(conversation_id)
    asked = _requested(conversation_id)
    start = datetime.fromisoformat(found["start_time"].replace("Z", "+00:00"))
    return jsonify(
        {
            "entities": find_entities(
                found["messages"],
                reference_time=start,
                members=found["members"],
                detect=asked.detect_entities,
                custom=asked.custom_entities,
            )
        }
    )


@blueprint.get(f"{CONVERSATION}/trackers")
def trackers(conversation_id: str) -> Response:
    found = owned_conversation(conversation_id)
    return jsonify(find_trackers(found["messages"], _requested(conversation_id).trackers))
