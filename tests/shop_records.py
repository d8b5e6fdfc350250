"""Hand-made export records for tests that need a few precise lines rather than generated days."""

from __future__ import annotations

import gzip
import json

ORDER = {
    "order_id": 1,
    "customer_id": 5,
    "channel": "web",
    "status": "paid",
    "placed_at": "2026-11-03T10:00:00+09:00",
    "updated_at": "2026-11-03T10:00:00+09:00",
    "subtotal_amount": 10000,
    "discount_amount": 0,
    "shipping_fee": 3000,
    "total_amount": 13000,
    "promo_code": None,
}


def order(**changes) -> str:
    """One orders export line: a valid paid order, with `changes` applied."""
    return json.dumps({**ORDER, **changes})


def jsonl_gz(*lines: str) -> bytes:
    """An export file's bytes: gzipped JSON lines, newline-terminated."""
    return gzip.compress(("\n".join(lines) + "\n").encode())
