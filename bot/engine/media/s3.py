"""Media in S3-compatible object storage (SYMBL_ENGINE_MEDIA_URL=s3://bucket/prefix), through boto3.

Objects are `<prefix>/<conversation id>/<name>`, referenced as `s3://bucket/<key>`, so any engine machine can
resume a job another one accepted. Bytes stream into a local spool first, where the size limit and the FFmpeg
probe run: an upload that is refused never reaches the bucket. `keep` then uploads the spooled file (multipart
for large ones; a failed multipart upload is aborted, so no partial object is left) and removes it.

Deleting is best effort: a job that finished, or a conversation that is gone, must not fail because the
bucket did not answer; what is left is logged (a bucket lifecycle rule is the backstop).

Credentials come from boto3's standard chain (environment, shared files, instance roles); this module is
imported only when an s3:// URL is configured, so boto3 stays an optional extra.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import boto3.exceptions
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from bot.engine.media.local import remove_untouched
from bot.errors import MediaStoreError, StorageFull

log = logging.getLogger(__name__)

_ERRORS = (BotoCoreError, ClientError, boto3.exceptions.Boto3Error)
DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys


def _reason(err: Exception) -> str:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code") or err.__class__.__name__)
    return err.__class__.__name__


class S3MediaStore:
    def __init__(self, url: str, *, spool_dir: Path, endpoint_url: str | None = None):
        parts = urlsplit(url)
        self._bucket = parts.netloc
        self._prefix = parts.path.strip("/")
        self._spool = spool_dir
        (spool_dir / ".staging").mkdir(parents=True, exist_ok=True)
        (spool_dir / ".copies").mkdir(parents=True, exist_ok=True)
        # S3-compatible hosts (MinIO, Ceph, moto) are usually addressed by path; AWS itself picks its own.
        config = Config(
            connect_timeout=10,
            read_timeout=60,
            retries={"mode": "standard", "max_attempts": 5},
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        # One client for every thread (boto3 clients are thread-safe; sessions are not).
        self._client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)

    @property
    def local_dir(self) -> Path:
        return self._spool

    def _key(self, conversation_id: str, name: str) -> str:
        return "/".join(p for p in (self._prefix, conversation_id, name) if p)

    def _key_of(self, ref: str) -> str | None:
        """The object key of a reference; None for a local path (a job accepted before the switch to S3)."""
        head = f"s3://{self._bucket}/"
        return ref[len(head) :] if ref.startswith(head) else None

    def staging(self, conversation_id: str, name: str) -> Path:
        return self._spool / ".staging" / f"{conversation_id}.{name}"

    def ref(self, conversation_id: str, name: str) -> str:
        return f"s3://{self._bucket}/{self._key(conversation_id, name)}"

    def keep(self, staged: Path, conversation_id: str, name: str) -> str:
        try:
            self._client.upload_file(str(staged), self._bucket, self._key(conversation_id, name))
        except _ERRORS as err:
            raise MediaStoreError(f"The media store did not take the recording ({_reason(err)}).") from None
        finally:
            staged.unlink(missing_ok=True)
        return self.ref(conversation_id, name)

    @contextmanager
    def local_copy(self, ref: str) -> Iterator[Path]:
        key = self._key_of(ref)
        if key is None:
            yield Path(ref)
            return
        # A folder of its own keeps the file's name, which is what a decoder's error message quotes.
        folder = Path(tempfile.mkdtemp(dir=self._spool / ".copies"))
        try:
            path = folder / key.rsplit("/", 1)[-1]
            self._download(key, path)
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _download(self, key: str, path: Path) -> None:
        try:
            self._client.download_file(self._bucket, key, str(path))
        except OSError as err:
            if StorageFull.caused(err):
                raise StorageFull(
                    "The engine's disk is full; the recording will be read again later."
                ) from None
            raise
        except _ERRORS as err:
            raise MediaStoreError(
                f"The media store did not give the recording back ({_reason(err)})."
            ) from None

    def delete(self, ref: str) -> None:
        key = self._key_of(ref)
        if key is None:
            Path(ref).unlink(missing_ok=True)
            return
        try:
            self._client.delete_object(Bucket=self._bucket, Key=key)
        except _ERRORS as err:
            log.warning("media store: could not delete %s (%s)", key, _reason(err))

    def sweep_local(self, untouched_since: float) -> int:
        spool = [*(self._spool / ".staging").iterdir(), *(self._spool / ".copies").iterdir()]
        return remove_untouched(spool, untouched_since)

    def delete_conversation(self, conversation_id: str) -> None:
        prefix = self._key(conversation_id, "")
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=prefix + "/", PaginationConfig={"PageSize": DELETE_BATCH}
            )
            for page in pages:
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    answer = self._client.delete_objects(
                        Bucket=self._bucket, Delete={"Objects": keys, "Quiet": True}
                    )
                    for failed in answer.get("Errors", []):
                        log.warning("media store: could not delete %s (%s)", failed["Key"], failed["Code"])
        except _ERRORS as err:
            log.warning("media store: could not delete conversation %s (%s)", conversation_id, _reason(err))
