"""docs/shop_exports.md is rendered from the contracts: the committed file must equal the rendering."""

from __future__ import annotations

from contracts.docs import SHOP_DOC, render_shop_exports
from contracts.shop import SHOP_TABLES
from generator import STATUS_CHANGE_WINDOW_DAYS


def test_shop_docs_equal_the_rendering_of_the_contracts():
    assert SHOP_DOC.read_text(encoding="utf-8") == render_shop_exports(), (
        "docs/shop_exports.md is out of date: run `python -m contracts.docs`"
    )


def test_shop_docs_name_every_field_type_and_key():
    rendered = render_shop_exports()
    for contract in SHOP_TABLES:
        assert f"### `{contract.name}`" in rendered
        assert f"Version field: `{contract.version_field}`" in rendered
        for field in contract.fields:
            assert f"| `{field.name}` | {field.type} | {field.warehouse_type} |" in rendered


def test_shop_docs_state_the_generator_restatement_window():
    assert f"Restatement window: {STATUS_CHANGE_WINDOW_DAYS} days" in render_shop_exports()
