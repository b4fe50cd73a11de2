""" "Fix speakers" (issue 25): people in the channel say which Slack user each speaker of a note is.

Three steps, each its own entry point for a thin listener (handlers/actions.py, handlers/views.py):

1. `open_editor`: the note's button opens a modal (views.open, within the click's 3-second trigger) listing
   the conversation's speakers from the cached insights — the provider's members and messages, as fetched
   when the note was made — so no provider call stands between the click and the trigger's expiry.
2. `check`: the modal's submission, before its ack. The submitter must be able to read the conversation's
   channel in the workspace the signed payload names (`private_metadata` only says which conversation, and
   is not trusted for more); a refusal replaces the modal's content, so nothing changes and they see why.
3. `apply`, after the ack: for each changed speaker the Slack user's real name (users.info, optional: a
   failure falls back to their handle), `PUT …/members/{id}` at the provider, the mapping stored
   (storage.speaker_names), a line in the thread; then the insights are fetched again and the note is
   edited in place (bot.slack.updates). Failures are told to the submitter ephemerally in the thread.

Clearing a picker does not un-name a speaker: the provider has no "unknown" to go back to.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import BotError, NotFound, ProviderError, Refused
from bot.slack import errors as slack_errors
from bot.slack import queries, updates
from bot.slack.authz import profile_of
from bot.slack.enrichment import object_field, text_field
from bot.slack.render import speakers as wording
from bot.slack.render.speakers import Speaker
from bot.slack.services import Services
from storage import recordings as repo
from storage import speaker_names
from storage.conversations import SummarizedConversation
from storage.speaker_names import SpeakerName

log = logging.getLogger(__name__)


# --- who the speakers are ----------------------------------------------------------------------------------


def speakers_of(insights: dict[str, Any], named: dict[str, SpeakerName]) -> list[Speaker]:
    """Every speaker with a member id, in the order they appear: the members list, then anyone who only
    appears as a message's speaker; each with the start of their longest message."""
    names: dict[str, str] = {}
    longest: dict[str, str] = {}
    said: dict[str, int] = {}  # characters spoken: who "said the most" when the modal cannot list everyone
    people = [m for m in insights.get("members") or [] if isinstance(m, dict)]
    for message in insights.get("messages") or []:
        person = message.get("from") if isinstance(message, dict) else None
        if isinstance(person, dict):
            people.append(person)
            text = str(message.get("text") or "")
            member = str(person.get("id") or "")
            said[member] = said.get(member, 0) + len(text)
            if len(text) > len(longest.get(member, "")):
                longest[member] = text
    for person in people:
        member = str(person.get("id") or "")
        if wording.listable(member):
            names.setdefault(member, str(person.get("name") or person.get("email") or member))
    return [
        Speaker(
            m,
            name,
            wording.quote_of(longest.get(m, "")),
            named[m].user_id if m in named else None,
            said.get(m, 0),
        )
        for m, name in names.items()
    ]


def shown(speakers: list[Speaker]) -> list[Speaker]:
    """The ones the modal lists: those who said the most, in the conversation's order."""
    if len(speakers) <= wording.MAX_MODAL_SPEAKERS:
        return speakers
    keep = set(sorted(speakers, key=lambda s: s.said, reverse=True)[: wording.MAX_MODAL_SPEAKERS])
    return [s for s in speakers if s in keep]


def open_editor(services: Services, inv: queries.Invocation, conversation_id: str) -> str | None:
    """Open the modal for the clicker; an answer for them instead when there is nothing to edit.

    Refused (from `queries.resolve`) when they cannot read the conversation's channel."""
    conv = queries.resolve(services, inv, conversation_id)
    named = speaker_names.of(services.store, conv.conversation_id)
    speakers = speakers_of(conv.insights, named)
    if not speakers:
        return wording.NO_SPEAKERS
    view = wording.editor_view(conv.title, conv.conversation_id, shown(speakers), len(speakers))
    services.slack_for(inv.team_id).views_open(trigger_id=inv.trigger_id, view=view)
    return None


# --- the submission --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A `view_submission` of the modal, as far as the feature reads it."""

    team_id: str
    user_id: str
    conversation_id: str  # from private_metadata: re-checked before use
    picks: dict[str, str | None] = field(default_factory=dict)  # member id → the Slack user picked
    me: str | None = None  # the member id "That's me" names

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Submission:
        view = body.get("view") or {}
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            metadata = {}
        values = (view.get("state") or {}).get("values") or {}
        picks = {
            block[len(wording.SPEAKER_BLOCK) :]: (state.get(wording.PICK_ACTION) or {}).get("selected_user")
            for block, state in values.items()
            if block.startswith(wording.SPEAKER_BLOCK)
        }
        me = ((values.get(wording.ME_BLOCK) or {}).get(wording.ME_ACTION) or {}).get("selected_option")
        return cls(
            team_id=str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""),
            user_id=str((body.get("user") or {}).get("id") or ""),
            conversation_id=str(metadata.get("c") or "") if isinstance(metadata, dict) else "",
            picks=picks,
            me=str(me["value"]) if isinstance(me, dict) and me.get("value") else None,
        )

    def wanted(self) -> dict[str, str]:
        """member id → the Slack user the submitter wants them to be."""
        wanted = {member: user for member, user in self.picks.items() if user}
        if self.me:
            wanted[self.me] = self.user_id
        return wanted


def _invocation(sub: Submission, channel_id: str = "") -> queries.Invocation:
    return queries.Invocation(team_id=sub.team_id, user_id=sub.user_id, channel_id=channel_id)


def check(services: Services, sub: Submission) -> dict[str, Any] | None:
    """None when the submission may go ahead; otherwise the ack that refuses it (`response_action`)."""
    try:
        conv = queries.resolve(services, _invocation(sub), sub.conversation_id)
    except Refused:
        return {
            "response_action": "update",
            "view": wording.notice_view(wording.not_allowed(sub.conversation_id)),
        }
    members = {s.member_id for s in speakers_of(conv.insights, {})}
    if not set(sub.picks) | ({sub.me} if sub.me else set()) <= members:
        return {"response_action": "update", "view": wording.notice_view(wording.STALE)}
    if sub.me and sub.picks.get(sub.me) not in (None, sub.user_id):
        return {"response_action": "errors", "errors": {wording.SPEAKER_BLOCK + sub.me: wording.ME_CONFLICT}}
    return None


def trouble() -> dict[str, Any]:
    """The ack when checking the submission itself failed."""
    return {"response_action": "update", "view": wording.notice_view(wording.TROUBLE)}


def apply(services: Services, sub: Submission) -> None:
    """Rename the changed speakers at the provider, record them, edit the note, then log each change in the
    thread (so whoever reads the line finds the note already current); failures are told to the submitter.
    Runs after the ack, on `services.interactive`."""
    client = services.slack_for(sub.team_id)
    try:  # again: the ack was a while ago
        conv = queries.resolve(services, _invocation(sub), sub.conversation_id)
    except Refused:
        log.info("fix speakers: %s lost access to %s before it was applied", sub.user_id, sub.conversation_id)
        return
    lines: list[str] = []  # one per speaker renamed at the provider, even if a later one fails
    failure = _attempt(conv, lambda: _rename(services, client, conv, sub, lines))
    if lines or failure is None:  # nothing renamed and a failure: the note has nothing new to show
        failure = _attempt(conv, lambda: _refresh(services, conv)) or failure
    for line in lines:
        failure = _attempt(conv, partial(_post, client, conv, line)) or failure
    if failure:
        _tell(client, conv, sub, failure)


def _attempt(conv: SummarizedConversation, step: Callable[[], str | None]) -> str | None:
    """`step()`: None, or what to tell the submitter (what it returned, or why it failed)."""
    try:
        return step()
    except BotError as err:
        return err.user_message
    except SlackApiError as err:
        return f":warning: {slack_errors.classify(err).user_message}"
    except Exception:
        log.exception("fix speakers failed for conversation %s", conv.conversation_id)
        return wording.TROUBLE


def _rename(
    services: Services, client: WebClient, conv: SummarizedConversation, sub: Submission, lines: list[str]
) -> None:
    named = speaker_names.of(services.store, conv.conversation_id)
    current = {s.member_id: s for s in speakers_of(conv.insights, named)}
    for member, user in sub.wanted().items():
        if member not in current or current[member].user_id == user:
            continue
        name, email = _identity(services, client, sub.team_id, user)
        old_name = current[member].name
        try:
            services.provider.put_member(conv.conversation_id, member, name, email)
        except NotFound as err:
            reason = wording.cannot_rename(err.detail or str(err))
            raise Refused(wording.rename_failed(old_name, reason)) from err
        except ProviderError as err:
            raise Refused(wording.rename_failed(old_name, _provider_reason(err))) from err
        named_now = SpeakerName(member, user, name)
        speaker_names.remember(services.store, conv.conversation_id, named_now, sub.user_id)
        lines.append(wording.named_line(sub.user_id, old_name, user))


def _provider_reason(err: ProviderError) -> str:
    if err.transient:
        return "the speech service is not answering right now; please try again in a minute."
    return err.user_message


def _refresh(services: Services, conv: SummarizedConversation) -> str | None:
    """The provider's insights again (the names changed there), then the note edited in place. The note is
    edited even when the fetch fails (the owners' mentions come from the stored names); then the answer
    says the names in it are not current yet."""
    stale = None
    try:
        insights = services.provider.fetch_insights(conv.conversation_id)
        repo.replace_insights(services.store, conv.conversation_id, insights)
    except ProviderError as err:
        log.warning("fix speakers: insights of %s not refreshed: %s", conv.conversation_id, err)
        stale = wording.renamed_but_stale(_provider_reason(err))
    updates.refresh_summary(services, conv.base)
    return stale


def _post(client: WebClient, conv: SummarizedConversation, line: str) -> None:
    client.chat_postMessage(
        channel=conv.channel_id, thread_ts=conv.base.thread_ts, text=line, unfurl_links=False
    )


def _identity(services: Services, client: WebClient, team_id: str, user_id: str) -> tuple[str, str | None]:
    """The user's real name and e-mail (users.info), or their handle and no e-mail when Slack cannot say."""

    def lookup() -> tuple[str, str | None] | None:
        user = object_field(client.users_info(user=user_id)["user"])
        profile = profile_of(user)
        name = profile.get("real_name") or user.get("real_name") or profile.get("display_name")
        name = text_field(name or user.get("name") or "").strip()
        email = profile.get("email")
        return (name, email if isinstance(email, str) and email else None) if name else None

    found = services.directory.enrichments.ask("users.info", lookup, None)
    return found or (_handle(services, client, team_id, user_id), None)


def _handle(services: Services, client: WebClient, team_id: str, user_id: str) -> str:
    """The user's handle from the cached user list, else their id: something to call the speaker by."""
    for user in services.directory.users(client, team_id):
        if user.get("id") == user_id and isinstance(user.get("name"), str) and user["name"]:
            return str(user["name"])
    return user_id


def _tell(client: WebClient, conv: SummarizedConversation, sub: Submission, text: str) -> None:
    try:
        client.chat_postEphemeral(
            channel=conv.channel_id, user=sub.user_id, thread_ts=conv.base.thread_ts, text=text
        )
    except SlackApiError as err:
        log.warning("fix speakers: could not tell %s (%s): %s", sub.user_id, err.response.get("error"), text)
