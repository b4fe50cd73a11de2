"""Who may call the engine: Host/Origin (DNS rebinding), token issue and check, and the early refusal.

Every request but a token request and /healthz needs a live `x-api-key`; its appId becomes the request's
owner. A token is live while it has not expired *and* the server's credentials are still the ones that minted
it (`credentials_fingerprint`): rotating `SYMBL_ENGINE_APP_SECRET`, or configuring credentials where the
engine ran open, ends every token issued before, instead of leaving them valid for up to 24 h. The store keeps
tokens as hashes only (bot.engine.store). Large bodies are refused at their headers, before waitress
buffers them, by `early_refusal` (see `early_auth`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from bot.config import Settings
from bot.engine import limits
from bot.engine.server.errors import error_response
from bot.engine.server.health import HEALTH_PATH
from bot.engine.server.request_input import json_body
from bot.engine.server.service import EngineService, current_service
from bot.engine.store import Store
from bot.errors import ApiError

log = logging.getLogger("bot.engine.server")

TOKEN_LIFETIME = 86400  # seconds; the official SDK regenerates after exactly this long (contract §2.3)
TOKEN_PATH = "/oauth2/token:generate"

blueprint = Blueprint("auth", __name__)


OPEN_MODE = "open"  # the fingerprint of an engine without configured credentials (any appId gets a token)


def credentials_fingerprint(settings: Settings) -> str:
    """Which credentials mint tokens now: "open", or the appId with an HMAC of it keyed by the secret (the
    secret itself never reaches the database)."""
    app_id, secret = settings.engine_app_id, settings.engine_app_secret
    if not (app_id and secret):
        return OPEN_MODE
    digest = hmac.new(secret.encode(), b"symbl-engine-token\0" + app_id.encode(), hashlib.sha256)
    return f"{app_id}:{digest.hexdigest()}"


def token_owner(store: Store, settings: Settings, token: str) -> str | None:
    """The appId of a live token minted under the current credentials, else None."""
    return store.token_app(token, credentials_fingerprint(settings)) if token else None


def auth_refusal(store: Store, settings: Settings, token: str) -> str | None:
    """Why a request with this x-api-key is refused (401), or None for a live token."""
    if not token:
        return "Missing x-api-key header: generate a token at /oauth2/token:generate."
    if token_owner(store, settings, token) is None:
        return "The x-api-key token is unknown or expired."
    return None


def early_refusal(service: EngineService) -> Callable[[str, str, Any], str | None]:
    """For `early_auth`: refuse a large body before it is buffered unless its token is live."""

    def refusal(method: str, path: str, headers: Any) -> str | None:
        if path.startswith(TOKEN_PATH):
            return "A token request is a small JSON body."
        return auth_refusal(service.store, service.settings, headers.get("X_API_KEY", ""))

    return refusal


def credentials_ok(settings: Settings, app_id: Any, app_secret: Any) -> bool:
    expected_id, expected_secret = settings.engine_app_id, settings.engine_app_secret
    if not (expected_id and expected_secret):
        return True  # open mode: EngineServer allows it on loopback only
    return (
        isinstance(app_id, str)
        and isinstance(app_secret, str)
        and hmac.compare_digest(app_id, expected_id)
        and hmac.compare_digest(app_secret, expected_secret)
    )


@blueprint.before_app_request
def authenticate() -> Response | None:
    service = current_service()
    refusal = limits.rebinding_refusal(
        request.headers.get("Host"), request.headers.get("Origin"), service.settings.engine_allowed_hosts
    )
    if refusal:
        log.warning("refused %s %s: %s", request.method, request.path, refusal)
        return error_response(403, refusal)
    if request.path.startswith(TOKEN_PATH) or request.path == HEALTH_PATH:
        return None
    token = request.headers.get("x-api-key", "")
    refusal = auth_refusal(service.store, service.settings, token)
    if refusal:
        return error_response(401, refusal)
    g.app_id = token_owner(service.store, service.settings, token)
    return None


@blueprint.post(TOKEN_PATH)
def generate_token() -> Response:
    service = current_service()
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, 'The body must be JSON: {"type": "application", "appId", "appSecret"}.')
    if body.get("type") != "application":
        raise ApiError(400, 'Only type "application" grants are supported.')
    if not body.get("appId") or not body.get("appSecret"):
        raise ApiError(400, "appId and appSecret are required.")
    if not credentials_ok(service.settings, body.get("appId"), body.get("appSecret")):
        raise ApiError(401, "Unknown appId or wrong appSecret.")
    token = secrets.token_urlsafe(32)
    service.store.add_token(
        token, str(body["appId"]), TOKEN_LIFETIME, credentials_fingerprint(service.settings)
    )
    return jsonify({"accessToken": token, "expiresIn": TOKEN_LIFETIME})
