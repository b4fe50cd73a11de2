"""slack-sdk's installation and OAuth state store interfaces over the bot's database (storage.slack_oauth):
what `SYMBL_BOT_DATABASE_URL` uses, so every web process sees every install and every state it issued.

slack-sdk ships SQLAlchemy and SQLite stores; the SQLite ones are files on one machine, and SQLAlchemy would
be a dependency for four statements. The models travel as their `to_dict_for_copying()` in JSON (times as
epoch seconds), which is what their constructors take.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from storage import slack_oauth
from storage.db import BotStore


def _json(model: Installation | Bot) -> str:
    return json.dumps(
        model.to_dict_for_copying(), default=lambda v: v.timestamp() if isinstance(v, datetime) else str(v)
    )


def _installed_at(model: Installation | Bot) -> float:
    value: Any = model.installed_at
    return value.timestamp() if isinstance(value, datetime) else float(value or time.time())


class DatabaseInstallationStore(InstallationStore):
    def __init__(self, store: BotStore, client_id: str):
        self._store = store
        self._client_id = client_id

    def _key(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> tuple[str, str, str]:
        # An org-wide (Enterprise Grid) install is one row for every workspace of the org.
        return (self._client_id, enterprise_id or "", "" if is_enterprise_install else team_id or "")

    def save(self, installation: Installation) -> None:
        key = self._key(installation.enterprise_id, installation.team_id, installation.is_enterprise_install)
        slack_oauth.save(self._store, "installation", *key, _installed_at(installation), _json(installation),
                         user_id=installation.user_id or "")  # fmt: skip
        self.save_bot(installation.to_bot())

    def save_bot(self, bot: Bot) -> None:
        key = self._key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        slack_oauth.save(self._store, "bot", *key, _installed_at(bot), _json(bot))

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        data = slack_oauth.latest(
            self._store, "bot", *self._key(enterprise_id, team_id, is_enterprise_install)
        )
        return Bot(**json.loads(data)) if data else None

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        key = self._key(enterprise_id, team_id, is_enterprise_install)
        data = slack_oauth.latest(self._store, "installation", *key, user_id=user_id)
        return Installation(**json.loads(data)) if data else None

    def latest_bots(self) -> list[Bot]:
        """Every workspace's current bot (the doctor checks their tokens)."""
        return [Bot(**json.loads(data)) for data in slack_oauth.latest_bots(self._store, self._client_id)]

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        slack_oauth.delete(self._store, "bot", *self._key(enterprise_id, team_id, False))

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        slack_oauth.delete(
            self._store, "installation", *self._key(enterprise_id, team_id, False), user_id=user_id
        )


class DatabaseOAuthStateStore(OAuthStateStore):
    def __init__(self, store: BotStore, expiration_seconds: int):
        self._store = store
        self.expiration_seconds = expiration_seconds

    def issue(self, *args: Any, **kwargs: Any) -> str:
        return slack_oauth.issue_state(self._store, self.expiration_seconds)

    def consume(self, state: str) -> bool:
        return slack_oauth.consume_state(self._store, state)
