"""Object storage (S3, GCS): the interface the pipelines use, and the local-folder implementation.

The local folder behaves like a bucket where it matters to the pipelines: keys are `/`-separated paths,
listings come back sorted by key one page at a time, every object has a size, a last-modified time and an
etag that is the MD5 of its content (as S3 gives for single-part uploads), so an identical re-delivery
keeps its etag and a corrected one changes it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
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


@lru_cache(maxsize=200_000)
def _md5_of_file(path: str, size: int, mtime_ns: int) -> str:
    """MD5 of a file, cached by (path, size, mtime) so a listing re-hashes only what changed."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class LocalObjectStore(ObjectStore):
    """A folder on disk standing in for a bucket."""

    root: str

    def _path(self, key: str) -> Path:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid object key {key!r}")
        return Path(self.root) / key

    def _describe(self, key: str, path: Path) -> StoredObject:
        stat = path.stat()
        return StoredObject(
            last_modified=datetime.fromtimestamp(stat.st_mtime_ns / 1e9, tz=UTC),
            key=key,
            etag=_md5_of_file(str(path), stat.st_size, stat.st_mtime_ns),
            size=stat.st_size,
        )

    def _keys_under(self, prefix: str) -> list[str]:
        root = Path(self.root)
        # Walk only the deepest folder the prefix names, not the whole bucket.
        folder = root / prefix.rsplit("/", 1)[0] if "/" in prefix else root
        if not folder.is_dir():
            return []
        keys = []
        for dirpath, _dirnames, filenames in os.walk(folder):
            for filename in filenames:
                if filename.startswith(".") or filename.endswith(".tmp"):
                    continue  # in-flight writes are invisible, as an unfinished upload is on S3
                key = Path(dirpath, filename).relative_to(root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def list_page(self, prefix: str, start_after: str = "", page_size: int = 1000) -> list[StoredObject]:
        keys = [k for k in self._keys_under(prefix) if k > start_after][:page_size]
        return [self._describe(k, self._path(k)) for k in keys]

    def list_objects(self, prefix: str, page_size: int = 1000) -> Iterator[StoredObject]:
        """One walk of the folder, not one per page: a local listing has no page limit to respect."""
        for key in self._keys_under(prefix):
            yield self._describe(key, self._path(key))

    def read_bytes(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"object {key!r} not found in {self.root}")
        return path.read_bytes()

    def write_bytes(self, key: str, data: bytes) -> StoredObject:
        """Write atomically: readers see the old object or the new one, never half of it."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
        return self._describe(key, path)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"object {key!r} not found in {self.root}")
        yield path
