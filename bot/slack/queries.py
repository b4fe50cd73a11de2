"""What `/symbl` and `@symbl` commands, the action-item buttons, the App Home tab and the message shortcut do.

Plain functions over `Services`; the Slack listeners in `handlers/` only parse and deliver, and
`bot.slack.commands.registry` maps each subcommand to its handler here. Every answer that touches a
conversation first checks that the asking user is a member of the conversation's channel (`bot.slack.authz`).
A conversation the user may not see is answered exactly like one that does not exist, so ids from private
channels leak nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError

from bot.errors import NotFound, Refused
from bot.slack import intake, replies, updates
from bot.slack.commands.grammar import Command
from bot.slack.enrichment import object_field, text_field
from bot.slack.render import transcripts
from bot.slack.render.summary import escape
from bot.slack.replies import Reply, answer, plain
from bot.slack.services import Services
from storage import Recording, action_items
from storage import conversations as convs
from storage import recordings as repo
from storage import search as fts
from storage.conversations import SummarizedConversation

log = logging.getLogger(__name__)
REMIND_HOUR = 9  # reminders go out at 09:00 in the user's time zone
LIST_LIMIT = 10
MAX_SCHEDULE_DAYS = 120  # chat.scheduleMessage's horizon


@dataclass(frozen=True)
class Invocation:
    team_id: str
    user_id: str
    channel_id: str
    thread_ts: str | None = None  # a mention inside a thread: commands mean that thread's conversation
    key: str = ""  # unique per invocation (trigger id, mention ts): the dedupe key of an append it starts
    trigger_id: str = ""  # a button click's: what views.open needs to open a modal (valid for 3 s)


def _client(services: Services, inv: Invocation) -> Any:
    return services.slack_for(inv.team_id)


def can_read(services: Services, inv: Invocation, channel_id: str) -> bool:
    return services.directory.can_read(_client(services, inv), inv.team_id, inv.user_id, channel_id)


def _unknown(conversation_id: str) -> Refused:
    return Refused(
        f"I don't know a conversation `{escape(conversation_id[:80])}` that you can see. "
        "`/symbl list` shows this channel's conversations and their ids."
    )


def _check_share(inv: Invocation, channel_id: str, share: bool) -> None:
    """A shared answer goes only to the conversation's own channel: a member of a private channel must not
    post its conversation into another channel (shown to the asker alone, it reveals nothing new)."""
    if share and channel_id != inv.channel_id:
        raise Refused("That conversation belongs to another channel, so I can only show it to you here: "
                      "ask again without `public`/`--share`, or share it in its own channel.")  # fmt: skip


def resolve(
    services: Services, inv: Invocation, conversation_id: str | None, *, share: bool = False
) -> SummarizedConversation:
    """The conversation a command means: the id given, else the thread's, else the channel's latest.

    With `share`, a conversation of another channel is refused (see `_check_share`)."""
    if conversation_id:
        conv = convs.get(services.store, inv.team_id, conversation_id)
        if conv is None or not can_read(services, inv, conv.channel_id):
            raise _unknown(conversation_id)
        _check_share(inv, conv.channel_id, share)
        return conv
    conv = None
    if inv.thread_ts:
        conv = convs.in_thread(services.store, inv.team_id, inv.channel_id, inv.thread_ts)
    if conv is None:
        conv = convs.latest_in_channel(services.store, inv.team_id, inv.channel_id)
    if conv is None or not can_read(services, inv, conv.channel_id):
        raise Refused("There is no summarized conversation in this channel yet. Drop a recording here first.")
    return conv


def header(conv: SummarizedConversation, what: str) -> str:
    return f"{what} — {escape(conv.title)}"


def topics(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conv = resolve(services, inv, cmd.conversation_id, share=cmd.share)
    return answer(header(conv, "Topics"), replies.topic_lines(conv.insights), share=cmd.share)


def actions(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conv = resolve(services, inv, cmd.conversation_id, share=cmd.share)
    items = [i for i in conv.insights.get("actionItems") or [] if str(i.get("text", "")).strip()]
    done = action_items.done_in(services.store, conv.conversation_id)
    keys = [action_items.item_key(i) for i in items]
    return answer(
        header(conv, "Action items"), replies.item_lines(items, done=done, keys=keys), share=cmd.share
    )


def questions(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conv = resolve(services, inv, cmd.conversation_id, share=cmd.share)
    lines = replies.item_lines(conv.insights.get("questions") or [], with_owner=False)
    return answer(header(conv, "Questions"), lines, share=cmd.share)


def followups(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conv = resolve(services, inv, cmd.conversation_id, share=cmd.share)
    return answer(
        header(conv, "Follow-ups"), replies.item_lines(conv.insights.get("followUps") or []), share=cmd.share
    )


def decisions(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conv = resolve(services, inv, cmd.conversation_id, share=cmd.share)
    lines = replies.item_lines(conv.insights.get("decisions") or [], with_owner=False)
    return answer(header(conv, "Decisions"), lines, share=cmd.share)


def members(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conv = resolve(services, inv, cmd.conversation_id, share=cmd.share)
    client = _client(services, inv)
    users = {}
    for person in conv.insights.get("members") or []:
        user = services.directory.slack_user_for(client, inv.team_id, person)
        if user and person.get("name"):
            users[str(person["name"])] = user
    return answer(header(conv, "Members"), replies.member_lines(conv.insights, users), share=cmd.share)


def sentiment(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conv = resolve(services, inv, cmd.conversation_id, share=cmd.share)
    return answer(header(conv, "Sentiment"), replies.sentiment_lines(conv.insights), share=cmd.share)


def status(services: Services, inv: Invocation, cmd: Command) -> Reply:
    recs = _status_recordings(services, inv, cmd.conversation_id)
    _check_share(inv, recs[0].channel_id, cmd.share)
    lines = [replies.status_line(r.name, r.state, r.status_stage, r.error, bool(r.append_to)) for r in recs]
    conversation_id = recs[0].conversation_id or recs[0].append_to
    title = "Status" + (f" of `{escape(conversation_id)}`" if conversation_id else "")
    return answer(title, lines, share=cmd.share)


def _status_recordings(services: Services, inv: Invocation, conversation_id: str | None) -> list[Recording]:
    if conversation_id:
        recs = convs.recordings_of(services.store, conversation_id)
        recs = [r for r in recs if r.team_id == inv.team_id]
        if not recs or not can_read(services, inv, recs[0].channel_id):
            raise _unknown(conversation_id)
        return recs
    latest = None
    if inv.thread_ts:
        conv = convs.in_thread(services.store, inv.team_id, inv.channel_id, inv.thread_ts)
        latest = conv.base if conv else None
    latest = latest or convs.latest_recording_in_channel(services.store, inv.team_id, inv.channel_id)
    if latest is None or not can_read(services, inv, latest.channel_id):
        raise Refused("No recording has been posted in this channel yet.")
    if latest.append_to or latest.conversation_id:
        return convs.recordings_of(services.store, latest.append_to or latest.conversation_id or "")
    return [latest]


def permalink(services: Services, team_id: str, channel_id: str, ts: str | None) -> str | None:
    """The message's link, or None (the caller shows plain text) when Slack does not give one."""
    if not ts:
        return None
    client = services.slack_for(team_id)
    return services.directory.enrichments.ask(
        "chat.getPermalink",
        lambda: text_field(client.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"]),
        None,
    )


def list_conversations(services: Services, inv: Invocation, cmd: Command) -> Reply:
    if not can_read(services, inv, inv.channel_id):
        raise Refused("I can only list conversations of channels you are a member of.")
    recent = convs.recent_in_channels(services.store, inv.team_id, [inv.channel_id], LIST_LIMIT)
    lines = []
    for conv in recent:
        url = permalink(services, inv.team_id, conv.channel_id, conv.summary_ts)
        n = len(conv.insights.get("actionItems") or [])
        lines.append(
            f"• {replies.link(url, conv.title)} · {replies.when(conv.base.created_at)} · "
            f"{n} action item{'s' if n != 1 else ''} · id `{escape(conv.conversation_id)}`"
        )
    return answer(
        "Recent conversations in this channel",
        lines,
        share=cmd.share,
        empty="_No summarized conversations here yet._",
    )


def search(services: Services, inv: Invocation, cmd: Command) -> Reply:
    channels = sorted(services.directory.channels_of(_client(services, inv), inv.team_id, inv.user_id))
    if cmd.share:  # shared results come from this channel only: others' snippets stay with the asker
        channels = [c for c in channels if c == inv.channel_id]
    hits = fts.search(services.store, inv.team_id, channels, cmd.words)
    lines = []
    for hit in hits:
        conv = convs.get(services.store, inv.team_id, hit.conversation_id)
        url = permalink(services, inv.team_id, hit.channel_id, conv.summary_ts if conv else None)
        lines.append(replies.search_line(hit.title or "recording", url, hit.channel_id, hit.snippet))
    return answer(
        "Search results", lines, share=cmd.share, empty="_No conversation in your channels mentions that._"
    )


def transcript(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conv = resolve(services, inv, cmd.conversation_id, share=cmd.share)
    messages = conv.insights.get("messages") or []
    if not messages:
        raise Refused(f"*{escape(conv.title)}* has no transcript.")
    content = transcripts.render(messages, cmd.fmt, title=conv.title)
    stem = PurePosixPath(conv.title).stem or "transcript"
    filename = f"{stem}-transcript.{cmd.fmt}"
    client = _client(services, inv)
    if cmd.share:
        channel = inv.channel_id if inv.thread_ts else conv.channel_id
        thread = inv.thread_ts or conv.base.thread_ts
        where = "in the summary's thread" if not inv.thread_ts else "in this thread"
    else:  # files cannot be ephemeral: a private copy goes to the user's DM with the app
        channel = client.conversations_open(users=inv.user_id)["channel"]["id"]
        thread, where = None, "to you in a direct message"
    client.files_upload_v2(
        channel=channel,
        thread_ts=thread,
        content=content,
        filename=filename,
        title=f"Transcript of {conv.title}",
    )
    return Reply(
        text=f":page_facing_up: Sent the transcript of *{escape(conv.title)}* ({cmd.fmt}) {where}.",
        share=False,
    )


def append(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conv = resolve(services, inv, cmd.conversation_id, share=cmd.share)
    base = conv.base
    if not base.summary_ts:
        raise Refused(f"*{escape(conv.title)}* is still being summarized; append once its summary is posted.")
    url = cmd.url or ""
    name = PurePosixPath(urlsplit(url).path).name or urlsplit(url).hostname
    rec, created = repo.record(
        services.store,
        team_id=base.team_id,
        channel_id=base.channel_id,
        source=url,
        message_ts=f"append:{inv.key}",
        thread_ts=base.thread_ts,
        user_id=inv.user_id,
        kind="url",
        name=name,
        download_url=url,
        append_to=conv.conversation_id,
    )
    if created:
        services.wake()
    return Reply(
        text=f":heavy_plus_sign: Adding *{escape(rec.name or url)}* to *{escape(conv.title)}* "
        f"(`{escape(conv.conversation_id)}`); its summary will be updated in place.",
        share=cmd.share,
    )


def forget(services: Services, inv: Invocation, cmd: Command) -> Reply:
    conv = resolve(services, inv, cmd.conversation_id, share=cmd.share)
    client = _client(services, inv)
    if inv.user_id != conv.base.user_id and not services.directory.is_admin(client, inv.team_id, inv.user_id):
        raise Refused("Only the person who uploaded the recording or a workspace admin can forget it.")
    try:
        services.provider.delete_conversation(conv.conversation_id)
    except NotFound:
        pass  # the engine had already dropped it
    convs.forget(services.store, conv.conversation_id)
    try:
        updates.remove_summary(services, conv.base, inv.user_id)
    except SlackApiError as err:
        log.warning("forget %s: summary not edited: %s", conv.conversation_id, err.response.get("error"))
    return plain(
        f":wastebasket: Forgot *{escape(conv.title)}* (`{escape(conv.conversation_id)}`): deleted its "
        "transcript, insights, search entry and action-item state here, and its data in the engine."
    )


# --- buttons, App Home, shortcut ----------------------------------------------------------------------------


def _item(
    services: Services, inv: Invocation, conversation_id: str, key: str
) -> tuple[SummarizedConversation, dict]:
    conv = resolve(services, inv, conversation_id)
    item = action_items.find(conv.insights, key)
    if item is None:
        raise Refused("That action item is no longer in the summary.")
    return conv, item


def mark_done(services: Services, inv: Invocation, conversation_id: str, key: str) -> str | None:
    """Record the item as done and edit the summary for everyone (the answer); a second click changes
    nothing."""
    conv, _ = _item(services, inv, conversation_id, key)
    if not action_items.mark_done(services.store, conv.conversation_id, key, inv.user_id):
        return ":white_check_mark: That action item is already marked done."
    updates.refresh_summary(services, conv.base)
    return None


def reminder_time(due_by: Any, tz_offset: int, now: float) -> float:
    """09:00 in the user's time zone on the due date, or the next morning when there is none (or it
    passed)."""
    zone = timezone(timedelta(seconds=tz_offset))
    local_now = datetime.fromtimestamp(now, zone)
    due = None
    if isinstance(due_by, str) and due_by:
        try:
            due = datetime.fromisoformat(due_by).date()
        except ValueError:
            due = None
    if due is not None:
        at = datetime(due.year, due.month, due.day, REMIND_HOUR, tzinfo=zone)
        if at.timestamp() > now + 60:
            return at.timestamp()
    tomorrow = local_now.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, REMIND_HOUR, tzinfo=zone).timestamp()


def remind(
    services: Services, inv: Invocation, conversation_id: str, key: str, now: float | None = None
) -> str:
    """Schedule a DM to the clicker (chat.scheduleMessage) at the item's due date or the next morning."""
    conv, item = _item(services, inv, conversation_id, key)
    client = _client(services, inv)
    tz_offset = services.directory.enrichments.ask(  # unknown: UTC
        "users.info",
        lambda: int(object_field(client.users_info(user=inv.user_id)["user"]).get("tz_offset") or 0),
        0,
    )
    now = time.time() if now is None else now
    at = reminder_time(item.get("dueBy"), tz_offset, now)
    # chat.scheduleMessage refuses dates past 120 days (`time_too_far`): remind at the latest Slack allows.
    latest = now + MAX_SCHEDULE_DAYS * 86400 - 3600
    too_far = at > latest
    at = min(at, latest)
    dm = client.conversations_open(users=inv.user_id)["channel"]["id"]
    url = permalink(services, inv.team_id, conv.channel_id, conv.summary_ts)
    text = (
        f":alarm_clock: Reminder: {escape(str(item.get('text', '')))} — from {replies.link(url, conv.title)}"
    )
    client.chat_scheduleMessage(channel=dm, post_at=int(at), text=text, unfurl_links=False)
    local = datetime.fromtimestamp(at, timezone(timedelta(seconds=tz_offset)))
    answer = f":alarm_clock: I'll remind you on {local:%a %-d %b at %H:%M} (your time) in a direct message."
    if too_far:
        answer += f" (It is due later, but Slack schedules messages at most {MAX_SCHEDULE_DAYS} days ahead.)"
    return answer


def home_view(services: Services, team_id: str, user_id: str) -> dict[str, Any]:
    client = services.slack_for(team_id)
    channels = sorted(services.directory.channels_of(client, team_id, user_id))
    entries = []
    for conv in convs.recent_in_channels(services.store, team_id, channels, LIST_LIMIT):
        done = action_items.done_in(services.store, conv.conversation_id)
        owners = updates.owners_of(services, team_id, conv.insights, conv.conversation_id)
        items = []
        for item in conv.insights.get("actionItems") or []:
            key = action_items.item_key(item)
            if key not in done and str(item.get("text", "")).strip():
                items.append((replies.item_lines([item])[0], owners.get(key) == user_id))
        entries.append(
            {
                "title": conv.title,
                "channel_id": conv.channel_id,
                "conversation_id": conv.conversation_id,
                "date": conv.base.created_at,
                "items": items,
                "url": permalink(services, team_id, conv.channel_id, conv.summary_ts),
            }
        )
    return replies.home_view(entries)


def summarize_message(services: Services, inv: Invocation, message: dict[str, Any]) -> str:
    """The message shortcut: summarize the recordings a message carries (it may predate the bot)."""
    client = _client(services, inv)
    files = [f for f in message.get("files") or [] if intake.is_media_file(f)]
    for stub in [f for f in message.get("files") or [] if intake.is_file_stub(f)]:
        file = client.files_info(file=stub["id"])["file"]  # a Slack Connect stub: files.info knows the rest
        if intake.is_media_file(file):
            files.append(file)
    links, _left_out = intake.capped_links(services.settings, message.get("text"))
    if not files and not links:
        return "I found no recording in that message: an audio or video file, or a link to one."
    if not _bot_is_member(services, client, inv.channel_id):
        return (
            "I'm not in this channel, so I could not post the summary here: invite me with "
            "`/invite @symbl`, then try the shortcut again."
        )
    common = {
        "team_id": inv.team_id,
        "channel_id": inv.channel_id,
        "message_ts": message["ts"],
        "thread_ts": message.get("thread_ts"),
        "user_id": message.get("user") or inv.user_id,
    }
    results = [intake.record_file(services, file=f, **common) for f in files]
    results += [intake.record_link(services, url=u, **common) for u in links]
    names = ", ".join(f"*{escape(r.name or r.source)}*" for r, _ in results)
    if any(created for _, created in results):
        services.wake()
        return (
            f":hourglass_flowing_sand: Summarizing {names}; the summary will appear in the message's thread."
        )
    return f"{names}: already summarized or in progress — see the message's thread."


def _bot_is_member(services: Services, client: Any, channel_id: str) -> bool:
    """Whether the bot can post in the channel; direct messages, and any answer but a clear no, count as yes
    (the post itself then fails and says why)."""
    if not channel_id.startswith(("C", "G")):
        return True
    return services.directory.enrichments.ask(
        "conversations.info",
        lambda: (
            object_field(client.conversations_info(channel=channel_id)["channel"]).get("is_member")
            is not False
        ),
        True,
    )
