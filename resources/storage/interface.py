"""Object storage (S3, GCS): the interface the pipelines use; implementations in this package."""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dagster import ConfigurableResource


@dataclass(frozen=True, order=True)
class StoredObject:
    """One object version as a listing reports it. Ordered by (last_modified, key, etag): the cursor order."""

    last_modified: datetime
    key: str
    etag: str
    size: int

    @property
    def version(self) -> str:
        """Identifies this content of this key: a re-delivery with the same bytes has the same version."""
        return f"{self.key}@{self.etag}"

    @property
    def delivery(self) -> str:
        """Identifies this upload: a re-delivery of the same bytes is another delivery of the same version."""
        return f"{self.version}@{self.last_modified.isoformat()}"


class ObjectStore(ConfigurableResource, ABC):
    """A bucket of objects addressed by key."""

    @abstractmethod
    def list_page(self, prefix: str, start_after: str = "", page_size: int = 1000) -> list[StoredObject]:
        """At most `page_size` objects under `prefix` with keys > `start_after`, sorted by key."""

    @abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> StoredObject: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    def list_objects(self, prefix: str, page_size: int = 1000) -> Iterator[StoredObject]:
        """Every object under `prefix`, fetched page by page (S3 returns at most 1,000 keys a call)."""
        start_after = ""
        while True:
            page = self.list_page(prefix, start_after=start_after, page_size=page_size)
            yield from page
            if len(page) < page_size:
                return
            start_after = page[-1].key

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A path on local disk holding the object's bytes, for engines that read files (DuckDB)."""
        suffix = "".join(Path(key).suffixes)
        with tempfile.TemporaryDirectory(prefix="cumulus-") as tmp:
            path = Path(tmp) / f"object{suffix}"
            path.write_bytes(self.read_bytes(key))
            yield path
