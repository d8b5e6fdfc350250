"""docs/<source>.md is rendered from the contracts for every registered source: committed files equal the rendering."""

from __future__ import annotations

from contracts.docs import doc_path, main, render_source, stale_docs, write_docs
from contracts.registry import registered_sources
from contracts.schema import MAX_LINE_BYTES
from contracts.shop import SHOP_SOURCE, SHOP_TABLES
from generator import STATUS_CHANGE_WINDOW_DAYS


def test_every_source_s_docs_equal_the_rendering_of_its_contracts():
    assert stale_docs(registered_sources()) == [], "docs/ is out of date: run `python -m contracts.docs`"
    assert main(["--check"]) == 0


def test_the_shop_registers_itself_and_keeps_its_docs_file():
    assert SHOP_SOURCE in registered_sources()
    assert doc_path(SHOP_SOURCE).name == "shop_exports.md"


def test_shop_docs_name_every_field_type_and_key():
    rendered = render_source(SHOP_SOURCE)
    for contract in SHOP_TABLES:
        assert f"### `{contract.name}`" in rendered
        assert f"Version field: `{contract.version_field}`" in rendered
        for field in contract.fields:
            assert f"| `{field.name}` | {field.type} | {field.warehouse_type} |" in rendered


def test_shop_docs_state_the_generator_restatement_window():
    assert f"Restatement window: {STATUS_CHANGE_WINDOW_DAYS} days" in render_source(SHOP_SOURCE)


def test_shop_docs_state_the_loader_s_line_rules():
    rendered = render_source(SHOP_SOURCE)
    assert '(`"unit_price": "68900"` is quarantined, never read as 68900)' in rendered
    assert "`1.0` and `1e3` are the\n  integers 1 and 1000" in rendered
    assert "`bigint` -2^63..2^63-1 (9223372036854775807)" in rendered
    assert f"16 MiB ({MAX_LINE_BYTES:,} bytes) is quarantined" in rendered
    assert "A zero-byte part is an empty part" in rendered


GA4_MODULE = """
from contracts.registry import SourceContract
from tests.nested_contracts import GA4_EVENTS

GA4_SOURCE = SourceContract(
    name="ga4",
    title="GA4 BigQuery export",
    overview="Events of one GA4 property.",
    delivery="## Where\\n\\nDaily tables `analytics_<property_id>.events_YYYYMMDD`.",
    tables=(GA4_EVENTS,),
    declared_in="more_contracts/ga4.py",
    json_lines=False,
)
"""
AMPLITUDE_MODULE = """
from contracts.layout import HourlyChunkLayout
from contracts.registry import SourceContract
from tests.nested_contracts import AMPLITUDE_EVENTS

AMPLITUDE_SOURCE = SourceContract(
    name="amplitude",
    title="Amplitude Export API files",
    overview="Hourly event files of one Amplitude project.",
    delivery="## Where\\n\\nZipped hourly files.",
    tables=(AMPLITUDE_EVENTS,),
    declared_in="more_contracts/amplitude.py",
    layout=HourlyChunkLayout(root="amplitude/", timezone="Asia/Seoul"),
)
"""


def test_a_new_source_module_registers_itself_and_gets_docs_with_nested_rows(tmp_path, monkeypatch):
    package = tmp_path / "more_contracts"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ga4.py").write_text(GA4_MODULE)
    (package / "amplitude.py").write_text(AMPLITUDE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sources = registered_sources("more_contracts")
    assert [s.name for s in sources] == ["amplitude", "ga4"]
    written = write_docs(sources, tmp_path / "docs")
    assert [p.name for p in written] == ["amplitude.md", "ga4.md"] and stale_docs(sources, tmp_path / "docs") == []
    ga4 = (tmp_path / "docs" / "ga4.md").read_text(encoding="utf-8")
    assert "| `event_params` | list<struct> | STRUCT(...)[] | ARRAY | yes |" in ga4
    assert "| `event_params[].value` | struct | STRUCT(...) | OBJECT | yes |" in ga4
    assert "| `event_params[].value.int_value` | bigint | BIGINT | NUMBER(38,0) | no (may be `null`) |" in ga4
    assert "| `items[].quantity` | bigint | BIGINT | NUMBER(38,0) | no (may be `null`) |" in ga4
    assert "Malformed lines" not in ga4 and "- Files:" not in ga4
    amplitude = (tmp_path / "docs" / "amplitude.md").read_text(encoding="utf-8")
    assert "- Files: `amplitude/events/events_<YYYY-MM-DD>_<H>#<n>.json.gz`" in amplitude
    assert "| `event_properties` | json object | JSON | VARIANT | yes |" in amplitude
    assert "| `groups` | list<varchar> | VARCHAR[] | ARRAY | no (may be `null`) |" in amplitude
    assert "### Malformed lines" in amplitude
