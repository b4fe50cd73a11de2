"""Answering a question about meetings with quoted sentences: `routing` (which stored insight a question
means), `terms` (words for lexical matching), `passages` (a meeting's sentences with speaker and time),
`similarity` (the packaged WordLlama embedding and a small BM25), `answering` (the pipeline and its tuned
`AskOptions`). Nothing here talks to Slack or the database: `bot.slack.ask` brings the meetings and
renders the answer.
"""
