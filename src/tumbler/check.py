"""An audit of an app's configuration for settings that are unsafe in production.

``tumbler check`` prints what :func:`check_app` finds and exits with status 1 when it finds
anything, so it can gate a deployment. Each finding names the risk and the fix:

- ``secret-key-missing``: no ``SECRET_KEY``, so sessions and flashed messages cannot be signed.
- ``secret-key-short``: a short ``SECRET_KEY`` can be brute-forced, letting anyone forge session
  cookies.
- ``debug-enabled``: ``DEBUG`` shows tracebacks and source to local clients and reloads code; it
  is for development only.
- ``trusted-hosts-unset``: without ``TRUSTED_HOSTS`` any ``Host`` header is accepted, which
  enables host-header poisoning of password-reset links and caches.
- ``session-cookie-insecure``: without ``SESSION_COOKIE_SECURE`` the session cookie is also sent
  over plain HTTP, where it can be stolen.
- ``session-cookie-scriptable``: without ``SESSION_COOKIE_HTTPONLY`` page scripts (and so XSS)
  can read the session cookie.
- ``hsts-disabled``: the app prefers https but sends no ``Strict-Transport-Security``
  (``HSTS_SECONDS``), so a first plain-HTTP visit can be intercepted.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:
    from .app import Tumbler

#: Shortest secret key accepted without a finding: 32 bytes, what ``secrets.token_hex(16)``
#: produces as text; ``python -c "import secrets; print(secrets.token_hex())"`` gives 64.
MIN_SECRET_KEY_LENGTH = 32

_NEW_KEY = "python -c 'import secrets; print(secrets.token_hex())'"


@dataclass(frozen=True, slots=True)
class Finding:
    """One insecure setting.

    :param code: a stable identifier such as ``"debug-enabled"``, for filtering and tests.
    :param message: what is wrong and the risk it creates.
    :param fix: what to change.
    """

    code: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}\n    Fix: {self.fix}"


def _check_secret_key(config: t.Mapping[str, t.Any]) -> Finding | None:
    key = config.get("SECRET_KEY")
    if not key:
        return Finding(
            "secret-key-missing",
            "SECRET_KEY is not set, so sessions and flashed messages cannot be signed.",
            f"Set SECRET_KEY to a long random value kept out of version control: {_NEW_KEY}",
        )
    length = len(key.encode() if isinstance(key, str) else key)
    if length < MIN_SECRET_KEY_LENGTH:
        return Finding(
            "secret-key-short",
            f"SECRET_KEY is only {length} bytes long; a short key can be guessed, letting"
            " anyone forge session cookies.",
            f"Use at least {MIN_SECRET_KEY_LENGTH} random bytes: {_NEW_KEY}",
        )
    return None


def _check_debug(app: Tumbler) -> Finding | None:
    if app.debug or app.config.get("DEBUG"):
        return Finding(
            "debug-enabled",
            "Debug mode is on: error pages show tracebacks and source code, and templates"
            " reload from disk.",
            "Turn it off in production: DEBUG = False, no --debug, TUMBLER_DEBUG unset.",
        )
    return None


def _check_trusted_hosts(config: t.Mapping[str, t.Any]) -> Finding | None:
    if not config.get("TRUSTED_HOSTS"):
        return Finding(
            "trusted-hosts-unset",
            "TRUSTED_HOSTS is not set, so any Host header is accepted; a forged Host can poison"
            " generated external URLs (password-reset links) and shared caches.",
            'Set TRUSTED_HOSTS to the names the app is served under, e.g. ["example.com",'
            ' ".example.com"].',
        )
    return None


def _check_session_cookie(config: t.Mapping[str, t.Any]) -> list[Finding]:
    findings = []
    if not config.get("SESSION_COOKIE_SECURE"):
        findings.append(
            Finding(
                "session-cookie-insecure",
                "SESSION_COOKIE_SECURE is off, so browsers also send the session cookie over"
                " plain HTTP, where it can be intercepted.",
                "Serve the app over HTTPS and set SESSION_COOKIE_SECURE = True.",
            )
        )
    if not config.get("SESSION_COOKIE_HTTPONLY", True):
        findings.append(
            Finding(
                "session-cookie-scriptable",
                "SESSION_COOKIE_HTTPONLY is off, so page scripts, and any injected script, can"
                " read the session cookie.",
                "Set SESSION_COOKIE_HTTPONLY = True (the default).",
            )
        )
    return findings


def _check_hsts(config: t.Mapping[str, t.Any]) -> Finding | None:
    if config.get("PREFERRED_URL_SCHEME") == "https" and not config.get("HSTS_SECONDS"):
        return Finding(
            "hsts-disabled",
            "The app prefers https but HSTS is off (HSTS_SECONDS is 0 or unset), so a"
            " browser's first plain-HTTP request can be intercepted and downgraded.",
            "Set HSTS_SECONDS, e.g. 31536000 (one year), once the site works over HTTPS.",
        )
    return None


def check_app(app: Tumbler) -> list[Finding]:
    """Audit ``app``'s configuration and return the insecure settings found, in a fixed order.

    The checks read only ``app.config`` and ``app.debug``; they do not import or call views.

    :param app: the application to audit.
    :return: the findings; an empty list means nothing was found.
    """
    config = app.config
    findings: list[Finding] = []
    for finding in (
        _check_secret_key(config),
        _check_debug(app),
        _check_trusted_hosts(config),
    ):
        if finding is not None:
            findings.append(finding)
    findings.extend(_check_session_cookie(config))
    hsts = _check_hsts(config)
    if hsts is not None:
        findings.append(hsts)
    return findings


__all__ = ["MIN_SECRET_KEY_LENGTH", "Finding", "check_app"]
