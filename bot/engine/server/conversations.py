"""Reading what the engine produced: job status, a conversation, its insights and analytics, summary refresh,
delete. (Edits of who spoke are `updates`.)

Every read is scoped to the request's owner: another app's job or conversation is a 404, as a missing one is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify

from bot import insight_kinds
from bot.engine.insights.analytics import conversation_analytics
from bot.engine.server.request_input import flag
from bot.engine.server.service import current_owner, current_service
from bot.engine.summary_api import regenerate_summary
from bot.errors import ApiError

CONVERSATION = "/v1/conversations/<conversation_id>"
# Insight lists served as the engine computed them: (path segment, key of the stored conversation and body).
# Topics have a view of their own (its query flags).
LISTINGS = [(kind.path, kind.key) for kind in insight_kinds.KINDS if kind.key != "topics"] + [
    ("members", "members")
]
# Valid but empty: the engine does not compute these; the official SDK requires their keys. (Entities and
# trackers are `detections`.)
EMPTY: dict[str, Callable[[], Any]] = {
    "insights": lambda: {"insights": []},
    "intents": lambda: {"intents": []},
}

blueprint = Blueprint("conversations", __name__)


def owned_conversation(conversation_id: str) -> dict:
    """The request owner's conversation; a 404 when it is missing or another appId's."""
    found = current_service().store.conversation(conversation_id, current_owner())
    if found is None:
        raise ApiError(404, f"Conversation {conversation_id} was not found.")
    return found


def _without(items: list[dict], drop: set[str]) -> list[dict]:
    return [{k: v for k, v in item.items() if k not in drop} for item in items]


@blueprint.get("/v1/job/<job_id>")
def job_status(job_id: str) -> Response:
    job = current_service().store.job(job_id, current_owner())
    if job is None:
        raise ApiError(404, f"Job {job_id} was not found.")
    body: dict[str, Any] = {"id": job.id, "status": job.status}
    if job.status == "failed" and job.message:
        body["message"] = job.message
    return jsonify(body)


@blueprint.get(CONVERSATION)
def conversation(conversation_id: str) -> Response:
    found = owned_conversation(conversation_id)
    messages = found["messages"]
    end = messages[-1]["endTime"] if messages else found["start_time"]
    return jsonify(
        {
            "id": found["id"],
            "type": "meeting",
            "name": found["name"] or "",
            "startTime": found["start_time"],
            "endTime": end,
            "members": found["members"],
            # Our extension (contract §5.8): the language it was processed in, what its notes must say first.
            "language": found["language"],
            "warnings": found["warnings"],
        }
    )


@blueprint.get(f"{CONVERSATION}/messages")
def messages(conversation_id: str) -> Response:
    sentiment, verbose = flag("sentiment", False), flag("verbose", False)
    found = owned_conversation(conversation_id)
    drop = ({"sentiment"} if not sentiment else set()) | ({"words"} if not verbose else set())
    return jsonify({"messages": _without(found["messages"], drop)})


@blueprint.get(f"{CONVERSATION}/topics")
def topics(conversation_id: str) -> Response:
    sentiment, parent_refs = flag("sentiment", False), flag("parentRefs", False)
    drop = ({"sentiment"} if not sentiment else set()) | ({"parentRefs"} if not parent_refs else set())
    found = owned_conversation(conversation_id)
    return jsonify({"topics": _without(found["topics"], drop)})


@blueprint.get(f"{CONVERSATION}/analytics")
def analytics(conversation_id: str) -> Response:
    found = owned_conversation(conversation_id)
    return jsonify(conversation_analytics(found["messages"], found["members"], found["start_time"]))


@blueprint.get(f"{CONVERSATION}/summary")
def summary(conversation_id: str) -> Response:
    refresh = flag("refresh", False)
    found = owned_conversation(conversation_id)
    store = current_service().store
    if store.has_unfinished_job(conversation_id):
        # Symbl answers 404 until the conversation's processing has finished.
        raise ApiError(
            404, f"The summary of conversation {conversation_id} is not ready: its job is still running."
        )
    if refresh:
        regenerated = regenerate_summary(found)
        store.set_insight(conversation_id, "summary", regenerated)
        return jsonify({"summary": regenerated})
    return jsonify({"summary": found["summary"]})


@blueprint.delete(CONVERSATION)
def delete_conversation(conversation_id: str) -> Response:
    owned_conversation(conversation_id)
    service = current_service()
    service.store.delete_conversation(conversation_id)
    service.media.delete_conversation(conversation_id)
    return jsonify({"message": f"Conversation {conversation_id} was deleted."})


def _listing_view(key: str) -> Callable[[str], Response]:
    def view(conversation_id: str) -> Response:
        return jsonify({key: owned_conversation(conversation_id)[key]})

    return view


def _empty_view(body: Callable[[], Any]) -> Callable[[str], Response]:
    def view(conversation_id: str) -> Response:
        owned_conversation(conversation_id)
        return jsonify(body())

    return view


for _resource, _key in LISTINGS:
    blueprint.add_url_rule(
        f"{CONVERSATION}/{_resource}", f"list_{_key}", _listing_view(_key), methods=["GET"]
    )
for _resource, _body in EMPTY.items():
    blueprint.add_url_rule(
        f"{CONVERSATION}/{_resource}", f"empty_{_resource}", _empty_view(_body), methods=["GET"]
    )
