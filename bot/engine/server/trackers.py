"""The tracker management API (Symbl's `/v1/manage/tracker…`): trackers an appId keeps and reuses.

`POST /v1/manage/tracker` creates one (`{"tracker"}`); `POST /v1/manage/trackers` creates a list, all or
none (`{"trackers"}`; one object is also accepted there, answered as `{"tracker"}`); `GET /v1/manage/trackers`
lists them, `?name=` only the one so named; `GET`, `PUT` (replaces name and vocabulary) and `DELETE`
(`{id, type, deleted}`) `/v1/manage/tracker/{id}`, also under `/v1/manage/trackers/{id}`.

Scoped as conversations are: another appId's tracker is a 404, as a missing one is; a name the appId
already uses is a 409 (Symbl's answer); a bad body a 400 naming the field. A submission with
`enableAllTrackers` uses these trackers (bot.engine.server.detections).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from bot.engine.detection_options import MAX_TRACKERS, Tracker, parse_tracker
from bot.engine.ids import new_id
from bot.engine.server.request_input import json_body, parsed
from bot.engine.server.service import current_owner, current_service
from bot.engine.store import TrackerLimitReached, TrackerNameTaken
from bot.errors import ApiError

blueprint = Blueprint("trackers", __name__)
ONE = "/v1/manage/tracker/<tracker_id>"
ONE_ALIAS = "/v1/manage/trackers/<tracker_id>"


def _create(items: list[Any], where: str) -> list[Tracker]:
    specs = parsed(lambda: [parse_tracker(item, where.format(i)) for i, item in enumerate(items)])
    try:
        created = current_service().store.add_trackers(
            current_owner(), [(new_id(), name, vocabulary) for name, vocabulary in specs], MAX_TRACKERS
        )
    except TrackerNameTaken as err:
        raise ApiError(409, str(err)) from None
    except TrackerLimitReached:
        raise ApiError(400, f"An appId keeps at most {MAX_TRACKERS} trackers: delete some first.") from None
    return created


def _created(body: dict) -> Response:
    response = jsonify(body)
    response.status_code = 201
    return response


@blueprint.post("/v1/manage/tracker")
def create_tracker() -> Response:
    return _created({"tracker": _create([json_body()], "The request body")[0]})


@blueprint.post("/v1/manage/trackers")
def create_trackers() -> Response:
    body = json_body()
    if isinstance(body, dict):
        return _created({"tracker": _create([body], "The request body")[0]})
    if not isinstance(body, list) or not body:
        raise ApiError(
            400, "The request body must be a tracker {name, vocabulary} or a non-empty list of them."
        )
    if len(body) > MAX_TRACKERS:
        raise ApiError(400, f"The request body lists more than {MAX_TRACKERS} trackers.")
    return _created({"trackers": _create(body, "trackers[{}]")})


@blueprint.get("/v1/manage/trackers")
def list_trackers() -> Response:
    name = request.args.get("name") or None
    return jsonify({"trackers": current_service().store.trackers(current_owner(), name)})


def _found(tracker_id: str) -> Tracker:
    tracker = current_service().store.tracker(tracker_id, current_owner())
    if tracker is None:
        raise ApiError(404, f"Tracker {tracker_id} was not found.")
    return tracker


def get_tracker(tracker_id: str) -> Response:
    return jsonify({"tracker": _found(tracker_id)})


def put_tracker(tracker_id: str) -> Response:
    body = json_body()
    name, vocabulary = parsed(lambda: parse_tracker(body, "The request body"))
    if isinstance(body, dict) and body.get("id") not in (None, tracker_id):
        raise ApiError(400, f"The request body's id {body['id']!r} is not the tracker's id {tracker_id}.")
    try:
        updated = current_service().store.update_tracker(tracker_id, current_owner(), name, vocabulary)
    except TrackerNameTaken as err:
        raise ApiError(409, str(err)) from None
    if updated is None:
        raise ApiError(404, f"Tracker {tracker_id} was not found.")
    return jsonify({"tracker": updated})


def delete_tracker(tracker_id: str) -> Response:
    if not current_service().store.delete_tracker(tracker_id, current_owner()):
        raise ApiError(404, f"Tracker {tracker_id} was not found.")
    return jsonify({"id": tracker_id, "type": "tracker", "deleted": True})


for _path in (ONE, ONE_ALIAS):
    for _view, _method in ((get_tracker, "GET"), (put_tracker, "PUT"), (delete_tracker, "DELETE")):
        blueprint.add_url_rule(_path, f"{_view.__name__}_{_path}", _view, methods=[_method])
