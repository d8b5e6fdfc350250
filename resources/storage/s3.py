"""The S3 implementation of `ObjectStore`, built on dagster-aws's `S3Resource`.

Behaves like `LocalObjectStore` where the pipelines care: listings sorted by key, one page at a time
(boto3's `list_objects_v2` paginator from `StartAfter`, bounded by `MaxItems`; S3 answers at most 1,000
keys a call, so a larger page takes several calls), etags without quotes (the MD5 of the content for
single-part uploads), and last-modified times as tz-aware UTC datetimes (S3 keeps them to the second).

`endpoint_url` points the client at an S3-compatible endpoint instead of AWS (moto server in the tests);
it is configuration, never hard-coded. Credentials come from the fields if set, else boto3's usual chain.
Retries are kept few (`max_attempts`) so an endpoint that refuses connections (a stopped emulator) fails
within seconds with an `ObjectStoreUnreachableError` naming bucket and endpoint; one that silently drops
packets waits botocore's connect timeout (see `S3ObjectStore` for why that is not set here).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from dagster_aws.s3 import S3Resource
from pydantic import Field, PrivateAttr

from resources.storage.interface import ObjectStore, StoredObject

S3_MAX_KEYS = 1000  # the most keys one list_objects_v2 call returns
MISSING_KEY_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


class ObjectStoreUnreachableError(ConnectionError):
    """The object store's endpoint did not answer (stopped emulator, wrong URL, no network)."""


class S3ObjectStore(ObjectStore):
    """An S3 bucket (or an S3-compatible endpoint) as an `ObjectStore`.

    The boto3 client comes from `S3Resource.get_client()`; it is created on first use and reused.
    dagster-aws 0.29.27's `S3Resource` gives botocore a `Config` with retries only, so the connect timeout is
    botocore's default 60 s (an explicit `Config` also overrides `AWS_DEFAULTS_MODE`). A refused connection
    (a stopped emulator, a wrong port) does not wait for it: it fails after the few retries below.
    """

    bucket: str = Field(description="Bucket name, without s3://.")
    region: str = Field(default="ap-northeast-2", description="AWS region of the bucket.")
    endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint to use instead of AWS (e.g. a moto server)."
    )
    max_attempts: int = Field(
        default=2,
        description="Retries after the first attempt (S3Resource passes it as botocore's retries.max_attempts; "
        "standard mode, exponential backoff), so 2 means at most 3 calls, as botocore's own default.",
    )
    profile_name: str | None = Field(default=None, description="AWS profile to take credentials from.")
    aws_access_key_id: str | None = Field(default=None, description="Overrides the credential chain if set.")
    aws_secret_access_key: str | None = Field(default=None, description="Overrides the credential chain if set.")
    aws_session_token: str | None = Field(default=None, description="Overrides the credential chain if set.")

    _client: Any = PrivateAttr(default=None)

    # ----------------------------------------------------------------------------------------- client

    def s3_resource(self) -> S3Resource:
        """The dagster-aws resource these fields describe."""
        return S3Resource(
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            max_attempts=self.max_attempts,
            profile_name=self.profile_name,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token,
        )

    def get_client(self) -> Any:
        """The boto3 S3 client (created once per resource instance)."""
        if self._client is None:
            self._client = self.s3_resource().get_client()
        return self._client

    @property
    def endpoint(self) -> str:
        """The endpoint requests go to: the override, or the AWS endpoint of the region."""
        return self.endpoint_url or f"AWS S3 in {self.region}"

    @contextmanager
    def _calling(self, action: str) -> Iterator[None]:
        try:
            yield
        except BotoConnectionError as exc:
            raise ObjectStoreUnreachableError(
                f"cannot reach the S3 endpoint {self.endpoint} for bucket {self.bucket!r} ({action}): {exc}"
            ) from exc

    def _missing(self, key: str, exc: ClientError) -> FileNotFoundError:
        return FileNotFoundError(f"object {key!r} not found in s3://{self.bucket} at {self.endpoint}: {exc}")

    def _url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    # -------------------------------------------------------------------------------------- interface

    def list_page(self, prefix: str, start_after: str = "", page_size: int = 1000) -> list[StoredObject]:
        if page_size < 1:
            raise ValueError(f"page_size must be positive, got {page_size}")
        return list(self._paginate(prefix, start_after, page_size, max_items=page_size))

    def list_objects(self, prefix: str, page_size: int = 1000) -> Iterator[StoredObject]:
        """Every object under `prefix`: one paginated listing (continuation tokens), not a page per call."""
        yield from self._paginate(prefix, "", page_size, max_items=None)

    def _paginate(self, prefix: str, start_after: str, page_size: int, max_items: int | None) -> Iterator[StoredObject]:
        """boto3's `list_objects_v2` paginator: `page_size` keys a call (S3 serves at most 1,000), stopping
        after `max_items` keys, so a bounded page costs only the calls it needs."""
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if start_after:
            request["StartAfter"] = start_after
        config = {"PageSize": min(page_size, S3_MAX_KEYS), "MaxItems": max_items}
        pages = self.get_client().get_paginator("list_objects_v2").paginate(**request, PaginationConfig=config)
        with self._calling(f"listing {self._url(prefix)}"):
            for page in pages:
                yield from (_stored_object(item) for item in page.get("Contents", []))

    def _get_object(self, key: str) -> dict:
        """`get_object`, with a missing key reported as FileNotFoundError naming it."""
        try:
            return self.get_client().get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in MISSING_KEY_CODES:
                raise self._missing(key, exc) from exc
            raise

    def read_bytes(self, key: str) -> bytes:
        with self._calling(f"reading {self._url(key)}"), self._get_object(key)["Body"] as body:
            return body.read()

    def write_bytes(self, key: str, data: bytes) -> StoredObject:
        """Upload in one `put_object` (atomic on S3: readers see the old object or the new one)."""
        client = self.get_client()
        with self._calling(f"writing {self._url(key)}"):
            client.put_object(Bucket=self.bucket, Key=key, Body=data)
            head = client.head_object(Bucket=self.bucket, Key=key)
        return StoredObject(
            last_modified=_utc(head["LastModified"]),
            key=key,
            etag=head["ETag"].strip('"'),
            size=head["ContentLength"],
        )

    def delete(self, key: str) -> None:
        with self._calling(f"deleting {self._url(key)}"):
            self.get_client().delete_object(Bucket=self.bucket, Key=key)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """Stream the object into a temp file named with the key's suffixes (`.jsonl.gz` stays)."""
        suffix = "".join(Path(key).suffixes)
        with tempfile.TemporaryDirectory(prefix="cumulus-s3-") as tmp:
            path = Path(tmp) / f"object{suffix}"
            with (
                self._calling(f"downloading {self._url(key)}"),
                self._get_object(key)["Body"] as body,
                open(path, "wb") as out,
            ):
                shutil.copyfileobj(body, out, length=1 << 20)
            yield path


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _utc(value: datetime) -> datetime:
    """botocore parses S3 timestamps tz-aware (as tzlocal() when the machine runs on UTC): normalize."""
    if value.tzinfo is None:
        raise ValueError(f"naive timestamp from S3: {value!r}")
    return value.astimezone(UTC)


def _stored_object(item: dict[str, Any]) -> StoredObject:
    return StoredObject(
        last_modified=_utc(item["LastModified"]),
        key=item["Key"],
        etag=item["ETag"].strip('"'),
        size=item["Size"],
    )
