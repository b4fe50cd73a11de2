"""What a submission asks the engine to look for (contract §3.2, §3.8): trackers and custom entities.

The same checks serve the submission options (`trackers`, `entities`) and the management API's tracker
bodies, so a tracker is refused for the same reasons wherever it arrives; each failure is an
`InvalidOption` naming the field (→ HTTP 400). `requested` gathers what a conversation's jobs asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

from bot.engine.ids import stable_id
from bot.errors import InvalidOption

MAX_NAME_CHARS = 200
MAX_PHRASE_CHARS = 300
MAX_VOCABULARY = 500  # phrases of one tracker: bounds the work of matching it on every read
MAX_SUBMITTED = 100  # trackers, or custom entities, in one submission
MAX_TRACKERS = 500  # trackers one appId may keep (Symbl's own per-account limit)
# Symbl refuses these in a tracker's vocabulary ("only periods and apostrophes"); so do we, so a tracker
# that works here works there.
_REFUSED_PUNCTUATION = re.compile(r"[?,!:;]")


class Tracker(TypedDict):
    """A tracker as the management API answers it (`{id, name, vocabulary}`)."""

    id: str
    name: str
    vocabulary: list[str]


@dataclass(frozen=True)
class CustomEntity:
    """One `entities` item: said words (`value`, matched case-insensitively) of a caller's `customType`."""

    custom_type: str
    value: str


@dataclass(frozen=True)
class Requested:
    """What to detect in one conversation."""

    trackers: tuple[Tracker, ...] = ()
    custom_entities: tuple[CustomEntity, ...] = ()
    detect_entities: bool = False


def _describe(value: Any) -> str:
    return json.dumps(value)[:80]


def _text(where: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidOption(f"{where} must be a non-empty string, not {_describe(value)}.")
    if len(value) > limit:
        raise InvalidOption(f"{where} is longer than {limit} characters.")
    return value.strip()


def parse_tracker(value: Any, where: str = "tracker") -> tuple[str, list[str]]:
    """`(name, vocabulary)` of a `{name, vocabulary: [phrase]}` object (other keys, such as `id`, ignored)."""
    if not isinstance(value, dict):
        raise InvalidOption(f"{where} must be an object {{name, vocabulary}}, not {_describe(value)}.")
    name = _text(f"{where}.name", value.get("name"), MAX_NAME_CHARS)
    phrases = value.get("vocabulary")
    if not isinstance(phrases, list) or not phrases:
        raise InvalidOption(f"{where}.vocabulary must be a non-empty list of phrases.")
    if len(phrases) > MAX_VOCABULARY:
        raise InvalidOption(f"{where}.vocabulary has more than {MAX_VOCABULARY} phrases.")
    vocabulary: list[str] = []
    for index, phrase in enumerate(phrases):
        text = _text(f"{where}.vocabulary[{index}]", phrase, MAX_PHRASE_CHARS)
        if _REFUSED_PUNCTUATION.search(text):
            raise InvalidOption(
                f"{where}.vocabulary[{index}] {text[:60]!r} holds punctuation other than periods and "
                "apostrophes (as Symbl, the engine refuses ? , ! : ;)."
            )
        if text in vocabulary:
            raise InvalidOption(f"{where}.vocabulary lists {text[:60]!r} twice.")
        vocabulary.append(text)
    return name, vocabulary


def parse_trackers(value: Any) -> list[tuple[str, list[str]]]:
    """The `trackers` submission option: a list of `{name, vocabulary}`."""
    if not isinstance(value, list):
        raise InvalidOption("trackers must be a list of {name, vocabulary} objects.")
    if len(value) > MAX_SUBMITTED:
        raise InvalidOption(f"trackers lists more than {MAX_SUBMITTED} trackers.")
    return [parse_tracker(item, f"trackers[{index}]") for index, item in enumerate(value)]


def parse_custom_entities(value: Any) -> list[CustomEntity]:
    """The `entities` submission option: a list of `{customType, text}` (`value` is accepted for `text`, as
    Symbl's own examples send both)."""
    if not isinstance(value, list):
        raise InvalidOption("entities must be a list of {customType, text} objects.")
    if len(value) > MAX_SUBMITTED:
        raise InvalidOption(f"entities lists more than {MAX_SUBMITTED} custom entities.")
    found = []
    for index, item in enumerate(value):
        where = f"entities[{index}]"
        if not isinstance(item, dict):
            raise InvalidOption(f"{where} must be an object {{customType, text}}, not {_describe(item)}.")
        custom_type = _text(f"{where}.customType", item.get("customType"), MAX_NAME_CHARS)
        said = item.get("text", item.get("value"))
        found.append(CustomEntity(custom_type, _text(f"{where}.text", said, MAX_PHRASE_CHARS)))
    return found


def check(options: dict) -> None:
    """Refuse a submission whose `trackers` or `entities` is malformed (called at submission)."""
    if "trackers" in options:
        parse_trackers(options["trackers"])
    if "entities" in options:
        parse_custom_entities(options["entities"])


def inline_tracker(name: str, vocabulary: list[str]) -> Tracker:
    """A tracker given at submission: its id is derived from its name, the same in every conversation."""
    return {"id": stable_id("tracker", name), "name": name, "vocabulary": vocabulary}


def requested(job_options: Iterable[dict], managed: Iterable[Tracker]) -> Requested:
    """What a conversation's jobs asked for, together: their trackers (a later job's tracker of the same
    name replaces an earlier one's), plus the appId's `managed` trackers when any job set
    `enableAllTrackers`; their custom entities; entity detection when any set `detectEntities`."""
    by_name: dict[str, Tracker] = {}
    entities: list[CustomEntity] = []
    all_trackers = detect = False
    for options in job_options:
        for name, vocabulary in parse_trackers(options.get("trackers", [])):
            by_name[name] = inline_tracker(name, vocabulary)
        entities += parse_custom_entities(options.get("entities", []))
        all_trackers = all_trackers or options.get("enableAllTrackers") is True
        detect = detect or options.get("detectEntities") is True
    if all_trackers:
        for tracker in managed:
            by_name.setdefault(tracker["name"], tracker)
    return Requested(tuple(by_name.values()), tuple(dict.fromkeys(entities)), detect)
