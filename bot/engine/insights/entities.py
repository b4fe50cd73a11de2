"""Entities said in a conversation (contract §5.9): `{type, text, value, messageRefs, customType?}`.

Managed entities (when the submission set `detectEntities`):
- `date` / `daterange`: the engine's own date rules (`dates.find_dates`, the due-date parser of action
  items), resolved against the conversation's start; `value` is `YYYY-MM-DD`;
- `time`: a clock time ("3pm", "10:30", "noon"); `value` is `HH:MM` (24-hour);
- `money`: an amount with a currency sign or name ("$12,000", "5k euros"); `value` is "<number> <ISO code>";
- `percent`: "15%", "2.5 percent"; `value` is "<number>%";
- `person`: a member or speaker named in a message (by first name, as transcripts write it, or full
  name); `value` is their full name (a string: the SDK turns objects into text).
Custom entities (the submission's `entities`, always): every case-insensitive, whole-word occurrence of
the given text; `type` is `custom`, `customType` the caller's, `value` the text as given.

Occurrences with the same type, value and words are one entity with a `messageRef` each, ordered by where
each entity was first said. English rules: `dates` and `time` read English words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NotRequired, TypedDict

from bot.engine.detection_options import CustomEntity

from .dates import find_dates
from .people import GENERIC_LABEL, People
from .trackers import MessageRef


class Entity(TypedDict):
    type: str
    text: str
    value: str
    messageRefs: list[MessageRef]
    customType: NotRequired[str]


# (type, value, text, offset, customType) of one occurrence in one message.
Said = tuple[str, str, str, int, str | None]

_PREPOSITION = re.compile(r"^(?:(?:by|on|before|until|till|due|for|no later than|at)\s+)+", re.IGNORECASE)
_TIME = re.compile(
    r"\b(?P<hour>\d{1,2})(?::(?P<minute>[0-5]\d))?\s*(?P<half>[ap])(?:m\b|\.m\.)"
    r"|\b(?P<hour24>[01]?\d|2[0-3]):(?P<minute24>[0-5]\d)\b"
    r"|\b(?P<word>noon|midday|midnight)\b",
    re.IGNORECASE,
)
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"k|m|bn|thousand|million|billion"
_MONEY = re.compile(
    rf"(?P<sign>[$€£])\s?(?P<amount>{_NUMBER})(?:\s?(?P<scale>{_SCALE})\b)?"
    rf"|\b(?P<amount2>{_NUMBER})(?:\s?(?P<scale2>{_SCALE}))?\s?(?P<currency>dollars?|bucks|euros?|pounds?|usd|eur|gbp)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(rf"\b(?P<amount>{_NUMBER})(?:\s?%|\s?percent\b|\s?per cent\b)", re.IGNORECASE)
_CURRENCY = {
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "dollar": "USD",
    "buck": "USD",
    "euro": "EUR",
    "pound": "GBP",
}
_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}


def _number(text: str, scale: str | None = None) -> str:
    value = float(text.replace(",", "")) * _SCALES.get((scale or "").lower(), 1)
    return str(int(value)) if value == int(value) else f"{value:g}"


def _times(text: str) -> Iterator[Said]:
    for m in _TIME.finditer(text):
        if m.group("word"):
            value = "00:00" if m.group("word").lower() == "midnight" else "12:00"
        elif m.group("hour24"):
            value = f"{int(m.group('hour24')):02d}:{m.group('minute24')}"
        else:
            hour = int(m.group("hour"))
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if m.group("half").lower() == "p" else 0)
            value = f"{hour:02d}:{m.group('minute') or '00'}"
        yield "time", value, m.group(), m.start(), None


def _dates(text: str, reference_time: datetime, taken: list[tuple[int, int]]) -> Iterator[Said]:
    for found in find_dates(text, reference_time):
        end = found.offset + len(found.text)
        if any(start < end and found.offset < stop for start, stop in taken):
            continue  # "by 3pm" is the time, not a date of today
        prefix = _PREPOSITION.match(found.text)
        cut = prefix.end() if prefix else 0
        yield found.kind, found.day.isoformat(), found.text[cut:], found.offset + cut, None


def _money(text: str) -> Iterator[Said]:
    for m in _MONEY.finditer(text):
        if m.group("sign"):
            currency, amount = _CURRENCY[m.group("sign")], _number(m.group("amount"), m.group("scale"))
        else:
            name = m.group("currency").lower().rstrip("s")
            currency = _CURRENCY.get(name, name.upper())
            amount = _number(m.group("amount2"), m.group("scale2"))
        yield "money", f"{amount} {currency}", m.group(), m.start(), None


def _percents(text: str) -> Iterator[Said]:
    for m in _PERCENT.finditer(text):
        yield "percent", f"{_number(m.group('amount'))}%", m.group(), m.start(), None


def _people(text: str, people: People) -> Iterator[Said]:
    for person, offset, first_name in people.named_in(text):
        if GENERIC_LABEL.match(person.name):
            continue
        full = text[offset : offset + len(person.name)]
        said = full if full == person.name else first_name
        yield "person", person.name, said, offset, None


def _custom(text: str, patterns: list[tuple[CustomEntity, re.Pattern]]) -> Iterator[Said]:
    for entity, pattern in patterns:
        for m in pattern.finditer(text):
            yield "custom", entity.value, m.group(), m.start(), entity.custom_type


def _custom_pattern(entity: CustomEntity) -> re.Pattern:
    words = r"\s+".join(map(re.escape, entity.value.split()))
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def find_entities(
    messages: list[dict],
    *,
    reference_time: datetime,
    members: list[dict],
    detect: bool,
    custom: Iterable[CustomEntity] = (),
) -> list[Entity]:
    """The `entities` list of `GET …/entities`: managed entities when `detect`, and the `custom` ones."""
    people = People(members, messages) if detect else None
    patterns = [(entity, _custom_pattern(entity)) for entity in custom]
    grouped: dict[tuple[str, str, str, str | None], Entity] = {}
    for message in messages:
        text = str(message.get("text") or "")
        for kind, value, said, offset, custom_type in _said(text, reference_time, people, patterns):
            key = (kind, value, said.lower(), custom_type)
            if key not in grouped:
                grouped[key] = {"type": kind, "text": said, "value": value, "messageRefs": []}
                if custom_type is not None:
                    grouped[key]["customType"] = custom_type
            grouped[key]["messageRefs"].append({"id": str(message.get("id")), "text": text, "offset": offset})
    return list(grouped.values())


def _said(
    text: str,
    reference_time: datetime,
    people: People | None,
    patterns: list[tuple[CustomEntity, re.Pattern]],
) -> list[Said]:
    """Every entity occurrence in one message, in the order said."""
    found = list(_custom(text, patterns))
    if people is not None:
        times = list(_times(text))
        taken = [(offset, offset + len(said)) for _, _, said, offset, _ in times]
        found += [*times, *_dates(text, reference_time, taken), *_money(text), *_percents(text)]
        found += _people(text, people)
    return sorted(found, key=lambda said: said[3])
