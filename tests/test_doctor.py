"""`symbl-bot doctor` through the CLI against the fake Slack server (and the Symbl stub): good and bad
cases."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.slack.scopes import BOT_SCOPES
from tests.slack_fakes import BOT_TOKEN, SIGNING_SECRET


@pytest.fixture
def slack_env(monkeypatch, fake_slack):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def doctor():
    return CliRunner().invoke(main, ["doctor"])


def test_a_good_setup_passes_every_check(slack_env):
    result = doctor()
    assert result.exit_code == 0, result.output
    assert "All checks passed." in result.output
    assert "workspace Test (T0TEAM) as @symbl" in result.output
    assert f"all {len(BOT_SCOPES)} scopes of manifest.yml granted" in result.output
    assert "tiny.en" in result.output and "verified" in result.output
    assert "migrations applied" in result.output and "✗" not in result.output
    assert len(slack_env.calls_to("auth.test")) == 1


def test_missing_scopes_are_named_with_the_fix(slack_env):
    slack_env.tokens[BOT_TOKEN]["scopes"] = [s for s in BOT_SCOPES if s not in ("files:read", "files:write")]
    result = doctor()
    assert result.exit_code == 1
    assert "missing files:read, files:write" in result.output
    assert "reinstall the app" in result.output
    assert "1 problem(s) to fix." in result.output


def test_a_revoked_token_is_reported(slack_env, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    result = doctor()
    assert result.exit_code == 1 and "Slack refused it: invalid_auth" in result.output


def test_an_unreachable_slack_is_one_cross_line_not_a_traceback(slack_env):
    slack_env.close()  # nothing listens on SLACK_API_URL's port any more: connection refused
    result = doctor()
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # not URLError
    assert "✗ Slack bot token" in result.output and "Slack could not be reached" in result.output
    assert "fix: check the network (or SLACK_API_URL)" in result.output
    assert "Traceback" not in result.output


def test_a_bad_number_in_the_environment_is_one_configuration_line(slack_env, monkeypatch):
    monkeypatch.setenv("SYMBL_BOT_POLL_SECONDS", "fast")
    result = doctor()
    assert result.exit_code == 1
    assert result.output == "✗ Configuration: SYMBL_BOT_POLL_SECONDS must be a number, got 'fast'.\n"


def test_a_user_token_is_not_a_bot_token(slack_env, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-a-user-token")
    result = doctor()
    assert result.exit_code == 1 and "is not a bot token" in result.output
    assert "xoxp-a-user-token" not in result.output


def test_nothing_configured_lists_what_to_set(monkeypatch):
    result = doctor()
    assert result.exit_code == 1
    assert "SLACK_BOT_TOKEN is not set" in result.output and "SLACK_SIGNING_SECRET" in result.output
    assert "2 problem(s) to fix." in result.output


def test_symbl_credentials_are_checked_against_the_host(slack_env, monkeypatch, stub_symbl):
    monkeypatch.setenv("SYMBL_APP_ID", "app")
    monkeypatch.setenv("SYMBL_APP_SECRET", "secret")
    monkeypatch.setenv("SYMBL_API_URL", stub_symbl.base)
    result = doctor()
    assert result.exit_code == 0, result.output
    assert f"{stub_symbl.base}: credentials accepted" in result.output
    assert "POST /oauth2/token:generate" in stub_symbl.requests

    stub_symbl.fail_next("/oauth2/token:generate", status=401)
    result = doctor()
    assert result.exit_code == 1 and "check SYMBL_APP_ID / SYMBL_APP_SECRET" in result.output


def test_an_unwritable_data_dir_is_reported(slack_env, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    monkeypatch.setenv("SYMBL_BOT_DATA_DIR", str(blocker))
    result = doctor()
    assert (
        result.exit_code == 1
        and "Data directory" in result.output
        and "persistent directory" in result.output
    )


def test_oauth_mode_checks_every_installed_workspace(slack_env, monkeypatch, tmp_path):
    from slack_sdk.oauth.installation_store import Installation

    from bot.config import Settings
    from bot.slack.oauth import installation_store

    monkeypatch.delenv("SLACK_BOT_TOKEN")
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret-value")
    result = doctor()
    assert result.exit_code == 1 and "no workspace has installed the app yet" in result.output

    slack_env.add_workspace("T0B", "xoxb-team-b", scopes=["chat:write"])
    installation_store(Settings.from_env()).save(
        Installation(
            app_id="A0APP",
            team_id="T0B",
            bot_token="xoxb-team-b",
            bot_id="B0B",
            bot_user_id="U0B",
            user_id="U1",
        )
    )
    result = doctor()
    assert result.exit_code == 1
    assert "1 workspace(s) installed: T0B" in result.output
    assert "Slack token for T0B: scopes" in result.output and "missing app_mentions:read" in result.output
