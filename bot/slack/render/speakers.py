""" "Fix speakers": the modal that asks who each speaker is, and every sentence the feature says. Pure.

The modal (https://docs.slack.dev/surfaces/modals) has one `input` block per speaker: its label is the
speaker's name, its hint a quote of what they said, its element a `users_select` prefilled with whoever
they were named as before. "That's me" is one more input, a `static_select` of the speakers: one person is
one speaker, so one choice, and a submitter need not find themselves in a user list. At most
`MAX_MODAL_SPEAKERS` speakers are listed (the ones who said the most) and the modal says when there are more:
a modal holds 100 blocks, and a longer list is no help to anyone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.slack.render.summary import _clip, _section, escape

VIEW_CALLBACK = "fix_speakers_modal"
MAX_MODAL_SPEAKERS = 20
MAX_QUOTE_CHARS = 80
MAX_LABEL_CHARS = 150  # input labels may hold 2000; a name longer than this is noise
MAX_OPTION_CHARS = 75  # a select option's text (Slack's limit)
MAX_VALUE_CHARS = 150  # a select option's value (Slack's limit): longer member ids are not offered
MAX_BLOCK_ID_CHARS = 255
SPEAKER_BLOCK = "speaker:"  # + the provider's member id
PICK_ACTION = "user"
ME_BLOCK = "me"
ME_ACTION = "speaker"


@dataclass(frozen=True)
class Speaker:
    """A speaker as the modal shows it."""

    member_id: str
    name: str
    quote: str  # the start of their longest message
    user_id: str | None = None  # who they were named as, if anyone
    said: int = 0  # characters they spoke in all


def quote_of(text: str) -> str:
    text = " ".join(text.split())
    return _clip(text, MAX_QUOTE_CHARS)


def editor_view(title: str, conversation_id: str, speakers: list[Speaker], total: int) -> dict[str, Any]:
    """The modal for `views.open`. `total`: how many speakers the conversation has (shown: `speakers`)."""
    blocks: list[dict[str, Any]] = [
        _section(
            f"Who is who in *{escape(_clip(title, 200))}*? Pick the Slack user each speaker is: the note "
            "then names them, and its action items mention their owners."
        )
    ]
    blocks += [_speaker_input(s) for s in speakers]
    blocks.append(_me_input(speakers))
    if total > len(speakers):
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Showing the {len(speakers)} speakers who said the most, of {total}.",
                    }
                ],
            }
        )
    return {
        "type": "modal",
        "callback_id": VIEW_CALLBACK,
        "title": {"type": "plain_text", "text": "Fix speakers"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        # Only which conversation: the submission checks again that the submitter may read its channel.
        "private_metadata": json.dumps({"c": conversation_id}),
        "blocks": blocks,
    }


def _speaker_input(speaker: Speaker) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "users_select",
        "action_id": PICK_ACTION,
        "placeholder": {"type": "plain_text", "text": "Who is this?"},
    }
    if speaker.user_id:
        element["initial_user"] = speaker.user_id
    block: dict[str, Any] = {
        "type": "input",
        "block_id": SPEAKER_BLOCK + speaker.member_id,
        "optional": True,
        "label": {"type": "plain_text", "text": _clip(speaker.name, MAX_LABEL_CHARS)},
        "element": element,
    }
    if speaker.quote:
        block["hint"] = {"type": "plain_text", "text": f"“{speaker.quote}”"}
    return block


def _me_input(speakers: list[Speaker]) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": _clip(s.name, MAX_OPTION_CHARS)}, "value": s.member_id}
        for s in speakers
    ]
    return {
        "type": "input",
        "block_id": ME_BLOCK,
        "optional": True,
        "label": {"type": "plain_text", "text": "That's me"},
        "element": {
            "type": "static_select",
            "action_id": ME_ACTION,
            "placeholder": {"type": "plain_text", "text": "Which speaker are you?"},
            "options": options,
        },
    }


def listable(member_id: str) -> bool:
    """Whether a member id fits in a block id and an option value."""
    return 0 < len(member_id) <= min(MAX_VALUE_CHARS, MAX_BLOCK_ID_CHARS - len(SPEAKER_BLOCK))


def notice_view(text: str) -> dict[str, Any]:
    """What the modal turns into when the submission is refused (`response_action: update`)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Fix speakers"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [_section(text)],
    }


# --- what the feature says --------------------------------------------------------------------------------


def named_line(actor: str, old_name: str, user_id: str) -> str:
    """The thread's record of one change."""
    return f":busts_in_silhouette: <@{actor}> named {escape(old_name)} as <@{user_id}>"


TROUBLE = ":warning: Something went wrong on my side; please try again in a minute."
NO_SPEAKERS = "This conversation has no speakers I can rename (the provider gave them no member ids)."
STALE = "The speakers of this conversation changed since the form was opened: open it again."
ME_CONFLICT = "You picked someone else for this speaker; clear one of the two."


def not_allowed(conversation_id: str) -> str:
    return (
        f"I don't know a conversation `{escape(conversation_id[:80])}` that you can see: only members of its "
        "channel can say who its speakers are."
    )


def rename_failed(old_name: str, reason: str) -> str:
    return f":warning: Could not rename {escape(old_name)}: {reason}"


def cannot_rename(detail: str) -> str:
    """A 404 from the provider: no such member, or a Symbl host without `PUT …/members/{id}`."""
    return (
        "the speech service does not know this speaker, or cannot rename speakers "
        f"(it answered: {escape(_clip(detail, 200))})."
    )


def renamed_but_stale(reason: str) -> str:
    return (
        ":warning: The speakers were renamed and the owners are mentioned, but the note's other names are "
        f"not current yet: {reason} Save the same form again later to refresh them."
    )
