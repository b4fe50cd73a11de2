"""Running a probe inside a private network namespace, so no test traffic can leave the machine.

The namespace has only `lo`, brought up, with the public-looking address 11.0.0.1 bound on it besides
127.0.0.1: a server on 11.0.0.1 is a "public host" to the URL policy, yet every packet stays in the namespace.
`run_probe(name)` runs `python -m tests.netns_probes NAME` there and returns the JSON it prints; tests call
`require_netns()` first, which skips cleanly where namespaces are unavailable (no `unshare`, no `ip`, no
permission).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_IP = "11.0.0.1"
_SETUP = f"ip link set lo up && ip addr add {PUBLIC_IP}/32 dev lo"


@functools.cache
def _unshare_args() -> tuple[str, ...] | None:
    if not (shutil.which("unshare") and shutil.which("ip")):
        return None
    for args in (("unshare", "-n"), ("unshare", "-rn")):  # root; else an unprivileged user namespace
        try:
            done = subprocess.run([*args, "sh", "-c", _SETUP], capture_output=True, timeout=20, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return args
    return None


def require_netns() -> None:
    if _unshare_args() is None:
        pytest.skip("network namespaces are unavailable here (unshare -n / ip)")


def run_probe(name: str, *args: str, timeout: float = 180) -> dict[str, Any]:
    """Run one probe of tests/netns_probes.py in a fresh namespace; its printed JSON result."""
    unshare = _unshare_args()
    assert unshare is not None, "call require_netns() first"
    script = f'{_SETUP} && exec "$0" -m tests.netns_probes "$@"'
    done = subprocess.run(
        [*unshare, "sh", "-c", script, sys.executable, name, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,  # the assertion below shows the probe's stderr
    )
    assert done.returncode == 0, f"probe {name} failed ({done.returncode}):\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])
