"""The Symbl Async API over HTTP: `client.SymblClient` (low level) and the SDK-shaped `Audio`/`Conversation`.

This package never imports the engine: it speaks HTTP to the Symbl cloud or to any compatible host.
"""

from bot.symbl.client import Submission, SymblClient

__all__ = ["Submission", "SymblClient"]
