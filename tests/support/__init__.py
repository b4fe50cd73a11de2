"""Shared test support: local HTTP servers (`http`) and the strict fake Slack (`slack`)."""
