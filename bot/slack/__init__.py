"""The Slack app: composition root (`app`), the recording pipeline, thread posting, `/symbl`, rendering, ops.

Everything here may use Slack (slack-bolt, slack-sdk); nothing in `bot.engine` or `bot.providers` imports it.
`handlers/` (the thin Bolt listeners) calls into this package.
"""
