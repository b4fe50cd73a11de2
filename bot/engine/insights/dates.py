"""Due dates said in English ("by Friday", "tomorrow", "next week", "end of the month", "on the 15th").

A small explicit rule set instead of a general date parser: meetings use a handful of relative forms,
each resolved here against the conversation's start in one obvious way, and it costs microseconds.
Conventions (documented because speakers are ambiguous):
- a bare weekday ("Friday", "by Friday", "on Friday", "this Friday") is its next occurrence strictly after
  the reference day; "next Friday" is the Friday of next calendar week (weeks start on Monday); "Tuesday's
  outage", with no "by" or "before", names a day gone by and is no date;
- "next week" is next Monday ("the week after next" the Monday after), "end of the week"/"this week" is
  this week's Friday, "end of the month" its last day, "next month" the 1st of next month, "on the 15th" the
  next 15th on or after tomorrow;
- "end of day tomorrow"/"close of business Friday" is the day named; "end of October" that month's last day,
  "mid-January" its 15th, "by March" its 1st (each the month's next occurrence); "end of the quarter" the
  quarter's last day; "within a fortnight" fourteen days on, "within 48 hours" two, "within five working days"
  five weekdays on. "in April" is no due date: it says when more
  often than by when.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = tuple(m.lower() for m in calendar.month_name[1:])
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "ten": 10,
    "couple of": 2,
    "few": 3,
}
_PREP = r"(?:(?:by|on|before|until|till|due|for|no later than)\s+)?"
# Days of the month as said: "the twentieth", "the twenty-fifth", "the thirty first".
_ORDINAL_WORDS = {
    word: day
    for day, word in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ],
        start=1,
    )
}
_ORDINAL_WORDS |= {
    f"twenty{sep}{w}": 20 + d for w, d in list(_ORDINAL_WORDS.items())[:9] for sep in ("-", " ")
}
_ORDINAL_WORDS |= {"thirtieth": 30, "thirty-first": 31, "thirty first": 31}
_SPOKEN_DAY = "(?P<spoken>" + "|".join(sorted(map(re.escape, _ORDINAL_WORDS), key=len, reverse=True)) + ")"
# "by two teams", "at three percent": a count, not a time.
_NOT_A_COUNT = r"(?!\s+(?:\w+s\b|of\b|percent|hundred|thousand|million|more|less|people|times))"
# A time of today: "by noon", "by eleven", "at two", "by 3pm".
_HOUR = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2}(?::\d\d)?\s*(?:am|pm)?)"
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"


@dataclass(frozen=True)
class DueDate:
    text: str  # the phrase as said, e.g. "by Thursday"
    offset: int  # character position of `text` in the sentence
    day: date
    kind: str  # Tag.type: "date" for a day, "daterange" for a period such as "next week"

    def iso(self) -> str:
        return f"{self.day.isoformat()}T00:00:00.000Z"


def _next_weekday(ref: date, weekday: int) -> date:
    return ref + timedelta(days=(weekday - ref.weekday() - 1) % 7 + 1)


def _monday_of_next_week(ref: date) -> date:
    return ref + timedelta(days=7 - ref.weekday())


def _weekday(ref: date, m: re.Match) -> date:
    weekday = WEEKDAYS.index(m["weekday"])
    if m["next"]:
        return _monday_of_next_week(ref) + timedelta(days=weekday)
    return _next_weekday(ref, weekday)


def _end_of_week(ref: date, m: re.Match) -> date:
    friday = ref + timedelta(days=4 - ref.weekday())
    return friday if friday >= ref else _next_weekday(ref, 4)


def _end_of_month(ref: date, m: re.Match) -> date:
    return ref.replace(day=calendar.monthrange(ref.year, ref.month)[1])


def _first_of_next_month(ref: date, m: re.Match) -> date:
    return (ref.replace(day=28) + timedelta(days=4)).replace(day=1)


def _in_n_units(ref: date, m: re.Match) -> date:
    count = int(m["count"]) if m["count"].isdigit() else _NUMBERS[m["count"]]
    if m["unit"].startswith("hour"):  # "within 48 hours": the day the hours run out ("in an hour": today)
        return ref + timedelta(days=count // 24)
    if m["unit"].startswith(("working", "business")):  # "within five working days": weekends not counted
        day = ref
        while count > 0:
            day += timedelta(days=1)
            count -= day.weekday() < 5
        return day
    return ref + timedelta(days=count * (7 if m["unit"].startswith("week") else 1))


def _end_of_next_week(ref: date, m: re.Match) -> date:
    return _monday_of_next_week(ref) + timedelta(days=4)


def _day_of_month(ref: date, m: re.Match) -> date | None:
    day = int(m["day"]) if m.groupdict().get("day") else _ORDINAL_WORDS[m["spoken"]]
    candidate = ref + timedelta(days=1)
    for _ in range(62):
        if candidate.day == day:
            return candidate
        candidate += timedelta(days=1)
    return None


def _month_and_day(ref: date, m: re.Match) -> date | None:
    month = MONTHS.index(m["month"]) + 1
    try:
        candidate = date(ref.year, month, int(m["day"]))
    except ValueError:
        return None
    return candidate if candidate >= ref else candidate.replace(year=ref.year + 1)


def _end_of_named_month(ref: date, m: re.Match) -> date:
    """ "end of October", "mid-January", "early March": that month's next occurrence (this one's if it has
    not ended)."""
    month = MONTHS.index(m["month"]) + 1
    year = ref.year if month >= ref.month else ref.year + 1
    last = calendar.monthrange(year, month)[1]
    day = {"mid": 15, "early": min(10, last)}.get((m["part"] or "").lower().rstrip("- "), last)
    return date(year, month, day)


def _named_month(ref: date, m: re.Match) -> date | None:
    """ "by January", "before March": the 1st of that month's next occurrence; the month we are in ("by
    December", said in December) is its last day. Not "in April", which says when more often than by when
    ("two dates in April")."""
    month = MONTHS.index(m["month"]) + 1
    if month == ref.month:
        return _end_of_month(ref, m)
    return date(ref.year if month > ref.month else ref.year + 1, month, 1)


def _end_of_quarter(ref: date, m: re.Match) -> date:
    month = (ref.month - 1) // 3 * 3 + 3
    return date(ref.year, month, calendar.monthrange(ref.year, month)[1])


def _end_of_day_on(ref: date, m: re.Match) -> date:
    """ "end of day tomorrow", "close of business Friday": the day named, by its close."""
    if m["weekday"]:
        return _weekday(ref, m)
    return ref + timedelta(days=1)


_MONTH = "(?P<month>" + "|".join(MONTHS) + ")"
# Words after which a weekday's "'s" is "is" ("Wednesday's fine", "Friday's too late"), not a possessive.
_IS_WORDS = (
    r"(?:fine|good|ok|okay|great|perfect|better|best|too|not|no|free|busy|tight|possible|out|bad|full|booked|"
    r"the|a|also|still|probably|when|all|going|gonna|easier|harder|late|early)\b"
)
_END_OF_DAY = r"(?:the\s+)?(?:end of (?:the\s+)?(?:day|play)|close of (?:business|play)|eod|cob)"
_RULES: list[tuple[re.Pattern, object, str]] = [
    (
        re.compile(
            rf"\b{_PREP}{_END_OF_DAY},?\s+(?:(?:on|this)\s+)?(?:tomorrow|(?P<next>next\s+)?"
            rf"(?P<weekday>{'|'.join(WEEKDAYS)}))\b"
        ),
        _end_of_day_on,
        "date",
    ),
    (
        re.compile(rf"\b{_PREP}(?:the\s+)?day after tomorrow\b"),
        lambda ref, m: ref + timedelta(days=2),
        "date",
    ),
    (re.compile(rf"\b{_PREP}tomorrow\b"), lambda ref, m: ref + timedelta(days=1), "date"),
    (
        re.compile(
            # Not "not today", which puts a thing off.
            rf"(?<!\bnot )\b{_PREP}(?:today|tonight|this (?:morning|afternoon|evening)|later today|"
            rf"{_END_OF_DAY})\b"
        ),
        lambda ref, m: ref,
        "date",
    ),
    (
        # Not a bare "Tuesday's outage", which names a day gone by; "before Friday's meeting", "at
        # Wednesday's standup" and "Wednesday's fine" (is fine) set one.
        re.compile(
            r"\b(?:(?P<prep>by|on|before|until|till|due|for|no later than)\s+)?(?P<next>next\s+)?"
            rf"(?:this\s+(?:coming\s+)?)?(?P<at>(?<=\bat ))?(?P<weekday>{'|'.join(WEEKDAYS)})\b"
            rf"(?(prep)|(?(at)|(?!'s\s+(?!{_IS_WORDS})\w)))"
        ),
        _weekday,
        "date",
    ),
    (
        re.compile(rf"\b{_PREP}(?:the\s+)?end of next week\b"),
        _end_of_next_week,
        "date",
    ),
    (
        re.compile(rf"\b{_PREP}(?:the\s+)?week after next\b"),
        lambda ref, m: _monday_of_next_week(ref) + timedelta(days=7),
        "date",
    ),
    (
        re.compile(
            rf"\b(?:by|before|until|till|at)\s+(?:noon|midday|lunch(?:time)?|{_HOUR}(?:\s+o'clock)?)\b{_NOT_A_COUNT}"
        ),
        lambda ref, m: ref,
        "date",
    ),
    (
        re.compile(rf"\b(?:by|on|before|until|till|for)\s+the\s+{_SPOKEN_DAY}\b"),
        _day_of_month,
        "date",
    ),
    (
        re.compile(rf"\b{_PREP}(?:the\s+)?(?:end of (?:the|this)\s+week|this week|the weekend)\b"),
        _end_of_week,
        "date",
    ),
    (
        re.compile(rf"\b{_PREP}(?:the\s+)?(?:end of (?:the|this)\s+month|month[- ]end|end of month)\b"),
        _end_of_month,
        "date",
    ),
    (
        re.compile(rf"\b{_PREP}(?:early\s+)?next week\b"),
        lambda ref, m: _monday_of_next_week(ref),
        "daterange",
    ),
    (re.compile(rf"\b{_PREP}next month\b"), _first_of_next_month, "daterange"),
    (
        re.compile(rf"\b{_PREP}(?:the\s+)?(?:(?P<part>mid-?|early\s+)|end of\s+){_MONTH}\b"),
        _end_of_named_month,
        "date",
    ),
    (
        re.compile(rf"\b(?:by|before|until|till)\s+{_MONTH}\b(?!\s+\d)"),
        _named_month,
        "daterange",
    ),
    (
        re.compile(rf"\b{_PREP}(?:the\s+)?end of (?:the|this)\s+quarter\b"),
        _end_of_quarter,
        "date",
    ),
    (
        re.compile(r"\b(?:in|within)\s+(?:a|one)\s+fortnight\b"),
        lambda ref, m: ref + timedelta(days=14),
        "date",
    ),
    (
        re.compile(
            r"\b(?:in|within)\s+(?:the\s+next\s+)?(?P<count>\d+|an?|one|two|three|four|five|six|seven|ten|"
            r"couple of|few)\s+(?P<unit>days?|weeks?|hours?|(?:working|business)\s+days?)\b"
        ),
        _in_n_units,
        "date",
    ),
    (
        re.compile(rf"\b{_PREP}{_MONTH}\s+(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"),
        _month_and_day,
        "date",
    ),
    (
        re.compile(rf"\b{_PREP}the\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+of\s+{_MONTH}\b"),
        _month_and_day,
        "date",
    ),
    (
        re.compile(r"\b(?:by|on|before|until|till)\s+the\s+(?P<day>\d{1,2})(?:st|nd|rd|th)\b"),
        _day_of_month,
        "date",
    ),
]


def find_due_date(sentence: str, reference_time: datetime) -> DueDate | None:
    """The first due date said in `sentence`, resolved against `reference_time` (the conversation start)."""
    lowered = sentence.lower()
    ref = reference_time.date()
    found: list[DueDate] = []
    for pattern, resolve, kind in _RULES:
        m = pattern.search(lowered)
        if not m:
            continue
        day = resolve(ref, m)  # type: ignore[operator]
        if day is not None:
            found.append(DueDate(sentence[m.start() : m.end()], m.start(), day, kind))
    return min(found, key=lambda d: d.offset) if found else None


def find_dates(text: str, reference_time: datetime) -> list[DueDate]:
    """Every date said in `text`, in order (what `find_due_date` finds first, and the rest); where the
    words of two rules overlap, the match that starts first, then the longer, is kept."""
    lowered = text.lower()
    ref = reference_time.date()
    found: list[DueDate] = []
    for pattern, resolve, kind in _RULES:
        for m in pattern.finditer(lowered):
            day = resolve(ref, m)  # type: ignore[operator]
            if day is not None:
                found.append(DueDate(text[m.start() : m.end()], m.start(), day, kind))
    kept: list[DueDate] = []
    for date_ in sorted(found, key=lambda d: (d.offset, -len(d.text))):
        if not kept or date_.offset >= kept[-1].offset + len(kept[-1].text):
            kept.append(date_)
    return kept
