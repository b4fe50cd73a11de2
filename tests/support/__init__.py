"""What the test modules share, one module per kind of thing:

- `http`: a threaded loopback HTTP server and the base class of every fake server;
- `symbl`: the Symbl-compatible stub (`StubSymbl`) and its fault-injecting variant (`ChaosSymbl`), one router;
- `chaos`: the seeded fault picker and the gates that hold a chosen request (chaos Symbl and Slack);
- `files`: one file server (registered blobs, or a folder on disk);
- `wait`: `wait_until`, the one way to wait for a condition;
- `slack`: the strict fake Slack Web API (Slack's documented limits enforced) and signed Slack requests.
"""
