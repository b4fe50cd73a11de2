"""The offline engine: decode (PyAV) → speech-to-text (faster-whisper) → speakers → insights.

It never imports Slack code. `bot.engine.core` is the entry point; `bot.engine.server` serves it as the
Symbl Async API.
"""
