"""manifest.yml against the code: the schema's required keys, every subscribed event / command / shortcut has
a listener and every listener is subscribed, and every Web API method the code calls has its scope requested.

Listeners are read by registering the real handlers on a real Bolt App through a recorder that notes each
`app.event(...)`, `app.command(...)`, `app.shortcut(...)`, `app.action(...)` … before delegating.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt import App
from slack_sdk import WebClient

import handlers
from bot.config import Settings
from bot.providers.symbl.client import SymblClient
from bot.slack import oauth
from bot.slack.scopes import BOT_SCOPES, METHOD_SCOPES
from bot.slack.services import Services
from storage import open_store

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
# Events answered only so Slack does not redeliver them if a workspace's app config subscribes to them.
DEFENSIVE_EVENTS = set(getattr(handlers, "NOOP_EVENTS", ())) - {"app_mention", "app_home_opened"}
# Issue 5 adds these listeners in these modules; until a module exists its entry is a strict xfail.
PENDING = {
    item
    for item, module in {
        "command:/symbl": "handlers/commands.py",
        "shortcut:summarize_with_symbl": "handlers/shortcuts.py",
    }.items()
    if not (ROOT / module).exists()
}


class ListenerRecorder:
    """Stands in for the App during `register`: records each listener's constraint, then registers it."""

    def __init__(self, app: App):
        self._app = app
        self.listeners: set[str] = set()
        self.actions: set[str] = set()

    def _note(self, kind: str, constraint: Any, key: str) -> None:
        if isinstance(constraint, dict):
            constraint = constraint.get(key) or constraint.get("type")
        if isinstance(constraint, re.Pattern):
            constraint = constraint.pattern
        (self.actions if kind == "action" else self.listeners).add(f"{kind}:{constraint}")

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("event", event, "type")
        return self._app.event(event, *args, **kwargs)

    def message(self, *args: Any, **kwargs: Any) -> Any:
        self.listeners.add("event:message")
        return self._app.message(*args, **kwargs)

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("command", command, "command")
        return self._app.command(command, *args, **kwargs)

    def shortcut(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("shortcut", constraints, "callback_id")
        return self._app.shortcut(constraints, *args, **kwargs)

    def message_shortcut(self, callback_id: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("shortcut", callback_id, "callback_id")
        return self._app.message_shortcut(callback_id, *args, **kwargs)

    def global_shortcut(self, callback_id: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("shortcut", callback_id, "callback_id")
        return self._app.global_shortcut(callback_id, *args, **kwargs)

    def action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("action", constraints, "action_id")
        return self._app.action(constraints, *args, **kwargs)

    def block_action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("action", constraints, "action_id")
        return self._app.block_action(constraints, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


@pytest.fixture(scope="module")
def registered(tmp_path_factory) -> ListenerRecorder:
    data = tmp_path_factory.mktemp("manifest")
    settings = Settings(data_dir=data, slack_bot_token="xoxb-test", slack_signing_secret="secret")
    app = App(token="xoxb-test", signing_secret="secret", token_verification_enabled=False)
    services = Services(
        settings=settings,
        store=open_store(settings.bot_db_path),
        provider=SymblClient("http://127.0.0.1:9", "a", "b"),
        slack_for=lambda _team: app.client,
    )
    recorder = ListenerRecorder(app)
    handlers.register(recorder, services)  # type: ignore[arg-type]
    services.store.close()
    return recorder


def manifest_listeners() -> set[str]:
    events = {e.split(".")[0] for e in MANIFEST["settings"]["event_subscriptions"]["bot_events"]}
    commands = {c["command"] for c in MANIFEST["features"].get("slash_commands", [])}
    shortcuts = {s["callback_id"] for s in MANIFEST["features"].get("shortcuts", [])}
    return (
        {f"event:{e}" for e in events}
        | {f"command:{c}" for c in commands}
        | {f"shortcut:{s}" for s in shortcuts}
    )


def _pending(items: set[str]) -> list[Any]:
    return [
        pytest.param(i, marks=pytest.mark.xfail(strict=True, reason="issue 5 module not there yet"))
        if i in PENDING
        else i
        for i in sorted(items)
    ]


def test_manifest_has_the_schemas_required_keys():
    assert MANIFEST["_metadata"]["major_version"] == 1
    info = MANIFEST["display_information"]
    assert info["name"] and len(info["name"]) <= 35
    assert len(info.get("description", "")) <= 140
    assert 174 <= len(info.get("long_description", "x" * 174)) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", info["background_color"])
    bot_user = MANIFEST["features"]["bot_user"]
    assert re.fullmatch(r"[a-z0-9._-]{1,80}", bot_user["display_name"])
    assert MANIFEST["oauth_config"]["scopes"]["bot"]
    settings = MANIFEST["settings"]
    assert settings["event_subscriptions"]["bot_events"]
    assert settings["interactivity"]["is_enabled"] is True
    assert isinstance(settings["socket_mode_enabled"], bool)
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    for command in MANIFEST["features"]["slash_commands"]:
        assert command["command"].startswith("/") and len(command["command"]) <= 32 and command["description"]
    for shortcut in MANIFEST["features"]["shortcuts"]:
        assert shortcut["type"] in ("message", "global") and shortcut["name"] and shortcut["description"]
        assert len(shortcut["callback_id"]) <= 255


def test_every_request_url_points_at_the_bolt_endpoints():
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    urls += [
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
        MANIFEST["settings"]["interactivity"]["request_url"],
    ]
    assert urls and all(u.startswith("https://") and u.endswith("/slack/events") for u in urls)
    assert [u.rsplit("/", 2)[-2:] for u in MANIFEST["oauth_config"]["redirect_urls"]] == [
        oauth.REDIRECT_PATH.rsplit("/", 2)[-2:]
    ]


def test_the_manifest_requests_exactly_the_scopes_the_code_declares():
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_the_product_events_are_subscribed():
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert {
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
        "app_mention",
        "app_home_opened",
        "file_shared",
    } <= events


@pytest.mark.parametrize("item", _pending(manifest_listeners()))
def test_every_manifest_event_command_and_shortcut_has_a_listener(registered, item):
    assert item in registered.listeners, (
        f"manifest.yml subscribes to {item} but no listener is registered: Bolt would answer 404 and Slack "
        "would redeliver (add a listener in handlers/ or remove it from the manifest)"
    )


def test_every_listener_is_in_the_manifest(registered):
    subscribed = manifest_listeners()
    unsubscribed = {
        item
        for item in registered.listeners
        if item not in subscribed and item.removeprefix("event:") not in DEFENSIVE_EVENTS
    }
    assert not unsubscribed, (
        f"listeners Slack will never call, add them to manifest.yml: {sorted(unsubscribed)}"
    )


def test_interactive_listeners_need_interactivity(registered):
    if registered.actions or any(i.startswith("shortcut:") for i in registered.listeners):
        assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True


def web_api_calls() -> dict[str, set[str]]:
    """WebClient methods called in bot/ and handlers/ (not the engine or the Symbl client): method → files."""
    client_methods = {name for name in dir(WebClient) if not name.startswith("_")} - {
        "api_call",
        "token",
        "base_url",
        "headers",
    }
    found: dict[str, set[str]] = {}
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("handlers").rglob("*.py")]:
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("bot/engine/", "bot/providers/symbl/")):
            continue
        text = path.read_text()
        for name in re.findall(r"\.([a-z]+_[A-Za-z0-9_]+)\(", text):
            if name in client_methods:
                found.setdefault(name, set()).add(rel)
        if re.search(r"\bsay\(", text):
            found.setdefault("chat_postMessage", set()).add(rel)
    return found


def test_the_scan_finds_the_calls_the_pipeline_is_known_to_make():
    calls = web_api_calls()
    assert {"chat_postMessage", "chat_update", "conversations_replies", "files_info"} <= set(calls)


def test_every_web_api_method_the_code_calls_has_its_scopes_in_the_manifest():
    requested = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    unknown = {m: sorted(f) for m, f in web_api_calls().items() if m not in METHOD_SCOPES}
    assert not unknown, (
        f"add these Web API methods and their scopes to bot/slack/scopes.METHOD_SCOPES: {unknown}"
    )
    missing = {
        m: sorted(set(METHOD_SCOPES[m]) - requested)
        for m in web_api_calls()
        if set(METHOD_SCOPES[m]) - requested
    }
    assert not missing, f"the code calls methods whose scopes manifest.yml does not request: {missing}"
