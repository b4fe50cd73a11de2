"""The URL policy (bot/net.py) probed from inside a private network namespace (tests/netns.py).

Reproduces issue 12 items 1, 2 and the `[::1` / IDNA low items: a URL-parser differential (`\\@`), userinfo,
whitespace and control characters, DNS rebinding between the check and the connection, redirect hops that
rebind, and the engine's `webhookUrl`, checked at submission and again (pinned) at every POST; and downloads
through a forward proxy named by `HTTP_PROXY` (the policy still refuses before anything reaches the proxy).
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


@pytest.fixture(scope="module")
def append_results():
    require_netns()
    return run_probe("append")


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("backslash", "backslash"),
        ("redirect to backslash", "redirects to another host"),
        ("redirect to loopback", "redirects to another host"),
        ("redirect same host, rebound", "private or local address"),
    ],
)
def test_symbl_append_refuses_differential_and_redirected_links_and_never_reaches_loopback(
    append_results, case, reason
):
    """Signed `/symbl append '<url>' to <id>` commands to the real bot, whose engine downloads the link."""
    result = append_results[case]
    assert result["ack"] == 200 and result["source_kept"]  # the command took the link as typed
    assert result["state"] == "failed" and reason in result["error"], result
    assert result["internal_hits"] == 0


def test_a_backslash_link_in_a_message_is_refused_and_never_reaches_loopback(append_results):
    result = append_results["message link, backslash"]
    assert result["state"] == "failed" and "backslash" in result["error"] and result["source_kept"], result
    assert (result["internal_hits"], result["public_hits"]) == (0, 0)


def test_symbl_append_of_a_public_link_is_fetched_from_the_public_host(append_results):
    assert append_results["public"]["state"] == "posted"
    assert (append_results["public"]["public_hits"], append_results["internal_hits"]) == (1, 0)


@pytest.fixture(scope="module")
def proxy_results():
    require_netns()
    return run_probe("proxy")


def test_downloads_go_through_the_proxy_that_http_proxy_names(proxy_results):
    public = proxy_results["public"]
    assert public["outcome"] == "ok: public" and public["public_hits"] == 1
    assert public["through_proxy"] == [f"http://public.example:{_port(public)}/x.mp3"]
    # Behind a corporate proxy often only the proxy resolves outside names: best-effort, let through.
    corp = proxy_results["resolved only by the proxy"]
    assert corp["outcome"] == "ok: public" and len(corp["through_proxy"]) == 1


def _port(result: dict) -> str:
    return result["through_proxy"][0].split(":")[2].split("/")[0]


@pytest.mark.parametrize(
    "case",
    ["backslash", "userinfo", "private literal", "mapped private literal", "name resolving to loopback"],
)
def test_urls_the_policy_refuses_never_reach_the_proxy(proxy_results, case):
    result = proxy_results[case]
    assert result["outcome"].startswith("refused: "), result
    assert (result["through_proxy"], result["internal_hits"]) == ([], 0)


@pytest.mark.parametrize(
    "case",
    ["redirect to a name resolving to loopback", "redirect to a private literal", "redirect to backslash"],
)
def test_each_redirect_hop_through_the_proxy_is_checked_again(proxy_results, case):
    result = proxy_results[case]
    assert result["outcome"].startswith("refused: "), result
    assert len(result["through_proxy"]) == 1 and "/redirect?" in result["through_proxy"][0]  # the first hop
    assert result["internal_hits"] == 0


def test_https_goes_through_a_connect_tunnel_with_the_certificate_checked_against_the_links_name(
    proxy_results,
):
    https = proxy_results["https"]
    assert https["outcome"] == "ok: public" and https["public_hits"] == 1, https
    assert [u.split(":")[0] for u in https["through_proxy"]] == ["public.example"]  # CONNECT host:port
    other = proxy_results["https, certificate for another name"]
    assert other["outcome"].startswith("error: ") and other["public_hits"] == 0, other
    assert len(other["through_proxy"]) == 1


def test_no_proxy_exempts_a_host_which_is_then_fetched_directly_and_pinned(proxy_results):
    for case in ("exempted by NO_PROXY", "https exempted by NO_PROXY"):
        result = proxy_results[case]
        assert result == {"outcome": "ok: public", "public_hits": 1, "internal_hits": 0, "through_proxy": []}


def test_proxy_credentials_go_to_the_proxy_and_an_unreachable_proxy_is_an_error_saying_so(proxy_results):
    import base64

    with_credentials = proxy_results["proxy with credentials"]
    assert with_credentials["outcome"] == "ok: public" and len(with_credentials["through_proxy"]) == 1
    assert with_credentials["authorization"] == "Basic " + base64.b64encode(b"corp\\me:s3cret").decode()
    unreachable = proxy_results["proxy unreachable"]
    assert unreachable["outcome"].startswith("error: ") and "through the proxy" in unreachable["outcome"]
    assert unreachable["public_hits"] == 0 and proxy_results["loopback, never proxied"] is None


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        ({}, "http://a.example/x", None),
        ({"HTTP_PROXY": "http://proxy.corp:3128"}, "http://a.example/x", "http://proxy.corp:3128"),
        ({"HTTP_PROXY": "proxy.corp:3128"}, "http://a.example/x", "http://proxy.corp:3128"),
        ({"http_proxy": "http://proxy.corp:3128"}, "https://a.example/x", None),
        ({"HTTPS_PROXY": "http://proxy.corp:3128"}, "https://a.example/x", "http://proxy.corp:3128"),
        ({"ALL_PROXY": "http://proxy.corp:3128"}, "https://a.example/x", "http://proxy.corp:3128"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "a.example"}, "http://a.example/x", None),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": ".example"}, "http://b.a.example/x", None),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "11.0.0.0/8"}, "http://11.2.3.4/x", None),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "other.example"}, "http://a.example/x", "http://p:1"),
        ({"HTTP_PROXY": "http://p:1"}, "http://127.0.0.1:8800/x", None),  # loopback: never proxied
        ({"HTTP_PROXY": "http://p:1"}, "http://[::1]:8800/x", None),
        ({"HTTP_PROXY": "http://p:1"}, "http://[::ffff:127.0.0.1]:8800/x", None),
        ({"HTTP_PROXY": "http://p:1"}, "http://localhost:8800/x", None),
    ],
)
def test_proxy_for_reads_the_environment_as_requests_does(monkeypatch, env, url, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert net.proxy_for(url) == expected


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
    from bot.slack.downloads import token_allowed

    settings = Settings(data_dir=tmp_path, slack_api_url="http://127.0.0.1:9000/api/")
    parts = net.parse(url)
    scheme = parts.scheme.lower()
    hop = net.Target(url, scheme, parts.host, parts.port or net.DEFAULT_PORTS[scheme], "/", ("11.0.0.1",))
    assert token_allowed(hop, settings) is sent
