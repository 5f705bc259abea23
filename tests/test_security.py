from __future__ import annotations

import builtins
import hashlib
import hmac
import os
import sys
import typing as t

import pytest

from tumbler.security import SALT_CHARS
from tumbler.security import check_password_hash
from tumbler.security import gen_salt
from tumbler.security import generate_password_hash
from tumbler.security import safe_join

FAST_SCRYPT = "scrypt:1024:8:1"


def werkzeug_pbkdf2(password: str, salt: str, hash_name: str, iterations: int) -> str:
    # Werkzeug: "pbkdf2:<hash>:<iterations>$<salt>$<hex of pbkdf2_hmac(password, salt)>"
    digest = hashlib.pbkdf2_hmac(hash_name, password.encode(), salt.encode(), iterations)
    return f"pbkdf2:{hash_name}:{iterations}${salt}${digest.hex()}"


def werkzeug_scrypt(password: str, salt: str, n: int, r: int, p: int) -> str:
    # Werkzeug: "scrypt:<n>:<r>:<p>$<salt>$<hex of 64-byte scrypt(password, salt)>"
    digest = hashlib.scrypt(
        password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p
    )
    return f"scrypt:{n}:{r}:{p}${salt}${digest.hex()}"


# --- gen_salt -------------------------------------------------------------------------


def test_gen_salt_has_requested_length_and_alphabet() -> None:
    salt = gen_salt(32)
    assert len(salt) == 32
    assert set(salt) <= set(SALT_CHARS)


def test_gen_salt_is_random() -> None:
    assert gen_salt(16) != gen_salt(16)


@pytest.mark.parametrize("length", [0, -1])
def test_gen_salt_rejects_non_positive_length(length: int) -> None:
    with pytest.raises(ValueError):
        gen_salt(length)


# --- generate / check -------------------------------------------------------------------


def test_default_method_is_scrypt_at_owasp_cost_and_verifies() -> None:
    pwhash = generate_password_hash("correct horse")
    method, salt, hexhash = pwhash.split("$")
    assert method == "scrypt:131072:8:1"
    assert len(salt) == 16
    assert len(hexhash) == 128
    assert check_password_hash(pwhash, "correct horse")


def test_default_hash_rejects_wrong_password() -> None:
    pwhash = generate_password_hash("correct horse")
    assert not check_password_hash(pwhash, "correct horse ")


def test_same_password_hashes_differently_each_time() -> None:
    assert generate_password_hash("pw", FAST_SCRYPT) != generate_password_hash("pw", FAST_SCRYPT)


def test_salt_length_is_configurable() -> None:
    pwhash = generate_password_hash("pw", FAST_SCRYPT, salt_length=40)
    assert len(pwhash.split("$")[1]) == 40


def test_pbkdf2_default_is_sha256_with_600000_iterations() -> None:
    pwhash = generate_password_hash("pw", "pbkdf2")
    assert pwhash.startswith("pbkdf2:sha256:600000$")
    assert check_password_hash(pwhash, "pw")
    assert not check_password_hash(pwhash, "PW")


def test_pbkdf2_with_hash_name_and_iterations() -> None:
    pwhash = generate_password_hash("pw", "pbkdf2:sha512:1000")
    assert pwhash.startswith("pbkdf2:sha512:1000$")
    assert check_password_hash(pwhash, "pw")


def test_non_ascii_password_round_trips() -> None:
    pwhash = generate_password_hash("pässwörd ✓", FAST_SCRYPT)
    assert check_password_hash(pwhash, "pässwörd ✓")
    assert not check_password_hash(pwhash, "passwort")


def test_hash_matches_werkzeug_computation_so_werkzeug_can_verify_it() -> None:
    pwhash = generate_password_hash("secret", "pbkdf2:sha256:1000")
    salt = pwhash.split("$")[1]
    assert pwhash == werkzeug_pbkdf2("secret", salt, "sha256", 1000)


def test_werkzeug_pbkdf2_hash_verifies() -> None:
    pwhash = werkzeug_pbkdf2("hunter2", "a1B2c3D4e5F6g7H8", "sha256", 260000)
    assert check_password_hash(pwhash, "hunter2")
    assert not check_password_hash(pwhash, "hunter3")


def test_werkzeug_scrypt_hash_verifies() -> None:
    pwhash = werkzeug_scrypt("hunter2", "ZYXWVUtsrqpo1234", 32768, 8, 1)
    assert pwhash.startswith("scrypt:32768:8:1$")
    assert check_password_hash(pwhash, "hunter2")
    assert not check_password_hash(pwhash, "Hunter2")


def test_werkzeug_bare_scrypt_method_means_n_32768() -> None:
    full = werkzeug_scrypt("pw", "saltsalt", 32768, 8, 1)
    bare = "scrypt$" + full.split("$", 1)[1]
    assert check_password_hash(bare, "pw")


def test_werkzeug_bare_pbkdf2_with_hash_name_only_uses_default_iterations() -> None:
    full = werkzeug_pbkdf2("pw", "saltsalt", "sha256", 600000)
    assert check_password_hash("pbkdf2:sha256$" + full.split("$", 1)[1], "pw")


def test_check_uses_constant_time_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert check_password_hash(werkzeug_pbkdf2("pw", "s", "sha256", 10), "pw")
    assert len(calls) == 1


@pytest.mark.parametrize(
    "pwhash",
    [
        "",
        "nodollars",
        "pbkdf2:sha256:1000$onlysalt",
        "md5$salt$5f4dcc3b5aa765d61d8327deb882cf99",
        "plain$$pw",
        "pbkdf2:nosuchhash:1000$salt$abcd",
        "pbkdf2:sha256:notanumber$salt$abcd",
        "pbkdf2:sha256:0$salt$abcd",
        "pbkdf2:sha256:1000:extra$salt$abcd",
        "scrypt:1000:8:1$salt$abcd",
        "scrypt:1024:8$salt$abcd",
        "scrypt:0:8:1$salt$abcd",
        "scrypt:1024:-8:1$salt$abcd",
        "scrypt:1024:8:1$salt$ünïcode",
        "pbkdf2:sha256:10$sa\udcfflt$abcd",
    ],
)
def test_malformed_hash_returns_false_without_raising(pwhash: str) -> None:
    assert check_password_hash(pwhash, "pw") is False


def test_hash_with_absurd_scrypt_cost_is_refused_not_computed() -> None:
    assert check_password_hash("scrypt:1073741824:8:1$salt$abcd", "pw") is False


def test_hash_with_absurd_pbkdf2_iterations_is_refused_not_computed() -> None:
    assert check_password_hash("pbkdf2:sha256:999999999999$salt$abcd", "pw") is False


def test_non_string_hash_returns_false() -> None:
    assert check_password_hash(None, "pw") is False  # type: ignore[arg-type]


def test_unencodable_password_returns_false() -> None:
    pwhash = generate_password_hash("pw", FAST_SCRYPT)
    assert check_password_hash(pwhash, "\udcff") is False


@pytest.mark.parametrize("method", ["md5", "sha256", "scrypt:1000:8:1", "pbkdf2:a:b:c"])
def test_generate_rejects_unknown_or_invalid_method(method: str) -> None:
    with pytest.raises(ValueError):
        generate_password_hash("pw", method)


# --- argon2 -------------------------------------------------------------------------------


def test_argon2_hash_is_argon2id_and_verifies() -> None:
    pytest.importorskip("argon2")
    pwhash = generate_password_hash("pw", "argon2:1:8:1")
    assert pwhash.startswith("argon2$argon2id$v=19$m=8,t=1,p=1$")
    assert check_password_hash(pwhash, "pw")
    assert not check_password_hash(pwhash, "pW")


def test_argon2_default_parameters_verify() -> None:
    pytest.importorskip("argon2")
    pwhash = generate_password_hash("pw", "argon2")
    assert check_password_hash(pwhash, "pw")


def test_malformed_argon2_hash_returns_false() -> None:
    pytest.importorskip("argon2")
    assert check_password_hash("argon2$argon2id$v=19$m=8,t=1,p=1$garbage", "pw") is False


def _hide_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if name == "argon2" or name.startswith("argon2."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    for mod in [m for m in sys.modules if m == "argon2" or m.startswith("argon2.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_argon2_without_library_raises_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_argon2(monkeypatch)
    with pytest.raises(RuntimeError, match="argon2-cffi"):
        generate_password_hash("pw", "argon2")


def test_argon2_hash_check_without_library_raises_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hide_argon2(monkeypatch)
    with pytest.raises(RuntimeError, match="argon2-cffi"):
        check_password_hash("argon2$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "pw")


# --- safe_join ----------------------------------------------------------------------------


def test_safe_join_joins_relative_segments() -> None:
    assert safe_join("static", "css", "site.css") == "static/css/site.css"


def test_safe_join_accepts_nested_relative_path() -> None:
    assert safe_join("static", "css/site.css") == "static/css/site.css"


def test_safe_join_normalises_inner_dot_segments() -> None:
    assert safe_join("static", "a/./b/../c.txt") == "static/a/c.txt"


def test_safe_join_empty_directory_means_current() -> None:
    assert safe_join("", "a.txt") == "./a.txt"


def test_safe_join_without_pathnames_returns_directory() -> None:
    assert safe_join("static") == "static"


@pytest.mark.parametrize(
    "pathname",
    [
        "../etc/passwd",
        "..",
        "/etc/passwd",
        "//etc/passwd",
        "a/../../b",
        "a/..",
        "C:\\x",
        "C:x",
        "c:/windows/win.ini",
        "a\\..\\b",
        "..\\secret",
        "\x00",
        "a\x00.txt",
        "",
        ".",
        "./",
    ],
)
def test_safe_join_refuses_escape_attempts_and_oddities(pathname: str) -> None:
    assert safe_join("/srv/static", pathname) is None


def test_safe_join_refuses_when_any_later_segment_is_bad() -> None:
    assert safe_join("/srv", "ok", "../../etc") is None


def test_safe_join_refuses_windows_device_names_on_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "name", "nt")
    assert safe_join("static", "CON") is None
    assert safe_join("static", "sub/nul.txt") is None
    assert safe_join("static", "console.txt") == "static/console.txt"


def test_safe_join_allows_device_like_names_on_posix() -> None:
    if os.name == "nt":
        pytest.skip("POSIX behaviour")
    assert safe_join("static", "con") == "static/con"


def test_safe_join_result_never_leaves_directory_for_many_inputs() -> None:
    base = "/srv/static"
    samples = ["a/b/../../..", "./../x", "a//..//..//b", "x/./../../y", "...", "a/.../b"]
    for sample in samples:
        joined = safe_join(base, sample)
        if joined is not None:
            real = os.path.normpath(joined)
            assert real == base or real.startswith(base + "/"), sample


def test_safe_join_keeps_triple_dot_names_which_are_ordinary_files() -> None:
    assert safe_join("static", "...") == "static/..."
