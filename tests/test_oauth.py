"""Multi-workspace installs over real HTTP: /slack/install → state, /slack/oauth_redirect → the fake Slack's
oauth.v2.access → an installation in the SQLite store; then each workspace's recordings are downloaded and
answered with that workspace's own bot token.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from urllib.parse import parse_qs, urlsplit

import requests
from slack_sdk.oauth.installation_store import Installation

from bot.slack.oauth import installation_store
from storage import recordings as repo
from tests.slack_fakes import (
    SIGNING_SECRET,
    bot_settings,
    deliver,
    event_envelope,
    file_share_event,
    running_bot,
    wait_for,
)

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret-value"
AUDIO = b"ID3" + b"\x00" * 2048


def oauth_settings(tmp_path, fake_slack, stub_symbl):
    settings = bot_settings(tmp_path / "data", fake_slack, stub_symbl)
    return dataclasses.replace(
        settings, slack_bot_token=None, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET
    )


def install(url: str, code: str, back_to: str | None = None) -> requests.Response:
    """A person's browser: the install page (sets the state cookie), then Slack's redirect back with a
    code (to `back_to`: another web process behind the same load balancer)."""
    page = requests.get(url + "/slack/install", timeout=10)
    assert page.status_code == 200
    authorize = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text).group(1)
    query = parse_qs(urlsplit(authorize.replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID]
    assert "files:read" in query["scope"][0].split(",") and "chat:write" in query["scope"][0].split(",")
    # The state cookie is marked Secure (production is https); a browser on this plain-http test sends it
    # anyway.
    cookie = page.headers["Set-Cookie"].split(";")[0]
    assert cookie == f"slack-app-oauth-state={query['state'][0]}"
    return requests.get(
        (back_to or url) + "/slack/oauth_redirect",
        params={"code": code, "state": query["state"][0]},
        headers={"Cookie": cookie},
        timeout=10,
    )


def test_install_flow_stores_the_workspace_bot_token(tmp_path, fake_slack, stub_symbl):
    fake_slack.add_workspace("T0B", "xoxb-team-b-token", bot_user="U0BOTB", bot_id="B0BOTB", code="code-b")
    settings = oauth_settings(tmp_path, fake_slack, stub_symbl)
    with running_bot(settings) as (_bot, url):
        done = install(url, "code-b")
        assert done.status_code == 200
        bot = installation_store(settings).find_bot(enterprise_id=None, team_id="T0B")
        assert bot is not None and bot.bot_token == "xoxb-team-b-token" and bot.bot_user_id == "U0BOTB"
        exchange = fake_slack.calls_to("oauth.v2.access")
        assert len(exchange) == 1 and exchange[0].body["code"] == "code-b"
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        assert exchange[0].headers["Authorization"] == f"Basic {basic}"
        # A state is good once: replaying the redirect fails and stores nothing new.
        assert install(url, "code-b").status_code == 200  # a fresh state works again (idempotent save)
        replay = requests.get(
            url + "/slack/oauth_redirect", params={"code": "code-b", "state": "forged"}, timeout=10
        )
        assert replay.status_code == 400


def test_redirect_with_an_unknown_code_installs_nothing(tmp_path, fake_slack, stub_symbl):
    settings = oauth_settings(tmp_path, fake_slack, stub_symbl)
    with running_bot(settings) as (_bot, url):
        response = install(url, "no-such-code")
        assert response.status_code >= 400
        assert installation_store(settings).find_bot(enterprise_id=None, team_id="T0B") is None


def save_install(settings, team_id: str, token: str, bot_user: str, bot_id: str) -> None:
    installation_store(settings).save(
        Installation(
            app_id="A0APP",
            team_id=team_id,
            bot_token=token,
            bot_id=bot_id,
            bot_user_id=bot_user,
            bot_scopes="chat:write,files:read",
            user_id="U0INSTALLER",
            installed_at=1_700_000_000.0,
        )
    )


def test_each_workspace_is_answered_with_its_own_token(tmp_path, fake_slack, stub_symbl):
    fake_slack.add_workspace("T0A", "xoxb-team-a-token", bot_user="U0BOTA", bot_id="B0BOTA")
    fake_slack.add_workspace("T0B", "xoxb-team-b-token", bot_user="U0BOTB", bot_id="B0BOTB")
    settings = oauth_settings(tmp_path, fake_slack, stub_symbl)
    save_install(settings, "T0A", "xoxb-team-a-token", "U0BOTA", "B0BOTA")
    save_install(settings, "T0B", "xoxb-team-b-token", "U0BOTB", "B0BOTB")
    with running_bot(settings) as (bot, url):
        file_a = fake_slack.add_file("FA1", "a.mp3", AUDIO)
        file_b = fake_slack.add_file("FB1", "b.mp3", AUDIO)
        assert deliver(url, event_envelope(file_share_event(file_a, channel="CA", ts="1.1"), team="T0A")).ok
        assert deliver(url, event_envelope(file_share_event(file_b, channel="CB", ts="2.2"), team="T0B")).ok
        wait_for(lambda: fake_slack.summaries("CA", "1.1") and fake_slack.summaries("CB", "2.2"))

        posts = fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update")
        by_channel = {c.body["channel"]: set() for c in posts}
        for call in posts:
            by_channel[call.body["channel"]].add(call.headers["Authorization"])
        assert by_channel == {"CA": {"Bearer xoxb-team-a-token"}, "CB": {"Bearer xoxb-team-b-token"}}
        assert (
            fake_slack.calls_to("/files/FA1/a.mp3")[0].headers["Authorization"] == "Bearer xoxb-team-a-token"
        )
        assert (
            fake_slack.calls_to("/files/FB1/b.mp3")[0].headers["Authorization"] == "Bearer xoxb-team-b-token"
        )
        # Rows are keyed by team: each workspace sees only its own recording.
        rows = {r.team_id: r for r in (repo.get(bot.store, 1), repo.get(bot.store, 2))}
        assert rows["T0A"].channel_id == "CA" and rows["T0B"].channel_id == "CB"


def test_a_workspace_that_uninstalled_gets_nothing_and_the_row_fails(tmp_path, fake_slack, stub_symbl):
    fake_slack.add_workspace("T0A", "xoxb-team-a-token", bot_user="U0BOTA", bot_id="B0BOTA")
    settings = oauth_settings(tmp_path, fake_slack, stub_symbl)
    save_install(settings, "T0A", "xoxb-team-a-token", "U0BOTA", "B0BOTA")
    with running_bot(settings) as (bot, url):
        file_a = fake_slack.add_file("FA1", "a.mp3", AUDIO)
        assert deliver(url, event_envelope(file_share_event(file_a, channel="CA", ts="1.1"), team="T0A")).ok
        wait_for(lambda: fake_slack.summaries("CA", "1.1"))
        uninstall = event_envelope({"type": "app_uninstalled", "event_ts": "3.3"}, team="T0A")
        assert deliver(url, uninstall).ok
        wait_for(lambda: installation_store(settings).find_bot(enterprise_id=None, team_id="T0A") is None)
        # A recording recorded before the uninstall was noticed cannot be answered: it fails, quietly.
        row, _ = repo.record(
            bot.store,
            team_id="T0A",
            channel_id="CA",
            source="FA2",
            message_ts="4.4",
            download_url=file_a["url_private_download"],
            name="late.mp3",
        )
        bot.services.wake()
        wait_for(lambda: repo.get(bot.store, row.id).state == "failed")
        assert "not installed" in repo.get(bot.store, row.id).error
        assert not fake_slack.thread("CA", "4.4")


def test_signing_secret_still_guards_events_in_oauth_mode(tmp_path, fake_slack, stub_symbl):
    settings = oauth_settings(tmp_path, fake_slack, stub_symbl)
    with running_bot(settings) as (_bot, url):
        envelope = event_envelope({"type": "app_home_opened", "user": "U1", "tab": "home"}, team="T0A")
        assert deliver(url, envelope, secret="not-" + SIGNING_SECRET).status_code == 401


def test_socket_mode_installs_page_takes_no_events_over_http(tmp_path, fake_slack, stub_symbl):
    """Socket Mode with OAuth serves /slack/install and the redirect over HTTP, and needs no signing secret:
    events come over the socket. A POST to /slack/events on that port is nobody's event, so it must not
    reach Bolt, which in Socket Mode checks no signature."""
    settings = dataclasses.replace(
        oauth_settings(tmp_path, fake_slack, stub_symbl),
        slack_app_token="xapp-1-test",
        slack_signing_secret=None,
    )
    fake_slack.add_workspace("T0B", "xoxb-team-b-token", bot_user="U0BOTB", bot_id="B0BOTB", code="code-b")
    with running_bot(settings) as (bot, url):
        assert install(url, "code-b").status_code == 200
        upload = fake_slack.add_file("FX1", "a.mp3", AUDIO)
        forged = event_envelope(file_share_event(upload, ts="5.5"), team="T0B")
        assert deliver(url, forged, secret="anything").status_code == 404
        assert repo.get(bot.store, 1) is None


def test_an_install_started_on_one_web_process_completes_on_another(tmp_path, fake_slack, stub_symbl,
                                                                    postgres_cluster):  # fmt: skip
    """With SYMBL_BOT_DATABASE_URL the OAuth state and the installation are in the shared database."""
    fake_slack.add_workspace("T0B", "xoxb-team-b-token", bot_user="U0BOTB", bot_id="B0BOTB", code="code-b")
    database_url = postgres_cluster.new_database()
    first, second = (
        dataclasses.replace(
            oauth_settings(tmp_path / name, fake_slack, stub_symbl), database_url=database_url
        )
        for name in ("a", "b")
    )
    with running_bot(first) as (_a, url_a), running_bot(second) as (_b, url_b):
        assert install(url_a, "code-b", back_to=url_b).status_code == 200
        bot = installation_store(first).find_bot(enterprise_id=None, team_id="T0B")
        assert bot is not None and bot.bot_token == "xoxb-team-b-token"
    assert not (tmp_path / "a" / "data" / "slack_oauth.db").exists()  # nothing in the file stores


def test_the_database_stores_keep_installs_and_spend_states_once(bot_database):
    from bot.slack.oauth_stores import DatabaseInstallationStore, DatabaseOAuthStateStore
    from storage import open_store

    store = open_store(bot_database)
    try:
        installs = DatabaseInstallationStore(store, CLIENT_ID)
        for token, at in (("xoxb-old", 1_700_000_000.0), ("xoxb-new", 1_700_000_100.0)):
            installs.save(Installation(team_id="T1", user_id="U1", bot_token=token, bot_id="B1",
                                       bot_user_id="U0", installed_at=at))  # fmt: skip
        assert installs.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-new"
        assert installs.find_installation(enterprise_id=None, team_id="T1").bot_token == "xoxb-new"
        assert [b.bot_token for b in installs.latest_bots()] == ["xoxb-new"]
        assert (
            DatabaseInstallationStore(store, "another-app").find_bot(enterprise_id=None, team_id="T1") is None
        )
        installs.delete_all(enterprise_id=None, team_id="T1")
        assert installs.find_bot(enterprise_id=None, team_id="T1") is None
        states = DatabaseOAuthStateStore(store, 600)
        state = states.issue()
        assert states.consume(state) and not states.consume(state) and not states.consume("forged")
        expired = DatabaseOAuthStateStore(store, -1).issue()
        assert not states.consume(expired)
    finally:
        store.close()
