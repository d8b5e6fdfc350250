"""A server started in its own session, stoppable as Ctrl-C stops it in a terminal, and stopped with every
process it started.

A process started in the background by a shell without job control (a script's `cmd &`, a CI step) starts
with SIGINT ignored, and a Python program keeps it ignored. `dagster dev` then ignores SIGTERM too (it
handles SIGTERM as SIGINT, whatever that is), and its webserver and daemon, whose shutdown message from
`dagster dev` is a SIGINT to themselves, never stop: a SIGTERM to the whole group left all five processes
running 90 s later, against 10 s with SIGINT restored (2026-12-06, 2-core machine).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path


def restore_interrupts() -> None:
    """For `preexec_fn`: SIGINT handled by default in the child, whatever its parent ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def live_members(group: int) -> list[int]:
    """The processes of process group `group` that have not exited (zombies left out: they only wait for
    their parent to reap them)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            stat = (entry / "stat").read_text()
            state, _parent, process_group = stat[stat.rindex(")") + 2 :].split()[:3]
            if int(process_group) == group and state != "Z":
                members.append(int(entry.name))
    return members


def stop_process_group(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM the group that `process` leads (started with `start_new_session=True`), wait up to `timeout`
    seconds for every member to exit, then SIGKILL whatever is left."""
    group = process.pid
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, whose zombie would otherwise stay in the group
        if not live_members(group):
            return
        time.sleep(0.2)
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    process.wait(timeout=10)
