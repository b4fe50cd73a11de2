"""Probes of the URL policy, run by tests/netns.py in a private network namespace (only `lo`, 11.0.0.1 on it).

`python -m tests.netns_probes NAME` prints one JSON line with what happened. Two servers listen on the same
port: the "public" one on 11.0.0.1 and the "internal" one on 127.0.0.1; every probe reports how many requests
the internal one got, which must be none. Names resolve through a scripted resolver installed before
`bot.net` is imported: `public.example` → 11.0.0.1; `rebind.example` → 11.0.0.1 on the first lookup and
127.0.0.1 on every later one (DNS rebinding); `internal.example` → 127.0.0.1; `corp-only.example` does not
resolve (only the proxy of the `proxy` probe knows it).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "standup.mp3"
PUBLIC_IP = "11.0.0.1"
_real_getaddrinfo = socket.getaddrinfo
lookups: Counter = Counter()
ANSWERS = {
    "public.example": [PUBLIC_IP],
    "rebind.example": [PUBLIC_IP, "127.0.0.1"],
    "internal.example": ["127.0.0.1"],
    "corp-only.example": [],
}


def scripted_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list:
    name = str(host).rstrip(".").lower() if host is not None else host
    if name in ANSWERS:
        answers = ANSWERS[name]
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = answers[min(lookups[name], len(answers) - 1)]
        lookups[name] += 1
        return _real_getaddrinfo(address, port, *args, **kwargs)
    return _real_getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = scripted_getaddrinfo  # before bot.net binds its resolver


class Recorder:
    """One of the two servers: records (method, path, body) and serves media, redirects and webhooks."""

    def __init__(self, address: str, port: int, label: bytes, tls: ssl.SSLContext | None = None):
        self.requests: list[tuple[str, str, bytes]] = []
        self.label = label
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                recorder.serve(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                recorder.serve(self, self.rfile.read(length))

        self.httpd = ThreadingHTTPServer((address, port), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:  # https; a client refusing the certificate fails the handshake in accept()
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def serve(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        self.requests.append((h.command, h.path, body))
        parts = urlsplit(h.path)
        if parts.path == "/redirect":
            h.send_response(302)
            h.send_header("Location", parse_qs(parts.query)["to"][0])
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        data = SAMPLE.read_bytes() if h.command == "GET" else b"{}"
        h.send_response(200)
        h.send_header("Content-Type", "audio/mpeg" if h.command == "GET" else "application/json")
        h.send_header("X-Served-By", self.label.decode())
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


def _servers() -> tuple[Recorder, Recorder, int]:
    internal = Recorder("127.0.0.1", 0, b"internal")
    port = internal.httpd.server_address[1]
    public = Recorder(PUBLIC_IP, port, b"public")
    return public, internal, port


def _outcome(call: Callable[[], Any]) -> str:
    from bot.errors import BotError, UrlRefused

    try:
        result = call()
    except UrlRefused as err:
        return f"refused: {err}"
    except BotError as err:
        return f"error: {err}"
    except Exception as err:  # noqa: BLE001 — a crash is a finding, reported like the others
        return f"crash: {err.__class__.__name__}: {err}"
    return f"ok: {result}"


def probe_fetch() -> dict[str, Any]:
    """net.download against the differential spellings, a rebinding name and redirect hops."""
    from bot import net

    public, internal, port = _servers()
    backslash = f"http://127.0.0.1:{port}\\@public.example/../internal/x.mp3"
    cases = {
        "backslash": backslash,
        "userinfo": f"http://127.0.0.1:{port}@public.example:{port}/x.mp3",
        "tab in host": f"http://public.exa\tmple:{port}/x.mp3",
        "control char": f"http://public.example:{port}/x\x00.mp3",
        "space": f"http://public.example:{port}/a b.mp3",
        "unclosed ipv6": "http://[::1/x.mp3",
        "idna label too long": "http://" + "a" * 64 + ".example/x.mp3",
        "rebinding": f"http://rebind.example:{port}/x.mp3",
        "redirect to backslash": f"http://public.example:{port}/redirect?to={quote(backslash, safe='')}",
        "redirect same host, rebound": f"http://rebind.example:{port}/redirect?to=/x.mp3",
        "public": f"http://public.example:{port}/x.mp3",
    }
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, url in cases.items():
            lookups.clear()
            before = len(internal.requests)
            dest = Path(tmp) / "x.bin"

            def fetch(url: str = url, dest: Path = dest) -> str:
                got = net.download(url, dest, max_bytes=10 * 1024**2, deadline=60)
                return "public" if got.path.read_bytes() == SAMPLE.read_bytes() else "other"

            results[name] = {"outcome": _outcome(fetch), "internal_hits": len(internal.requests) - before}
    results["public_requests"] = len(public.requests)
    return results


def probe_webhook() -> dict[str, Any]:
    """The engine (real server, scripted transcriber) with URL jobs whose webhookUrl rebinds to loopback."""
    import requests

    from bot.config import Settings
    from tests.engine_api_support import ScriptedEngine, running_engine
    from tests.support.wait import wait_until

    public, internal, port = _servers()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")  # private URLs NOT allowed: the policy is on
        with running_engine(settings, ScriptedEngine()) as server:
            http = requests.Session()
            token = http.post(
                server.url + "/oauth2/token:generate",
                json={"type": "application", "appId": "a", "appSecret": "b"},
                timeout=10,
            ).json()["accessToken"]
            http.headers["x-api-key"] = token

            def submit(url: str, webhook: str) -> requests.Response:
                body = {"url": url, "webhookUrl": webhook}
                return http.post(server.url + "/v1/process/audio/url", json=body, timeout=10)

            backslash = f"http://127.0.0.1:{port}\\@public.example/../internal/x.mp3"
            results["url backslash"] = submit(backslash, f"http://public.example:{port}/hook").status_code
            results["webhook backslash"] = submit(
                f"http://public.example:{port}/x.mp3", backslash.replace("x.mp3", "hook")
            ).status_code
            lookups.clear()
            rebound = submit(f"http://public.example:{port}/x.mp3", f"http://rebind.example:{port}/hook")
            results["rebound submission"] = rebound.status_code
            job = rebound.json().get("jobId")
            fine = submit(f"http://public.example:{port}/x.mp3", f"http://public.example:{port}/hook")
            fine_job = fine.json().get("jobId")
            for job_id in (job, fine_job):
                wait_until(lambda j=job_id: http.get(f"{server.url}/v1/job/{j}", timeout=10).json()["status"]
                           in ("completed", "failed"))  # fmt: skip
            # Each status (scheduled, in_progress, completed) is a POST attempt, each one resolved anew.
            wait_until(lambda: lookups["rebind.example"] >= 4)
            wait_until(lambda: sum(b'"completed"' in r[2] for r in public.requests if r[1] == "/hook") >= 1)
            results["job status"] = http.get(f"{server.url}/v1/job/{job}", timeout=10).json()["status"]
    results["internal_hits"] = len(internal.requests)
    results["public_hooks"] = [json.loads(r[2])["status"] for r in public.requests if r[1] == "/hook"]
    return results


def probe_proxy() -> dict[str, Any]:
    """net.download with HTTP(S)_PROXY naming a forward proxy on loopback: public hosts go through it (a
    name only the proxy resolves too; https through CONNECT, the certificate checked against the link's
    name); what the policy refuses never reaches it; NO_PROXY exempts a host."""

    from bot import net
    from tests.support.proxy import ForwardProxy

    public, internal, port = _servers()
    proxy = ForwardProxy(hosts={"corp-only.example": PUBLIC_IP})
    os.environ["HTTP_PROXY"] = os.environ["HTTPS_PROXY"] = proxy.base
    tls_port = _https_public(public)
    backslash = f"http://127.0.0.1:{port}\\@public.example/../internal/x.mp3"

    def redirect(to: str) -> str:
        return f"http://public.example:{port}/redirect?to={quote(to, safe='')}"

    cases = {
        "public": f"http://public.example:{port}/x.mp3",
        "resolved only by the proxy": f"http://corp-only.example:{port}/x.mp3",
        "backslash": backslash,
        "userinfo": f"http://127.0.0.1:{port}@public.example:{port}/x.mp3",
        "private literal": f"http://127.0.0.1:{port}/x.mp3",
        "mapped private literal": f"http://[::ffff:127.0.0.1]:{port}/x.mp3",
        "name resolving to loopback": f"http://internal.example:{port}/x.mp3",
        "redirect to a name resolving to loopback": redirect(f"http://internal.example:{port}/x.mp3"),
        "redirect to a private literal": redirect(f"http://127.0.0.1:{port}/x.mp3"),
        "redirect to backslash": redirect(backslash),
        "https": f"https://public.example:{tls_port}/x.mp3",
        # The tunnel reaches the same server, whose certificate names public.example only.
        "https, certificate for another name": f"https://corp-only.example:{tls_port}/x.mp3",
    }
    results: dict[str, Any] = {}

    def run(name: str, url: str) -> None:
        before = len(public.requests), len(internal.requests), len(proxy.requests)
        with tempfile.TemporaryDirectory() as tmp:

            def fetch() -> str:
                # Any host may be redirected to here: the hop's own check is what is probed.
                got = net.download(url, Path(tmp) / "x.bin", max_bytes=10 * 1024**2, deadline=60,
                                   may_redirect_to=lambda a, b: True)  # fmt: skip
                return "public" if got.path.read_bytes() == SAMPLE.read_bytes() else "other"

            outcome = _outcome(fetch)
        results[name] = {
            "outcome": outcome,
            "public_hits": len(public.requests) - before[0],
            "internal_hits": len(internal.requests) - before[1],
            "through_proxy": [u for _m, u in proxy.requests[before[2] :]],
        }

    for name, url in cases.items():
        run(name, url)
    os.environ["NO_PROXY"] = "public.example"
    run("exempted by NO_PROXY", cases["public"])
    run("https exempted by NO_PROXY", cases["https"])  # pinned to the address, SNI and check on the name
    del os.environ["NO_PROXY"]
    os.environ["HTTP_PROXY"] = proxy.base.replace("http://", "http://corp%5Cme:s3cret@")
    run("proxy with credentials", cases["public"])
    results["proxy with credentials"]["authorization"] = proxy.authorizations[-1]
    proxy.close()  # nothing listens there now
    run("proxy unreachable", cases["public"])
    results["loopback, never proxied"] = net.proxy_for(f"http://127.0.0.1:{port}/x.mp3")
    return results


def _https_public(public: Recorder) -> int:
    """An https server on the public address that records into `public`; its certificate (for
    public.example, from a throwaway CA this process then trusts) is checked by every client."""
    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("public.example").configure_cert(context)
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as bundle:
        bundle.write(ca.cert_pem.bytes())
    os.environ["SSL_CERT_FILE"] = bundle.name  # OpenSSL's default verify paths: what urllib3 loads
    server = Recorder(PUBLIC_IP, 0, b"public", tls=context)
    server.requests = public.requests  # one record of what reached the public host
    return server.httpd.server_address[1]


def probe_append() -> dict[str, Any]:
    """`/symbl append '<url>' to <id>` as signed slash commands against the real bot (HTTP mode, its real
    scheduler), whose provider is the engine server (scripted transcriber) downloading the links itself; and
    the backslash link in a message."""
    from bot.providers.symbl.client import SymblClient
    from storage import recordings as repo
    from tests.engine_api_support import ScriptedEngine, running_engine
    from tests.slack_fakes import (
        FakeSlack,
        bot_settings,
        deliver,
        event_envelope,
        message_event,
        running_bot,
        slash_command,
        wait_for,
    )

    public, internal, port = _servers()
    slack = FakeSlack()
    slack.add_user("U0ALICE", "Alice", channels=("C0CHAN",))
    backslash = f"http://127.0.0.1:{port}\\@public.example/../internal/x.mp3"

    def redirect(to: str) -> str:
        return f"http://public.example:{port}/redirect?to={quote(to, safe='')}"

    cases = {  # quoted in the command text, so its shell-like words keep the backslash
        "backslash": backslash,
        "redirect to backslash": redirect(backslash),
        "redirect to loopback": redirect(f"http://127.0.0.1:{port}/x.mp3"),
        "redirect same host, rebound": f"http://rebind.example:{port}/redirect?to=/x.mp3",
        "public": f"http://public.example:{port}/x.mp3",
    }
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = bot_settings(Path(tmp) / "data", slack, None)  # private URLs NOT allowed: the policy is on
        with (
            running_engine(settings, ScriptedEngine()) as engine,
            running_bot(settings, symbl=SymblClient(engine.url, "local", "local")) as (bot, url),
        ):
            first = f"<http://public.example:{port}/x.mp3>"
            assert deliver(url, event_envelope(message_event(first, ts="1701200000.000100"))).ok

            def finished(recording_id: int) -> Any:
                found = repo.get(bot.store, recording_id)
                return found if found and found.state in ("posted", "failed") else None

            base = wait_for(lambda: finished(1), timeout=60)
            assert base.state == "posted", base.error
            for n, (name, link) in enumerate(cases.items()):
                lookups.clear()
                before = len(internal.requests), len(public.requests)
                command = f"append '{link}' to {base.conversation_id}"
                answer = slash_command(url, command, response_url=slack.response_url(f"r{n}"))
                row = wait_for(lambda n=n: finished(n + 2), timeout=60)
                results[name] = {
                    "ack": answer.status_code,
                    "state": row.state,
                    "error": row.error,
                    "source_kept": row.source == link,
                    "internal_hits": len(internal.requests) - before[0],
                    "public_hits": len(public.requests) - before[1],
                }
            # The same link in a message: Slack sends it as <url>.
            before = len(internal.requests), len(public.requests)
            assert deliver(url, event_envelope(message_event(f"<{backslash}>", ts="1701200000.000900"))).ok
            row = wait_for(lambda: finished(len(cases) + 2), timeout=60)
            results["message link, backslash"] = {
                "state": row.state,
                "error": row.error,
                "source_kept": row.source == backslash,
                "internal_hits": len(internal.requests) - before[0],
                "public_hits": len(public.requests) - before[1],
            }
    slack.close()
    results["internal_hits"] = len(internal.requests)
    return results


PROBES = {"fetch": probe_fetch, "webhook": probe_webhook, "proxy": probe_proxy, "append": probe_append}

if __name__ == "__main__":
    print(json.dumps(PROBES[sys.argv[1]](*sys.argv[2:])))
