"""The bot token scopes the app asks for, and which Web API method needs which scope.

`BOT_SCOPES` is what manifest.yml requests (tests/test_manifest.py keeps the two equal), what the OAuth
install flow asks for, and what `symbl-bot doctor` compares a token's granted scopes with. `METHOD_SCOPES`
names the scopes each Web API method the code calls needs; the manifest test finds every `client.<method>(`
call in bot/ and handlers/ and fails when a method is missing here or its scopes are missing from the
manifest.
"""

from __future__ import annotations

BOT_SCOPES: tuple[str, ...] = (
    "app_mentions:read",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "im:history",
    "im:read",
    "im:write",  # conversations.open: a direct message to an action item's owner
    "mpim:history",
    "mpim:read",
    "users:read",
    "users:read.email",
)

_HISTORY = ("channels:history", "groups:history", "im:history", "mpim:history")
_READ = ("channels:read", "groups:read", "im:read", "mpim:read")

# slack_sdk WebClient method name → the bot scopes it needs (in every conversation type the bot serves).
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth_test": (),
    "api_test": (),
    "apps_connections_open": (),  # app-level token (connections:write), not a bot scope
    "oauth_v2_access": (),
    "bots_info": ("users:read",),
    "chat_postMessage": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    "chat_update": ("chat:write",),
    "chat_delete": ("chat:write",),
    "chat_scheduleMessage": ("chat:write",),
    "chat_deleteScheduledMessage": ("chat:write",),
    "chat_scheduledMessages_list": ("chat:write",),
    "chat_getPermalink": (),
    "conversations_history": _HISTORY,
    "conversations_replies": _HISTORY,
    "conversations_info": _READ,
    "conversations_members": _READ,
    "conversations_list": _READ,
    "users_conversations": _READ,
    "conversations_join": ("channels:join",),
    "conversations_open": ("im:write",),
    "files_info": ("files:read",),
    "files_list": ("files:read",),
    "files_upload_v2": ("files:write",),
    "files_getUploadURLExternal": ("files:write",),
    "files_completeUploadExternal": ("files:write",),
    "files_delete": ("files:write",),
    "users_info": ("users:read",),
    "users_list": ("users:read",),
    "users_lookupByEmail": ("users:read.email",),
    "users_profile_get": ("users.profile:read",),
    "views_publish": (),
    "views_open": (),
    "views_update": (),
    "views_push": (),
    "reactions_add": ("reactions:write",),
    "reactions_remove": ("reactions:write",),
    "reminders_add": ("reminders:write",),
    "team_info": ("team:read",),
}


def missing_scopes(granted: set[str] | list[str] | tuple[str, ...]) -> list[str]:
    """The scopes the app needs that a token was not granted, in BOT_SCOPES order."""
    have = set(granted)
    return [scope for scope in BOT_SCOPES if scope not in have]


def parse_scope_header(value: str | None) -> set[str]:
    """Slack's `x-oauth-scopes` response header: comma-separated scopes."""
    return {s.strip() for s in (value or "").split(",") if s.strip()}
