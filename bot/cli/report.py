"""A conversation (Symbl shapes) as a readable plain-text meeting note, for the terminal.

The facts (duration, speakers, sentiment) come from bot.slack.render.summary, which renders the same note for
Slack. The conversation's `warnings` (a given language the speech contradicts) come first; a conversation in
another language than English (its `language`, else its words) shows its transcript and measures no sentiment.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict

from bot.insight_kinds import KINDS
from bot.language import is_english, not_english_note, sentiment_not_measured
from bot.slack.render.summary import clock, duration_seconds, mean_sentiment


def talk_time(messages: list[dict]) -> list[tuple[str, float]]:
    """Speakers with their seconds of speech, most talkative first."""
    seconds: dict[str, float] = defaultdict(float)
    for m in messages:
        name = (m.get("from") or {}).get("name")
        if name:
            seconds[name] += float(m.get("duration") or 0.0)
    return sorted(seconds.items(), key=lambda item: item[1], reverse=True)


def item_line(item: dict) -> str:
    """'text — owner, due date' for an action item or follow-up."""
    extras = []
    owner = (item.get("assignee") or {}).get("name")
    if owner:
        extras.append(owner)
    if item.get("dueBy"):
        extras.append("due " + item["dueBy"][:10])
    return item["text"] + (f" — {', '.join(extras)}" if extras else "")


def render_text(conversation: dict, *, title: str | None = None, duration: float | None = None) -> str:
    """`duration`: the recording's own length in seconds when known (else the span of the messages)."""
    messages = conversation.get("messages", [])
    length = duration if duration is not None else duration_seconds(messages) or 0
    count = f"{len(messages)} message{'' if len(messages) == 1 else 's'}"
    lines = [title or "Meeting summary", f"Duration {clock(length)}, {count}"]
    if not messages:
        lines.append("No speech was found in the recording.")
    speakers = talk_time(messages)
    if speakers:
        lines.append("Speakers: " + ", ".join(f"{name} ({clock(sec)})" for name, sec in speakers))
    lines += [line for warning in conversation.get("warnings") or [] for line in ("", f"Warning: {warning}")]
    language = conversation.get("language")
    english = not messages or is_english(messages, language)
    if not english:
        lines += ["", not_english_note(language)]
    summary = " ".join(item["text"] for item in conversation.get("summary") or [])
    if summary:
        lines += [
            "",
            "Summary:",
            textwrap.fill(summary, width=100, initial_indent="  ", subsequent_indent="  "),
        ]
    for kind in KINDS:
        line = item_line if kind.line == "assigned" else (lambda item: str(item["text"]))
        items = [line(item) for item in conversation.get(kind.key) or []]
        if items:
            lines += ["", f"{kind.title}:"] + [f"  • {text}" for text in items]
    if not english:  # no summary or topics to read instead: the words themselves
        lines += ["", "Transcript:"] + [f"  {speaker_line(m)}" for m in messages]
        # The sentiment model is an English lexicon: elsewhere it scores nothing and would say "neutral".
        lines += ["", sentiment_not_measured(language) + "."]
        return "\n".join(lines)
    label, score = mean_sentiment(messages) or ("neutral", 0.0)
    lines += ["", f"Overall sentiment: {label} ({score:+.2f})"]
    return "\n".join(lines)


def speaker_line(message: dict) -> str:
    """'Name: text' (or the text alone when nobody is named) for one transcript message."""
    name = (message.get("from") or {}).get("name")
    return f"{name}: {message.get('text', '')}" if name else str(message.get("text", ""))
