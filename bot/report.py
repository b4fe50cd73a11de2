"""A conversation (Symbl shapes) as a readable plain-text meeting note, for the terminal."""

from __future__ import annotations

from collections import Counter


def overall_sentiment(messages: list[dict]) -> tuple[str, float]:
    """Mean VADER polarity over messages that carry one, with the label Symbl's thresholds would give."""
    scores = [m["sentiment"]["polarity"]["score"] for m in messages if m.get("sentiment")]
    if not scores:
        return "neutral", 0.0
    mean = sum(scores) / len(scores)
    label = "positive" if mean >= 0.05 else "negative" if mean <= -0.05 else "neutral"
    return label, mean


def talk_time(messages: list[dict]) -> list[tuple[str, float]]:
    """Speakers with their seconds of speech, most talkative first."""
    seconds: Counter[str] = Counter()
    for m in messages:
        name = (m.get("from") or {}).get("name")
        if name:
            seconds[name] += float(m.get("duration") or 0.0)
    return seconds.most_common()


def duration_of(messages: list[dict]) -> float:
    return max((float(m.get("timeOffset", 0)) + float(m.get("duration", 0)) for m in messages), default=0.0)


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def item_line(item: dict) -> str:
    """'text — owner, due date' for an action item or follow-up."""
    extras = []
    owner = (item.get("assignee") or {}).get("name")
    if owner:
        extras.append(owner)
    if item.get("dueBy"):
        extras.append("due " + item["dueBy"][:10])
    return item["text"] + (f" — {', '.join(extras)}" if extras else "")


def render_text(conversation: dict, *, title: str | None = None) -> str:
    messages = conversation.get("messages", [])
    lines = [title or "Meeting summary", f"Duration {clock(duration_of(messages))}, {len(messages)} messages"]
    speakers = talk_time(messages)
    if speakers:
        lines.append("Speakers: " + ", ".join(f"{name} ({clock(sec)})" for name, sec in speakers))
    sections = [
        ("Topics", [t["text"] for t in conversation.get("topics", [])]),
        ("Action items", [item_line(a) for a in conversation.get("actionItems", [])]),
        ("Follow-ups", [item_line(f) for f in conversation.get("followUps", [])]),
        ("Questions", [q["text"] for q in conversation.get("questions", [])]),
    ]
    for heading, items in sections:
        if items:
            lines += ["", f"{heading}:"] + [f"  • {text}" for text in items]
    label, score = overall_sentiment(messages)
    lines += ["", f"Overall sentiment: {label} ({score:+.2f})"]
    return "\n".join(lines)
