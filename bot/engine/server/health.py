"""`GET /healthz`: the engine's disk and queue as JSON; 200 when fine, else 503.

No token is needed (a platform's health check has none), so it names no file paths and no job; the Host and
Origin checks still apply. The disk is not ok after a download or upload failed for a full disk, until one
fits again.
"""

from __future__ import annotations

import shutil
from typing import Any

from flask import Blueprint, Response, jsonify

from bot.engine.server.service import EngineService, current_service

HEALTH_PATH = "/healthz"

blueprint = Blueprint("health", __name__)


def disk_status(service: EngineService) -> dict[str, Any]:
    full_at = service.queue.storage_full_at
    status: dict[str, Any] = {"ok": full_at is None}
    try:
        # Local disk even with media in S3: uploads and downloads are spooled there first.
        status["free_mb"] = shutil.disk_usage(service.media.local_dir).free // 1024**2
    except OSError:
        pass
    if full_at is not None:
        status["error"] = "the disk is full: the last download or upload did not fit (downloads are retried)"
    return status


@blueprint.get(HEALTH_PATH)
def healthz() -> tuple[Response, int]:
    service = current_service()
    disk = disk_status(service)
    body = {"ok": disk["ok"], "disk": disk, "jobs": {"unfinished": service.store.unfinished_count()}}
    return jsonify(body), 200 if body["ok"] else 503
