"""The bodies of the CLI commands, kept out of bot/cli.py so the command table stays readable."""
