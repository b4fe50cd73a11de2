"""The `/symbl` subcommands, one registry entry each: name, argument synopsis, summary, parser and handler.

To add a subcommand, write its handler (`(Services, Invocation, Command) -> Reply`, usually in
`bot.slack.queries`) and add one `Subcommand(...)` to `SUBCOMMANDS`, choosing an argument parser from
`grammar` (or writing one there). Parsing, `/symbl help`, the usage line shown on a mistake, the @mention
listener's routing and the README table test all follow from this table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.errors import BotError, UsageError
from bot.slack import ask, queries
from bot.slack.commands import grammar
from bot.slack.commands.grammar import ArgParser, Command
from bot.slack.queries import Invocation
from bot.slack.replies import Reply, plain
from bot.slack.services import Services

log = logging.getLogger(__name__)

Handler = Callable[[Services, Invocation, Command], Reply]


@dataclass(frozen=True)
class Subcommand:
    name: str
    args: str  # the synopsis shown in help, e.g. "[conversation-id] [--share]"
    summary: str
    parse: ArgParser
    run: Handler
    # Words taken as typed, not shell-split: a question's apostrophe ("who's …") is no quote.
    free_text: bool = False

    @property
    def usage(self) -> str:
        return f"/symbl {self.name}" + (f" {self.args}" if self.args else "")


def _help(services: Services, inv: Invocation, cmd: Command) -> Reply:
    return plain(help_text())


ABOUT_CONVERSATION = "[conversation-id] [--share]"

SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "", "This list of commands.", grammar.ignore_arguments, _help),
    Subcommand(
        "append",
        "<url> [to <conversation-id>]",
        "Add a recording to a conversation (default: the channel's latest) and update its summary.",
        grammar.append_arguments,
        queries.append,
    ),
    Subcommand(
        "topics",
        ABOUT_CONVERSATION,
        "The conversation's topics.",
        grammar.optional_conversation,
        queries.topics,
    ),
    Subcommand(
        "actions",
        ABOUT_CONVERSATION,
        "Action items, with owners, due dates and what is done.",
        grammar.optional_conversation,
        queries.actions,
    ),
    Subcommand(
        "decisions",
        ABOUT_CONVERSATION,
        "Decisions taken in the conversation.",
        grammar.optional_conversation,
        queries.decisions,
    ),
    Subcommand(
        "questions",
        ABOUT_CONVERSATION,
        "Questions asked in the conversation.",
        grammar.optional_conversation,
        queries.questions,
    ),
    Subcommand(
        "followups",
        ABOUT_CONVERSATION,
        "Follow-ups: meetings and promised replies.",
        grammar.optional_conversation,
        queries.followups,
    ),
    Subcommand(
        "members",
        ABOUT_CONVERSATION,
        "Who spoke (and their Slack user, when it is clear).",
        grammar.optional_conversation,
        queries.members,
    ),
    Subcommand(
        "sentiment",
        ABOUT_CONVERSATION,
        "Overall and per-speaker sentiment.",
        grammar.optional_conversation,
        queries.sentiment,
    ),
    Subcommand(
        "status",
        ABOUT_CONVERSATION,
        "Processing state of the conversation's recordings.",
        grammar.optional_conversation,
        queries.status,
    ),
    Subcommand(
        "list",
        "[--share]",
        "Recent conversations of this channel, with their ids.",
        grammar.no_arguments,
        queries.list_conversations,
    ),
    Subcommand(
        "transcript",
        "[conversation-id] [txt|srt|vtt|md] [--share]",
        "The transcript as a file (sent to you privately unless shared).",
        grammar.transcript_arguments,
        queries.transcript,
    ),
    Subcommand(
        "search",
        "<words>",
        "Search transcripts and insights of the channels you are in.",
        grammar.search_words,
        queries.search,
    ),
    Subcommand(
        "ask",
        "<question>",
        "Answer a question about this channel's meetings with quotes (in a summary's thread: that meeting).",
        grammar.question_words,
        ask.ask,
        free_text=True,
    ),
    Subcommand(
        "forget",
        "<conversation-id>",
        "Delete a conversation's transcript, insights and engine data (uploader or workspace admin).",
        grammar.one_conversation,
        queries.forget,
    ),
)


def find(name: str) -> Subcommand | None:
    """The subcommand called `name` (case-insensitive), if there is one."""
    return next((s for s in SUBCOMMANDS if s.name == name.lower()), None)


def parse(text: str) -> Command:
    """The command the text asks for (empty text is `help`); `UsageError` with the usage line if unusable."""
    head = (text or "").split(maxsplit=1)
    free = find(head[0]) if head else None
    tokens = grammar.words_as_typed(text) if free is not None and free.free_text else grammar.tokenize(text)
    if not tokens:
        return Command("help")
    sub = find(tokens[0])
    if sub is None:
        raise UsageError(f"I don't know the command `{tokens[0][:40]}`.")
    rest, share = grammar.split_share(tokens[1:])
    try:
        return sub.parse(sub.name, rest, share)
    except UsageError as err:
        raise UsageError(str(err), usage=f"`{sub.usage}` — {sub.summary}") from None


def run(services: Services, inv: Invocation, cmd: Command) -> Reply:
    """Answer one parsed command; refusals and provider errors become a clear sentence, never a trace."""
    try:
        sub = find(cmd.name)
        if sub is None:
            raise UsageError(f"I don't know the command `{cmd.name[:40]}`.")
        return sub.run(services, inv, cmd)
    except BotError as err:
        return plain(f":warning: {err.user_message}")
    except SlackApiError as err:
        log.warning("command %s: Slack refused: %s", cmd.name, err.response.get("error"))
        return plain(f":warning: Slack refused the request ({err.response.get('error')}). Please try again.")


def help_text() -> str:
    lines = [
        "*Symbl commands* (also as `@symbl <command>` in a summary's thread, where they mean its conversation):"  # noqa: E501
    ]
    lines += [f"• `{s.usage}` — {s.summary}" for s in SUBCOMMANDS]
    lines.append("Answers are visible only to you unless you add `--share` (or `public`).")
    return "\n".join(lines)


def usage_text(error: UsageError) -> str:
    if error.usage is not None:
        return f"{error.user_message} Usage: {error.usage}"
    return f"{error.user_message}\n\n{help_text()}"


def is_command(text: str) -> bool:
    """Whether mention text starts with one of our subcommands (then the mention listener owns it)."""
    return find(grammar.first_word(grammar.strip_mention(text))) is not None
