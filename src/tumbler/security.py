"""Password hashing and safe path joining.

``generate_password_hash`` / ``check_password_hash`` store passwords as salted, slow hashes.
The default is scrypt with the OWASP-recommended cost (N=2**17, r=8, p=1); ``argon2`` (argon2id,
needs the ``argon2-cffi`` package) and ``pbkdf2`` are available too. The stored format is
Werkzeug's ``method$salt$hash``, so hashes made by a Flask/Werkzeug app keep verifying after a port,
and hashes made here verify under Werkzeug (except argon2, which Werkzeug does not support).

``safe_join`` joins untrusted path segments below a base directory and refuses anything that
could escape it (path traversal).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import posixpath
import re
import secrets
import string
import typing as t

if t.TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = [
    "DEFAULT_PBKDF2_ITERATIONS",
    "DEFAULT_SCRYPT_PARAMS",
    "SALT_CHARS",
    "check_password_hash",
    "gen_salt",
    "generate_password_hash",
    "safe_join",
]

#: Characters :func:`gen_salt` draws from (ASCII letters and digits, as in Werkzeug).
SALT_CHARS = string.ascii_letters + string.digits

#: scrypt cost (N, r, p) for new hashes: the OWASP password storage cheat sheet's first row,
#: 128 MiB of memory per hash, which makes GPU/ASIC guessing expensive.
DEFAULT_SCRYPT_PARAMS = (2**17, 8, 1)

#: PBKDF2-HMAC-SHA256 iterations for new hashes (OWASP recommendation for SHA-256).
DEFAULT_PBKDF2_ITERATIONS = 600_000

# Werkzeug's scrypt default when the method string is a bare "scrypt".
_WERKZEUG_BARE_SCRYPT = (2**15, 8, 1)

# Upper bounds on cost parameters read from a stored hash. A corrupted or hostile hash string
# must not be able to make a login request allocate gigabytes or spin for minutes.
_MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024
_MAX_PBKDF2_ITERATIONS = 10_000_000

# Windows reserved device names: opening "CON" or "nul.txt" there talks to a device, not a file.
_WINDOWS_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in "123456789"]
    + [f"LPT{i}" for i in "123456789"]
)
_DRIVE_PREFIX = re.compile(r"^[A-Za-z]:")


def gen_salt(length: int) -> str:
    """Return a random string of ``length`` characters from :data:`SALT_CHARS`.

    Uses :mod:`secrets`, so the result is suitable for salts and tokens.

    :raises ValueError: if ``length`` is less than 1.
    """
    if length <= 0:
        raise ValueError("Salt length must be at least 1.")
    return "".join(secrets.choice(SALT_CHARS) for _ in range(length))


def _scrypt_hex(password: bytes, salt: bytes, n: int, r: int, p: int) -> str:
    # hashlib's default maxmem (32 MiB) is below what N=2**15 and up need; 128*N*r*p is the
    # exact need, plus headroom for OpenSSL's bookkeeping.
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=132 * n * r * p + 2**20).hex()


def _parse_scrypt_params(args: list[str]) -> tuple[int, int, int]:
    if not args:
        return _WERKZEUG_BARE_SCRYPT
    if len(args) != 3:
        raise ValueError("'scrypt' takes 3 arguments: n, r and p.")
    n, r, p = (int(a) for a in args)
    if n < 2 or n & (n - 1) or r < 1 or p < 1:
        raise ValueError("scrypt needs n a power of two above 1, and r, p of at least 1.")
    if 128 * n * r * p > _MAX_SCRYPT_MEMORY:
        raise ValueError("scrypt parameters exceed the memory limit.")
    return n, r, p


def _parse_pbkdf2_params(args: list[str]) -> tuple[str, int]:
    if len(args) > 2:
        raise ValueError("'pbkdf2' takes at most 2 arguments: hash name and iterations.")
    hash_name = args[0] if args else "sha256"
    iterations = int(args[1]) if len(args) == 2 else DEFAULT_PBKDF2_ITERATIONS
    if not 1 <= iterations <= _MAX_PBKDF2_ITERATIONS:
        raise ValueError("pbkdf2 iterations out of range.")
    return hash_name, iterations


def _hash_internal(method: str, salt: str, password: str) -> tuple[str, str]:
    """Hash ``password`` with ``salt`` by the Werkzeug-compatible ``method`` string.

    Returns ``(hex_hash, canonical_method)``; the canonical method spells out every
    parameter so the stored hash can be checked even if defaults change later.
    """
    name, *args = method.split(":")
    salt_bytes = salt.encode()
    password_bytes = password.encode()
    if name == "scrypt":
        n, r, p = _parse_scrypt_params(args)
        return _scrypt_hex(password_bytes, salt_bytes, n, r, p), f"scrypt:{n}:{r}:{p}"
    if name == "pbkdf2":
        hash_name, iterations = _parse_pbkdf2_params(args)
        digest = hashlib.pbkdf2_hmac(hash_name, password_bytes, salt_bytes, iterations)
        return digest.hex(), f"pbkdf2:{hash_name}:{iterations}"
    raise ValueError(f"Invalid hash method {name!r}.")


def _argon2_hasher(args: list[str]) -> PasswordHasher:
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise RuntimeError(
            "The 'argon2' method needs the argon2-cffi package:"
            " pip install 'tumbler[argon2]' (or argon2-cffi)."
        ) from None
    if not args:
        return PasswordHasher()
    if len(args) != 3:
        raise ValueError("'argon2' takes 3 arguments: time cost, memory cost (KiB), parallelism.")
    time_cost, memory_cost, parallelism = (int(a) for a in args)
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def generate_password_hash(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
    """Hash a password for storage, with a random salt.

    :param password: the plain-text password.
    :param method: ``"scrypt"`` (default, N=2**17 r=8 p=1) or ``"scrypt:N:r:p"``;
        ``"pbkdf2"``, ``"pbkdf2:HASH"`` or ``"pbkdf2:HASH:ITERATIONS"`` (default sha256 and
        600,000 iterations); ``"argon2"`` or ``"argon2:TIME:MEMORY_KIB:PARALLELISM"``
        (argon2id, defaults of argon2-cffi, which follow RFC 9106).
    :param salt_length: number of salt characters for scrypt and pbkdf2.
    :return: ``"method$salt$hexhash"`` (Werkzeug's format), or for argon2 ``"argon2$"``
        followed by the standard ``$argon2id$v=19$...`` string.
    :raises ValueError: for an unknown method or invalid parameters.
    :raises RuntimeError: for ``argon2`` when argon2-cffi is not installed.
    """
    name, *args = method.split(":")
    if name == "argon2":
        hasher = _argon2_hasher(args)
        return "argon2" + hasher.hash(password)
    if name == "scrypt" and not args:
        method = "scrypt:{}:{}:{}".format(*DEFAULT_SCRYPT_PARAMS)
    salt = gen_salt(salt_length)
    hex_hash, canonical = _hash_internal(method, salt, password)
    return f"{canonical}${salt}${hex_hash}"


def _check_argon2(encoded: str, password: str) -> bool:
    try:
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error
        from argon2.exceptions import InvalidHashError
    except ImportError:
        raise RuntimeError(
            "This password hash uses argon2, which needs the argon2-cffi package:"
            " pip install 'tumbler[argon2]' (or argon2-cffi)."
        ) from None
    try:
        return bool(PasswordHasher().verify(encoded, password))
    except (Argon2Error, InvalidHashError, ValueError):
        return False


def check_password_hash(pwhash: str, password: str) -> bool:
    """Check a password against a hash made by :func:`generate_password_hash` or Werkzeug.

    The comparison takes the same time wherever the hashes differ. A malformed, truncated or
    unsupported hash string, or one whose cost parameters are absurdly high, gives ``False``
    rather than an exception, so a corrupt database row cannot turn a login into a 500.

    :param pwhash: the stored ``method$salt$hash`` string.
    :param password: the plain-text password to check.
    :return: ``True`` if the password matches.
    :raises RuntimeError: only for an argon2 hash when argon2-cffi is not installed, since
        answering ``False`` would silently lock every such user out.
    """
    if not isinstance(pwhash, str) or not isinstance(password, str):
        return False
    if pwhash.startswith("argon2$argon2"):
        return _check_argon2(pwhash[len("argon2") :], password)
    try:
        method, salt, expected = pwhash.split("$", 2)
        actual, _ = _hash_internal(method, salt, password)
    except (ValueError, OverflowError, MemoryError):
        return False
    return hmac.compare_digest(actual.encode(), expected.encode())


def safe_join(directory: str, *pathnames: str) -> str | None:
    """Join untrusted path segments onto a trusted base directory, or refuse.

    Each segment is normalised with POSIX rules and refused if it could leave ``directory``
    or means something other than a plain relative path: absolute paths, ``..`` segments
    (also after normalisation, as in ``a/../../b``), backslashes or the OS's alternative
    separator, drive letters like ``C:``, NUL bytes, empty segments or ones that normalise
    to ``.``, and on Windows the reserved device names (``CON``, ``nul.txt``...).

    :param directory: the trusted base directory (``""`` means the current directory).
    :param pathnames: untrusted relative path segments, e.g. from the URL.
    :return: the joined path, always inside ``directory``, or ``None`` if any segment was
        refused. The file need not exist.
    """
    parts = [directory or "."]
    for pathname in pathnames:
        if not pathname or "\x00" in pathname or "\\" in pathname:
            return None
        if os.altsep is not None and os.altsep != "/" and os.altsep in pathname:
            return None
        if os.sep != "/" and os.sep in pathname:
            return None
        normalized = posixpath.normpath(pathname)
        if (
            normalized in {".", ".."}
            or normalized.startswith(("/", "../"))
            or os.path.isabs(normalized)
            or _DRIVE_PREFIX.match(normalized)
        ):
            return None
        if os.name == "nt" and _has_windows_device_name(normalized):
            return None
        parts.append(normalized)
    return posixpath.join(*parts)


def _has_windows_device_name(path: str) -> bool:
    for segment in path.split("/"):
        stem = segment.split(".", 1)[0].rstrip(" ").upper()
        if stem in _WINDOWS_DEVICE_NAMES:
            return True
    return False
