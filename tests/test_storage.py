"""The local bucket behaves like S3 where the pipelines rely on it."""

from __future__ import annotations

import hashlib

import pytest

from resources.storage.interface import ObjectStore
from resources.storage.local import LocalObjectStore


@pytest.fixture
def store(tmp_path) -> LocalObjectStore:
    return LocalObjectStore(root=str(tmp_path))


def test_paginated_listing_returns_every_key_once_in_key_order(store):
    keys = [f"shop/orders/dt=2026-11-{d:02d}/part-{p:04d}.jsonl.gz" for d in range(1, 29) for p in range(3)]
    for key in keys:
        store.write_bytes(key, key.encode())
    paged = [o.key for o in ObjectStore.list_objects(store, "shop/", page_size=7)]  # the S3-style paginator
    assert paged == sorted(keys)
    assert [o.key for o in store.list_objects("shop/orders/dt=2026-11-0")] == sorted(keys)[:27]


def test_listing_follows_s3_key_order_across_folders_and_resumes_after_any_key(store):
    # S3 orders keys bytewise, so "b-c/..." < "b/..." < "b0" although a folder walk meets "b" first.
    keys = ["a/b-c/x", "a/b/x", "a/b/y/z", "a/b0", "a/c", "a/b.txt"]
    for key in keys:
        store.write_bytes(key, b"x")
    assert [o.key for o in store.list_objects("a/")] == sorted(keys)
    for after in ["", *sorted(keys), "a/b/", "a/b/y", "a/bz"]:
        expected = [k for k in sorted(keys) if k > after][:2]
        assert [o.key for o in store.list_page("a/", start_after=after, page_size=2)] == expected, after
    assert [o.key for o in store.list_objects("a/b")] == [k for k in sorted(keys) if k.startswith("a/b")]


def test_etag_is_the_md5_of_the_content_and_survives_an_identical_rewrite(store):
    first = store.write_bytes("a/b.jsonl.gz", b"hello")
    again = store.write_bytes("a/b.jsonl.gz", b"hello")
    assert first.etag == again.etag == hashlib.md5(b"hello").hexdigest()
    assert store.write_bytes("a/b.jsonl.gz", b"changed").etag != first.etag


def test_in_flight_writes_are_invisible_and_unsafe_keys_are_refused(store, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".part.tmp").write_bytes(b"half an upload")
    assert list(store.list_objects("a/")) == []
    for key in ("../escape", "/abs", ""):
        with pytest.raises(ValueError):
            store.write_bytes(key, b"x")


def test_reading_a_missing_object_names_it(store):
    with pytest.raises(FileNotFoundError, match="shop/missing.jsonl.gz"):
        store.read_bytes("shop/missing.jsonl.gz")
