"""Emulator servers for the cloud-lane tests, each on a free port of 127.0.0.1 (no pytest in here).

Every emulator runs in its own session (`start_new_session=True`) so stopping it stops its whole process
tree, and is stopped with SIGTERM first, then SIGKILL if it does not exit in time. A test can stop one
mid-way (an outage of the endpoint) and start it again on the same port. Nothing here points anywhere
but 127.0.0.1, and no credentials but the fake ones below are used.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devtools.process_group import stop_process_group

HOST = "127.0.0.1"
FAKE_AWS_REGION = "ap-northeast-2"
# Any values do for moto; passed to clients explicitly rather than put into os.environ.
FAKE_AWS_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": FAKE_AWS_REGION,
}


class EmulatorError(RuntimeError):
    pass


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def venv_executable(name: str) -> str:
    """A console script installed next to the running interpreter (the project venv's bin/)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise EmulatorError(f"{name} not found next to {sys.executable}; is the dev dependency group installed?")
    return str(path)


def wait_until_answering(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    """Poll `url` until any HTTP answer comes back; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise EmulatorError(f"emulator exited with {process.returncode} before answering {url}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # an HTTP error status is still an answer
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise EmulatorError(f"emulator did not answer {url} within {timeout:.0f} s:\n{_tail(log)}")
        time.sleep(0.05)


def stop(process: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM the emulator's session, then SIGKILL whatever of it is left after `timeout` seconds."""
    stop_process_group(process, timeout)


class ServerProcess:
    """One emulator command on a fixed port: started, stopped (an outage) and started again.

    Output goes to `log` (appended across restarts); `start` waits until `ready_url` gives any HTTP answer.
    """

    def __init__(
        self, argv: list[str], ready_url: str, log: Path, env: Mapping[str, str] | None = None, timeout: float = 30.0
    ) -> None:
        self.argv, self.ready_url, self.log, self.env, self.timeout = argv, ready_url, log, env or {}, timeout
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            raise EmulatorError(f"{self.argv[0]} is already running")
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        try:
            wait_until_answering(self.ready_url, self.process, self.timeout, self.log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


@contextmanager
def server_process(
    argv: list[str], ready_url: str, *, env: Mapping[str, str] | None = None, startup_timeout: float = 30.0
) -> Iterator[ServerProcess]:
    """Run `argv` in its own session with output to a temp log, wait for `ready_url`, stop it on exit."""
    with tempfile.TemporaryDirectory(prefix="cumulus-emulator-") as tmp:
        server = ServerProcess(argv, ready_url, Path(tmp) / "server.log", env, startup_timeout)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@dataclass
class MotoServer:
    """A moto server (S3 and all of AWS) on 127.0.0.1 that can be stopped and brought back.

    moto keeps everything in the server's memory. A durable server also runs moto's recorder
    (`MOTO_ENABLE_RECORDING`), which appends every request it serves to a file; `restart` replays that
    file into the new server (`/moto-api/recorder/replay-recording`), so buckets and objects come back
    with the same keys and etags, as a real bucket would still hold them after an outage of its endpoint.
    """

    endpoint: str
    server: ServerProcess
    durable: bool

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        """A new server on the same port: holding what the stopped one held if durable, else empty."""
        self.server.stop()
        self.server.start()
        if self.durable:
            request = urllib.request.Request(f"{self.endpoint}/moto-api/recorder/replay-recording", method="POST")
            with urllib.request.urlopen(request, timeout=self.server.timeout):
                pass


@contextmanager
def moto_server(port: int | None = None, *, durable: bool = False) -> Iterator[MotoServer]:
    """A moto S3 server on 127.0.0.1 (endpoint URL e.g. http://127.0.0.1:PORT), stopped on exit."""
    port = port or free_port()
    endpoint = f"http://{HOST}:{port}"
    argv = [venv_executable("moto_server"), "-H", HOST, "-p", str(port)]
    with tempfile.TemporaryDirectory(prefix="cumulus-moto-") as state:
        env = dict(FAKE_AWS_ENV)
        if durable:
            env |= {"MOTO_ENABLE_RECORDING": "true", "MOTO_RECORDER_FILEPATH": str(Path(state) / "requests.jsonl")}
        with server_process(argv, f"{endpoint}/moto-api/", env=env) as server:
            yield MotoServer(endpoint, server, durable)


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
