"""symbl-slack-bot: meeting recordings in Slack → threaded summaries, via the Symbl Async API or an offline
engine."""

__version__ = "0.1.0"
