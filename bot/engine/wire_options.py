"""Submission options as they arrive on the wire → one normalised dict → `ProcessOptions` (contract §3).

File endpoints carry options in the query string (booleans as "true"/"false", structures as JSON text);
URL endpoints carry them in the JSON body with native types, plus the two diarization options in the query.
Both are normalised to one dict of native JSON values: that dict is what a job stores, so a resumed job
parses exactly what was accepted. Anything invalid raises `InvalidOption` (an `InputError`) with a message
naming the option (→ HTTP 400).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from bot.engine import detection_options
from bot.engine.limits import MAX_JSON_DEPTH, json_too_deep
from bot.engine.options import ChannelSpeaker, ProcessOptions
from bot.engine.speaker_names import KnownPerson
from bot.errors import InvalidOption

BOOL_OPTIONS = {
    "detectEntities",
    "enableAllTrackers",
    "detectPhrases",
    "enableSeparateRecognitionPerChannel",
    "enableSpeakerDiarization",
}
STRING_OPTIONS = {"name", "webhookUrl", "languageCode", "mode"}
JSON_OPTIONS = {"entities", "trackers", "features", "metadata", "channelMetadata", "members"}
URL_QUERY_OPTIONS = ("enableSpeakerDiarization", "diarizationSpeakerCount")
MAX_SPEAKERS = 32


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidOption(f"{key} must be true or false, not {value!r}.")


def _json_text(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if json_too_deep(value):
        raise InvalidOption(f"{key} nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        return json.loads(value)
    except ValueError:
        raise InvalidOption(f"{key} must be JSON, not {value[:80]!r}.") from None


def _vocabulary(values: list[Any]) -> list[str]:
    # The official SDK sends a Python list one character per parameter (contract §3.2): rejoin and parse.
    if len(values) > 1 and all(isinstance(v, str) and len(v) == 1 for v in values):
        values = ["".join(values)]
    if len(values) == 1 and isinstance(values[0], str) and values[0].lstrip().startswith("["):
        values = _json_text("customVocabulary", values[0])
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidOption("customVocabulary must be a list of words or phrases.")
    return [v.strip() for v in values if v.strip()]


def _normalise(key: str, value: Any) -> Any:
    if key in BOOL_OPTIONS:
        return _bool(key, value)
    if key in JSON_OPTIONS:
        return _json_text(key, value)
    if key in STRING_OPTIONS:
        if not isinstance(value, str):
            raise InvalidOption(f"{key} must be a string.")
        return value
    if key == "diarizationSpeakerCount":
        try:
            count = float(value)
        except (TypeError, ValueError):
            raise InvalidOption(f"diarizationSpeakerCount must be a whole number, not {value!r}.") from None
        # nan and inf first: int() of them raises, which would end as a 500.
        finite = math.isfinite(count)
        if isinstance(value, bool) or not finite or count != int(count) or not 1 <= count <= MAX_SPEAKERS:
            raise InvalidOption(f"diarizationSpeakerCount must be a whole number from 1 to {MAX_SPEAKERS}.")
        return int(count)
    if key == "confidenceThreshold":
        try:
            threshold = float(value)
        except (TypeError, ValueError):
            raise InvalidOption(f"confidenceThreshold must be a number, not {value!r}.") from None
        if isinstance(value, bool) or not math.isfinite(threshold) or not 0.0 <= threshold <= 1.0:
            raise InvalidOption("confidenceThreshold must be between 0 and 1.")
        return threshold
    return value  # an option this engine does not use: kept, so it is visible in the job's record


def from_query(pairs: Iterable[tuple[str, str]]) -> dict:
    """Options of a file submission (or the query part of a URL submission)."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    options: dict[str, Any] = {}
    for key, values in grouped.items():
        if key == "customVocabulary":
            options[key] = _vocabulary(values)
        else:
            options[key] = _normalise(key, values[-1])
    return _checked(options)


def from_body(body: Any, query_pairs: Iterable[tuple[str, str]]) -> tuple[str, dict]:
    """`(url, options)` of a URL submission: every option may be in the body; the body wins on conflict."""
    if not isinstance(body, dict):
        raise InvalidOption("The request body must be a JSON object with a url.")
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise InvalidOption("The request body must include a url.")
    options = from_query(query_pairs)
    for key, value in body.items():
        if key == "url" or value is None:
            continue
        if key == "customVocabulary":
            options[key] = _vocabulary(value if isinstance(value, list) else [value])
        else:
            options[key] = _normalise(key, value)
    return url.strip(), _checked(options)


def text_body_options(body: Any, query_pairs: Iterable[tuple[str, str]]) -> tuple[Any, dict]:
    """`(messages, options)` of a Text API submission (contract §3.9): options in the JSON body, and
    `webhookUrl` (or any other) in the query; the body wins on conflict. `messages` is returned as sent,
    for `bot.engine.text_messages.parse_text_messages` to check."""
    if not isinstance(body, dict):
        raise InvalidOption("The request body must be a JSON object with messages.")
    options = from_query(query_pairs)
    for key, value in body.items():
        if key == "messages" or value is None:
            continue
        options[key] = _normalise(key, value)
    return body.get("messages"), _checked(options)


def _checked(options: dict) -> dict:
    to_process_options(options)  # fails now, at submission, rather than later inside the job
    detection_options.check(options)  # trackers and entities: read back when a conversation is read
    return options


def _channel_speakers(value: Any) -> tuple[ChannelSpeaker, ...]:
    if not isinstance(value, list):
        raise InvalidOption("channelMetadata must be a list of {channel, speaker: {name, email}}.")
    speakers = []
    for item in value:
        speaker = item.get("speaker") if isinstance(item, dict) else None
        channel = item.get("channel") if isinstance(item, dict) else None
        if (
            not isinstance(channel, int)
            or isinstance(channel, bool)
            or channel < 1
            or not isinstance(speaker, dict)
            or not isinstance(speaker.get("name"), str)
        ):
            raise InvalidOption(
                "each channelMetadata item must be {channel: 1.., speaker: {name, email}}, "
                f"not {json.dumps(item)[:80]}."
            )
        email = speaker.get("email")
        speakers.append(ChannelSpeaker(channel, speaker["name"], email if isinstance(email, str) else None))
    return tuple(speakers)


def _members(value: Any) -> tuple[KnownPerson, ...]:
    """The `members` extension: people who may speak, as {name, email} objects or plain names."""
    if not isinstance(value, list):
        raise InvalidOption("members must be a list of {name, email} objects or names.")
    people = []
    for item in value:
        name = item if isinstance(item, str) else item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise InvalidOption(
                f"each members item must be {{name, email}} or a name, not {json.dumps(item)[:80]}."
            )
        email = item.get("email") if isinstance(item, dict) else None
        people.append(KnownPerson(name.strip(), email if isinstance(email, str) and email else None))
    return tuple(people)


def to_process_options(options: Mapping[str, Any]) -> ProcessOptions:
    known = (
        BOOL_OPTIONS
        | STRING_OPTIONS
        | JSON_OPTIONS
        | {"diarizationSpeakerCount", "confidenceThreshold", "customVocabulary"}
    )
    return ProcessOptions(
        name=options.get("name"),
        language_code=options.get("languageCode"),
        enable_speaker_diarization=bool(options.get("enableSpeakerDiarization", False)),
        diarization_speaker_count=options.get("diarizationSpeakerCount"),
        channel_metadata=_channel_speakers(options["channelMetadata"])
        if "channelMetadata" in options
        else (),
        enable_separate_recognition_per_channel=bool(
            options.get("enableSeparateRecognitionPerChannel", False)
        ),
        detect_phrases=bool(options.get("detectPhrases", False)),
        confidence_threshold=float(options.get("confidenceThreshold", 0.5)),
        custom_vocabulary=tuple(options.get("customVocabulary", ())),
        members=_members(options["members"]) if "members" in options else (),
        webhook_url=options.get("webhookUrl"),
        extra={k: v for k, v in options.items() if k not in known},
    )
