"""`S3ObjectStore` against a moto S3 server on 127.0.0.1: the object-store contract, real pagination, etags,
local copies, missing keys, an unreachable endpoint, and the real landing sensor over a backlog larger than
one S3 listing page."""

from __future__ import annotations

import gzip
import hashlib
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import dagster as dg
import pytest

from assets.kpi.keys import raw_table_key
from assets.kpi.sources import shop_exports_sensor
from assets.landing_versions import version_tag
from contracts.shop import export_file_key
from definitions import build_definitions
from devtools.emulators import FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION, moto_server
from resources.settings import Settings
from resources.storage.s3 import ObjectStoreUnreachableError, S3ObjectStore
from tests.sensor_daemon import finish_load, tick_as_daemon

pytestmark = pytest.mark.emulator

BACKLOG = 1150  # more than one S3 listing call (1,000 keys) and more than two sensor budgets (500)
TABLES = ("orders", "order_items", "customers", "products")


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def new_store(endpoint: str, bucket: str | None = None) -> S3ObjectStore:
    """A store on a fresh bucket (or a new client on an existing one)."""
    store = S3ObjectStore(
        bucket=bucket or f"cumulus-{uuid.uuid4().hex[:12]}",
        region=FAKE_AWS_REGION,
        endpoint_url=endpoint,
        **FAKE_AWS_CREDENTIALS,
    )
    if bucket is None:
        store.get_client().create_bucket(
            Bucket=store.bucket, CreateBucketConfiguration={"LocationConstraint": FAKE_AWS_REGION}
        )
    return store


def count_listings(store: S3ObjectStore) -> list[dict]:
    """The parameters of every list_objects_v2 call the store's client makes from now on."""
    calls: list[dict] = []
    store.get_client().meta.events.register(
        "provide-client-params.s3.ListObjectsV2", lambda params, **_: calls.append(dict(params))
    )
    return calls


def sleep_past_second_of(moment: datetime) -> None:
    """S3 keeps last-modified to the second: wait until an upload now gets a later one."""
    remaining = int(moment.timestamp()) + 1.05 - time.time()
    if remaining > 0:
        time.sleep(remaining)


def content_of(key: str) -> bytes:
    return gzip.compress(f'{{"key": "{key}"}}\n'.encode(), mtime=0)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as server:
        yield server.endpoint


@pytest.fixture
def store(endpoint) -> S3ObjectStore:
    return new_store(endpoint)


@pytest.fixture(scope="module")
def backlog(endpoint) -> tuple[str, list[str]]:
    """A bucket holding BACKLOG shop export files (bucket name, keys in landing order)."""
    store = new_store(endpoint)
    days = [f"2026-{m:02d}-{d:02d}" for m in (3, 4, 5, 6, 7, 8, 9, 10) for d in range(1, 29)]
    keys = [export_file_key(t, day, part) for day in days for t in TABLES for part in (0, 1)][:BACKLOG]
    client = store.get_client()  # put_object alone (no head per key): half the calls of write_bytes

    def land(key: str) -> None:
        client.put_object(Bucket=store.bucket, Key=key, Body=content_of(key))

    with ThreadPoolExecutor(4) as pool:  # boto3 clients are thread-safe; moto answers puts faster in parallel
        list(pool.map(land, keys))
    return store.bucket, keys


def test_write_read_list_delete_round_trip(store):
    written = {key: store.write_bytes(key, data) for key, data in [("a/2.txt", b"two"), ("a/1.txt", b"one")]}
    store.write_bytes("b/other.txt", b"elsewhere")
    assert store.read_bytes("a/1.txt") == b"one"
    listed = store.list_page("a/")
    assert [o.key for o in listed] == ["a/1.txt", "a/2.txt"]  # sorted by key, only under the prefix
    assert listed == [written["a/1.txt"], written["a/2.txt"]]  # listing and head agree on every field
    assert all(o.last_modified.utcoffset().total_seconds() == 0 for o in listed)
    assert [o.size for o in listed] == [3, 3]
    assert [o.key for o in store.list_page("a/", start_after="a/1.txt")] == ["a/2.txt"]
    store.delete("a/1.txt")
    store.delete("a/never-there.txt")  # deleting what is not there is fine, as on S3
    assert [o.key for o in store.list_objects("")] == ["a/2.txt", "b/other.txt"]


def test_listing_more_than_a_thousand_keys_really_paginates(endpoint, backlog):
    bucket, keys = backlog
    expected = sorted(keys)

    store = new_store(endpoint, bucket)
    calls = count_listings(store)
    assert [o.key for o in store.list_objects("shop/")] == expected  # every key once, in order
    assert len(calls) == 2 and calls[1]["ContinuationToken"]  # boto3's paginator carries on where S3 stopped

    calls.clear()
    assert [o.key for o in store.list_objects("shop/", page_size=300)] == expected
    assert len(calls) == 4 and all(c["MaxKeys"] == 300 for c in calls)

    # One page larger than S3 serves in a call: continued with the continuation token, never asking for
    # more than 1,000 a call (moto would hand out all 1,150 at once; real S3 stops at 1,000).
    calls.clear()
    page = store.list_page("shop/", page_size=BACKLOG + 100)
    assert [o.key for o in page] == expected
    assert [c["MaxKeys"] for c in calls] == [1000, 1000] and "ContinuationToken" in calls[1]

    calls.clear()
    tail = store.list_page("shop/", start_after=expected[1099], page_size=1000)
    assert [o.key for o in tail] == expected[1100:] and len(calls) == 1


def test_a_bounded_page_stops_listing_at_its_bound(endpoint, backlog):
    """A sweep slice lists at most its page size of the bucket, from where the last one stopped."""
    bucket, keys = backlog
    expected = sorted(keys)
    store = new_store(endpoint, bucket)
    calls = count_listings(store)
    page = store.list_page("shop/", start_after=expected[9], page_size=1001)
    assert [o.key for o in page] == expected[10:1011]
    assert len(calls) == 2 and calls[0]["StartAfter"] == expected[9]


def test_etag_is_the_md5_and_survives_an_identical_rewrite(store):
    key = "shop/orders/dt=2026-11-03/part-0000.jsonl.gz"
    first = store.write_bytes(key, b"v1")
    assert first.etag == md5(b"v1") and '"' not in first.etag
    sleep_past_second_of(first.last_modified)
    again = store.write_bytes(key, b"v1")
    assert again.etag == first.etag and again.version == first.version
    assert again.last_modified > first.last_modified and again.delivery != first.delivery
    corrected = store.write_bytes(key, b"v2-corrected")
    assert corrected.etag == md5(b"v2-corrected") != first.etag
    assert store.list_page("shop/") == [corrected]


def test_local_copy_is_a_readable_file_with_the_key_suffixes(store):
    key = "shop/orders/dt=2026-11-03/part-0000.jsonl.gz"
    data = gzip.compress(b'{"order_id": 1}\n{"order_id": 2}\n')
    store.write_bytes(key, data)
    with store.local_copy(key) as path:
        assert path.name.endswith(".jsonl.gz")
        assert path.read_bytes() == data
        with gzip.open(path, "rt") as lines:
            assert lines.read().splitlines() == ['{"order_id": 1}', '{"order_id": 2}']
    assert not path.exists()  # the temp copy is gone afterwards


def test_missing_key_raises_file_not_found_naming_it(store):
    key = "shop/orders/dt=2026-11-03/part-0009.jsonl.gz"
    with pytest.raises(FileNotFoundError, match="part-0009.jsonl.gz"):
        store.read_bytes(key)
    with pytest.raises(FileNotFoundError, match="part-0009.jsonl.gz"), store.local_copy(key):
        pass


def test_a_stopped_emulator_fails_fast_naming_the_endpoint():
    with moto_server() as server:
        url = server.endpoint
        store = new_store(url)
        store.write_bytes("a/1.txt", b"one")
    for call in (lambda: store.list_page("a/"), lambda: store.read_bytes("a/1.txt")):
        started = time.monotonic()
        with pytest.raises(ObjectStoreUnreachableError, match=url) as error:
            call()
        assert time.monotonic() - started < 10
        assert store.bucket in str(error.value)


# ------------------------------------------------------------------------------ the landing sensor on S3


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    return build_definitions(Settings(env="local", home=tmp_path_factory.mktemp("home")))


def test_landing_sensor_works_off_an_s3_backlog_and_tells_identical_from_corrected_uploads(endpoint, backlog, defs):
    bucket, keys = backlog
    store = new_store(endpoint, bucket)
    with dg.DagsterInstance.ephemeral() as instance:

        def tick(cursor: str | None):
            return tick_as_daemon(shop_exports_sensor, defs, instance, store, cursor)

        requested, cursor, ticks = {}, None, 0
        while True:
            result = tick(cursor)
            if result.skip_message:
                break
            assert len(result.asset_events) <= 500  # the per-tick budget
            for event in result.asset_events:
                requested.setdefault(event.metadata["key"].value, []).append(event.metadata["etag"].value)
            cursor, ticks = result.cursor, ticks + 1
        assert ticks == 3
        assert sorted(requested) == sorted(keys) and all(len(r) == 1 for r in requested.values())
        key = keys[0]
        assert requested[key] == [md5(content_of(key))]

        # The load of that partition finishes, then the exporter delivers the same bytes again.
        before = store.list_page(key)[0]
        finish_load(instance, raw_table_key("orders"), "2026-03-01", [before.version])
        sleep_past_second_of(before.last_modified)
        identical = store.write_bytes(key, content_of(key))
        assert identical.version == before.version and identical.delivery != before.delivery
        result = tick(cursor)
        assert result.run_requests == [] and result.asset_events == []  # its content is loaded already
        cursor = result.cursor

        corrected = store.write_bytes(key, b"corrected export")
        result = tick(cursor)
        (rerun,) = result.run_requests
        assert rerun.partition_key == "2026-03-01" and version_tag(corrected.version) in rerun.tags
        assert rerun.asset_selection == [raw_table_key("orders")]
        assert tick(result.cursor).skip_message
