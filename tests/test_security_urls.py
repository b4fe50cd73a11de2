"""The URL policy (bot/net.py) probed from inside a private network namespace (tests/netns.py).

Reproduces issue 12 items 1, 2 and the `[::1` / IDNA low items: a URL-parser differential (`\\@`), userinfo,
whitespace and control characters, DNS rebinding between the check and the connection, redirect hops that
rebind, and the engine's `webhookUrl`, checked at submission and again (pinned) at every POST.
"""

from __future__ import annotations

import pytest

from bot import net
from bot.errors import UrlRefused
from tests.netns import require_netns, run_probe


@pytest.fixture(scope="module")
def fetch_results():
    require_netns()
    return run_probe("fetch")


@pytest.mark.parametrize(
    "case",
    ["backslash", "userinfo", "tab in host", "control char", "space", "unclosed ipv6", "idna label too long",
     "redirect to backslash", "redirect same host, rebound"],
)  # fmt: skip
def test_ambiguous_or_rebinding_urls_are_refused_and_never_reach_loopback(fetch_results, case):
    result = fetch_results[case]
    assert result["outcome"].startswith("refused: "), result
    assert result["internal_hits"] == 0


def test_a_rebinding_name_is_fetched_from_the_address_that_was_checked(fetch_results):
    # The resolver answers 11.0.0.1 first and 127.0.0.1 after: the download comes from the checked address.
    assert fetch_results["rebinding"] == {"outcome": "ok: public", "internal_hits": 0}
    assert fetch_results["public"] == {"outcome": "ok: public", "internal_hits": 0}


def test_engine_refuses_backslash_urls_and_pins_every_webhook_post():
    require_netns()
    result = run_probe("webhook")
    assert result["url backslash"] == 400 and result["webhook backslash"] == 400
    assert result["rebound submission"] == 201  # public at submission …
    assert result["internal_hits"] == 0  # … and no POST ever went to loopback after the name rebound
    # The webhook that stays public got every status of its job.
    assert result["public_hooks"] == ["scheduled", "in_progress", "completed"]


@pytest.mark.parametrize(
    "url",
    ["http://a\\@b.example/", "http://u:p@b.example/", "http://b.exa mple/", "http://b.example/\r\nX: y",
     "http://[::1/x", "ftp://b.example/x", "http://:80/"],
)  # fmt: skip
def test_parse_refuses_what_parsers_disagree_on(url):
    with pytest.raises(UrlRefused):
        net.parse(url)


def test_host_header_keeps_the_name_and_a_non_default_port():
    target = net.Target("http://a.example:8080/x", "http", "a.example", 8080, "/x", ("11.0.0.1",))
    assert target.host_header == "a.example:8080"
    assert net.Target("https://[::1]/", "https", "::1", 443, "/", ("::1",)).host_header == "[::1]"


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("http://127.0.0.1:9000/files/F1/a.mp3", True),  # SLACK_API_URL's exact host and port
        ("http://127.0.0.1:9001/files/F1/a.mp3", False),  # another port of that host
        ("https://files.slack.com/files-pri/T1-F1/a.mp3", True),
        ("http://files.slack.com/files-pri/T1-F1/a.mp3", False),  # plain http to Slack
        ("https://files.slack.com:8443/files-pri/T1-F1/a.mp3", False),
        ("https://slack.com.evil.example/a.mp3", False),
    ],
)
def test_bot_token_goes_only_to_the_exact_api_host_port_or_https_slack_hosts(tmp_path, url, sent):
    from bot.config import Settings
    from bot.slack.pipeline import token_allowed

    settings = Settings(data_dir=tmp_path, slack_api_url="http://127.0.0.1:9000/api/")
    parts = net.parse(url)
    scheme = parts.scheme.lower()
    hop = net.Target(url, scheme, parts.host, parts.port or net.DEFAULT_PORTS[scheme], "/", ("11.0.0.1",))
    assert token_allowed(hop, settings) is sent
