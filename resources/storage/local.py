"""The local-folder object store: a bucket on disk, for the embedded default.

The folder behaves like a bucket where it matters to the pipelines: keys are `/`-separated paths,
listings come back sorted by key one page at a time, every object has a size, a last-modified time and an
etag that is the MD5 of its content (as S3 gives for single-part uploads), so an identical re-delivery
keeps its etag and a corrected one changes it.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from resources.storage.interface import ObjectStore, StoredObject


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

    def _keys(self, prefix: str, start_after: str = "") -> Iterator[tuple[str, Path]]:
        """(key, path) of the objects under `prefix` with keys greater than `start_after`, in key order,
        walked lazily: a page of the listing costs the folders it reads, not the bucket (figure 4 of
        docs/BENCHMARKS.md)."""
        folder_key = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
        yield from self._walk(Path(self.root) / folder_key, folder_key, prefix, start_after)

    def _walk(self, folder: Path, folder_key: str, prefix: str, start_after: str) -> Iterator[tuple[str, Path]]:
        try:
            with os.scandir(folder) as scan:
                # A folder sorts as its name plus "/", so that walking in this order yields keys in key
                # order ("b-c" < "b/x" < "b0", as S3 orders them).
                entries = sorted((e.name + "/" if e.is_dir() else e.name, e.is_dir()) for e in scan)
        except (FileNotFoundError, NotADirectoryError):
            return
        for name, is_dir in entries:
            key = folder_key + name
            if is_dir:
                inside_prefix = key.startswith(prefix) or prefix.startswith(key)
                wholly_before = key <= start_after and not start_after.startswith(key)
                if inside_prefix and not wholly_before:
                    yield from self._walk(folder / name, key, prefix, start_after)
            elif name.startswith(".") or name.endswith(".tmp"):
                continue  # in-flight writes are invisible, as an unfinished upload is on S3
            elif key > start_after and key.startswith(prefix):
                yield key, folder / name

    def list_page(self, prefix: str, start_after: str = "", page_size: int = 1000) -> list[StoredObject]:
        return [self._describe(k, path) for k, path in itertools.islice(self._keys(prefix, start_after), page_size)]

    def list_objects(self, prefix: str, page_size: int = 1000) -> Iterator[StoredObject]:
        """One walk of the folder, not one per page: a local listing has no page limit to respect."""
        for key, path in self._keys(prefix):
            yield self._describe(key, path)

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
