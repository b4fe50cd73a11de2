"""`PUT /v1/conversations/{id}/members/{memberId}` (contract §5.14): a member's new name and e-mail in every
place the engine keeps them.

A member is stored in several places at once, as copies, because each wire shape carries the person itself
(§5.1): the members list, every message's `from` ({id, name, email}), and inside insights the `from` of who
said an item ({id, name, userId}), an item's `assignee` ({id, name, email}) and a person entity's `value`
({id, name, userId, assignee}). A rename therefore rewrites every person record with the member's id, found
by walking the stored insights rather than by a list of known fields, so a kind of insight added later
is renamed without a change here. The stored summary labels its lines with names, so it is made again.

What people *said* is left as said: an action item's text or an entity's `text` that quotes the old name is
part of the transcript, not a reference to the member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from bot.engine.summary_api import refresh_summary
from bot.engine.wire_options import InvalidOption

MAX_NAME_CHARS = 200


class MemberUpdate(TypedDict):
    """The body of `PUT …/members/{memberId}` (`PutMembersInformationPayload`)."""

    id: NotRequired[str]
    email: NotRequired[str]
    name: str


class UpdateMessage(TypedDict):
    """The answer of both PUTs (`PutMembersInformationResponse`, `PutSpeakersEventsResponse`)."""

    message: str


class UnknownMember(LookupError):
    """The conversation has no member with this id (HTTP 404)."""


@dataclass(frozen=True)
class Identity:
    """Who a person record should say: `email` None keeps the e-mail a record already has."""

    id: str
    name: str
    email: str | None


def optional_text(where: str, value: Any) -> str | None:
    """A body's optional string field: None when absent or empty; a 400 (`InvalidOption`) when not text."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidOption(f"{where} must be a string.")
    text = " ".join(value.split())
    if len(text) > MAX_NAME_CHARS:
        raise InvalidOption(f"{where} is longer than {MAX_NAME_CHARS} characters.")
    return text or None


def parse_member_update(body: Any, member_id: str) -> Identity:
    """The body checked: `name` required, `email` optional, `id` (when sent) the path's member id."""
    if not isinstance(body, dict):
        raise InvalidOption("The body must be a JSON object {id, email, name}.")
    name = optional_text("name", body.get("name"))
    if name is None:
        raise InvalidOption("name (the member's new name, a non-empty string) is required.")
    body_id = optional_text("id", body.get("id"))
    if body_id is not None and body_id != member_id:
        raise InvalidOption(
            f"id {body_id!r} in the body does not match the member id {member_id!r} in the path."
        )
    return Identity(member_id, name, optional_text("email", body.get("email")))


def rewrite_person(record: dict, who: Identity) -> None:
    """Make a stored person record say `who`, in its own shape: `userId` where it has one, else `email`."""
    record["id"], record["name"] = who.id, who.name
    if who.email is not None:
        record["userId" if "userId" in record else "email"] = who.email


def _rename_in(value: Any, who: Identity) -> None:
    """Every person record with `who.id` nested anywhere in `value` (a record: a dict with id and name)."""
    if isinstance(value, dict):
        if value.get("id") == who.id and "name" in value:
            rewrite_person(value, who)
        for nested in value.values():
            _rename_in(nested, who)
    elif isinstance(value, list):
        for item in value:
            _rename_in(item, who)


def rename_member(conversation: dict, who: Identity, insight_keys: tuple[str, ...]) -> None:
    """Rename member `who.id` in `conversation` (the store's dict) in place; `UnknownMember` when it has none.

    `insight_keys`: the conversation's keys that hold insights (the store's list), all walked."""
    known = any(m.get("id") == who.id for m in conversation["members"]) or any(
        (m.get("from") or {}).get("id") == who.id for m in conversation["messages"]
    )
    if not known:
        raise UnknownMember(f"Member {who.id} was not found in conversation {conversation['id']}.")
    for message in conversation["messages"]:
        if (message.get("from") or {}).get("id") == who.id:
            rewrite_person(message["from"], who)
    for key in insight_keys:
        if key != "summary":
            _rename_in(conversation[key], who)
    refresh_summary(conversation)
