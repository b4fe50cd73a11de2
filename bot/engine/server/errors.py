"""Every error the engine server answers with, as JSON `{"message"}` and the contract's §6.3 status codes."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from bot.errors import ApiError

log = logging.getLogger("bot.engine.server")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"message": message})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _api_error(err: ApiError) -> Response:
    return error_response(err.status, err.message, err.headers)


def _http_error(err: HTTPException) -> Response:
    return error_response(err.code or 500, err.description or err.name)


def _unexpected(err: Exception) -> Response:
    log.exception("unexpected error serving %s %s", request.method, request.path)
    return error_response(500, f"The engine failed unexpectedly ({err.__class__.__name__}).")


def register(app: Flask) -> None:
    """Install the handlers: an `ApiError`, a werkzeug 4xx/5xx, and anything else (a logged 500)."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
