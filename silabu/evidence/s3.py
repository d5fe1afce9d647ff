"""The object-storage backend of the storage interface: blobs as objects of one S3 bucket under a prefix.

The semantics are those of the filesystem backend: keys are content-addressed and validated the same way, a
store of an existing key is a no-op, and an object appears whole or not at all (S3 makes a PUT visible only when
it is complete, so no temp files are needed). Reads stream the object after the caller's access check; nothing
is ever served by a public URL. With ``SILABU_S3_SIGNED_URLS`` the check is followed instead by a redirect to a
short-lived signed URL of the one object (``presigned_url``), so the bytes go from the store to the browser.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from silabu.core.errors import StorageFull
from silabu.evidence.storage import STORAGE_FULL_MESSAGE, validate_key


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """``s3://bucket/some/prefix`` -> bucket and ``some/prefix/`` (empty prefix allowed)."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"SILABU_STORAGE_URL harus berbentuk s3://bucket/prefix, bukan {url!r}")
        prefix = parts.path.strip("/")
        return cls(parts.netloc, f"{prefix}/" if prefix else "")


class S3Storage:
    """Blobs as objects ``<prefix><key>`` of ``bucket``."""

    def __init__(self, location: S3Location, *, endpoint_url: str | None = None, access_key: str | None = None,
                 secret_key: str | None = None, region: str = "us-east-1", client: Any = None) -> None:
        self.location = location
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client("s3", endpoint_url=endpoint_url or None, aws_access_key_id=access_key or None,
                                  aws_secret_access_key=secret_key or None, region_name=region,
                                  config=Config(retries={"max_attempts": 3, "mode": "standard"},
                                                connect_timeout=5, read_timeout=60,
                                                s3={"addressing_style": "path"}))
        self.client = client
        self._signing: dict[str, Any] = {"endpoint_url": endpoint_url, "region": region, "access_key": access_key,
                                         "secret_key": secret_key}
        self._signers: dict[str | None, Any] = {}

    def __repr__(self) -> str:
        return f"<S3Storage s3://{self.location.bucket}/{self.location.prefix}>"

    def _name(self, key: str) -> str:
        return self.location.prefix + validate_key(key)

    def _missing(self, exc: Exception) -> bool:
        from botocore.exceptions import ClientError

        return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in {
            "404", "NoSuchKey", "NotFound"}

    def _head(self, key: str) -> dict[str, Any]:
        try:
            return self.client.head_object(Bucket=self.location.bucket, Key=self._name(key))
        except Exception as exc:
            if self._missing(exc):
                raise FileNotFoundError(key) from None
            raise

    def store(self, key: str, data: bytes) -> None:
        name = self._name(key)
        if self.exists(key):
            return
        try:
            self.client.put_object(Bucket=self.location.bucket, Key=name, Body=bytes(data))
        except Exception as exc:
            from botocore.exceptions import ClientError

            if isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in {
                    "QuotaExceeded", "EntityTooLarge", "InsufficientStorage", "507"}:
                raise StorageFull(STORAGE_FULL_MESSAGE) from exc
            raise

    def open(self, key: str) -> BinaryIO:
        try:
            body = self.client.get_object(Bucket=self.location.bucket, Key=self._name(key))["Body"]
        except Exception as exc:
            if self._missing(exc):
                raise FileNotFoundError(key) from None
            raise
        return _Stream(body)

    def presigned_url(self, key: str, *, expires_in: int, content_type: str, content_disposition: str,
                      public_endpoint_url: str | None = None) -> str:
        """A GET URL of the object valid for ``expires_in`` seconds, answering with the given type and disposition.

        The signature covers the host, so when browsers reach the store by another address than this server
        does (``SILABU_S3_PUBLIC_URL``), the URL is signed for that address. Signing is local: no request.
        """
        endpoint = public_endpoint_url or self._signing["endpoint_url"] or None
        client = self._signers.get(endpoint)
        if client is None:  # SigV4 (X-Amz-Expires), whatever the data client negotiates
            import boto3
            from botocore.config import Config

            client = self._signers[endpoint] = boto3.client(
                "s3", endpoint_url=endpoint, aws_access_key_id=self._signing["access_key"] or None,
                aws_secret_access_key=self._signing["secret_key"] or None, region_name=self._signing["region"],
                config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        return client.generate_presigned_url(
            "get_object", ExpiresIn=int(expires_in),
            Params={"Bucket": self.location.bucket, "Key": self._name(key), "ResponseContentType": content_type,
                    "ResponseContentDisposition": content_disposition,
                    "ResponseCacheControl": f"private, max-age={int(expires_in)}"})

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.location.bucket, Key=self._name(key))  # a missing key is no error

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except FileNotFoundError:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def modified_at(self, key: str) -> float:
        return self._head(key)["LastModified"].timestamp()

    def local_path(self, key: str) -> Path | None:
        validate_key(key)
        return None  # not on this machine: callers stream ``open(key)``

    def iter_keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        prefix = self.location.prefix
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                try:
                    yield validate_key(item["Key"][len(prefix):])
                except ValueError:
                    continue

    def clean_temp(self, older_than_seconds: float) -> int:
        """Abort multipart uploads a crashed writer left (the only partial state S3 keeps); returns how many."""
        import time

        cutoff = time.time() - older_than_seconds
        removed = 0
        try:
            uploads = self.client.list_multipart_uploads(Bucket=self.location.bucket,
                                                         Prefix=self.location.prefix).get("Uploads", [])
        except Exception:
            return 0
        for upload in uploads:
            if upload["Initiated"].timestamp() < cutoff:
                self.client.abort_multipart_upload(Bucket=self.location.bucket, Key=upload["Key"],
                                                   UploadId=upload["UploadId"])
                removed += 1
        return removed


class _Stream(io.RawIOBase):
    """An S3 object body as a readable binary file (``with``, ``read``, chunks for send_file and ZIP writers)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._body.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._body.close()
        finally:
            super().close()
