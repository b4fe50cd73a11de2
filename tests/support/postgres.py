"""A throwaway PostgreSQL cluster for the tests: `initdb` + `pg_ctl` on a temporary directory and a free port.

Started once per test session (tests/conftest.py, `postgres_cluster`) and skipped where `initdb` is absent;
each test gets a database of its own (`new_database()`, a few ms: CREATE DATABASE copies template1).
PostgreSQL refuses to run as root, so when the tests do, the cluster runs as the `postgres` user
(`runuser -u postgres`, as pytest-postgresql cannot). fsync is off: the cluster's data is thrown away.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in name.split("."))


# Where Debian's packages (any version, newest first) and a source install put the server binaries.
_BIN_DIRS = (
    *sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: _version(Path(d).parent.name), reverse=True
    ),
    "/usr/local/bin",
    "/usr/local/pgsql/bin",
)


def _binary(name: str) -> str | None:
    for folder in _BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def available() -> bool:
    return _binary("initdb") is not None and _binary("pg_ctl") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="symbl-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
        self._names = itertools.count(1)
        self._run(_binary("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync", "--locale=C")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._run(_binary("pg_ctl"), "-D", self.data, "-w", "-l", self.root / "log", "-o", options, "start")

    def _run(self, *args: object) -> None:
        subprocess.run([*self._as_user, *map(str, args)], check=True, capture_output=True, timeout=60)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(_binary("pg_ctl"), "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
