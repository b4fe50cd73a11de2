"""The bot's SQLite state, behind small repository functions (sqlite-utils, WAL, Migrations).

Idempotency lives here: a recording is keyed by (team, channel, source, message ts), so a redelivered event,
the twin `file_shared` event or a second upload of the same message finds the existing row and does nothing.
"""

from storage.db import BotStore, open_store
from storage.recordings import ACTIVE_STATES, Recording, State

__all__ = ["ACTIVE_STATES", "BotStore", "Recording", "State", "open_store"]
