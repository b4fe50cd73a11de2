"""Where the engine keeps a job's input (an upload, a downloaded link, a transcript) until the job ends.

`MediaStore` is the one seam every place that touches those bytes goes through (submissions, the job queue,
conversation deletion, /healthz); `open_media_store` picks the implementation by the scheme of
SYMBL_ENGINE_MEDIA_URL: `file` (the default: local disk, the paths of before) or `s3` (S3-compatible object
storage through boto3, so engine machines need not share a disk).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.config import Settings
from bot.engine.media.local import LocalMediaStore
from bot.engine.media.store import MediaStore
from bot.errors import ConfigError

__all__ = ["MediaStore", "open_media_store"]


def _local(settings: Settings) -> MediaStore:
    url = settings.engine_media_url
    # file:///srv/media (absolute) or file://media (relative to the working directory), as given.
    return LocalMediaStore(url.partition("://")[2] if url else settings.engine_media_dir)


def _s3(settings: Settings) -> MediaStore:
    # Imported here: boto3 is an optional extra, loaded only when an s3:// URL is configured.
    from bot.engine.media.s3 import S3MediaStore

    assert settings.engine_media_url is not None
    return S3MediaStore(
        settings.engine_media_url,
        spool_dir=settings.engine_media_dir,
        endpoint_url=settings.engine_s3_endpoint_url,
    )


OPENERS = {"file": _local, "s3": _s3}


def open_media_store(settings: Settings) -> MediaStore:
    """The store SYMBL_ENGINE_MEDIA_URL names (local disk when unset)."""
    scheme = urlsplit(settings.engine_media_url or "").scheme or "file"
    opener = OPENERS.get(scheme)
    if opener is None:
        raise ConfigError(f"SYMBL_ENGINE_MEDIA_URL has an unknown scheme {scheme!r}: use file or s3.")
    return opener(settings)
