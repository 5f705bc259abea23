"""Application configuration: a dict with loaders for files, objects and environment variables.

Only UPPERCASE keys are configuration; loaders skip everything else, so a config module can hold
helpers and lowercase temporaries without leaking them into the app.
"""

from __future__ import annotations

import errno
import json
import os
import types
import typing as t

from tumbler.utils import import_string

if t.TYPE_CHECKING:  # pragma: no cover
    from typing import IO

T = t.TypeVar("T")


class ConfigAttribute(t.Generic[T]):
    """A descriptor that forwards an attribute to a key of ``obj.config``.

    The application uses it for ``debug``, ``testing``, ``secret_key`` and friends so that
    ``app.testing = True`` and ``app.config["TESTING"] = True`` are the same thing.

    :param name: the config key to read and write.
    :param get_converter: optional callable applied to the value when it is read.
    """

    def __init__(self, name: str, get_converter: t.Callable[[t.Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(self, obj: None, owner: None) -> ConfigAttribute[T]: ...

    @t.overload
    def __get__(self, obj: t.Any, owner: t.Any) -> T: ...

    def __get__(self, obj: t.Any, owner: t.Any = None) -> T | ConfigAttribute[T]:
        if obj is None:
            return self
        rv = obj.config[self.__name__]
        if self.get_converter is not None:
            rv = self.get_converter(rv)
        return rv

    def __set__(self, obj: t.Any, value: t.Any) -> None:
        obj.config[self.__name__] = value


class Config(dict):
    """A ``dict`` of configuration values with loaders.

    :param root_path: relative file names given to :meth:`from_pyfile` and :meth:`from_file`
        are resolved against this directory (the application's root path).
    :param defaults: initial values.
    """

    def __init__(
        self, root_path: str | os.PathLike[str], defaults: dict[str, t.Any] | None = None
    ) -> None:
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python config file named by the environment variable ``variable_name``.

        :param silent: return ``False`` instead of raising when the variable is unset or the
            file is missing.
        :return: ``True`` if a file was loaded.
        :raises RuntimeError: the variable is unset or empty and ``silent`` is false.
        """
        rv = os.environ.get(variable_name)
        if not rv:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set and as such"
                " configuration could not be loaded. Set this variable and make it"
                " point to a configuration file."
            )
        return self.from_pyfile(rv, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "TUMBLER", *, loads: t.Callable[[str], t.Any] = json.loads
    ) -> bool:
        """Load every environment variable starting with ``prefix + "_"``.

        The prefix is stripped from the key. Each value is passed to ``loads`` (JSON by default,
        so ``TUMBLER_PORT=8000`` gives the int ``8000``); a value it cannot parse stays a string.
        A key containing ``__`` sets a nested key: ``TUMBLER_DB__HOST`` sets
        ``config["DB"]["HOST"]``, creating the intermediate dicts as needed.

        :param prefix: the variable prefix, without the trailing underscore.
        :param loads: parses each value.
        :return: always ``True``.
        """
        prefix = f"{prefix}_"
        # Sorted so that nested keys are applied in a stable order on every platform.
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue
            raw = os.environ[key]
            key = key.removeprefix(prefix)
            value: t.Any
            try:
                value = loads(raw)
            except Exception:
                value = raw
            if "__" not in key:
                self[key] = value
                continue
            current: dict[str, t.Any] = self
            *parts, tail = key.split("__")
            for part in parts:
                nested = current.get(part)
                if not isinstance(nested, dict):
                    nested = current[part] = {}
                current = nested
            current[tail] = value
        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and load its UPPERCASE globals.

        :param filename: absolute, or relative to :attr:`root_path`.
        :param silent: return ``False`` instead of raising when the file does not exist.
        :return: ``True`` if the file was loaded.
        :raises OSError: the file cannot be read; the message names the file.
        """
        filename = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = filename
        try:
            with open(filename, mode="rb") as config_file:
                code = compile(config_file.read(), filename, "exec")
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        exec(code, module.__dict__)
        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of an object, class or module.

        :param obj: the object, or an import string such as ``"myapp.settings.Production"``
            (imported first).
        """
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: t.Callable[[IO[t.Any]], t.Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file with ``load`` and apply the resulting mapping's UPPERCASE keys.

        ``app.config.from_file("config.json", load=json.load)`` or, for TOML,
        ``app.config.from_file("config.toml", load=tomllib.load, text=False)``.

        :param filename: absolute, or relative to :attr:`root_path`.
        :param load: called with the open file; returns a mapping.
        :param silent: return ``False`` instead of raising when the file does not exist.
        :param text: open in text mode (UTF-8) if true, binary mode otherwise.
        :return: ``True`` if the file was loaded.
        :raises OSError: the file cannot be read; the message names the file.
        """
        filename = os.path.join(self.root_path, filename)
        try:
            if text:
                with open(filename, encoding="utf-8") as f:
                    obj = load(f)
            else:
                with open(filename, "rb") as f:
                    obj = load(f)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        return self.from_mapping(obj)

    def from_mapping(self, mapping: t.Mapping[str, t.Any] | None = None, **kwargs: t.Any) -> bool:
        """Update from a mapping and keyword arguments, ignoring keys that are not UPPERCASE.

        :return: always ``True``.
        """
        mappings: dict[str, t.Any] = {}
        if mapping is not None:
            mappings.update(mapping)
        mappings.update(kwargs)
        for key, value in mappings.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """Return the keys that start with ``namespace`` as a new dict.

        ``get_namespace("IMAGE_STORE_")`` turns ``IMAGE_STORE_TYPE`` into ``{"type": ...}``.

        :param lowercase: lowercase the resulting keys.
        :param trim_namespace: strip the namespace from the resulting keys.
        """
        rv: dict[str, t.Any] = {}
        for k, v in self.items():
            if not k.startswith(namespace):
                continue
            key = k[len(namespace) :] if trim_namespace else k
            if lowercase:
                key = key.lower()
            rv[key] = v
        return rv

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
