"""The data directory is the service user's alone: directories 0700, files 0600.

Why (issue 21, finding 6): it holds every workspace's `xoxb-` token (`slack_oauth.db`), the engine's tokens
and every transcript (`engine.db`, `bot.db`), and uploaded recordings; at 0755/0644 any local user could read
them. Files are created all over (SQLite and its `-wal`/`-shm`, uploads, the OAuth stores of slack-sdk, the
scheduler's lock), most by libraries that take the process's umask, so the root fix is that umask, set once
when a service starts; a spawned worker inherits it. A directory made by an older version (or by hand) is
closed with one `chmod` of its top: files inside an 0700 directory cannot be reached by other users whatever
their own mode.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077  # new files 0600, new directories 0700
PRIVATE_DIR_MODE = 0o700


def make_private(data_dir: Path) -> None:
    """Set the process's umask, and create `data_dir` (0700) or narrow an existing one to 0700."""
    os.umask(PRIVATE_UMASK)
    data_dir.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    if mode & ~PRIVATE_DIR_MODE:
        try:
            data_dir.chmod(PRIVATE_DIR_MODE)
        except OSError as err:  # not its owner (a volume mounted by root): say so, and run
            log.warning("the data directory is readable by others (%o) and cannot be narrowed: %s", mode, err)
            return
        log.info("the data directory was %o; narrowed to %o", mode, PRIVATE_DIR_MODE)
