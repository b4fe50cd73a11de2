"""The Symbl Async API over HTTP: `client.SymblClient` (low level) and the SDK-shaped `Audio`, `Video`, `Text`
(module-level instances, as the Symbl docs page's `symbl.Audio`) and `Conversation`.

It speaks HTTP to the Symbl cloud or to any compatible host; only `local` starts the built-in engine (in this
process, on loopback) for the SDK-shaped calls when no Symbl host is configured.
"""

from bot.providers.provider import Submission
from bot.providers.symbl.client import SymblClient
from bot.providers.symbl.sdk import Audio, AudioApi, Conversation, Text, TextApi, Video, VideoApi

__all__ = [
    "Audio",
    "AudioApi",
    "Conversation",
    "Submission",
    "SymblClient",
    "Text",
    "TextApi",
    "Video",
    "VideoApi",
]
