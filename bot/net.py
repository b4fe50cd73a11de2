"""Fetching media from URLs safely: public http(s) only, bounded size, no surprise redirects.

One module for every download the project makes (CLI, engine server, Slack bot), so the SSRF rules live in one
place. Redirects are followed by hand so each hop is checked, and credentials go only to hosts the caller
names — `requests` would otherwise follow any redirect and `urllib` would forward the Authorization header.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin, urlsplit

import requests

from bot.errors import FetchError, MediaTooLarge, UnsupportedMedia, UrlRefused

# Symbl refuses these too: video platforms serve players, not media, and shorteners hide where a link goes.
REFUSED_DOMAINS = {
    "youtube.com": "YouTube", "youtu.be": "YouTube", "youtube-nocookie.com": "YouTube",
    "vimeo.com": "Vimeo", "player.vimeo.com": "Vimeo",
    "bit.ly": "a link shortener", "tinyurl.com": "a link shortener", "t.co": "a link shortener",
    "goo.gl": "a link shortener", "ow.ly": "a link shortener", "is.gd": "a link shortener",
    "buff.ly": "a link shortener", "rebrand.ly": "a link shortener", "cutt.ly": "a link shortener",
    "shorturl.at": "a link shortener", "tiny.cc": "a link shortener", "lnkd.in": "a link shortener",
    "rb.gy": "a link shortener", "s.id": "a link shortener", "bl.ink": "a link shortener",
}
MAX_REDIRECTS = 3
CHUNK_BYTES = 1 << 16
DEFAULT_TIMEOUT = (10.0, 30.0)  # connect, read (between bytes)


@dataclass(frozen=True)
class Download:
    path: Path
    size: int
    content_type: str
    final_url: str


def _refused_service(host: str) -> str | None:
    parts = host.split(".")
    for i in range(len(parts) - 1):
        service = REFUSED_DOMAINS.get(".".join(parts[i:]))
        if service:
            return service
    return None


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool = False) -> str:
    """Return `url` if it may be fetched, else raise UrlRefused with a reason a user understands."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port
    except ValueError:
        raise UrlRefused(f"{url!r} is not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise UrlRefused(f"Only http(s) links can be processed, not {parts.scheme or 'this'}: links.")
    if not host:
        raise UrlRefused(f"{url!r} has no host name.")
    service = _refused_service(host)
    if service:
        raise UrlRefused(
            f"Links to {service} cannot be processed: share a direct link to the audio or video file instead."
        )
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        error = FetchError(f"Could not resolve the host {host!r}: check the link.")
        # Only "try again" is the resolver's trouble; a name that does not exist will not start to (a link with a
        # typo would otherwise sit as "Queued" for the hours of transient retries).
        error.transient = err.errno == socket.EAI_AGAIN
        raise error from None
    if not infos or not all(_is_public(info[4][0]) for info in infos):
        raise UrlRefused(f"{host} is a private or local address; only public links can be processed.")
    return url


def download(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    allow_private: bool = False,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    headers_for: Callable[[str], dict[str, str]] | None = None,
    may_redirect_to: Callable[[str, str], bool] | None = None,
    session: requests.Session | None = None,
) -> Download:
    """Stream `url` into `dest`, checking every hop and counting bytes.

    headers_for(host) gives extra headers for a host (e.g. a bearer token for Slack hosts only).
    may_redirect_to(from_host, to_host) decides cross-host redirects; by default only same-host redirects.
    Raises UrlRefused, MediaTooLarge, UnsupportedMedia (an HTML page instead of media) or FetchError.
    """
    http = session or requests.Session()
    current = url
    first_host = urlsplit(url).hostname or ""
    for _hop in range(MAX_REDIRECTS + 1):
        check_url(current, allow_private=allow_private)
        host = urlsplit(current).hostname or ""
        try:
            response = http.get(
                current, stream=True, allow_redirects=False, timeout=timeout,
                headers=(headers_for(host) if headers_for else {}),
            )
        except requests.Timeout:
            raise FetchError(f"Timed out fetching {host}.") from None
        except requests.RequestException as exc:
            raise FetchError(f"Could not reach {host}: {exc.__class__.__name__}.") from None
        with response:
            if response.is_redirect:
                target = urljoin(current, response.headers.get("Location", ""))
                target_host = urlsplit(target).hostname or ""
                allowed = (may_redirect_to or (lambda a, b: a == b))(first_host, target_host)
                if not allowed:
                    raise UrlRefused(
                        f"The link redirects to another host ({target_host}); share the direct file link instead."
                    )
                current = target
                continue
            _raise_for_status(response, host)
            return _stream_to_file(response, dest, max_bytes=max_bytes, final_url=current)
    raise UrlRefused(f"The link redirects more than {MAX_REDIRECTS} times.")


def _raise_for_status(response: requests.Response, host: str) -> None:
    if response.status_code < 400:
        return
    error = FetchError(f"{host} answered HTTP {response.status_code} for the file.")
    # 4xx other than 408/429 will not heal by retrying: the link is wrong or private.
    error.transient = response.status_code in (408, 429) or response.status_code >= 500
    raise error


def _stream_to_file(response: requests.Response, dest: Path, *, max_bytes: int, final_url: str) -> Download:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type in ("text/html", "application/xhtml+xml"):
        raise UnsupportedMedia("The link returned a web page, not an audio or video file.")
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise MediaTooLarge(_too_large(int(declared), max_bytes))
    size = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(dest, "wb") as out:
            for chunk in response.iter_content(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise MediaTooLarge(_too_large(size, max_bytes))
                out.write(chunk)
    except requests.RequestException as exc:
        dest.unlink(missing_ok=True)
        raise FetchError(f"The download was interrupted: {exc.__class__.__name__}.") from None
    except MediaTooLarge:
        dest.unlink(missing_ok=True)
        raise
    return Download(path=dest, size=size, content_type=content_type, final_url=final_url)


def _too_large(size: int, limit: int) -> str:
    return f"The file is larger than the {limit / 1024**2:,.0f} MB limit (at least {size / 1024**2:,.0f} MB)."
