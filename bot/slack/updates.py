"""Keeping a posted summary current: appends, "Mark done", "Fix speakers" and `forget` edit it in place.

Choice: a summary is **edited in place** (`chat.update`), never re-posted. The thread keeps one summary, links
to it stay valid, and an edit is naturally repeatable: the pipeline may run the step again after a crash and
the message ends the same. Only when a new version needs more messages than the old one are the extra parts
posted — with the base recording's metadata, so a repeat finds them (as the pipeline does for first posts).

An appended recording runs the pipeline's own state machine (queued → … → completed → posted); its last step
is `post_appended` instead of a new post. Renders of one conversation are serialised in this process so a
button click and an append finishing together cannot leave the older render on top.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.errors import BotError
from bot.slack import thread
from bot.slack.render.summary import SlackMessage, render_summary, summary_metadata
from bot.slack.services import Services
from storage import Recording, action_items, speaker_names, summary_parts
from storage import conversations as convs
from storage import recordings as repo
from storage.speaker_names import SpeakerName

log = logging.getLogger(__name__)
_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_locks_guard = threading.Lock()


def _lock(conversation_id: str) -> threading.Lock:
    with _locks_guard:
        return _locks[conversation_id]


def summary_title(services: Services, base: Recording) -> str:
    """The base recording's name, plus the names of the recordings appended to it."""
    names = [base.name or "recording"]
    for rec in convs.recordings_of(services.store, base.conversation_id or ""):
        if rec.append_to and rec.state in ("completed", "posted") and rec.name:
            names.append(rec.name)
    return " + ".join(names)


def owners_of(
    services: Services, team_id: str, insights: dict[str, Any], conversation_id: str = ""
) -> dict[str, str]:
    """Action item key → the owner's Slack user: the one people named the owner's speaker as ("Fix
    speakers"), else the one member the owner's name or email matches."""
    items = insights.get("actionItems") or []
    if not items:
        return {}
    named = speaker_names.of(services.store, conversation_id) if conversation_id else {}
    client = services.slack_for(team_id)
    found = {}
    for item in items:
        person = item.get("assignee") or item.get("from")
        user = named_user(named, person) or services.directory.slack_user_for(client, team_id, person)
        if user:
            found[action_items.item_key(item)] = user
    return found


def named_user(named: dict[str, SpeakerName], person: Any) -> str | None:
    """The Slack user a person record was named as: by its member id, else (a host that copies the new name
    but not the id into insights) by the name it was given, when that name is one user's."""
    if not isinstance(person, dict) or not named:
        return None
    by_id = named.get(str(person.get("id") or ""))
    if by_id:
        return by_id.user_id
    name = " ".join(str(person.get("name") or "").split()).lower()
    users = {n.user_id for n in named.values() if " ".join(n.name.split()).lower() == name}
    return users.pop() if name and len(users) == 1 else None


def summary_messages(
    services: Services, base: Recording, insights: dict[str, Any], done: dict[str, str] | None = None
) -> list[SlackMessage]:
    """The summary's messages; `done` (item key → who marked it done) is read from the store unless given."""
    conversation_id = base.conversation_id or ""
    return render_summary(
        insights,
        title=summary_title(services, base),
        recording_id=base.id,
        conversation_id=conversation_id,
        done=action_items.done_in(services.store, conversation_id) if done is None else done,
        owners=owners_of(services, base.team_id, insights, conversation_id),
    )


def refresh_summary(services: Services, base: Recording) -> None:
    """Render the conversation's summary again and edit the posted message(s) to match."""
    if not base.summary_ts or not base.conversation_id:
        return
    with _lock(base.conversation_id):
        insights = repo.insights_for(services.store, base.conversation_id)
        if insights is None:
            return
        messages = summary_messages(services, base, insights)
        client = services.slack_for(base.team_id)
        parts = posted_parts(services, client, base)
        for number, message in enumerate(messages, start=1):
            if number in parts:
                client.chat_update(
                    channel=base.channel_id, ts=parts[number], text=message.text, blocks=message.blocks
                )
            else:
                response = client.chat_postMessage(
                    channel=base.channel_id,
                    thread_ts=base.thread_ts,
                    text=message.text,
                    blocks=message.blocks,
                    metadata=summary_metadata(base.id, number, len(messages)),
                    unfurl_links=False,
                    unfurl_media=False,
                )
                summary_parts.remember(services.store, base.id, {number: response["ts"]})
        for number, ts in sorted(parts.items()):
            if number > len(messages):
                _remove_part(client, base, ts)
        summary_parts.forget_after(services.store, base.id, len(messages))


def posted_parts(services: Services, client: Any, base: Recording) -> dict[int, str]:
    """Part number → ts of the posted summary, from the database; a summary posted before parts were stored
    is looked up in its thread once (conversations.replies) and remembered."""
    parts = summary_parts.of(services.store, base.id)
    if not parts:
        parts = thread.find_posted_parts(client, base)
        parts[1] = base.summary_ts or parts.get(1, "")
        summary_parts.remember(services.store, base.id, parts)
    return parts


def _remove_part(client: Any, base: Recording, ts: str) -> None:
    """A part the summary no longer needs (it shrank, e.g. after "Mark done"): deleted, or emptied if Slack
    will not delete it."""
    try:
        client.chat_delete(channel=base.channel_id, ts=ts)
    except SlackApiError as err:
        log.info(
            "summary part %s of recording %s: delete refused (%s); emptying it",
            ts,
            base.id,
            err.response.get("error"),
        )
        moved = "(This part of the summary moved up.)"
        client.chat_update(channel=base.channel_id, ts=ts, text=moved, blocks=[])


def post_appended(services: Services, rec: Recording) -> None:
    """The last step of an appended recording: the conversation's summary is edited to cover it."""
    base = convs.base_recording(services.store, rec.append_to or "")
    if base is None or not base.summary_ts:
        # The conversation has no summary to edit (forgotten, or never posted): a permanent error, which the
        # pipeline's step reports in the thread and records on the row.
        raise BotError("the conversation it was added to has no summary any more.")
    refresh_summary(services, base)
    repo.mark_posted(services.store, rec.id, base.summary_ts)
    thread.set_stage(services, rec.id, "appended")


def remove_summary(services: Services, base: Recording, user_id: str) -> None:
    """After `forget`: the summary message says it was removed (its contents are gone from the database)."""
    if not base.summary_ts:
        return
    text = f":wastebasket: This summary was deleted by <@{user_id}> with `/symbl forget`."
    services.slack_for(base.team_id).chat_update(
        channel=base.channel_id, ts=base.summary_ts, text=text, blocks=[]
    )
