"""The `dagster dev` harness of the tests and benchmarks stops the whole server cleanly, also when it was
started from a process that ignores SIGINT (a script's background job, a CI step)."""

from __future__ import annotations

import signal
import time

import pytest

from devtools.dagster_server import SHUTDOWN_TIMEOUT, dagster_dev, instance_environment
from devtools.process_group import live_members

pytestmark = pytest.mark.slow


def test_dagster_dev_started_with_sigint_ignored_stops_on_sigterm_with_every_process(tmp_path):
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `cmd &` in a script starts it
    try:
        with dagster_dev(instance_environment(tmp_path / "home"), tmp_path / "dev.log") as server:
            assert len(live_members(server.process.pid)) >= 4  # dagster dev, webserver, daemon, code server
            began = time.monotonic()
    finally:
        signal.signal(signal.SIGINT, ignored)
    stopped_after = time.monotonic() - began
    assert live_members(server.process.pid) == []
    assert stopped_after < SHUTDOWN_TIMEOUT, "stopped by SIGKILL: dagster dev ignored SIGTERM"
    assert "Dagster services shut down." in (tmp_path / "dev.log").read_text()
