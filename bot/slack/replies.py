"""Slack formatting for command answers and the App Home tab (a sibling of bot.slack.render.summary; pure
functions).

Everything that came from a recording or a user is escaped (`summary.escape`) before it is put in mrkdwn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.language import sentiment_not_measured
from bot.slack.render.summary import (
    MAX_BLOCKS,
    _clip,
    _item_line,
    _section,
    _sections,
    escape,
    in_english,
    language_of,
    overall_sentiment,
    speakers,
)

HOME_MAX_BLOCKS = 95  # Slack allows 100 in a Home tab
MAX_TEXT = 3000
MAX_LABEL_CHARS = 200  # a link's label, before escaping (at most 5 × as long after)


@dataclass
class Reply:
    """An answer: `share` puts it in the channel/thread for everyone, otherwise only the asker sees it."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    share: bool = False


def answer(
    title: str, lines: Iterable[str], *, share: bool = False, empty: str = "_Nothing found._"
) -> Reply:
    lines = list(lines) or [empty]
    blocks = [_section(t) for t in _sections(title, lines)][:MAX_BLOCKS]
    return Reply(text=_clip(title + ": " + "; ".join(lines), MAX_TEXT), blocks=blocks, share=share)


def plain(text: str) -> Reply:
    return Reply(text=text, blocks=[_section(text)])


def link(url: str | None, label: str) -> str:
    """A link (or bold text without a url) labelled with a title: clipped, so a title of old rows stored
    unclipped still leaves a line (and an App Home section) within Slack's limits."""
    label = escape(_clip(label, MAX_LABEL_CHARS))
    return f"<{url}|{label}>" if url else f"*{label}*"


def when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%a %-d %b %Y")


def topic_lines(insights: dict[str, Any]) -> list[str]:
    out = []
    for t in insights.get("topics") or []:
        score = t.get("score")
        extra = f" ({score:.2f})" if isinstance(score, (int, float)) else ""
        out.append(f"• {escape(str(t.get('text', '')))}{extra}")
    return out


def item_lines(
    items: list[dict],
    *,
    with_owner: bool = True,
    done: dict[str, str] | None = None,
    keys: list[str] | None = None,
) -> list[str]:
    lines = []
    for index, item in enumerate(items):
        line = _item_line(item, with_owner=with_owner)
        if done is not None and keys is not None and keys[index] in done:
            who = f" by <@{done[keys[index]]}>" if done[keys[index]] else ""
            line = f"• ~{line[2:]}~ :white_check_mark: done{who}"
        lines.append(line)
    return lines


def member_lines(insights: dict[str, Any], slack_users: dict[str, str]) -> list[str]:
    out = []
    for name in speakers(insights):
        user = slack_users.get(name)
        out.append(f"• {escape(name)}" + (f" — <@{user}>" if user else ""))
    return out


def sentiment_lines(insights: dict[str, Any]) -> list[str]:
    messages = insights.get("messages") or []
    if not in_english(insights):  # an English lexicon: elsewhere every sentence would score a "neutral" 0
        return [f"_{escape(sentiment_not_measured(language_of(insights)))}._"]
    overall = overall_sentiment(messages)
    lines = [f"Overall: {overall}" if overall else "_No sentiment was measured._"]
    by_speaker: dict[str, list[dict]] = {}
    for m in messages:
        name = (m.get("from") or {}).get("name")
        if name:
            by_speaker.setdefault(str(name), []).append(m)
    for name, said in by_speaker.items():
        mood = overall_sentiment(said)
        if mood:
            lines.append(f"• {escape(name)}: {mood}")
    return lines


def status_line(name: str | None, state: str, stage: str | None, error: str | None, appended: bool) -> str:
    what = escape(name or "recording") + (" (appended)" if appended else "")
    detail = {
        "queued": "queued",
        "submitted": "transcribing",
        "processing": "transcribing",
        "completed": "summarizing",
        "posted": "done",
        "failed": "failed",
    }.get(state, state)
    return f"• *{what}*: {detail}" + (f" — {escape(error)}" if error and state == "failed" else "")


def search_line(title: str, url: str | None, channel_id: str, snippet: str) -> str:
    text = escape(" · ".join(part for part in snippet.split("\n") if part.strip()))
    return f"• {link(url, title)} in <#{channel_id}> — {text}"


def home_view(conversations: list[dict[str, Any]]) -> dict[str, Any]:
    """The App Home tab: recent conversations the user can see, each with its open action items.

    Each entry: title, channel_id, conversation_id, date (epoch), url (summary link or None), and `items`: a
    list of (line, mine) for the open action items.
    """
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your recent meetings", "emoji": True}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Conversations from channels you are in. `/symbl help` lists the commands.",
                }
            ],
        },
    ]
    if not conversations:
        blocks.append(_section("_No summaries yet in the channels you are in. Drop a recording into one._"))
    for c in conversations:
        if len(blocks) + 3 > HOME_MAX_BLOCKS:
            break
        blocks.append({"type": "divider"})
        head = (
            f"{link(c['url'], c['title'])} in <#{c['channel_id']}> · {when(c['date'])} · "
            f"id `{escape(c['conversation_id'])}`"
        )
        blocks.append(_section(head))
        open_items = [
            f"{line} {':point_left: _yours_' if mine else ''}".rstrip() for line, mine in c["items"]
        ]
        body = "\n".join(open_items) if open_items else "_No open action items._"
        blocks.append(_section(_clip("*Open action items*\n" + body, 2900)))
    return {"type": "home", "blocks": blocks}
