"""Where the Superset dashboard is published, read from the environment with the other settings.

`CUMULUS_SUPERSET_URL` turns the Superset dashboard on: without it the `dashboards/kpi_superset` asset is
not part of the definitions (the HTML report stays the zero-setup dashboard, and nothing fails for want
of a server). With it, the username defaults to `admin`; the password defaults to a local-only value in
the local lane (the one `make superset` gives the admin it creates on 127.0.0.1) and is required in the
cloud lane. The password never appears in a repr or a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOCAL_ADMIN_USERNAME = "admin"
# For the server `make superset` runs on 127.0.0.1 only; any other deployment sets its own.
LOCAL_ADMIN_PASSWORD = "cumulus-local-only"

SUPERSET_VARIABLES = {
    "CUMULUS_SUPERSET_URL": "Superset's base URL, e.g. http://127.0.0.1:8088 (turns the Superset dashboard on)",
    "CUMULUS_SUPERSET_USERNAME": "Superset user that publishes the dashboard (default admin)",
    "CUMULUS_SUPERSET_PASSWORD": "that user's password (secret: never printed; required in the cloud lane)",
}


class SupersetSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class SupersetSettings:
    url: str
    username: str
    password: str = field(repr=False)
    # True when the password came from CUMULUS_SUPERSET_PASSWORD: the resource then reads it by reference.
    password_from_environment: bool = False

    @classmethod
    def local_default(cls, url: str) -> SupersetSettings:
        return cls(url=url, username=LOCAL_ADMIN_USERNAME, password=LOCAL_ADMIN_PASSWORD)


def superset_settings(environ: Mapping[str, str], cloud: bool) -> SupersetSettings | None:
    url = environ.get("CUMULUS_SUPERSET_URL", "").strip().rstrip("/")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SupersetSettingsError(
            f"CUMULUS_SUPERSET_URL must be an http(s) URL like http://127.0.0.1:8088; got {url!r}"
        )
    password = environ.get("CUMULUS_SUPERSET_PASSWORD", "")
    if not password and cloud:
        raise SupersetSettingsError(
            "CUMULUS_SUPERSET_URL is set, so CUMULUS_SUPERSET_PASSWORD is needed: "
            + SUPERSET_VARIABLES["CUMULUS_SUPERSET_PASSWORD"]
        )
    return SupersetSettings(
        url=url,
        username=environ.get("CUMULUS_SUPERSET_USERNAME", "").strip() or LOCAL_ADMIN_USERNAME,
        password=password or LOCAL_ADMIN_PASSWORD,
        password_from_environment=bool(password),
    )
