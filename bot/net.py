"""Fetching media from URLs, and posting webhooks, safely: one URL policy for every outbound request.

One module for every download the project makes (CLI, engine server, Slack bot) and every engine webhook POST,
so the SSRF rules live in one place:

- **One parser.** URLs are parsed once with urllib3's `parse_url`, the parser of the library that connects, so
  the host we check is the host we reach. `\\`, whitespace, control characters and userinfo (`user@`) are
  refused outright: they are where parsers disagree.
- **Resolve once, connect to the checked address.** The host is resolved once, every address must be public
  (unless `allow_private`), and the connection goes to that address (an urllib3 pool on the IP, with the
  original `Host` header and, for https, SNI and certificate checks against the original name). A second DNS
  answer (DNS rebinding) is never asked for.
- **Every hop.** Redirects are followed by hand, each hop parsed, resolved, checked and pinned the same way;
  credentials go only where the caller's `headers_for` says — `requests` would follow any redirect and
  `urllib` would forward the Authorization header.
- **A proxy when one applies.** When `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` names a proxy for a URL (and
  `NO_PROXY` does not exempt it, read as `requests` does), the request goes through that proxy (urllib3's
  ProxyManager; https through a CONNECT tunnel, the certificate checked against the original name). The
  spelling checks and the refusal of private IP literals stay; the name is still resolved here, but only
  best-effort: private answers are refused, no answer is let through (behind a corporate proxy, often only
  the proxy can resolve outside names). The proxy resolves the name again and connects where it likes, so
  the proxy is then the trust boundary for DNS rebinding and for what "internal" means.
- **A deadline on the whole exchange.** Timeouts bound each connect and each read; a peer that drips a byte
  every few seconds trips neither, and held a worker indefinitely (issue 21, finding 5). Every download and
  webhook POST also takes a wall-clock `deadline` across all of it (hops, headers, body): when it passes, the
  exchange's sockets are shut down, which ends a read blocked in another call at once, and the caller gets a
  `FetchError` that says so. The values are settings (bot.config: `download_deadline_seconds`,
  `webhook_deadline_seconds`).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

import urllib3
from requests.utils import get_environ_proxies, select_proxy
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import LocationParseError, ProtocolError, ProxyError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util import Url, parse_url

from bot import net_log
from bot.errors import FetchError, MediaTooLarge, StorageFull, UnsupportedMedia, UrlRefused

# Symbl refuses these too: video platforms serve players, not media, and shorteners hide where a link goes.
REFUSED_DOMAINS = {
    "youtube.com": "YouTube", "youtu.be": "YouTube", "youtube-nocookie.com": "YouTube",
    "vimeo.com": "Vimeo", "player.vimeo.com": "Vimeo",
    "bit.ly": "a link shortener", "tinyurl.com": "a link shortener", "t.co": "a link shortener",
    "goo.gl": "a link shortener", "ow.ly": "a link shortener", "is.gd": "a link shortener",
    "buff.ly": "a link shortener", "rebrand.ly": "a link shortener", "cutt.ly": "a link shortener",
    "shorturl.at": "a link shortener", "tiny.cc": "a link shortener", "lnkd.in": "a link shortener",
    "rb.gy": "a link shortener", "s.id": "a link shortener", "bl.ink": "a link shortener",
}  # fmt: skip
MAX_REDIRECTS = 3
MAX_URL_CHARS = 4096
CHUNK_BYTES = 1 << 16
DEFAULT_TIMEOUT = (10.0, 30.0)  # connect, read (between bytes)
WEBHOOK_TIMEOUT = (5.0, 10.0)
DEFAULT_PORTS = {"http": 80, "https": 443}
# Every urlopen: redirects are ours to check, a retry would be a second request, the body is streamed.
ONE_STREAMED_REQUEST: dict[str, Any] = {
    "redirect": False,
    "retries": False,
    "preload_content": False,
    "assert_same_host": False,
}

# The resolver every check uses; tests replace it (e.g. one that answers differently the second time).
Resolver = Callable[..., list]
resolve: Resolver = socket.getaddrinfo


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`, already resolved and checked) and what to ask for."""

    url: str  # normalised by urllib3
    scheme: str
    host: str  # lower-case, no trailing dot; IPv6 without brackets
    port: int
    request_uri: str
    addresses: tuple[str, ...]  # empty only through a proxy, when the name did not resolve here
    proxy: str | None = None  # the proxy URL the request goes through (from the environment), if any

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == DEFAULT_PORTS[self.scheme] else f"{name}:{self.port}"


@dataclass(frozen=True)
class Download:
    path: Path
    size: int
    content_type: str
    final_url: str


class Deadline:
    """A wall-clock limit on one exchange: at `seconds`, every socket it opened is shut down.

    Shutting a socket down (not closing it) is what wakes a `recv` blocked in another thread; the exchange
    then fails with whatever urllib3 makes of that, and `expired` tells the caller why.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.name = "net-deadline"
        self._timer.start()

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        # The plain socket's shutdown, also under TLS: the SSL layer's would first drop its state, which the
        # reading thread is still using.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:  # already closed
        pass


@contextmanager
def _within(seconds: float, what: str) -> Iterator[Deadline]:
    """Run the block under a `Deadline`; any failure after it expired is a FetchError saying so (not
    transient: the same peer would be as slow again)."""
    deadline = Deadline(seconds)
    too_slow = FetchError(f"{what} took longer than {seconds:g} s; gave up.", transient=False)
    try:
        yield deadline
    except BaseException as err:
        if deadline.expired and not isinstance(err, KeyboardInterrupt):
            raise too_slow from None
        raise
    finally:
        deadline.cancel()
    # A cut exchange may also look finished (headers cut short read as complete): it is not to be trusted.
    if deadline.expired:
        raise too_slow


@contextmanager
def _removed_on_failure(dest: Path) -> Iterator[None]:
    try:
        yield
    except FetchError:
        dest.unlink(missing_ok=True)
        raise


def _tracked_connection(cls: type[Any], deadline: Deadline | None) -> type[Any]:
    """`cls` whose sockets `deadline` can shut down (a subclass per exchange: urllib3 makes connections)."""
    if deadline is None:
        return cls
    limit = deadline

    class Tracked(cls):
        def connect(self) -> None:
            super().connect()
            limit.track(self.sock)

    return Tracked


def _tracked_pool(cls: type[HTTPConnectionPool], deadline: Deadline | None) -> type[HTTPConnectionPool]:
    class Tracked(cls):  # type: ignore[misc, valid-type]
        ConnectionCls = _tracked_connection(cls.ConnectionCls, deadline)

    return Tracked


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


def _refuse_ambiguous(url: str) -> None:
    """Refuse the characters parsers read differently, before any parser sees them."""
    if len(url) > MAX_URL_CHARS:
        raise UrlRefused(f"The link is longer than {MAX_URL_CHARS} characters.")
    if "\\" in url:
        raise UrlRefused("Links with a backslash (\\) cannot be processed.")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise UrlRefused("Links with spaces or control characters cannot be processed.")
    _, sep, rest = url.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0] if sep else ""
    if "@" in authority:
        raise UrlRefused("Links with a user name or password (user@host) cannot be processed.")


def parse(url: str) -> Url:
    """Parse `url` as urllib3 will when it connects; raise UrlRefused for anything ambiguous or malformed."""
    if not isinstance(url, str):
        raise UrlRefused("The link must be a string.")
    url = url.strip()
    _refuse_ambiguous(url)
    try:
        parts = parse_url(url)
    except (LocationParseError, UnicodeError, ValueError):
        raise UrlRefused(f"{_shown(url)} is not a valid URL.") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in DEFAULT_PORTS:
        raise UrlRefused(f"Only http(s) links can be processed, not {scheme or 'this'}: links.")
    if parts.auth:
        raise UrlRefused("Links with a user name or password (user@host) cannot be processed.")
    if not parts.host:
        raise UrlRefused(f"{_shown(url)} has no host name.")
    return parts


def _shown(url: str) -> str:
    return repr(url if len(url) <= 200 else url[:200] + "…")


def proxy_for(url: str) -> str | None:
    """The proxy URL that `HTTP(S)_PROXY`/`ALL_PROXY` name for `url`, None when none does or `NO_PROXY`
    exempts it (requests' reading of them: lower case first, CIDR ranges in NO_PROXY). Loopback is never
    proxied (a proxy would reach its own loopback, not ours), as Go's net/http decides too."""
    if _is_loopback(_host_of(url)):
        return None
    proxy = select_proxy(url, get_environ_proxies(url))
    if not proxy:
        return None
    return proxy if "://" in proxy else "http://" + proxy  # `HTTP_PROXY=proxy:3128` means http


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _addresses(host: str, port: int, *, allow_private: bool, best_effort: bool = False) -> tuple[str, ...]:
    """The checked addresses of `host`; `best_effort` (through a proxy): () when it does not resolve here."""
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        if best_effort:
            return ()
        # Only "try again" is the resolver's trouble; a name that does not exist will not start to (a link
        # with a typo would otherwise sit as "Queued" for the hours of transient retries).
        raise FetchError(
            f"Could not resolve the host {host!r}: check the link.", transient=err.errno == socket.EAI_AGAIN
        ) from None
    except (UnicodeError, ValueError):  # IDNA: a label too long, a character IDNA refuses
        raise UrlRefused(f"{host!r} is not a valid host name.") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses and not best_effort:
        raise FetchError(f"Could not resolve the host {host!r}: check the link.")
    if not allow_private:
        _require_public(host, addresses)
    return addresses


def _require_public(host: str, addresses: tuple[str, ...]) -> None:
    if not all(_is_public(a) for a in addresses):
        raise UrlRefused(f"{host} is a private or local address; only public links can be processed.")


def target(url: str, *, allow_private: bool = False) -> Target:
    """Parse, check and resolve `url` once: the returned Target is what `open_pinned` connects to."""
    parts = parse(url)
    # `parse` refused a URL without either, so the empty defaults only satisfy the type of urllib3's Url.
    scheme = (parts.scheme or "").lower()
    host = (parts.host or "").strip("[]").rstrip(".").lower()
    if not host:
        raise UrlRefused(f"{_shown(url)} has no host name.")
    service = _refused_service(host)
    if service:
        raise UrlRefused(
            f"Links to {service} cannot be processed: share a direct link to the audio or video file instead."
        )
    port = parts.port or DEFAULT_PORTS[scheme]
    proxy = proxy_for(parts.url)
    return Target(
        url=parts.url,
        scheme=scheme,
        host=host,
        port=port,
        request_uri=parts.request_uri,
        addresses=_addresses(host, port, allow_private=allow_private, best_effort=proxy is not None),
        proxy=proxy,
    )


def check_url(url: str, *, allow_private: bool = False) -> str:
    """Return `url` if it may be fetched, else raise UrlRefused with a reason a user understands.

    A check at submission time only: whoever connects later must use `download`/`post_json`, which check and
    pin again (the name may resolve elsewhere by then).
    """
    target(url, allow_private=allow_private)
    return url


def open_pinned(
    to: Target,
    method: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    deadline: Deadline | None = None,
) -> urllib3.BaseHTTPResponse:
    """Send one request to the checked address of `to`, or through `to.proxy` (no redirects followed, no
    retries); `deadline` can shut its sockets down.

    The caller must `close_response()` the response; its pool (or proxy manager) is closed with it.
    """
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    sent = {**(headers or {}), "Host": to.host_header}
    if to.proxy:
        timeouts = urllib3.Timeout(connect=connect, read=read)
        return _through_proxy(to, method, sent, body, timeouts, deadline)
    last: Exception | None = None
    for address in to.addresses:
        pool = _pool(to, address, urllib3.Timeout(connect=connect, read=read), deadline)
        try:
            response = pool.urlopen(method, to.request_uri, body=body, headers=sent, **ONE_STREAMED_REQUEST)
        except urllib3.exceptions.NewConnectionError as err:  # try the next checked address
            pool.close()
            last = err
            continue
        except BaseException:
            pool.close()
            raise
        response._symbl_close = pool.close  # type: ignore[attr-defined]  # called by close_response
        return response
    assert last is not None
    raise last


def _through_proxy(
    to: Target,
    method: str,
    headers: dict[str, str],
    body: bytes | None,
    timeout: urllib3.Timeout,
    deadline: Deadline | None,
) -> urllib3.BaseHTTPResponse:
    assert to.proxy is not None
    proxy = parse_url(to.proxy)
    proxy_headers = None
    # urllib3 leaves Proxy-Authorization to its caller; percent-escapes are decoded, as requests does.
    if proxy.auth:
        user, _, password = proxy.auth.partition(":")
        proxy_headers = urllib3.make_headers(proxy_basic_auth=f"{unquote(user)}:{unquote(password)}")
    manager = urllib3.ProxyManager(
        proxy._replace(auth=None).url,
        proxy_headers=proxy_headers,
        timeout=timeout,
        retries=False,
        num_pools=1,
        maxsize=1,
        cert_reqs="CERT_REQUIRED",
    )
    if deadline is not None:
        manager.pool_classes_by_scheme = {
            scheme: _tracked_pool(pool, deadline) for scheme, pool in manager.pool_classes_by_scheme.items()
        }
    try:
        response = manager.urlopen(method, to.url, body=body, headers=headers, **ONE_STREAMED_REQUEST)
    except BaseException:
        manager.clear()
        raise
    response._symbl_close = manager.clear  # type: ignore[attr-defined]  # called by close_response
    return response


def close_response(response: urllib3.BaseHTTPResponse) -> None:
    # Closed, not only released: every pool here serves one request, and a body left unread (a webhook's
    # answer, a download cut by its deadline) would keep the socket open until garbage collection.
    response.close()
    response.release_conn()
    close = getattr(response, "_symbl_close", None)
    if close is not None:
        close()


def _pool(
    to: Target, address: str, timeout: urllib3.Timeout, deadline: Deadline | None = None
) -> urllib3.HTTPConnectionPool:
    ip = address.split("%", 1)[0]
    pool: urllib3.HTTPConnectionPool
    if to.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            ip, to.port, timeout=timeout, maxsize=1, retries=False,
            server_hostname=to.host, assert_hostname=to.host, cert_reqs="CERT_REQUIRED",
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(ip, to.port, timeout=timeout, maxsize=1, retries=False)
    pool.ConnectionCls = _tracked_connection(pool.ConnectionCls, deadline)
    return pool


def download(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    deadline: float,
    allow_private: bool = False,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    headers_for: Callable[[Target], dict[str, str]] | None = None,
    may_redirect_to: Callable[[str, str], bool] | None = None,
    allow_private_for: Callable[[Target], bool] | None = None,
) -> Download:
    """Stream `url` into `dest`, checking and pinning every hop and counting bytes, all within `deadline`
    seconds (else FetchError, the partial file removed).

    headers_for(target) gives extra headers for a hop (e.g. a bearer token for exact Slack hosts only).
    may_redirect_to(from_host, to_host) decides cross-host redirects; by default only same-host redirects.
    allow_private_for(parsed) lifts the address check for a hop the caller trusts (its own configured API).
    Raises UrlRefused, MediaTooLarge, UnsupportedMedia (an HTML page instead of media), StorageFull (the disk
    is full: transient; the partial file is removed) or FetchError.
    """
    with _removed_on_failure(dest), _within(deadline, "The download") as limit:
        current = url
        first_host = ""
        for _hop in range(MAX_REDIRECTS + 1):
            hop = _hop_target(current, allow_private, allow_private_for)
            first_host = first_host or hop.host
            response = _request(hop, "GET", headers_for(hop) if headers_for else {}, None, timeout, limit)
            try:
                if response.get_redirect_location():
                    next_url = urljoin(hop.url, str(response.get_redirect_location()))
                    next_host = _host_of(next_url)
                    allowed = (may_redirect_to or (lambda a, b: a == b))(first_host, next_host)
                    if not allowed:
                        raise UrlRefused(
                            f"The link redirects to another host ({next_host}); "
                            "share the direct file link instead."
                        )
                    current = next_url
                    continue
                _raise_for_status(response.status, hop.host)
                return _stream_to_file(response, dest, max_bytes=max_bytes, final_url=hop.url)
            finally:
                close_response(response)
        raise UrlRefused(f"The link redirects more than {MAX_REDIRECTS} times.")


def _hop_target(url: str, allow_private: bool, allow_private_for: Callable[[Target], bool] | None) -> Target:
    if allow_private or allow_private_for is None:
        return target(url, allow_private=allow_private)
    hop = target(url, allow_private=True)  # resolved once; checked here unless the caller trusts the hop
    if not allow_private_for(hop):
        _require_public(hop.host, hop.addresses)
    return hop


def _host_of(url: str) -> str:
    try:
        return (parse_url(url).host or "").strip("[]").rstrip(".").lower()
    except (LocationParseError, UnicodeError, ValueError):
        return url[:100]


def _request(
    to: Target,
    method: str,
    headers: dict[str, str],
    body: bytes | None,
    timeout: Any,
    deadline: Deadline,
    *,
    hidden: net_log.Hidden = "query",
) -> urllib3.BaseHTTPResponse:
    """`hidden`: what urllib3's DEBUG line must not show of the URL (a webhook's "all", a link's "query")."""
    try:
        with net_log.hiding(hidden):
            return open_pinned(to, method, headers=headers, body=body, timeout=timeout, deadline=deadline)
    except ProxyError as exc:  # before the others: the proxy, not the host, could not be reached
        cause = exc.original_error.__class__.__name__ if exc.original_error else "ProxyError"
        raise FetchError(f"Could not reach {to.host} through the proxy: {cause}.") from None
    # NewConnectionError (refused, unreachable) subclasses ConnectTimeoutError: it must come first.
    except urllib3.exceptions.NewConnectionError as exc:
        raise FetchError(f"Could not reach {to.host}: {exc.__class__.__name__}.") from None
    except Urllib3Timeout:
        raise FetchError(f"Timed out fetching {to.host}.") from None
    except (Urllib3Error, OSError) as exc:
        raise FetchError(f"Could not reach {to.host}: {exc.__class__.__name__}.") from None


def post_json(
    url: str,
    payload: bytes,
    *,
    deadline: float,
    allow_private: bool = False,
    timeout: float | tuple[float, float] = WEBHOOK_TIMEOUT,
) -> int:
    """POST a JSON body to `url` (checked and pinned now, not only when it was first given); the status,
    all within `deadline` seconds.

    Redirects are not followed. Raises UrlRefused when the URL is (now) refused, FetchError when unreachable
    or too slow.
    """
    to = target(url, allow_private=allow_private)
    with _within(deadline, "The webhook POST") as limit:
        headers = {"Content-Type": "application/json"}
        response = _request(to, "POST", headers, payload, timeout, limit, hidden="all")
        try:
            return response.status
        finally:
            close_response(response)


def _raise_for_status(status: int, host: str) -> None:
    if status < 400:
        return
    # 4xx other than 408/429 will not heal by retrying: the link is wrong or private.
    transient = status in (408, 429) or status >= 500
    raise FetchError(f"{host} answered HTTP {status} for the file.", transient=transient)


def _stream_to_file(
    response: urllib3.BaseHTTPResponse, dest: Path, *, max_bytes: int, final_url: str
) -> Download:
    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type in ("text/html", "application/xhtml+xml"):
        raise UnsupportedMedia("The link returned a web page, not an audio or video file.")
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise MediaTooLarge(_too_large(int(declared), max_bytes))
    size = 0
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "wb") as out:
            for chunk in response.stream(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise MediaTooLarge(_too_large(size, max_bytes))
                out.write(chunk)
    except (Urllib3Error, ProtocolError) as exc:
        dest.unlink(missing_ok=True)
        raise FetchError(f"The download was interrupted: {exc.__class__.__name__}.") from None
    except OSError as exc:
        dest.unlink(missing_ok=True)
        if StorageFull.caused(exc):
            raise StorageFull("The server's disk is full; the download will be tried again later.") from None
        raise
    except MediaTooLarge:
        dest.unlink(missing_ok=True)
        raise
    return Download(path=dest, size=size, content_type=content_type, final_url=final_url)


def _too_large(size: int, limit: int) -> str:
    return f"The file is larger than the {limit / 1024**2:,.0f} MB limit (at least {size / 1024**2:,.0f} MB)."
