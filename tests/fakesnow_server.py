"""A fakesnow server (Snowflake's HTTP protocol over an in-memory DuckDB) on a free port of 127.0.0.1.

Started and stopped with the helpers of tests/emulators.py: its own session, SIGTERM then SIGKILL. fakesnow
keeps every database in the server process's memory (the CLI's `-d` is not passed on in server mode), so
a stopped server's data is gone; a new server starts empty. It accepts any credentials.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.emulators import HOST, free_port, server_process, stop, venv_executable

# Any values do for fakesnow; "fakesnow" is the account its docs use.
FAKE_SNOWFLAKE_CREDENTIALS = {"account": "fakesnow", "user": "fake", "password": "snow"}


@dataclass
class FakesnowServer:
    host: str
    port: int
    process: subprocess.Popen

    @property
    def endpoint(self) -> dict[str, Any]:
        """What the connector needs besides the credentials (`additional_snowflake_connection_args`)."""
        return {"host": self.host, "port": self.port, "protocol": "http"}

    def create_database(self, name: str) -> None:
        """What an administrator does once on real Snowflake: the warehouse expects its database to exist."""
        import snowflake.connector

        conn = snowflake.connector.connect(**FAKE_SNOWFLAKE_CREDENTIALS, **self.endpoint, login_timeout=10)
        try:
            conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS {name}")
        finally:
            conn.close()

    def stop(self) -> None:
        stop(self.process)


@contextmanager
def fakesnow_server(port: int | None = None) -> Iterator[FakesnowServer]:
    """`fakesnow -s --host 127.0.0.1 -p PORT`, ready once it answers HTTP; stopped on exit."""
    port = port or free_port()
    argv = [venv_executable("fakesnow"), "-s", "--host", HOST, "-p", str(port)]
    # any HTTP answer means uvicorn is up (GET /session answers 405: the route takes POST only)
    with server_process(argv, f"http://{HOST}:{port}/session") as process:
        yield FakesnowServer(HOST, port, process)
