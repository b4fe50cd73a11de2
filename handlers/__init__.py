"""Slack listeners: thin. They parse the event, call `bot.slack.pipeline` / `bot.slack.queries`, and return.

Bolt runs only the first matching listener, in registration order (slack-platform.md §1.3), so the specific
`file_share` listener comes before the catch-all `message` one, and every other subscribed event has a
listener too: an unhandled event is answered 404 and Slack would deliver it again.
"""

from slack_bolt import App

from bot.slack.services import Services
from handlers import actions, commands, events, home, mentions, shortcuts, views
from handlers.events import NOOP_EVENTS


def register(app: App, services: Services) -> None:
    events.register(app, services)
    mentions.register(app, services)
    home.register(app, services)
    commands.register(app, services)
    actions.register(app, services)
    shortcuts.register(app, services)
    views.register(app, services)


__all__ = ["NOOP_EVENTS", "register"]
