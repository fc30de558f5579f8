"""Talking to an S3-compatible store: settings, one boto3 client per process, and errors in
words a cataloguer can pass on (``ObjectStoreError``, an ``OSError`` with a bilingual ``reason``).

boto3 is imported only here and only when a bucket is configured, so the disk store costs
nothing of it.
"""

from __future__ import annotations

import errno
import functools
from dataclasses import dataclass
from typing import Any

from repository.messages import Message


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    endpoint_url: str | None = None
    prefix: str = ""
    region: str | None = None
    addressing_style: str = "auto"  # "path" for MinIO/moto, "virtual" for OSS and COS
    signature_version: str | None = None  # boto's default (SigV4); "s3" (V2) where a store asks

    @classmethod
    def from_config(cls, config: Any) -> S3Settings | None:
        """The settings of an app's config, or None when no bucket is set (local disk)."""
        bucket = config.get("S3_BUCKET")
        if not bucket:
            return None
        return cls(
            bucket=bucket,
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            prefix=(config.get("S3_PREFIX") or "").strip("/"),
            region=config.get("S3_REGION") or None,
            addressing_style=config.get("S3_ADDRESSING_STYLE") or "auto",
            signature_version=config.get("S3_SIGNATURE_VERSION") or None,
        )

    @property
    def where(self) -> str:
        return self.endpoint_url or "AWS S3"


class ObjectStoreError(OSError):
    """The bucket could not be used; ``reason`` says why in a way a cataloguer can pass on."""

    def __init__(self, reason: Message, detail: str) -> None:
        # Said in the reason's words (logs and job errors show it); boto's text stays in detail.
        super().__init__(errno.EIO, str(reason))
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return str(self.reason)


@functools.lru_cache(maxsize=8)
def client_for(settings: S3Settings, pid: int) -> Any:
    """One client per process and bucket (clients are thread-safe but must not cross a fork).

    Short timeouts and one retry: a request waiting on a dead store should fail in seconds
    with a clear message, not hang the page.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=3,
        read_timeout=30,
        retries={"max_attempts": 2, "mode": "standard"},
        max_pool_connections=20,  # two threads each uploading a set's files eight at once
        s3={"addressing_style": settings.addressing_style},
        signature_version=settings.signature_version,
        # Checksums only where the API demands them: several S3-compatible stores refuse the
        # trailing checksums that newer boto3 versions send by default.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client(
        "s3", endpoint_url=settings.endpoint_url, region_name=settings.region, config=config
    )


class TranslatedErrors:
    """Turns boto errors into FileNotFoundError (no such object) or ObjectStoreError."""

    def __init__(self, settings: S3Settings, key: str) -> None:
        self.settings = settings
        self.key = key

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, _trace: Any) -> bool:
        if error is None:
            return False
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(error, ClientError):
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(errno.ENOENT, "no such object", self.key) from error
            raise ObjectStoreError(_client_reason(code, self.settings), str(error)) from error
        if isinstance(error, BotoCoreError):
            reason = _UNREACHABLE.format(where=self.settings.where)
            raise ObjectStoreError(reason, str(error)) from error
        return False


_UNREACHABLE = Message("the object storage ({where}) cannot be reached")
_NO_BUCKET = Message("the storage bucket “{bucket}” does not exist")
_REFUSED = Message(
    "the object storage refused access to the bucket “{bucket}” (check its credentials)"
)
_FAILED = Message("the object storage reported an error ({code})")


def _client_reason(code: str, settings: S3Settings) -> Message:
    if code == "NoSuchBucket":
        return _NO_BUCKET.format(bucket=settings.bucket)
    if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
        return _REFUSED.format(bucket=settings.bucket)
    return _FAILED.format(code=code or "unknown")
