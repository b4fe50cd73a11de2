"""`/symbl ask <question>` and a question to `@symbl` in a note's thread: quoted sentences from the meetings
the asker may read.

Scoping is the search's: in a channel, that channel's conversations, and only when the asker is a member;
in a note's thread, that note's conversation. A conversation of another channel is never a candidate, so it
can never be quoted. The link to each note is an enrichment: when chat.getPermalink fails the quote has none.
"""

from __future__ import annotations

from bot.ask import answering
from bot.ask.passages import Meeting
from bot.ask.terms import plain_words
from bot.errors import Refused
from bot.slack.commands.grammar import Command
from bot.slack.queries import Invocation, can_read, permalink
from bot.slack.render.answers import ask_reply
from bot.slack.render.summary import escape
from bot.slack.replies import Reply
from bot.slack.services import Services
from storage import ask_candidates
from storage import conversations as convs
from storage.conversations import SummarizedConversation

MAX_MEETINGS = 5  # the index's best conversations whose sentences are read


def ask(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conversations, where = _scope(services, inv, cmd.words)
    meetings = [Meeting(c.conversation_id, c.title, c.insights) for c in conversations]
    result = answering.answer(cmd.words, meetings)
    quoted = {q.passage.conversation_id for q in result.quotes}
    by_id = {c.conversation_id: c for c in conversations}
    links = {
        cid: permalink(services, inv.team_id, by_id[cid].channel_id, by_id[cid].summary_ts) for cid in quoted
    }
    titles = {c.conversation_id: c.title for c in conversations}
    return ask_reply(cmd.words, result, titles=titles, links=links, where=where, share=cmd.share)


def _scope(services: Services, inv: Invocation, question: str) -> tuple[list[SummarizedConversation], str]:
    """The conversations to read and how the answer names them."""
    if inv.thread_ts:
        conv = convs.in_thread(services.store, inv.team_id, inv.channel_id, inv.thread_ts)
        if conv is not None and can_read(services, inv, conv.channel_id):
            return [conv], f"*{escape(conv.title)}*"
    if not can_read(services, inv, inv.channel_id):
        raise Refused("I can only answer about the meetings of channels you are a member of.")
    where = "this channel's meetings"
    ids = ask_candidates.conversations_matching(
        services.store, inv.team_id, [inv.channel_id], plain_words(question), MAX_MEETINGS
    )
    found = [convs.get(services.store, inv.team_id, i) for i in ids]
    chosen = [c for c in found if c is not None and c.channel_id == inv.channel_id]
    if not chosen:  # "what questions came up?" has no word to look for: the channel's latest meeting
        latest = convs.latest_in_channel(services.store, inv.team_id, inv.channel_id)
        chosen = [latest] if latest is not None and not plain_words(question) else []
    return chosen, where
