"""What a person does in the Dagster 1.13 UI, as Playwright steps on the handles that are stable there.

The asset graph has no test ids: its nodes are `svg foreignObject` elements holding the asset's name
(zoomed out, long names are shortened in the middle: `kpi_daily_c…_sales`). The filter box is a
CodeMirror editor that takes Dagster's asset-selection syntax. The launch buttons' accessible names start
with their icon's label (`materialization Materialize all…`, with a Unicode ellipsis). The partitions
dialog's range box registers its text on Enter or blur.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

MATERIALIZE_ALL = re.compile(r"Materialize all( \(\d+\))?…$")
GRAPH_NODE = "svg foreignObject"
ELLIPSIS = "…"


def open_asset_graph(page: Page, url: str, group: str) -> None:
    page.goto(f"{url}/asset-groups/{group}", wait_until="domcontentloaded")
    page.locator(GRAPH_NODE).first.wait_for()


def node_labels(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(GRAPH_NODE).all_text_contents()]


def label_shows(label: str, name: str) -> bool:
    """Whether a node label shows `name`: in full, or shortened in the middle with an ellipsis."""
    if ELLIPSIS not in label:
        return label == name
    head, tail = label.split(ELLIPSIS, 1)
    return len(label) < len(name) and name.startswith(head) and name.endswith(tail)


def names_missing_from(labels: list[str], names: list[str]) -> list[str]:
    """The names no node label shows, each label standing for one node (names may repeat across
    prefixes: `s3/shop/orders` and `snowflake/raw/orders` are both `orders`). Full labels first."""
    free = list(labels)
    missing = []
    for name in sorted(names, key=lambda n: (n not in free, n)):
        label = next((x for x in free if x == name), None) or next((x for x in free if label_shows(x, name)), None)
        if label is None:
            missing.append(name)
        else:
            free.remove(label)
    return missing


def filter_assets(page: Page, selection: str) -> None:
    """Type an asset selection into the graph's filter box (CodeMirror: click it, then type)."""
    page.locator(".CodeMirror", has=page.get_by_text("Search and filter assets")).click()
    page.keyboard.type(selection)
    # Typed into the editor, not into something over it (its placeholder is gone once it holds text).
    expect(page.locator(".CodeMirror", has_text=selection)).to_have_count(1)
    page.keyboard.press("Escape")  # close the autocompletion list, so Enter applies the text as typed
    page.keyboard.press("Enter")


def open_materialize_dialog(page: Page) -> Locator:
    page.get_by_role("button", name=MATERIALIZE_ALL).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox").first.wait_for()
    return dialog


def choose_partitions(dialog: Locator, keys: str) -> None:
    """Type partition keys into the dialog's range box: `2026-11-02` or `[2026-11-03...2026-11-05]`."""
    box = dialog.get_by_role("textbox").first
    box.fill(keys)
    box.press("Enter")


def launch(dialog: Locator, button: str, timeout_ms: float) -> None:
    """Press the dialog's launch button and wait until the launch went through (the dialog closes)."""
    dialog.get_by_role("button", name=button, exact=True).click()
    dialog.wait_for(state="hidden", timeout=timeout_ms)
