"""The offline engine served as the Symbl Async API (contract: shared/symbl-async-api.md, §8 checklist).

`create_app(settings, engine=None)` builds the Flask app, its SQLite store and its job queue (workers start
at once); `EngineServer` runs it under waitress on a host and port (port 0: an ephemeral one) in a
background thread, which is how the Slack bot embeds it on loopback and how tests start it.

Project decisions this server takes (the contract marks them): tokens last 24 h and survive restarts;
when no engine credentials are configured any appId/appSecret gets a token, which `EngineServer` only
allows on a loopback address; uploads are raw bodies of any Content-Type, checked with FFmpeg before a
job is accepted (so a corrupt file is a 400 now rather than a failed job later); errors are JSON
`{"message"}` with the §6.3 status codes; a failed job carries a `message`.

The modules, one concern each:

- `service`: `EngineService`, the state every route shares (settings, store, queue), and how a route finds it;
- `auth`: Host/Origin checks, token issue and check, the early refusal of unauthenticated large bodies;
- `submissions`: process and append (audio, video, URL, text), capacity and webhook checks;
- `uploads`: receiving an upload's bytes to disk and checking them with FFmpeg;
- `conversations`: job status, conversation reads (analytics among them), summary refresh, delete;
- `updates`: the edits of who spoke, `PUT …/members/{memberId}` and `PUT …/speakers`;
- `health`: `GET /healthz` (no token), the disk and the queue;
- `request_input`: reading a request's JSON body, boolean flags and wire options into `ApiError`s;
- `errors`: `ApiError` and every other exception → a JSON `{"message"}` response;
- `app`: `create_app`, the composition of the above; `serving`: `EngineServer` under waitress.
"""

from bot.engine.server.app import create_app
from bot.engine.server.service import EngineService
from bot.engine.server.serving import EngineServer, is_loopback

__all__ = ["EngineServer", "EngineService", "create_app", "is_loopback"]
