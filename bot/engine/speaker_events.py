"""`PUT /v1/conversations/{id}/speakers` (contract §5.14): who spoke when, told after the fact.

Symbl's speaker events: `{type: "started_speaking" | "stopped_speaking", user: {id, name, email},
offset: {seconds, nanos}}`, the offset counted from the conversation's start. A user who started speaking is
the speaker of every message that *starts* from that offset on, until another user starts (the most recent
one still speaking wins) or they stop. Messages before the first event, or after everyone stopped, keep the
speaker they had: the events say nothing about them.

What moves with a message: its `from`; the members list, which is who spoke (as an analysis builds it,
`members_of`); an insight's `from` (who said it), when the one of its messages that speaker said now has
another speaker (its `messageIds` may also hold, say, the request an action item answers, said by someone
else); and the summary, whose lines are labelled by speaker. An item's `assignee` does not move: it is
who the item is for, which the words decide, not who said them. A user sent without an id gets the id the
engine gives a speaker of that e-mail (or name) in this conversation, so two events for one person make
one member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

from bot.engine.core import Speaker, members_of, speaker_ref
from bot.engine.member_rename import Identity, optional_text, rewrite_person
from bot.engine.message_times import epoch_seconds, message_span
from bot.engine.summary_api import refresh_summary
from bot.engine.wire_options import InvalidOption

EVENT_TYPES = ("started_speaking", "stopped_speaking")
MAX_EVENTS = 20000
# Message times are stored to the millisecond: a message starting "at" an event's offset may read a hair
# before it once both are converted to seconds.
TOLERANCE_SECONDS = 0.001


class SpeakerUser(TypedDict, total=False):
    id: str
    name: str
    email: str
    userId: str


class Offset(TypedDict):
    seconds: int | float
    nanos: NotRequired[int]


class SpeakerEventBody(TypedDict):
    type: Literal["started_speaking", "stopped_speaking"]
    user: SpeakerUser
    offset: Offset


class SpeakerEventsBody(TypedDict):
    """The body of `PUT …/speakers` (`PutSpeakersEventsPayload`)."""

    speakerEvents: list[SpeakerEventBody]


@dataclass(frozen=True)
class SpeakerEvent:
    started: bool
    id: str | None
    name: str | None
    email: str | None
    at: float  # seconds from the conversation's start


def _number(where: str, value: Any) -> float:
    # Protobuf's JSON form of a Duration's int64 `seconds` is a string: accepted as well as a number.
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise InvalidOption(f"{where} must be a number of at least 0.")
    return float(value)


def _event(index: int, item: Any) -> SpeakerEvent:
    where = f"speakerEvents[{index}]"
    if not isinstance(item, dict):
        raise InvalidOption(f"{where} must be an object {{type, user, offset}}.")
    if item.get("type") not in EVENT_TYPES:
        raise InvalidOption(f"{where}.type must be one of {', '.join(EVENT_TYPES)}.")
    user, offset = item.get("user"), item.get("offset")
    if not isinstance(user, dict):
        raise InvalidOption(f"{where}.user must be an object {{id, name, email}}.")
    user_id = optional_text(f"{where}.user.id", user.get("id"))
    name = optional_text(f"{where}.user.name", user.get("name"))
    email = optional_text(f"{where}.user.email", user.get("email") or user.get("userId"))
    if not (user_id or name or email):
        raise InvalidOption(f"{where}.user needs an id, a name or an email.")
    if not isinstance(offset, dict) or "seconds" not in offset:
        raise InvalidOption(f"{where}.offset must be an object {{seconds, nanos}}.")
    nanos = _number(f"{where}.offset.nanos", offset.get("nanos") or 0)
    if nanos >= 1e9:
        raise InvalidOption(f"{where}.offset.nanos must be below 1000000000.")
    at = _number(f"{where}.offset.seconds", offset["seconds"]) + nanos / 1e9
    return SpeakerEvent(item["type"] == "started_speaking", user_id, name, email, at)


def parse_speaker_events(body: Any) -> list[SpeakerEvent]:
    """The body checked, its events in time order (a stop sorts before a start at the same instant, so a
    hand-over at one offset goes to the one starting). Raises `InvalidOption` (HTTP 400) naming the item."""
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("speakerEvents"), list)
        or not body["speakerEvents"]
    ):
        raise InvalidOption(
            "The body must be {speakerEvents: [{type, user, offset}, …]} with at least one event."
        )
    if len(body["speakerEvents"]) > MAX_EVENTS:
        raise InvalidOption(f"At most {MAX_EVENTS} speaker events can be sent at once.")
    events = [_event(i, item) for i, item in enumerate(body["speakerEvents"])]
    return sorted(events, key=lambda e: (e.at, e.started))


def _identity(conversation: dict, event: SpeakerEvent) -> Identity:
    """Who `event` names: a known member by id or e-mail completes what the event left out."""
    for member in conversation["members"]:
        if (event.id and member.get("id") == event.id) or (
            event.email and member.get("email") == event.email
        ):
            name = event.name or str(member.get("name") or "")
            return Identity(str(member["id"]), name, event.email or member.get("email"))
    name = event.name or event.email or str(event.id)
    user_id = event.id or speaker_ref(conversation["id"], Speaker(name, event.email))["id"]
    return Identity(user_id, name, event.email)


def _offsets(conversation: dict) -> list[float | None]:
    """Each message's start in seconds from the conversation's start (None: not timed)."""
    origin = epoch_seconds(conversation.get("start_time"))
    spans = [message_span(m) for m in conversation["messages"]]
    if origin is None:  # no start recorded: the first timed message is where the conversation starts
        origin = min((s[0] for s in spans if s is not None), default=0.0)
    return [s[0] - origin if s is not None else None for s in spans]


def _speakers_at(
    conversation: dict, events: list[SpeakerEvent], offsets: list[float | None]
) -> list[Identity | None]:
    """The speaker the events give each message, or None where they give none: one walk over the messages
    in time order, playing the events up to each message's start."""
    people = [_identity(conversation, e) for e in events]
    speakers: list[Identity | None] = [None] * len(offsets)
    speaking: list[Identity] = []  # who is speaking, the latest to start last
    next_event = 0
    for index in sorted(
        (i for i, at in enumerate(offsets) if at is not None), key=lambda i: offsets[i] or 0.0
    ):
        at = offsets[index] or 0.0
        while next_event < len(events) and events[next_event].at <= at + TOLERANCE_SECONDS:
            who = people[next_event]
            speaking = [p for p in speaking if p.id != who.id]
            if events[next_event].started:
                speaking.append(who)
            next_event += 1
        speakers[index] = speaking[-1] if speaking else None
    return speakers


def _move_said_by(item: Any, changed: dict[tuple[str, str], Identity]) -> None:
    """An insight's `from` becomes the new speaker of the first of its messages its speaker said."""
    said_by = item.get("from") if isinstance(item, dict) else None
    if not isinstance(said_by, dict) or not said_by.get("id"):
        return
    for message_id in item.get("messageIds") or []:
        who = changed.get((str(message_id), str(said_by["id"])))
        if who is not None:
            said_by["userId"] = ""  # the previous speaker's; `FromPayload` keeps the key
            rewrite_person(said_by, who)
            return


def apply_speaker_events(conversation: dict, events: list[SpeakerEvent]) -> int:
    """Give `conversation`'s messages (the store's dict, edited in place) the speakers `events` say;
    returns how many messages changed speaker."""
    messages = conversation["messages"]
    speakers = _speakers_at(conversation, events, _offsets(conversation))
    changed: dict[tuple[str, str], Identity] = {}  # (message id, its previous speaker's id) → new speaker
    for message, who in zip(messages, speakers, strict=True):
        person = message.get("from") or {}
        if who is None or person.get("id") == who.id:
            continue
        changed[(str(message.get("id")), str(person.get("id") or ""))] = who
        person.pop("email", None)  # the previous speaker's e-mail is not the new one's
        rewrite_person(person, who)
        message["from"] = person
    if not changed:
        return 0
    conversation["members"] = members_of(messages)
    for key, items in conversation.items():
        if key not in ("messages", "members") and isinstance(items, list):
            for item in items:
                _move_said_by(item, changed)
    refresh_summary(conversation)
    return len(changed)
