"""The Symbl Async API over HTTP: `client.SymblClient` (low level) and the SDK-shaped `Audio`/`Conversation`.

This package never imports the engine: it speaks HTTP to the Symbl cloud or to any compatible host.
"""

from bot.providers.provider import Submission
from bot.providers.symbl.client import SymblClient
from bot.providers.symbl.sdk import Audio, Conversation, Text, Video

__all__ = ["Audio", "Conversation", "Submission", "SymblClient", "Text", "Video"]
