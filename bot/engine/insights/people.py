"""Who is who: the speakers and known members, in the two person shapes of the contract (§5.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import words

GENERIC_LABEL = re.compile(r"^(Speaker|Channel) \d+$")
# A title written before a name ("Dr Marsh", "Prof. Adeyemi", "Nurse Liang") and what a meeting tool appends
# after it ("Jane Doe (Guest)", "Ahmed (Acme)"): neither is what people call each other.
TITLE = re.compile(
    r"^(?:dr|doctor|prof|professor|mr|mrs|ms|miss|mx|nurse|sister|chef|rev|fr|father|sir|dame|judge|capt|"
    r"captain|coach|officer|sgt|sergeant|det|detective|cllr|councillor)\.?$",
    re.IGNORECASE,
)
BRACKETED_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str

    @property
    def first_name(self) -> str:
        # "Speaker 2" / "Channel 1" are labels, not names: "Speaker will fix…" would lose who it was.
        if GENERIC_LABEL.match(self.name):
            return self.name
        parts = BRACKETED_SUFFIX.sub("", self.name).split() or self.name.split()
        if len(parts) > 1 and TITLE.match(parts[0]):
            # "Dr. Sarah Chen" is Sarah; "Dr Marsh", with no first name given, is called just that.
            return parts[1] if len(parts) > 2 else f"{parts[0]} {parts[1]}"
        return parts[0] if parts else ""

    @property
    def name_words(self) -> frozenset[str]:
        """Every word of the name, lower case ("councillor", "lowe"): said alone, the name asks or names
        nothing."""
        return frozenset(words(self.name))

    def model_from(self) -> dict:
        """`ModelFrom` {id, name, email}: messages' `from`, members, assignees."""
        return {"id": self.id, "name": self.name, "email": self.email}

    def from_payload(self) -> dict:
        """`FromPayload` {id, name, userId}: who said an insight. The e-mail is the human-readable user id."""
        return {"id": self.id, "name": self.name, "userId": self.email}


def person_from_message(message: dict) -> Person | None:
    speaker = message.get("from") or {}
    if not (speaker.get("id") or speaker.get("name")):
        return None
    return Person(
        str(speaker.get("id") or ""), str(speaker.get("name") or ""), str(speaker.get("email") or "")
    )


class People:
    """Known members plus everyone who spoke, looked up by first name as people address each other."""

    def __init__(self, members: list[dict] | None, messages: list[dict]):
        self._by_key: dict[str, Person] = {}
        # Indexes kept beside the lists, so that a conversation where every message has a new speaker costs
        # linear time, not a scan of everyone per message or per name found.
        self._by_first_name: dict[str, set[Person]] = {}
        self.speakers: list[Person] = []
        said: set[Person] = set()
        for member in members or []:
            self._add(
                Person(
                    str(member.get("id") or ""), str(member.get("name") or ""), str(member.get("email") or "")
                )
            )
        for message in messages:
            speaker = person_from_message(message)
            if speaker is not None:
                known = self.resolve(speaker)
                if known not in said:
                    said.add(known)
                    self.speakers.append(known)
        names = sorted(
            {p.first_name for p in self._by_key.values() if len(p.first_name) > 1}, key=len, reverse=True
        )
        self._name_pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b") if names else None

    def _add(self, person: Person) -> Person:
        for key in (person.id, person.email.lower(), person.name.lower()):
            if key and key not in self._by_key:
                self._by_key[key] = person
                self._by_first_name.setdefault(person.first_name.lower(), set()).add(person)
        return person

    def resolve(self, speaker: Person) -> Person:
        """The member record for a message's speaker, so assignees carry the member's e-mail."""
        for key in (speaker.id, speaker.email.lower(), speaker.name.lower()):
            if key and key in self._by_key:
                return self._by_key[key]
        return self._add(speaker)

    def speaker_of(self, message: dict) -> Person | None:
        speaker = person_from_message(message)
        return self.resolve(speaker) if speaker else None

    def other_party(self, speaker: Person | None) -> Person | None:
        """The one other speaker of a two-person conversation (None without a speaker, or with more people).
        Constant time: it is asked for every action item, and every message may have a new speaker."""
        if speaker is None or len(self.speakers) > 2:
            return None
        others = [p for p in self.speakers if p != speaker]
        return others[0] if len(others) == 1 else None

    def first_names(self) -> frozenset[str]:
        return frozenset(name for name in self._by_first_name if name)

    def by_first_name(self, name: str) -> Person | None:
        matches = self._by_first_name.get(name.lower(), set())
        return next(iter(matches)) if len(matches) == 1 else None

    def named_in(self, text: str) -> list[tuple[Person, int, str]]:
        """People named in `text` (capitalised first name, as a transcript writes it), with offsets."""
        if self._name_pattern is None:
            return []
        found = []
        for m in self._name_pattern.finditer(text):
            person = self.by_first_name(m.group(1))
            if person is not None:
                found.append((person, m.start(), m.group(1)))
        return found
