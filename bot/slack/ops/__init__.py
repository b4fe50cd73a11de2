"""Running the Slack app: the poll scheduler, its single-owner lease, the health endpoint, data retention."""
