"""The `/symbl` grammar's pieces: tokenizing, the parsed `Command`, the argument parsers subcommands share.

The same words work after `/symbl` and after an `@symbl` mention. Slack may send links as `<url>` or
`<url|label>` (slash commands with escaping on, and always in mentions), so those forms are unwrapped before
splitting. Which subcommand uses which argument parser is the registry's business (`registry.SUBCOMMANDS`);
a parser raises `UsageError` with the reason, and the registry adds the subcommand's usage line.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import UsageError

TRANSCRIPT_FORMATS = ("txt", "srt", "vtt", "md")
SHARE_WORDS = ("--share", "public", "--public")
MAX_TEXT = 2000
_SLACK_LINK = re.compile(r"<((?:https?|ftp)://[^>|\s]+)(?:\|[^>]*)?>")
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Command:
    name: str
    conversation_id: str | None = None
    url: str | None = None
    words: str = ""
    share: bool = False
    fmt: str = "txt"


# An argument parser: (subcommand name, its words after the share flags were taken out, share?) → Command.
ArgParser = Callable[[str, list[str], bool], Command]


def strip_mention(text: str) -> str:
    """The words of an `@symbl …` message without the mention(s)."""
    return _MENTION.sub(" ", text or "").strip()


def first_word(text: str) -> str:
    words = unwrap_links(text).split()
    return words[0].lower() if words else ""


def unwrap_links(text: str) -> str:
    return _SLACK_LINK.sub(lambda m: m.group(1), text or "").replace("&amp;", "&")


def tokenize(text: str) -> list[str]:
    """Shell-like words of the command text, links unwrapped; `UsageError` if too long or unreadable."""
    if len(text or "") > MAX_TEXT:
        raise UsageError(f"That command is too long (over {MAX_TEXT} characters).")
    try:
        return shlex.split(unwrap_links(text))
    except ValueError:
        raise UsageError("I could not read that command: a quote is not closed.") from None


def words_as_typed(text: str) -> list[str]:
    """The command text's words split on white space only, links unwrapped (free text such as a question)."""
    if len(text or "") > MAX_TEXT:
        raise UsageError(f"That command is too long (over {MAX_TEXT} characters).")
    return unwrap_links(text).split()


def split_share(words: list[str]) -> tuple[list[str], bool]:
    """The words without the share flags, and whether one was there."""
    share = any(w.lower() in SHARE_WORDS for w in words)
    return [w for w in words if w.lower() not in SHARE_WORDS], share


# --- argument parsers -------------------------------------------------------------------------------------


def no_arguments(name: str, rest: list[str], share: bool) -> Command:
    if rest:
        raise UsageError(f"`{name}` takes no arguments (got `{' '.join(rest)[:60]}`).")
    return Command(name, share=share)


def ignore_arguments(name: str, rest: list[str], share: bool) -> Command:
    return Command(name)


def optional_conversation(name: str, rest: list[str], share: bool) -> Command:
    """`[conversation-id]`: absent means the thread's or the channel's latest conversation."""
    if len(rest) > 1:
        raise UsageError(f"Too many arguments: `{' '.join(rest)[:60]}`.")
    return Command(name, conversation_id=rest[0] if rest else None, share=share)


def one_conversation(name: str, rest: list[str], share: bool) -> Command:
    """`<conversation-id>`, required (for commands that change or delete something)."""
    if len(rest) != 1:
        raise UsageError(f"Say which conversation to {name}.")
    return Command(name, conversation_id=rest[0])


def search_words(name: str, rest: list[str], share: bool) -> Command:
    if not rest:
        raise UsageError("Search for what?")
    return Command(name, words=" ".join(rest), share=share)


def transcript_arguments(name: str, rest: list[str], share: bool) -> Command:
    """`[conversation-id] [txt|srt|vtt|md]`, in either order (`.srt` works too)."""
    formats = [w.lower().lstrip(".") for w in rest if w.lower().lstrip(".") in TRANSCRIPT_FORMATS]
    if len(formats) > 1:
        raise UsageError("Choose one format.")
    others = [w for w in rest if w.lower().lstrip(".") not in TRANSCRIPT_FORMATS]
    cmd = optional_conversation(name, others, share)
    return Command(
        name, conversation_id=cmd.conversation_id, share=share, fmt=formats[0] if formats else "txt"
    )


def append_arguments(name: str, rest: list[str], share: bool) -> Command:
    """`<url> [to <conversation-id>]`."""
    if not rest:
        raise UsageError("Append which recording? Give its link.")
    url, rest = rest[0], rest[1:]
    if not re.match(r"https?://", url, re.IGNORECASE):
        raise UsageError(f"`{url[:60]}` is not an http(s) link.")
    conversation_id = None
    if rest:
        if len(rest) != 2 or rest[0].lower() != "to":
            raise UsageError("After the link, only `to <conversation-id>` may follow.")
        conversation_id = rest[1]
    return Command(name, url=url, conversation_id=conversation_id, share=share)


def question_words(name: str, rest: list[str], share: bool) -> Command:
    """`<question>`: the words as typed (`ask` answers from them)."""
    if not rest:
        raise UsageError("Ask what? For example `/symbl ask who owns the release notes?`")
    return Command(name, words=" ".join(rest), share=share)
