"""A logged-in session on Superset's REST API: JWT login, CSRF token, and errors that say what went wrong.

Errors name the server's URL, the request and Superset's own message, never the password (it only
travels in the login request's body).
"""

from __future__ import annotations

import json
from typing import Any

import requests

LOGIN = "/api/v1/security/login"
CSRF = "/api/v1/security/csrf_token/"


class SupersetError(RuntimeError):
    """Superset could not be reached, refused the login or rejected a request."""


class SupersetUnavailable(SupersetError):
    pass


class SupersetLoginRejected(SupersetError):
    pass


class SupersetRequestRejected(SupersetError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _reason(response: requests.Response) -> str:
    """Superset's message from an error response (JSON `message` or `errors`), else the start of the body."""
    if response.headers.get("Content-Type", "").startswith("text/html"):
        # An unhandled server error (Superset answers those with its HTML page): the cause is in its log.
        return f"{response.reason}, an HTML error page; the cause is in Superset's log"
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason
    if isinstance(body, dict):
        if "errors" in body:  # details (an import's validation errors per file and field) are in `extra`
            return "; ".join(_error_text(e) for e in body["errors"])
        if "message" in body:
            return str(body["message"])
    return str(body)[:300]


def _error_text(error: dict[str, Any]) -> str:
    extra = {k: v for k, v in (error.get("extra") or {}).items() if k != "issue_codes"}  # generic boilerplate
    return str(error.get("message", error)) + (f" {json.dumps(extra)[:1000]}" if extra else "")


class SupersetSession:
    """One authenticated session. Superset checks the CSRF token against the session cookie, so every
    request after login goes through the same `requests.Session`."""

    def __init__(self, url: str, username: str, password: str, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()
        self._http.trust_env = False  # no proxy from the environment between us and the server
        # Superset answers an error with its HTML page to any client that accepts HTML (requests sends */*
        # by default); asking for JSON gets the reason, e.g. an import's validation errors per file.
        self._http.headers["Accept"] = "application/json"
        response = self._send("POST", LOGIN, json={"username": username, "password": password, "provider": "db"})
        if response.status_code == 401:
            raise SupersetLoginRejected(
                f"Superset at {self.url} refused the login of user {username!r} (HTTP 401): wrong username or "
                "password; check CUMULUS_SUPERSET_USERNAME and CUMULUS_SUPERSET_PASSWORD"
            )
        self._raise_for(response, "POST", LOGIN)
        self._http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        self._http.headers["X-CSRFToken"] = self.get(CSRF)["result"]
        self._http.headers["Referer"] = self.url  # Flask-WTF checks the referrer of unsafe requests

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self._http.request(method, f"{self.url}{path}", timeout=self.timeout, **kwargs)
        except requests.ConnectionError as error:
            raise SupersetUnavailable(
                f"Superset at {self.url} is not reachable ({type(error).__name__}): is it running? "
                "`make superset` starts the local one"
            ) from None
        except requests.Timeout:
            raise SupersetUnavailable(
                f"Superset at {self.url} did not answer {method} {path} in {self.timeout:.0f} s"
            ) from None

    def _raise_for(self, response: requests.Response, method: str, path: str) -> None:
        if response.status_code >= 400:
            raise SupersetRequestRejected(
                f"Superset at {self.url} rejected {method} {path} (HTTP {response.status_code}): {_reason(response)}",
                response.status_code,
            )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        self._raise_for(response, method, path)
        return response.json() if response.content else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def close(self) -> None:
        self._http.close()
