"""App Home: `app_home_opened` → `views.publish` with the user's recent conversations and open action
items."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack import queries
from bot.slack.services import Services
from handlers.events import team_of


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def on_home_opened(body: dict, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return
        team = team_of(context)
        client.views_publish(user_id=event["user"], view=queries.home_view(services, team, event["user"]))
