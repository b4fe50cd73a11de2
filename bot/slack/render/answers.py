"""Slack wording of `/symbl ask` answers (pure): each quote with its speaker, time and a link to the note.

Quoted text came from a recording, so it is escaped like every other recording text (`summary.escape`).
"""

from __future__ import annotations

from bot.ask.answering import Answer, Quote
from bot.slack.render.summary import _item_line, escape
from bot.slack.replies import Reply, answer, link, plain

MAX_QUESTION_CHARS = 150


def clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def quote_line(quote: Quote, title: str, url: str | None) -> str:
    p = quote.passage
    who = [f"*{escape(p.speaker)}*"] if p.speaker else []
    if p.seconds is not None:
        who.append(clock(p.seconds))
    return f"> “{escape(p.text)}” — {', '.join(who + [link(url, title)])}"


def ask_reply(
    question: str,
    result: Answer,
    *,
    titles: dict[str, str],
    links: dict[str, str | None],
    where: str,
    share: bool = False,
) -> Reply:
    """The answer, or "I could not find that in <where>" (never a guess)."""
    if not result.found:
        reply = plain(f"I could not find that in {where}.")
        reply.share = share
        return reply
    lines = []
    if result.item is not None and result.route.kind in ("owner", "due"):
        lines.append(_item_line(result.item, with_owner=True))
    for quote in result.quotes:
        cid = quote.passage.conversation_id
        lines.append(quote_line(quote, titles.get(cid, "recording"), links.get(cid)))
    asked = question if len(question) <= MAX_QUESTION_CHARS else question[: MAX_QUESTION_CHARS - 1] + "…"
    return answer(f"“{escape(asked)}”", lines, share=share)
