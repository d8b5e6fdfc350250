"""`make superset`: prepare and run the local Superset server (its own virtual environment, SQLite metadata).

Superset's pins conflict with Dagster's, so it lives in `.superset-venv` (installed by `make superset` from
superset/requirements.lock) and is only ever run as a subprocess from here, by the Makefile and the tests.
Its metadata (users, the dashboard, charts) is a SQLite file under `<home>`; the server binds 127.0.0.1.

Every start prepares the metadata first (superset/serve.py, idempotent): migrations, roles, and the admin
user if it is missing (changing its password later: `superset fab reset-password` in the Superset venv).
"""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path

from resources.settings import REPO_ROOT, load_settings
from resources.superset.settings import LOCAL_ADMIN_USERNAME, SupersetSettings

SUPERSET_VENV = REPO_ROOT / ".superset-venv"
CONFIG_PATH = REPO_ROOT / "superset" / "superset_config.py"
SERVE_SCRIPT = REPO_ROOT / "superset" / "serve.py"
HOST = "127.0.0.1"
DEFAULT_PORT = 8088


def superset_python(venv: Path = SUPERSET_VENV) -> Path:
    path = venv / "bin" / "python"
    if not (venv / "bin" / "superset").exists():
        raise FileNotFoundError(f"{venv}/bin/superset is missing: run `make superset-install`")
    return path


def _secret_key(home: Path) -> str:
    """SUPERSET_SECRET_KEY if set, else a random key kept in `<home>/secret_key` (made once, mode 0600).

    The key encrypts the connection secrets stored in the metadata, so it must stay the same across
    restarts of the same home; a new home gets a new key.
    """
    if key := os.environ.get("SUPERSET_SECRET_KEY"):
        return key
    path = home / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(42))
    return path.read_text().strip()


def superset_environment(home: Path, username: str, password: str) -> dict[str, str]:
    """The environment of the Superset process for the metadata in `home` and the admin to create.

    PYTHONPATH is dropped: with the repository on it, the repository's `superset/` folder (config and
    bundle, no Python package) would sit on Superset's import path next to the real package.
    """
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        PYTHONPATH="",  # empty rather than absent, so a caller merging os.environ back cannot restore it
        SUPERSET_HOME=str(home),
        SUPERSET_CONFIG_PATH=str(CONFIG_PATH),
        SUPERSET_SECRET_KEY=_secret_key(home),
        CUMULUS_SUPERSET_ADMIN_USERNAME=username,
        CUMULUS_SUPERSET_ADMIN_PASSWORD=password,
        DO_NOT_TRACK="1",
        SCARF_ANALYTICS="false",
    )
    return env


def serve_argv(port: int, venv: Path = SUPERSET_VENV, prepare_only: bool = False) -> list[str]:
    """Prepare the metadata (idempotent) and serve on 127.0.0.1:`port` (Flask's threaded server)."""
    return [str(superset_python(venv)), str(SERVE_SCRIPT), "--port", str(port), *(["--prepare-only"] * prepare_only)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    settings = load_settings()
    home = settings.home / "superset"
    login = settings.superset or SupersetSettings.local_default(f"http://{HOST}:{args.port}")
    url = f"http://{HOST}:{args.port}"
    print(f"Starting Superset at {url} (user {login.username}); metadata in {home}. Stop with Ctrl-C.")
    print("It answers once its metadata is prepared: about a minute the first time, 20-30 s later on.")
    if login.username == LOCAL_ADMIN_USERNAME and not os.environ.get("CUMULUS_SUPERSET_PASSWORD"):
        print("Password: the local-only default (see README, section Superset).")
    print(f"Publish the dashboard: export CUMULUS_SUPERSET_URL={url}, then `make demo` or materialize")
    print("dashboards/kpi_superset in `make dev`.")
    argv = serve_argv(args.port)
    os.execve(argv[0], argv, superset_environment(home, login.username, login.password))


if __name__ == "__main__":
    main()
