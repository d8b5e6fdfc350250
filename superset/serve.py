"""Prepare Superset's metadata and serve it on 127.0.0.1, in one process of Superset's own virtualenv.

Run by cli/superset.py with `.superset-venv/bin/python` (never imported by the pipeline). One process
because each `superset ...` CLI call spends about 20 s importing the app on a busy 2-core machine
(measured: `superset version` 21.7 s, `db upgrade` 25.9 s, `init` 27.6 s); doing the same three steps and
the server here costs that import once.

Idempotent: migrations are a no-op when current, the admin is created only when missing (the password of
an existing admin is left alone), roles and permissions are synced as `superset init` does.

  python serve.py --port PORT [--prepare-only]
  env: SUPERSET_HOME, SUPERSET_CONFIG_PATH, SUPERSET_SECRET_KEY (cli/superset.py sets them),
       CUMULUS_SUPERSET_ADMIN_USERNAME, CUMULUS_SUPERSET_ADMIN_PASSWORD (read from the environment, so the
       password is never in argv, which any user of the machine can list)
"""

import argparse
import logging
import os

from flask_migrate import upgrade
from superset.app import create_app

HOST = "127.0.0.1"


def prepare(app) -> None:
    from superset.extensions import migrate

    from superset import appbuilder, security_manager  # initialised by create_app()

    upgrade(directory=migrate.directory)
    appbuilder.add_permissions(update_perms=True)
    security_manager.sync_role_definitions()
    username = os.environ["CUMULUS_SUPERSET_ADMIN_USERNAME"]
    if security_manager.find_user(username=username) is None:
        admin_role = security_manager.find_role(security_manager.auth_role_admin)
        created = security_manager.add_user(
            username, "cumulus", "admin", f"{username}@cumulus.local", admin_role,
            os.environ["CUMULUS_SUPERSET_ADMIN_PASSWORD"],
        )  # fmt: skip
        if not created:
            raise SystemExit(f"could not create the Superset admin {username!r}")
        print(f"created the Superset admin {username!r}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prepare-only", action="store_true")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app()
    with app.app_context():
        prepare(app)
    if args.prepare_only:
        return
    print(f"serving on http://{HOST}:{args.port}", flush=True)
    app.run(host=HOST, port=args.port, threaded=True, use_reloader=False, debug=False)


if __name__ == "__main__":
    main()
