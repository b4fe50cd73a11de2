"""The `/symbl` grammar: one table of subcommands, a shlex-based parser, and the help text made from the table.

The same words work after `/symbl` and after an `@symbl` mention. Slack may send links as `<url>` or
`<url|label>` (slash commands with escaping on, and always in mentions), so those forms are unwrapped before
splitting. Anything the parser cannot use raises `UsageError`, whose text is fit to show as is.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from bot.errors import InputError

QUERY_KINDS = ("topics", "actions", "questions", "followups", "members", "sentiment", "status")
TRANSCRIPT_FORMATS = ("txt", "srt", "vtt", "md")
SHARE_WORDS = ("--share", "public", "--public")
MAX_TEXT = 2000
_SLACK_LINK = re.compile(r"<((?:https?|ftp)://[^>|\s]+)(?:\|[^>]*)?>")
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Subcommand:
    name: str
    args: str
    summary: str

    @property
    def usage(self) -> str:
        return f"/symbl {self.name}" + (f" {self.args}" if self.args else "")


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "", "This list of commands."),
    Subcommand("append", "<url> [to <conversation-id>]",
               "Add a recording to a conversation (default: the channel's latest) and update its summary."),
    Subcommand("topics", "[conversation-id] [--share]", "The conversation's topics."),
    Subcommand("actions", "[conversation-id] [--share]", "Action items, with owners, due dates and what is done."),
    Subcommand("questions", "[conversation-id] [--share]", "Questions asked in the conversation."),
    Subcommand("followups", "[conversation-id] [--share]", "Follow-ups: meetings and promised replies."),
    Subcommand("members", "[conversation-id] [--share]", "Who spoke (and their Slack user, when it is clear)."),
    Subcommand("sentiment", "[conversation-id] [--share]", "Overall and per-speaker sentiment."),
    Subcommand("status", "[conversation-id] [--share]", "Processing state of the conversation's recordings."),
    Subcommand("list", "[--share]", "Recent conversations of this channel, with their ids."),
    Subcommand("transcript", "[conversation-id] [txt|srt|vtt|md] [--share]",
               "The transcript as a file (sent to you privately unless shared)."),
    Subcommand("search", "<words>", "Search transcripts and insights of the channels you are in."),
    Subcommand("forget", "<conversation-id>",
               "Delete a conversation's transcript, insights and engine data (uploader or workspace admin)."),
)
BY_NAME = {s.name: s for s in SUBCOMMANDS}


class UsageError(InputError):
    """The command text cannot be used; `str()` says why, `usage` how (when one subcommand is meant)."""

    def __init__(self, message: str, subcommand: Subcommand | None = None):
        super().__init__(message)
        self.subcommand = subcommand


@dataclass(frozen=True)
class Command:
    name: str
    conversation_id: str | None = None
    url: str | None = None
    words: str = ""
    share: bool = False
    fmt: str = "txt"


def help_text() -> str:
    lines = ["*Symbl commands* (also as `@symbl <command>` in a summary's thread, where they mean its conversation):"]
    lines += [f"• `{s.usage}` — {s.summary}" for s in SUBCOMMANDS]
    lines.append("Answers are visible only to you unless you add `--share` (or `public`).")
    return "\n".join(lines)


def usage_text(error: UsageError) -> str:
    if error.subcommand is not None:
        return f"{error} Usage: `{error.subcommand.usage}` — {error.subcommand.summary}"
    return f"{error}\n\n{help_text()}"


def strip_mention(text: str) -> str:
    """The words of an `@symbl …` message without the mention(s)."""
    return _MENTION.sub(" ", text or "").strip()


def first_word(text: str) -> str:
    words = unwrap_links(text).split()
    return words[0].lower() if words else ""


def is_command(text: str) -> bool:
    """Whether mention text starts with one of our subcommands (then the mention listener owns the message)."""
    return first_word(strip_mention(text)) in BY_NAME


def unwrap_links(text: str) -> str:
    return _SLACK_LINK.sub(lambda m: m.group(1), text or "").replace("&amp;", "&")


def parse(text: str) -> Command:
    if len(text or "") > MAX_TEXT:
        raise UsageError(f"That command is too long (over {MAX_TEXT} characters).")
    try:
        tokens = shlex.split(unwrap_links(text))
    except ValueError:
        raise UsageError("I could not read that command: a quote is not closed.") from None
    if not tokens:
        return Command("help")
    name, rest = tokens[0].lower(), tokens[1:]
    sub = BY_NAME.get(name)
    if sub is None:
        raise UsageError(f"I don't know the command `{tokens[0][:40]}`.")
    share = any(t.lower() in SHARE_WORDS for t in rest)
    rest = [t for t in rest if t.lower() not in SHARE_WORDS]
    if name == "help":
        return Command("help")
    if name == "append":
        return _append(sub, rest, share)
    if name == "search":
        if not rest:
            raise UsageError("Search for what?", sub)
        return Command("search", words=" ".join(rest), share=share)
    if name == "forget":
        if len(rest) != 1:
            raise UsageError("Say which conversation to forget.", sub)
        return Command("forget", conversation_id=rest[0])
    if name == "list":
        if rest:
            raise UsageError(f"`list` takes no arguments (got `{' '.join(rest)[:60]}`).", sub)
        return Command("list", share=share)
    fmt = "txt"
    if name == "transcript":
        formats = [t.lower().lstrip(".") for t in rest if t.lower().lstrip(".") in TRANSCRIPT_FORMATS]
        if len(formats) > 1:
            raise UsageError("Choose one format.", sub)
        fmt = formats[0] if formats else "txt"
        rest = [t for t in rest if t.lower().lstrip(".") not in TRANSCRIPT_FORMATS]
    if len(rest) > 1:
        raise UsageError(f"Too many arguments: `{' '.join(rest)[:60]}`.", sub)
    return Command(name, conversation_id=rest[0] if rest else None, share=share, fmt=fmt)


def _append(sub: Subcommand, rest: list[str], share: bool) -> Command:
    if not rest:
        raise UsageError("Append which recording? Give its link.", sub)
    url, rest = rest[0], rest[1:]
    if not re.match(r"https?://", url, re.IGNORECASE):
        raise UsageError(f"`{url[:60]}` is not an http(s) link.", sub)
    conversation_id = None
    if rest:
        if len(rest) != 2 or rest[0].lower() != "to":
            raise UsageError("After the link, only `to <conversation-id>` may follow.", sub)
        conversation_id = rest[1]
    return Command("append", url=url, conversation_id=conversation_id, share=share)
