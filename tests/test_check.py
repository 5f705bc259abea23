"""Tests for tumbler.check: the insecure-settings audit behind ``tumbler check``."""

from __future__ import annotations

import pytest

from tumbler import Tumbler
from tumbler.check import MIN_SECRET_KEY_LENGTH
from tumbler.check import Finding
from tumbler.check import check_app

GOOD_KEY = "k" * 64


def secure_app(**overrides: object) -> Tumbler:
    app = Tumbler(__name__)
    app.config.update(
        SECRET_KEY=GOOD_KEY,
        TRUSTED_HOSTS=["example.com"],
        SESSION_COOKIE_SECURE=True,
        PREFERRED_URL_SCHEME="https",
        HSTS_SECONDS=31536000,
    )
    app.config.update(overrides)
    return app


def codes(app: Tumbler) -> list[str]:
    return [f.code for f in check_app(app)]


def test_secure_configuration_has_no_findings() -> None:
    assert check_app(secure_app()) == []


def test_default_configuration_reports_missing_key_hosts_and_insecure_cookie() -> None:
    assert codes(Tumbler(__name__)) == [
        "secret-key-missing",
        "trusted-hosts-unset",
        "session-cookie-insecure",
    ]


@pytest.mark.parametrize("key", [None, "", b""])
def test_missing_secret_key_is_reported(key: object) -> None:
    assert codes(secure_app(SECRET_KEY=key)) == ["secret-key-missing"]


def test_short_secret_key_is_reported_with_its_length() -> None:
    (finding,) = check_app(secure_app(SECRET_KEY="dev"))
    assert finding.code == "secret-key-short"
    assert "3 bytes" in finding.message


def test_secret_key_of_minimum_length_passes() -> None:
    assert codes(secure_app(SECRET_KEY="x" * MIN_SECRET_KEY_LENGTH)) == []


def test_short_bytes_secret_key_is_reported() -> None:
    assert codes(secure_app(SECRET_KEY=b"0123456789")) == ["secret-key-short"]


def test_debug_mode_is_reported() -> None:
    app = secure_app()
    app.debug = True
    assert codes(app) == ["debug-enabled"]


@pytest.mark.parametrize("hosts", [None, []])
def test_unset_trusted_hosts_is_reported(hosts: object) -> None:
    assert codes(secure_app(TRUSTED_HOSTS=hosts)) == ["trusted-hosts-unset"]


def test_insecure_session_cookie_is_reported() -> None:
    assert codes(secure_app(SESSION_COOKIE_SECURE=False)) == ["session-cookie-insecure"]


def test_script_readable_session_cookie_is_reported() -> None:
    assert codes(secure_app(SESSION_COOKIE_HTTPONLY=False)) == ["session-cookie-scriptable"]


@pytest.mark.parametrize("seconds", [0, None])
def test_hsts_off_is_reported_when_https_is_preferred(seconds: object) -> None:
    assert codes(secure_app(HSTS_SECONDS=seconds)) == ["hsts-disabled"]


def test_hsts_off_is_not_reported_when_http_is_preferred() -> None:
    app = secure_app(PREFERRED_URL_SCHEME="http")
    del app.config["HSTS_SECONDS"]
    assert codes(app) == []


def test_every_finding_explains_the_fix() -> None:
    for finding in check_app(Tumbler(__name__)):
        assert finding.message
        assert finding.fix
        assert finding.code in str(finding)
        assert finding.fix in str(finding)


def test_finding_is_immutable() -> None:
    finding = Finding("x", "message", "fix")
    with pytest.raises(AttributeError):
        finding.code = "y"  # type: ignore[misc]
