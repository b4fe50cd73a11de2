"""Downloading a Slack file: the bot token goes to Slack's hosts (or SLACK_API_URL's exact host:port) only,
redirects stay on Slack's hosts, and a sign-in page instead of the file is told apart from a recording.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

from bot import net
from bot.config import Settings
from bot.errors import (
    UnsupportedMedia,
    UrlRefused,
)
from bot.slack.intake import file_extension
from bot.slack.services import Services
from storage import Recording

log = logging.getLogger(__name__)

# Hosts that may receive the bot token; downloads may also be redirected to Slack's CDN, without the token.
TOKEN_HOST_SUFFIXES = ("slack.com", "slack-files.com")
REDIRECT_HOST_SUFFIXES = TOKEN_HOST_SUFFIXES + ("slack-edge.com", "slack-imgs.com")
FILES_READ_MESSAGE = (
    "Slack sent a sign-in page instead of the file: the app is missing the `files:read` scope "
    "(add it and reinstall the app) or has no access to this file."
)


# --- Slack file download ------------------------------------------------------------------------------------


def slack_api_host(settings: Settings) -> str | None:
    return urlsplit(settings.slack_api_url).hostname if settings.slack_api_url else None


def is_token_host(host: str, api_host: str | None) -> bool:
    host = host.lower().rstrip(".")
    return host == api_host or any(host == s or host.endswith("." + s) for s in TOKEN_HOST_SUFFIXES)


def may_redirect(host: str, api_host: str | None) -> bool:
    host = host.lower().rstrip(".")
    return host == api_host or any(host == s or host.endswith("." + s) for s in REDIRECT_HOST_SUFFIXES)


def _is_configured_api(hop: net.Target, settings: Settings) -> bool:
    """The exact scheme, host and port of SLACK_API_URL (a test fake, a proxy): trusted even on loopback."""
    if not settings.slack_api_url:
        return False
    api = net.parse(settings.slack_api_url)
    assert api.scheme and api.host, "net.parse refuses a URL without a scheme or host"
    port = api.port or net.DEFAULT_PORTS[api.scheme.lower()]
    host = api.host.strip("[]").rstrip(".").lower()
    return (hop.scheme, hop.host, hop.port) == (api.scheme.lower(), host, port)


def token_allowed(hop: net.Target, settings: Settings) -> bool:
    """The bot token goes to SLACK_API_URL's exact host:port, or to Slack's own hosts over https:443 only."""
    if _is_configured_api(hop, settings):
        return True
    slack_host = any(hop.host == s or hop.host.endswith("." + s) for s in TOKEN_HOST_SUFFIXES)
    return slack_host and hop.scheme == "https" and hop.port == 443


def download_slack_file(services: Services, rec: Recording) -> Path:
    """Fetch a Slack file with the bot token, which goes to Slack hosts only; redirects stay on Slack
    hosts."""
    settings = services.settings
    client = services.slack_for(rec.team_id)
    url = rec.download_url
    if not url:  # Slack Connect stubs carry no URLs: ask files.info
        file = client.files_info(file=rec.source)["file"]
        url = file.get("url_private_download") or file.get("url_private")
        if not url:
            raise UnsupportedMedia("Slack does not let the app download this file.")
    api_host = slack_api_host(settings)
    host = urlsplit(url).hostname or ""
    if not is_token_host(host, api_host):
        raise UrlRefused(f"the file's download link points outside Slack ({host}).")
    token = client.token or ""
    dest = services.download_dir / f"recording-{rec.id}{_download_suffix(rec.name)}"
    try:
        result = net.download(
            url,
            dest,
            max_bytes=settings.max_file_bytes,
            deadline=settings.download_deadline_seconds,
            allow_private=settings.allow_private_urls,
            # Our configured Slack API host:port is trusted even on loopback (tests, proxies); each hop is
            # checked.
            allow_private_for=lambda hop: _is_configured_api(hop, settings),
            headers_for=lambda hop: _bearer(token) if token_allowed(hop, settings) else {},
            may_redirect_to=lambda _from, to: may_redirect(to, api_host),
        )
    except UnsupportedMedia:
        raise UnsupportedMedia(FILES_READ_MESSAGE) from None
    services.storage_full_at = None  # a download fitted on the disk again
    if _looks_like_html(result.path):
        result.path.unlink(missing_ok=True)
        raise UnsupportedMedia(FILES_READ_MESSAGE)
    return result.path


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _download_suffix(name: str | None) -> str:
    """The file name's extension for the temporary file, if it is a plain short one (a hostile 300-character
    "extension" would otherwise make the file name too long for the file system: ENAMETOOLONG)."""
    suffix = file_extension(name)
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"


def _looks_like_html(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(512).lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))
