"""Slack listeners: thin. They parse the event, call `bot.pipeline`, and return; Bolt has acked already.

Bolt runs only the first matching listener, in registration order (slack-platform.md §1.3), so the specific
`file_share` listener comes before the catch-all `message` one, and every other subscribed event has a
listener too: an unhandled event is answered 404 and Slack would deliver it again.
"""

from handlers.events import NOOP_EVENTS, register

__all__ = ["NOOP_EVENTS", "register"]
