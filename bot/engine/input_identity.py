"""One note per input: the conversation id and start time `symbl-bot process` derives from the input itself.

A random id and "now" made every run of the same file a different conversation (issue 10). The id is a
hash of the file's bytes and the processing options; the start time — against which "by Friday" is
resolved and every message's absolute time is written — is the file's modification time, which copies and
re-runs keep. Together with deterministic decoding (bot.engine.transcribe) the same file gives the same
`--json`, byte for byte.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from bot.engine.ids import stable_id
from bot.engine.options import ProcessOptions


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def conversation_id_for(path: Path, options: ProcessOptions, *, model: str | None = None) -> str:
    """Same bytes, same options, same model → same 16-digit conversation id."""
    settings = json.dumps(dataclasses.asdict(options), sort_keys=True, default=str)
    return stable_id("conversation", file_digest(path), settings, model or "")


def start_time_of(path: Path) -> datetime:
    """The file's modification time in UTC, to the second (sub-second parts differ between file systems)."""
    return datetime.fromtimestamp(int(path.stat().st_mtime), tz=UTC)
