"""Insights → Slack messages (Block Kit + plain-text fallback). Pure: no I/O, no clock.

Hard caps keep every message inside Slack's limits with room to spare (slack-platform.md §7): at most
`MAX_BLOCKS` blocks and `MAX_SECTION_CHARS` characters per section, and about `MAX_MESSAGE_CHARS` of block
text per message (Slack refuses some payloads well below the documented limits). Whatever does not fit
continues in further messages for the same thread. Every message carries metadata with the recording id, which
is how a restarted bot recognises a summary it already posted.

The provider's `warnings` (a given language the speech contradicts) come first. A conversation in another
language than English (its `language` when the provider reports one, else its words) has no insights to list:
its note says so, measures no sentiment, and shows the transcript inline, up to `MAX_INLINE_TRANSCRIPT_CHARS`
(`/symbl transcript` sends the whole of it as a file).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.insight_kinds import KINDS
from bot.language import is_english, not_english_note, sentiment_not_measured
from bot.slack.render.transcripts import timed_lines
from storage.action_items import item_key

SUMMARY_EVENT = "symbl_summary"
STATUS_EVENT = "symbl_status"  # the status message's metadata: how a retry finds a post whose answer was lost
MAX_BLOCKS = 40  # Slack allows 50
MAX_SECTION_CHARS = 2900  # Slack allows 3000
MAX_MESSAGE_CHARS = 10_000
MAX_HEADER_CHARS = 150
MAX_HEADING_CHARS = 300  # a section's bold first line; it may hold an escaped title of up to 5 × its length
TOPIC_BULLETS = 8  # topics shown as bullets in the note; the rest share one line
MAX_FALLBACK_CHARS = 3000
MAX_WARNINGS = 5  # a host's warnings shown; each is one section
# The transcript a note on another language shows: two sections' worth keeps the note readable, and the whole
# transcript is one command away.
MAX_INLINE_TRANSCRIPT_CHARS = 5000

STAGES = ("queued", "transcribing", "extracting", "done")
DONE_ACTION = "action_item_done"
REMIND_ACTION = "action_item_remind"
FIX_SPEAKERS_ACTION = "fix_speakers"  # opens the "who is who" modal (bot.slack.speakers)
FIX_SPEAKERS_PROMPT = "_Speaker names wrong? Say who is who._"
MAX_BUTTON_ITEMS = 12  # action items with buttons (two blocks each); further items are listed as text
MAX_LISTED_SPEAKERS = 12  # names in the facts line; the rest are counted ("and 28 more")


@dataclass
class SlackMessage:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None


def escape(text: str) -> str:
    """mrkdwn escaping: only &, < and > are control characters (so no <!channel> from a transcript)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def status_text(stage: str, name: str | None, error: str | None = None) -> str:
    what = f"*{escape(name)}*" if name else "the recording"
    return {
        "queued": f":hourglass_flowing_sand: Queued {what} for a summary…",
        "transcribing": f":studio_microphone: Transcribing {what}…",
        "extracting": f":brain: Extracting topics and action items from {what}…",
        "done": f":white_check_mark: Done: the summary of {what} is below.",
        "appended": f":white_check_mark: Added {what} to this conversation; the summary above now covers it.",
        "failed": f":warning: Could not summarize {what}: {escape(error or 'unknown error')}",
    }[stage]


def _name(person: Any) -> str | None:
    if isinstance(person, dict):
        value = person.get("name") or person.get("email") or person.get("userId")
        return str(value) if value else None
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def duration_seconds(messages: list[dict]) -> float | None:
    """From the engine's timeOffset/duration extensions when present, else from start/end datetimes."""
    ends = [
        m["timeOffset"] + m.get("duration", 0)
        for m in messages
        if isinstance(m.get("timeOffset"), (int, float))
    ]
    if ends:
        return float(max(ends))
    starts = [t for t in (_time(m.get("startTime")) for m in messages) if t]
    stops = [t for t in (_time(m.get("endTime")) for m in messages) if t]
    if starts and stops:
        return max((max(stops) - min(starts)).total_seconds(), 0.0)
    return None


def clock(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def speakers(insights: dict[str, Any]) -> list[str]:
    names = [_name(m) for m in insights.get("members") or []]
    if not any(names):
        names = [_name(m.get("from")) for m in insights.get("messages") or []]
    seen: dict[str, None] = {}
    for n in names:
        if n:
            seen.setdefault(n, None)
    return list(seen)


def mean_sentiment(messages: list[dict]) -> tuple[str, float] | None:
    """(label, mean polarity) over the messages that carry a sentiment; None when none do.

    A mean of many mostly-neutral messages is damped, so VADER's own ±0.05 thresholds fit it better than the
    wider band used for single messages.
    """
    scores = []
    for m in messages:
        polarity = (m.get("sentiment") or {}).get("polarity") or {}
        if isinstance(polarity.get("score"), (int, float)):
            scores.append(float(polarity["score"]))
    if not scores:
        return None
    mean = sum(scores) / len(scores)
    return ("positive" if mean >= 0.05 else "negative" if mean <= -0.05 else "neutral"), mean


def language_of(insights: dict[str, Any]) -> str | None:
    """The conversation's language when the provider reports it (our engine's extension, contract §5.8)."""
    value = insights.get("language")
    return value if isinstance(value, str) and value else None


def in_english(insights: dict[str, Any]) -> bool:
    """Whether the English insights and sentiment apply: the reported language decides, else the words."""
    messages = insights.get("messages") or []
    return not messages or is_english(messages, language_of(insights))


def overall_sentiment(messages: list[dict]) -> str | None:
    mood = mean_sentiment(messages)
    if mood is None:
        return None
    face = {
        "positive": "slightly_smiling_face",
        "negative": "slightly_frowning_face",
        "neutral": "neutral_face",
    }
    return f"{mood[0]} :{face[mood[0]]}:"


def _due(item: dict) -> str | None:
    due = _time(item.get("dueBy"))
    return f"due {due:%a %-d %b %Y}" if due else None


def _item_line(item: dict, *, with_owner: bool) -> str:
    parts = [escape(str(item.get("text", "")).strip())]
    extras = []
    if with_owner:
        owner = _name(item.get("assignee")) or _name(item.get("from"))
        if owner:
            extras.append(f"_{escape(owner)}_")
    due = _due(item)
    if due:
        extras.append(due)
    if extras:
        parts.append("— " + ", ".join(extras))
    return "• " + " ".join(parts)


def _topic_lines(topics: list[str]) -> list[str]:
    """The best TOPIC_BULLETS topics as bullets, the rest (the engine lists about twenty for a short meeting,
    so that the terms a participant would name are among them) folded onto one line: none dropped."""
    bullets, rest = ["• " + t for t in topics[:TOPIC_BULLETS]], topics[TOPIC_BULLETS:]
    if not rest:
        return bullets
    folded: list[list[str]] = [[]]
    for topic in rest:  # lines of about a third of a section, ending between topics (sections split there)
        if folded[-1] and len(" · ".join([*folded[-1], topic])) > MAX_SECTION_CHARS // 3:
            folded.append([])
        folded[-1].append(topic)
    lines = [" · ".join(group) for group in folded]
    return [*bullets, "_Also discussed:_ " + lines[0], *lines[1:]]


def _sections(heading: str, lines: Iterable[str]) -> list[str]:
    """Pack lines under a heading into section texts of at most MAX_SECTION_CHARS.

    The heading (which may name the conversation) is clipped, so it always leaves most of a section to the
    lines."""
    heading = clip_escaped(heading, MAX_HEADING_CHARS)
    texts: list[str] = []
    current = f"*{heading}*"
    for line in lines:
        for piece in _split_long(line, MAX_SECTION_CHARS - len(heading) - 20):
            if len(current) + 1 + len(piece) > MAX_SECTION_CHARS:
                texts.append(current)
                current = f"*{heading} (continued)*"
            current += "\n" + piece
    texts.append(current)
    return texts


def _split_long(line: str, limit: int) -> list[str]:
    """`line` in pieces of at most `limit` characters (at least 1), cut at a space near the limit when there
    is one and never inside an escape such as &amp;. Every piece is at least one character long and the line
    is read by index, so this ends, in linear time, for any line and any limit."""
    limit = max(limit, 1)
    pieces, start, end = [], 0, len(line)
    while end - start > limit:
        cut = line.rfind(" ", start, start + limit)
        cut = cut if cut > start + limit // 2 else start + limit
        cut = _escape_boundary(line, start, cut)
        pieces.append(line[start:cut])
        start = cut
        while start < end and line[start].isspace():
            start += 1
    pieces.append(line[start:])
    return pieces


def _escape_boundary(text: str, start: int, cut: int) -> int:
    """`cut`, moved back to the `&` of an escape it would split, unless that is `start` (then the piece would
    be empty and a splitter using it would never end)."""
    amp = text.rfind("&", max(cut - 5, start), cut)
    return amp if amp > start and ";" not in text[amp:cut] else cut


def clip_escaped(text: str, limit: int) -> str:
    """`text` (already escaped for mrkdwn) in at most `limit` characters, with "…" where it was cut, and no
    escape cut in half."""
    if len(text) <= limit:
        return text
    return text[: _escape_boundary(text, 0, max(limit - 1, 1))] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def talk_shares(insights: dict[str, Any]) -> dict[str, int]:
    """Speaker name → whole percent of the time anyone talked, from the provider's analytics (`talkTime`);
    empty when the provider measured none (an older cache, a host without analytics, an untimed transcript).
    """
    seconds: dict[str, float] = {}
    for member in (insights.get("analytics") or {}).get("members") or []:
        name = _name(member)
        talked = ((member.get("talkTime") or {}) if isinstance(member, dict) else {}).get("seconds")
        if name and isinstance(talked, (int, float)) and talked > 0:
            seconds[name] = seconds.get(name, 0.0) + float(talked)
    total = sum(seconds.values())
    return {name: round(100 * talked / total) for name, talked in seconds.items()} if total else {}


def _speaker_list(people: list[str], shares: Mapping[str, int] | None = None) -> str:
    """The first names (each with its share of the talk time when measured), then a count: a context line of
    60 names is unreadable and over Slack's limits."""
    shares = shares or {}
    shown = ", ".join(
        _clip(name, 80) + (f" {shares[name]}%" if name in shares else "")
        for name in people[:MAX_LISTED_SPEAKERS]
    )
    more = len(people) - MAX_LISTED_SPEAKERS
    return escape(shown) + (f" and {more} more" if more > 0 else "")


def unique_items(items: list[dict]) -> list[dict]:
    """Items with distinct keys, first occurrence kept: a recap repeating a commitment is one action item, and
    Slack refuses a message whose block ids (derived from the key) repeat."""
    seen: dict[str, dict] = {}
    for item in items:
        seen.setdefault(item_key(item), item)
    return list(seen.values())


def _fix_speakers_button(insights: dict[str, Any], conversation_id: str | None) -> dict[str, Any] | None:
    """The "Fix speakers" button, when the provider named speakers by member id (only those can be
    renamed). A section's accessory rather than an actions block: it sits beside the owners it fixes, and
    costs no block of the message's 50."""
    people = list(insights.get("members") or []) + [m.get("from") for m in insights.get("messages") or []]
    if not conversation_id or not any(isinstance(p, dict) and p.get("id") for p in people):
        return None
    return {
        "type": "button",
        "action_id": FIX_SPEAKERS_ACTION,
        "text": {"type": "plain_text", "text": "Fix speakers"},
        "value": json.dumps({"c": conversation_id}),
    }


def _action_blocks(
    items: list[dict],
    conversation_id: str,
    done: Mapping[str, str],
    owners: Mapping[str, str],
    fix_speakers: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Action items one by one: open ones with "Mark done" and "Remind me", done ones struck through."""
    heading = _section("*Action items*")
    blocks = [{**heading, "accessory": fix_speakers} if fix_speakers else heading]
    rest = []
    for index, item in enumerate(items):
        key = item_key(item)
        line = _item_line(item, with_owner=key not in owners)
        if key in owners:
            line += f" — <@{owners[key]}>"
        if key in done:
            who = f" by <@{done[key]}>" if done[key] else ""
            pieces = _split_long(line[2:], MAX_SECTION_CHARS - 40)
            blocks += [_section(f"~{piece}~") for piece in pieces[:-1]]
            blocks.append(_section(f"~{pieces[-1]}~ :white_check_mark: done{who}"))
        elif index < MAX_BUTTON_ITEMS:
            value = json.dumps({"c": conversation_id, "k": key})
            blocks += [_section(piece) for piece in _split_long(line, MAX_SECTION_CHARS)]
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"action_item:{key}",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": DONE_ACTION,
                            "text": {"type": "plain_text", "text": "Mark done"},
                            "style": "primary",
                            "value": value,
                        },
                        {
                            "type": "button",
                            "action_id": REMIND_ACTION,
                            "text": {"type": "plain_text", "text": "Remind me"},
                            "value": value,
                        },
                    ],
                }
            )
        else:
            rest.append(line)
    if rest:
        blocks += [_section(t) for t in _sections("More action items", rest)]
    return blocks


def render_summary(
    insights: dict[str, Any],
    *,
    title: str,
    recording_id: int,
    conversation_id: str | None = None,
    done: Mapping[str, str] | None = None,
    owners: Mapping[str, str] | None = None,
) -> list[SlackMessage]:
    """The summary as one or more messages for the recording's thread; empty sections are left out.

    With a `conversation_id`, action items get buttons (`done`: item key → who marked it done; `owners`:
    item key → the owner's Slack user), the conversation id is shown for `/symbl` commands, and a "Fix
    speakers" button offers to say who each speaker is.
    """
    messages = insights.get("messages") or []
    language, english = language_of(insights), in_english(insights)
    facts = []
    duration = duration_seconds(messages)
    if duration:
        facts.append(f":stopwatch: {clock(duration)}")
    people = speakers(insights)
    if people:
        facts.append(":busts_in_silhouette: " + _speaker_list(people, talk_shares(insights)))
    mood = overall_sentiment(messages) if english else None
    if mood:
        facts.append(f"Overall sentiment: {mood}")
    elif not english:
        facts.append(escape(sentiment_not_measured(language)))
    if conversation_id:
        facts.append(f"id `{escape(conversation_id)}`")

    body: list[dict[str, Any]] = []
    fix_speakers = _fix_speakers_button(insights, conversation_id)
    paragraph = " ".join(str(item.get("text", "")).strip() for item in insights.get("summary") or [])
    if paragraph.strip():
        body += [_section(t) for t in _sections("Summary", [escape(paragraph)])]
    topics = [escape(str(t.get("text", "")).strip()) for t in insights.get("topics") or [] if t.get("text")]
    if topics:
        body += [_section(t) for t in _sections("Topics", _topic_lines(topics))]
    for kind in KINDS:
        if kind.key == "topics":  # above, as one list of bullets
            continue
        items = unique_items([i for i in insights.get(kind.key) or [] if str(i.get("text", "")).strip()])
        if items and kind.key == "actionItems" and conversation_id:
            body += _action_blocks(items, conversation_id, done or {}, owners or {}, fix_speakers)
            fix_speakers = None  # placed beside the action items
        elif items:
            lines = [_item_line(i, with_owner=kind.line == "assigned") for i in items]
            body += [_section(t) for t in _sections(kind.title, lines)]
    if not english:
        note = _section(f"_{escape(not_english_note(language))}_")
        body[:0] = [note, *_transcript_sections(messages, conversation_id)]
    elif not body:
        body.append(_section("_No topics, action items or questions were found in this recording._"))
    body[:0] = _warning_sections(insights.get("warnings"))
    if fix_speakers:
        body.append({**_section(FIX_SPEAKERS_PROMPT), "accessory": fix_speakers})

    head: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _clip(f"Summary: {title}", MAX_HEADER_CHARS),
                "emoji": True,
            },
        },
    ]
    if facts:
        head.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "  ·  ".join(facts)}]})
    chunks = _chunk(head, body)
    fallback = _fallback(title, facts, insights)
    out = []
    for index, blocks in enumerate(chunks, start=1):
        text = fallback if index == 1 else f"Summary of {escape(title)} (part {index}/{len(chunks)})"
        if len(chunks) > 1:
            blocks = blocks + [
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"Part {index} of {len(chunks)}"}],
                }
            ]
        out.append(
            SlackMessage(
                text=_clip(text, MAX_FALLBACK_CHARS),
                blocks=blocks,
                metadata=summary_metadata(recording_id, index, len(chunks)),
            )
        )
    return out


def _warning_sections(warnings: Any) -> list[dict[str, Any]]:
    """The provider's warnings, one section each, first in the note."""
    if not isinstance(warnings, list):
        return []
    texts = [escape(str(w).strip()) for w in warnings[:MAX_WARNINGS] if str(w).strip()]
    return [_section(clip_escaped(f":warning: {text}", MAX_SECTION_CHARS)) for text in texts]


def _transcript_sections(messages: list[dict], conversation_id: str | None) -> list[dict[str, Any]]:
    """The transcript, "[m:ss] Speaker: text" a line, up to MAX_INLINE_TRANSCRIPT_CHARS; then how to get the
    rest."""
    lines, size = [], 0
    timed = timed_lines(messages)
    for start, _end, speaker, text in timed:
        line = f"[{clock(start)}] " + (f"{escape(speaker)}: " if speaker else "") + escape(text)
        if size + len(line) > MAX_INLINE_TRANSCRIPT_CHARS:
            break
        lines.append(line)
        size += len(line) + 1
    left = len(timed) - len(lines)
    if left:
        command = (
            f"`/symbl transcript {escape(conversation_id)}`" if conversation_id else "`/symbl transcript`"
        )
        lines.append(
            f"_…and {left} more line{'' if left == 1 else 's'}: {command} sends the whole transcript._"
        )
    return [_section(t) for t in _sections("Transcript", lines)]


def status_metadata(recording_id: int) -> dict[str, Any]:
    return {"event_type": STATUS_EVENT, "event_payload": {"recording_id": recording_id}}


def summary_metadata(recording_id: int, part: int = 1, parts: int = 1) -> dict[str, Any]:
    return {
        "event_type": SUMMARY_EVENT,
        "event_payload": {"recording_id": recording_id, "part": part, "parts": parts},
    }


def _chunk(head: list[dict], body: list[dict]) -> list[list[dict]]:
    """Split blocks into messages of at most MAX_BLOCKS - 1 blocks (room for a part marker)."""
    messages: list[list[dict]] = []
    current, size = list(head), sum(_block_chars(b) for b in head)
    for block in body:
        chars = _block_chars(block)
        if len(current) + 1 > MAX_BLOCKS - 1 or size + chars > MAX_MESSAGE_CHARS:
            messages.append(current)
            current, size = [], 0
        current.append(block)
        size += chars
    messages.append(current)
    return messages


def _block_chars(block: dict) -> int:
    text = block.get("text")
    if isinstance(text, dict):
        return len(text.get("text", ""))
    return sum(len(e.get("text", "")) for e in block.get("elements", []))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fallback(title: str, facts: list[str], insights: dict[str, Any]) -> str:
    counts = []
    for kind in KINDS:
        listed = insights.get(kind.key) or []
        n = len(unique_items(listed) if kind.key == "actionItems" else listed)
        if n:
            counts.append(f"{n} {kind.noun}")
    # The notification text is parsed like mrkdwn: an unescaped title could say <!channel> to everyone.
    return f"Summary of {escape(title)}" + (": " + ", ".join(counts) if counts else "")
