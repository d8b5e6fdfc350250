"""Every raw source the contracts describe, found by looking, not by a list to keep up to date.

A source module in this package (contracts/shop.py today; contracts/ga4.py or contracts/amplitude.py next)
declares one module-level `SourceContract`; `registered_sources()` imports every module of the package and
collects them. `python -m contracts.docs` then writes docs/<doc_name> for each.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from contracts.layout import KeyLayout
from contracts.schema import TableContract


@dataclass(frozen=True)
class SourceContract:
    """A source system's exported tables and how they are delivered, as its docs page tells a reader."""

    name: str  # the source's name in keys and asset keys, e.g. "shop"
    title: str  # the docs page's heading
    overview: str  # what the source is (usually its module's docstring)
    delivery: str  # markdown: where and how often files land, versions, late data
    tables: tuple[TableContract, ...]
    declared_in: str  # the module a reader edits, e.g. "contracts/shop.py"
    layout: KeyLayout | None = None  # where its files land; None for a source read in place (a BigQuery export)
    doc_name: str = ""  # the file under docs/; "<name>.md" when empty
    json_lines: bool = True  # files of JSON lines: the loader's line rules apply (contracts/docs.py)

    def __post_init__(self) -> None:
        if not self.doc_name:
            object.__setattr__(self, "doc_name", f"{self.name}.md")
        strangers = [t.name for t in self.tables if t.source != self.name]
        if strangers:
            raise ValueError(f"source {self.name}: tables {strangers} declare another source")


def registered_sources(package: str = "contracts") -> tuple[SourceContract, ...]:
    """The `SourceContract` of every module of `package`, by name; two with one name are an error."""
    root = importlib.import_module(package)
    found: dict[str, SourceContract] = {}
    for module_info in pkgutil.iter_modules(root.__path__, prefix=f"{package}."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, SourceContract) and found.setdefault(value.name, value) is not value:
                raise ValueError(f"two contracts declare the source {value.name!r}")
    return tuple(found[name] for name in sorted(found))
