"""A fakesnow server (Snowflake's HTTP protocol over DuckDB) on a free port of 127.0.0.1.

Run as `python -m devtools.fakesnow_server --host H --port P [--db-path DIR]`: fakesnow's own server app under
uvicorn, as its CLI (`fakesnow -s`) runs it, except that the CLI does not pass `-d/--db_path` on in server
mode, so its databases live in the process's memory and die with it. With `--db-path` the server's
shared instance keeps each database in a DuckDB file `DIR/<DATABASE>.db` instead (fakesnow's
`FakeSnow(db_path=...)`, the same storage its patch mode uses), so a restarted server finds the tables of
the stopped one, as Snowflake keeps them through an outage of its endpoint. What stays in memory either
way: fakesnow's cross-database catalog (stage definitions, column comments) and staged files (a temp
folder of the process). cumulus recreates its stage (`CREATE STAGE IF NOT EXISTS`) and stages files
afresh on every load, so neither matters to it.

Started and stopped with the helpers of devtools/emulators.py: its own session, SIGTERM then SIGKILL. It
accepts any credentials.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.emulators import HOST, ServerProcess, free_port, server_process

REPO_ROOT = Path(__file__).resolve().parent.parent
# Any values do for fakesnow; "fakesnow" is the account its docs use.
FAKE_SNOWFLAKE_CREDENTIALS = {"account": "fakesnow", "user": "fake", "password": "snow"}


@dataclass
class FakesnowServer:
    host: str
    port: int
    server: ServerProcess
    durable: bool

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
        self.server.stop()

    def restart(self) -> None:
        """A new server on the same port: with the stopped one's databases if durable, else empty."""
        self.server.stop()
        self.server.start()


@contextmanager
def fakesnow_server(port: int | None = None, *, durable: bool = False) -> Iterator[FakesnowServer]:
    """A fakesnow server on 127.0.0.1, ready once it answers HTTP; stopped on exit.

    `durable`: databases in files of a temp folder that outlives restarts of the server (not the block).
    """
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="cumulus-fakesnow-") as state:
        argv = [sys.executable, "-m", "devtools.fakesnow_server", "--host", HOST, "--port", str(port)]
        if durable:
            argv += ["--db-path", state]
        # any HTTP answer means uvicorn is up (GET /session answers 405: the route takes POST only)
        with server_process(argv, f"http://{HOST}:{port}/session", env={"PYTHONPATH": str(REPO_ROOT)}) as server:
            yield FakesnowServer(HOST, port, server, durable)


def serve(host: str, port: int, db_path: str | None) -> None:
    import fakesnow.server
    import uvicorn
    from fakesnow.instance import FakeSnow

    if db_path:
        fakesnow.server.shared_fs = FakeSnow(db_path=db_path)  # every session logs in to this instance
    uvicorn.run(fakesnow.server.app, host=host, port=port, log_level="info")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="fakesnow's server, optionally keeping databases in files")
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db-path", help="folder for the database files (default: in memory)")
    args = parser.parse_args()
    serve(args.host, args.port, args.db_path)
