"""Headless Chromium from Debian's packages, driven by Playwright (never Playwright's own browser download).

The executable is `/usr/bin/chromium` (Debian's `chromium` package, installed by `make browser-deps`),
or whatever `CUMULUS_CHROMIUM` names. A missing browser is an error naming what to install: the browser
tests fail rather than skip.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from playwright.sync_api import Browser, Playwright

CHROMIUM_SETTING = "CUMULUS_CHROMIUM"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root in a container (no sandbox), and quiet on the network: without the background-networking
# flags Chromium keeps trying to reach Google's hosts, which this machine's closed network refuses.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class ChromiumMissing(RuntimeError):
    """No Chromium where the browser tests look for it; the message says what to install."""


def chromium_executable(environ: Mapping[str, str] | None = None) -> Path:
    """The Chromium binary to drive: `$CUMULUS_CHROMIUM`, else Debian's `/usr/bin/chromium`."""
    environ = os.environ if environ is None else environ
    path = Path(environ.get(CHROMIUM_SETTING) or DEBIAN_CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ChromiumMissing(
            f"no Chromium executable at {path}: the browser tests need Debian's chromium package. "
            "Run `make browser-deps` as root (it runs `apt-get install -y chromium`), or install it with "
            f"`sudo apt-get install -y chromium`, or set {CHROMIUM_SETTING} to a Chromium binary."
        )
    return path


def launch_chromium(playwright: Playwright, environ: Mapping[str, str] | None = None) -> Browser:
    """A fresh headless Chromium (Playwright gives every launch a new empty profile)."""
    return playwright.chromium.launch(executable_path=str(chromium_executable(environ)), args=list(CHROMIUM_ARGS))
