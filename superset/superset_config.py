"""Superset's configuration for cumulus: a local server on 127.0.0.1 that talks to nothing else.

Loaded by Superset (its own virtual environment) through SUPERSET_CONFIG_PATH, which `cli/superset.py`
sets; it is not imported by the pipeline. Everything machine-specific comes from the environment:

  SUPERSET_HOME        folder of the SQLite metadata database (superset.db) and Superset's own files
  SUPERSET_SECRET_KEY  signs sessions and encrypts stored connection secrets; the default is for a local
                       server only (`cli/superset.py` passes one derived per home if none is set)
"""

import os

SUPERSET_HOME = os.environ["SUPERSET_HOME"]  # set by cli/superset.py; Superset's default is ~/.superset
DATA_DIR = SUPERSET_HOME
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = f"sqlite:///{os.path.join(SUPERSET_HOME, 'superset.db')}?check_same_thread=false"

# No map tiles, no example data, no outside fonts or telemetry: the page may only load from itself.
MAPBOX_API_KEY = ""
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []
_SELF = ["'self'"]
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": _SELF,
        "default-src": _SELF,
        # Superset's default also allows a telemetry pixel (scarf.sh) and map/document hosts: refused here.
        "img-src": [*_SELF, "blob:", "data:"],
        "worker-src": [*_SELF, "blob:"],
        "connect-src": _SELF,
        "object-src": "'none'",
        "style-src": [*_SELF, "'unsafe-inline'"],
        "font-src": _SELF,
        "script-src": [*_SELF, "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
CONTENT_SECURITY_POLICY_WARNING = False

# The dashboard reads a DuckDB file; a local server keeps results in memory rather than ~/.cache.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}  # never serve a chart from before the last publish
