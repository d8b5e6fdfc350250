"""A real Superset server from `.superset-venv` (installed by `make test`) on a free port of 127.0.0.1.

Run with the helpers of devtools/emulators.py: its own session, SIGTERM then SIGKILL. Each server gets a
fresh metadata home and an admin with a random password, so nothing is shared with the `make superset`
server in `.cumulus/superset`. A fresh home runs every migration: about 70 s to the first answer on a
2-core machine (measured; several minutes when the machine is busy), so a test session starts one
server, early, and lets other work run while it boots (`StartingSuperset.ready()` waits for it).
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cli.superset import HOST, serve_argv, superset_environment
from devtools.emulators import free_port, stop, wait_until_answering
from resources.superset.settings import SupersetSettings

ADMIN = "admin"
STARTUP_TIMEOUT_SECONDS = 900.0


@dataclass
class SupersetServer:
    url: str
    username: str
    password: str
    home: Path
    process: subprocess.Popen

    def settings(self, **overrides: str) -> SupersetSettings:
        """The settings a lane uses to publish here."""
        values = {"url": self.url, "username": self.username, "password": self.password, **overrides}
        return SupersetSettings(**values)


class StartingSuperset:
    """A server process that has been started and may not answer yet."""

    def __init__(self, server: SupersetServer, log: Path) -> None:
        self.server = server
        self.log = log
        self._ready = False

    def ready(self) -> SupersetServer:
        if not self._ready:
            health = f"{self.server.url}/health"
            wait_until_answering(health, self.server.process, STARTUP_TIMEOUT_SECONDS, self.log)
            self._ready = True
        return self.server


@contextmanager
def starting_superset(home: Path) -> Iterator[StartingSuperset]:
    """Start a server on a fresh `home` without waiting for it; stop it on exit."""
    port = free_port()
    password = secrets.token_urlsafe(16)
    env = superset_environment(home, ADMIN, password)
    log = home / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            serve_argv(port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        yield StartingSuperset(SupersetServer(f"http://{HOST}:{port}", ADMIN, password, home, process), log)
    finally:
        stop(process)
