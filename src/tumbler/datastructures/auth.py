"""The ``Authorization`` request header and the ``WWW-Authenticate`` response header."""

from __future__ import annotations

import base64
import binascii
import typing as t
from collections.abc import Callable
from collections.abc import Mapping

from ..http import _TOKEN_CHARS
from ..http import dump_header
from ..http import parse_dict_header
from ..http import quote_header_value
from .structures import UpdateDictMixin

__all__ = ["Authorization", "WWWAuthenticate"]


def _split_credentials(value: str) -> tuple[str, str] | None:
    """Split ``scheme rest`` into a lowercased scheme and the stripped rest, or None."""
    scheme, _, rest = value.strip().partition(" ")
    if not scheme or not _TOKEN_CHARS.issuperset(scheme):
        return None
    return scheme.lower(), rest.strip()


def _looks_like_parameters(rest: str) -> bool:
    # token68 may end in "=" padding; an "=" anywhere else means auth-params.
    return "=" in rest.rstrip("=")


class Authorization:
    """The credentials of an ``Authorization`` header.

    Basic credentials are decoded into the ``username`` and ``password`` parameters; schemes
    with ``key=value`` parameters (Digest) fill :attr:`parameters`; token schemes (Bearer)
    fill :attr:`token`. Parameters are also readable as ``auth.username``,
    ``auth["username"]`` and ``auth.get("username")``; a missing one reads as ``None``.

    :param auth_type: The scheme, e.g. ``"basic"``.
    :param data: The parameters.
    :param token: The token, for token schemes.
    """

    __slots__ = ("parameters", "token", "type")

    def __init__(
        self, auth_type: str, data: Mapping[str, str | None] | None = None, token: str | None = None
    ) -> None:
        self.type = auth_type
        self.parameters: dict[str, str | None] = dict(data or {})
        self.token = token

    def __getattr__(self, name: str) -> str | None:
        # Only reached for names that are not slots or methods; dunder lookups (copy, pickle)
        # must still fail normally.
        if name.startswith("__"):
            raise AttributeError(name)
        return self.parameters.get(name)

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter's value, or ``default``."""
        return self.parameters.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> t.Self | None:
        """Parse an ``Authorization`` header value.

        :param value: The header value.
        :return: The credentials, or ``None`` if the header is missing or malformed (a bad
            scheme name, Basic credentials that are missing or not base64 of UTF-8 text).
        """
        if not value:
            return None
        split = _split_credentials(value)
        if split is None:
            return None
        scheme, rest = split
        if scheme == "basic":
            if not rest:
                return None
            try:
                decoded = base64.b64decode(rest.encode("ascii"), validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                return None
            username, _, password = decoded.partition(":")
            return cls(scheme, {"username": username, "password": password})
        if _looks_like_parameters(rest):
            return cls(scheme, parse_dict_header(rest), None)
        return cls(scheme, None, rest)

    def to_header(self) -> str:
        """Serialise to an ``Authorization`` header value."""
        if self.type == "basic":
            username = self.parameters.get("username") or ""
            password = self.parameters.get("password") or ""
            encoded = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            return f"Basic {encoded}"
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        return f"{self.type.title()} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


class _Parameters(UpdateDictMixin[str, str]):
    """A dict that tells its :class:`WWWAuthenticate` when it changes."""

    __slots__ = ("_owner",)

    def __init__(self, values: Mapping[str, str] | None, owner: WWWAuthenticate) -> None:
        super().__init__(values or {})
        self._owner = owner

    def _changed(self) -> None:
        self._owner._trigger_on_update()


# Parameters of a Digest challenge that RFC 7616 requires to be quoted strings.
_DIGEST_QUOTED = frozenset({"realm", "domain", "nonce", "opaque", "qop"})


class WWWAuthenticate:
    """A ``WWW-Authenticate`` challenge; every change calls the owner's ``_on_update``.

    Parameters are reachable as ``auth.realm``, ``auth["realm"]`` and ``auth.get("realm")``;
    assigning ``None`` removes one.

    :param auth_type: The scheme, e.g. ``"basic"``, ``"bearer"`` or ``"digest"``.
    :param values: The challenge parameters, e.g. ``{"realm": "admin"}``.
    :param token: A token instead of parameters, for schemes that use one.
    """

    __slots__ = ("_on_update", "_parameters", "_token", "_type")

    def __init__(
        self,
        auth_type: str = "basic",
        values: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        object.__setattr__(self, "_on_update", None)
        object.__setattr__(self, "_type", auth_type.lower())
        object.__setattr__(self, "_parameters", _Parameters(values, self))
        object.__setattr__(self, "_token", token)

    _on_update: Callable[[WWWAuthenticate], None] | None
    _type: str
    _parameters: _Parameters
    _token: str | None

    def _trigger_on_update(self) -> None:
        if self._on_update is not None:
            self._on_update(self)

    @property
    def type(self) -> str:
        """The scheme, lowercased."""
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        object.__setattr__(self, "_type", value.lower())
        self._trigger_on_update()

    @property
    def parameters(self) -> dict[str, str]:
        """The challenge parameters; changing them updates the header."""
        return self._parameters

    @parameters.setter
    def parameters(self, value: Mapping[str, str]) -> None:
        object.__setattr__(self, "_parameters", _Parameters(value, self))
        self._trigger_on_update()

    @property
    def token(self) -> str | None:
        """The token, for schemes that use one instead of parameters."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        object.__setattr__(self, "_token", value)
        self._trigger_on_update()

    @property
    def realm(self) -> str | None:
        """The ``realm`` parameter, or ``None``."""
        return self._parameters.get("realm")

    @realm.setter
    def realm(self, value: str | None) -> None:
        self["realm"] = value

    def __getitem__(self, key: str) -> str | None:
        return self._parameters.get(key)

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            self._parameters.pop(key, None)
        else:
            self._parameters[key] = value

    def __delitem__(self, key: str) -> None:
        self._parameters.pop(key, None)

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._parameters.get(name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        if name in WWWAuthenticate.__slots__ or isinstance(
            getattr(type(self), name, None), property
        ):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter's value, or ``default``."""
        return self._parameters.get(key, default)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (self.type, self.token, dict(self.parameters)) == (
            other.type,
            other.token,
            dict(other.parameters),
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> t.Self | None:
        """Parse a ``WWW-Authenticate`` header value (one challenge).

        :return: The challenge, or ``None`` if the value is missing or has no valid scheme.
        """
        if not value:
            return None
        split = _split_credentials(value)
        if split is None:
            return None
        scheme, rest = split
        if _looks_like_parameters(rest):
            params = {k: v for k, v in parse_dict_header(rest).items() if v is not None}
            return cls(scheme, params, None)
        return cls(scheme, None, rest or None)

    def to_header(self) -> str:
        """Serialise to a ``WWW-Authenticate`` header value."""
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        if self.type == "digest":
            items = [
                f"{key}={quote_header_value(value, allow_token=key not in _DIGEST_QUOTED)}"
                for key, value in self._parameters.items()
            ]
            return f"Digest {', '.join(items)}"
        if not self._parameters:
            return self.type.title()
        return f"{self.type.title()} {dump_header(self._parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"
