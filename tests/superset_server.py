"""A real Superset server from `.superset-venv` (installed by `make test`) on a free port of 127.0.0.1.

Started and stopped with the helpers of tests/emulators.py: its own session, SIGTERM then SIGKILL. Each
server gets a fresh metadata home and an admin with a random password, so nothing is shared with the
`make superset` server in `.cumulus/superset`. A fresh home runs every migration: about 70 s to the
first answer on a busy 2-core machine (measured), hence one server per test session.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cli.superset import HOST, serve_argv, superset_environment
from resources.superset_settings import SupersetSettings
from tests.emulators import free_port, server_process

ADMIN = "admin"
STARTUP_TIMEOUT_SECONDS = 600.0


@dataclass
class SupersetServer:
    url: str
    username: str
    password: str
    home: Path
    process: subprocess.Popen

    def settings(self, **overrides: str) -> SupersetSettings:
        """The settings a lane uses to publish here (override url or password to make them wrong)."""
        values = {"url": self.url, "username": self.username, "password": self.password, **overrides}
        return SupersetSettings(**values)


@contextmanager
def running_superset(home: Path) -> Iterator[SupersetServer]:
    port = free_port()
    url = f"http://{HOST}:{port}"
    password = secrets.token_urlsafe(16)
    env = superset_environment(home, ADMIN, password)
    with server_process(serve_argv(port), f"{url}/health", env=env, startup_timeout=STARTUP_TIMEOUT_SECONDS) as process:
        yield SupersetServer(url, ADMIN, password, home, process)
