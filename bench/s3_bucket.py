"""A moto S3 server whose bucket already holds the landed export files of figure 4.

Uploading through the S3 API ran at about 130 objects/s here (moto answers each PUT in Python; 8 client
threads, 2 cores at load 8), so 100,000 objects would take about 13 minutes. Instead the server's own
process puts them into moto's in-memory backend before it starts answering (100,000 objects: ready in 9 s
on a quiet machine), with the landing times of `bench.data.landed_objects` (objects that landed over days,
not in one burst). Started and stopped like the test emulators (devtools/emulators.py): own session, free
port on 127.0.0.1, SIGTERM then SIGKILL.

moto's ListObjectsV2 filters and sorts the whole bucket for every page (O(N log N) per 1,000 keys), so a
full listing grows quadratically with the bucket, which would blur how the sensor itself grows. Real S3
serves a page from its sorted key index at a cost independent of the bucket's size. This server therefore
keeps the bucket's sorted keys (the benchmark writes nothing after the start) and answers a page by bisecting
them; the response (XML of up to 1,000 objects) is still moto's. Both the sensor tick and the bare-listing
baseline go through the same server, so their ratio compares like with like.
"""

from __future__ import annotations

import argparse
import bisect
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bench.data import landed_content, landed_objects
from devtools.emulators import FAKE_AWS_ENV, FAKE_AWS_REGION, HOST, free_port, server_process

BUCKET = "cumulus-bench"


@contextmanager
def s3_bucket(count: int) -> Iterator[str]:
    """A moto server holding `landed_objects(count)` in `BUCKET`; yields its endpoint URL."""
    port = free_port()
    endpoint = f"http://{HOST}:{port}"
    argv = [sys.executable, "-m", "bench.s3_bucket", "--port", str(port), "--objects", str(count)]
    with server_process(argv, f"{endpoint}/moto-api/", env=FAKE_AWS_ENV, startup_timeout=600):
        yield endpoint


def serve(port: int, count: int) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    from moto.server import ThreadedMotoServer

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    index_sorted_listing(type(backend))
    backend.create_bucket(BUCKET, FAKE_AWS_REGION)
    for key, landed in landed_objects(count):
        stored = backend.put_object(BUCKET, key, landed_content(key))
        stored.last_modified = landed.replace(tzinfo=None)  # moto keeps naive UTC times
    ThreadedMotoServer(ip_address=HOST, port=port, verbose=False).start()
    threading.Event().wait()  # until the benchmark stops this process


def index_sorted_listing(backend_class: type) -> None:
    """Answer ListObjectsV2 pages (without delimiter) from the bucket's keys, sorted once."""
    unindexed = backend_class.list_objects_v2
    index: dict[tuple[str, str], tuple[list, list[str]]] = {}

    def list_objects_v2(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys):
        if delimiter:
            return unindexed(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys)
        slot = (bucket.name, prefix or "")
        if slot not in index:
            keys, _, _, _ = self.list_objects(bucket, prefix, None, marker=None, max_keys=None)
            index[slot] = (keys, [k.name for k in keys])
        keys, names = index[slot]
        after = self._pagination_tokens.get(continuation_token) if continuation_token else start_after
        first = bisect.bisect_right(names, after) if after else 0
        return self._truncate_result(keys[first : first + max_keys + 1], max_keys)

    backend_class.list_objects_v2 = list_objects_v2


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--objects", type=int, required=True)
    args = parser.parse_args()
    serve(args.port, args.objects)
