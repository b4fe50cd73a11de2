"""Receiving a recording's bytes to local disk within the size limit, and checking them with FFmpeg before
a job.

A corrupt or over-long file is refused now (400/413/415) rather than failing as a job later. The file written
here is the media store's staging file: the caller keeps it in the store once it is checked.
"""

from __future__ import annotations

from pathlib import Path

from flask import request

from bot.config import Settings
from bot.engine import decode
from bot.errors import ApiError, InputError, MediaTooLong, StorageFull

UPLOAD_CHUNK = 1 << 20


def too_large(limit: int) -> str:
    return f"The upload is larger than the {limit / 1024**2:,.0f} MB limit."


def receive_upload(settings: Settings, partial: Path) -> Path:
    """Stream the request body to `partial` and check it; nothing is left behind on refusal.

    Raises StorageFull (the partial file removed) when the disk is full.
    """
    if (request.mimetype or "").startswith("multipart/"):
        # `curl -F file=@x.mp3` wraps the bytes in a form; Symbl takes the raw bytes as the body.
        raise ApiError(
            415,
            "Send the recording's bytes as the request body (curl --data-binary @meeting.mp3 with an "
            "audio/* or video/* Content-Type), not as a multipart form (curl -F).",
        )
    limit = settings.max_file_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, too_large(limit))
    try:
        partial.parent.mkdir(parents=True, exist_ok=True)
        _write_body(partial, limit)
        check_media(settings, partial)
    except OSError as err:
        partial.unlink(missing_ok=True)
        if StorageFull.caused(err):
            raise StorageFull("The engine's disk is full; send the recording again later.") from None
        raise
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial


def _write_body(partial: Path, limit: int) -> None:
    size = 0
    with partial.open("wb") as out:
        while chunk := request.stream.read(UPLOAD_CHUNK):
            size += len(chunk)
            if size > limit:
                raise ApiError(413, too_large(limit))
            out.write(chunk)
    if size == 0:
        raise ApiError(400, "The recording is empty (0 bytes): send its bytes as the request body.")


def check_media(settings: Settings, path: Path) -> None:
    """Probe `path` with FFmpeg: 400 for undecodable or too long media, 415 for a non-media Content-Type."""
    try:
        decode.probe(path, max_duration_seconds=settings.max_duration_seconds)
    except MediaTooLong as err:
        raise ApiError(400, str(err)) from None
    except InputError as err:
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type and not content_type.startswith(("audio/", "video/", "application/octet-stream")):
            raise ApiError(415, f"Unsupported Content-Type {content_type}: {err}") from None
        raise ApiError(400, str(err).replace(path.name, "The uploaded file")) from None
