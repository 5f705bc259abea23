"""Uploaded files: :class:`FileStorage` wraps one file part, :class:`FileMultiDict` collects them."""

from __future__ import annotations

import collections.abc as cabc
import mimetypes
import os
import typing as t
from io import BytesIO
from shutil import copyfileobj

from .headers import Headers
from .structures import MultiDict


def _name_of(stream: t.Any) -> str | None:
    """Return the file name a stream was opened with, or ``None``.

    Pseudo names such as ``<stdin>`` and file-descriptor numbers are not file names.
    """
    name = getattr(stream, "name", None)
    if not isinstance(name, (str, bytes, os.PathLike)):
        return None
    text = os.fsdecode(name)
    if text and text[0] == "<" and text[-1] == ">":
        return None
    return text


class FileStorage:
    """An uploaded file (``request.files["avatar"]``): its stream plus the part's metadata.

    Attributes not defined here (``read``, ``readline``, ``seek``, ``tell``, ...) are looked up
    on :attr:`stream`.

    :param stream: binary file-like object holding the data; an empty ``BytesIO`` when omitted.
    :param filename: the client-supplied file name. Untrusted: pass it through
        ``tumbler.utils.secure_filename`` (or pick your own name) before using it in a path.
        Defaults to the stream's ``name`` attribute when that is a real path.
    :param name: the form field name.
    :param content_type: sets the ``Content-Type`` header.
    :param content_length: sets the ``Content-Length`` header.
    :param headers: the part's headers; a new :class:`Headers` when omitted.
    """

    __slots__ = ("_parsed_content_type", "filename", "headers", "name", "stream")

    def __init__(
        self,
        stream: t.IO[bytes] | None = None,
        filename: str | os.PathLike[str] | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.name = name
        self.stream: t.IO[bytes] = stream if stream is not None else BytesIO()
        self.filename: str | None = _name_of(stream) if filename is None else os.fsdecode(filename)
        if headers is None:
            headers = Headers()
        self.headers = headers
        if content_type is not None:
            headers["Content-Type"] = content_type
        if content_length is not None:
            headers["Content-Length"] = str(content_length)
        self._parsed_content_type: tuple[str, tuple[str, dict[str, str]]] | None = None

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header of the part, or ``None``."""
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int:
        """The ``Content-Length`` header of the part; ``0`` when missing or not a number."""
        try:
            return int(self.headers.get("content-length") or 0)
        except ValueError:
            return 0

    def _parse_content_type(self) -> tuple[str, dict[str, str]]:
        raw = self.content_type or ""
        cached = self._parsed_content_type
        if cached is None or cached[0] != raw:
            # Imported here: tumbler.http depends on this package.
            from tumbler.http import parse_options_header

            cached = self._parsed_content_type = (raw, parse_options_header(raw))
        return cached[1]

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased: ``"text/html"``."""
        return self._parse_content_type()[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type parameters: ``{"charset": "utf-8"}`` for ``text/html; charset=utf-8``."""
        return self._parse_content_type()[1]

    def save(self, dst: str | os.PathLike[str] | t.IO[bytes], buffer_size: int = 16384) -> None:
        """Copy the file's data to a path or a writable binary file object.

        Copying starts at the stream's current position. A path is opened with ``"wb"`` and
        closed afterwards; a file object is left open.

        :param dst: a path or a file object with ``write``.
        :param buffer_size: bytes copied per chunk; the whole file is never held in memory.
        """
        if isinstance(dst, (str, os.PathLike)):
            with open(dst, "wb") as target:
                copyfileobj(self.stream, target, buffer_size)
        else:
            copyfileobj(self.stream, dst, buffer_size)

    def close(self) -> None:
        """Close the underlying stream, ignoring errors from an already broken stream."""
        try:
            self.stream.close()
        except Exception:
            pass

    def __bool__(self) -> bool:
        """True when a file was chosen: an empty file field submits no file name."""
        return bool(self.filename)

    def __getattr__(self, name: str) -> t.Any:
        try:
            stream = object.__getattribute__(self, "stream")
        except AttributeError:
            # Not initialised yet (copy/pickle machinery): nothing to proxy to.
            raise AttributeError(name) from None
        try:
            return getattr(stream, name)
        except AttributeError:
            # SpooledTemporaryFile keeps the real file in _file on older Pythons.
            inner = getattr(stream, "_file", None)
            if inner is not None:
                return getattr(inner, name)
            raise

    def __iter__(self) -> cabc.Iterator[bytes]:
        return iter(self.stream)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"


class FileMultiDict(MultiDict[str, FileStorage]):
    """A :class:`MultiDict` of :class:`FileStorage` objects, with :meth:`add_file` to build it
    (used to prepare uploads in tests)."""

    __slots__ = ()

    def add_file(
        self,
        name: str,
        file: str | os.PathLike[str] | t.IO[bytes] | FileStorage,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """Add a file under the field ``name``.

        :param name: the form field name.
        :param file: a :class:`FileStorage`, a binary file object, or a path to open.
        :param filename: the file name to send; defaults to the path when ``file`` is one.
        :param content_type: defaults to a guess from ``filename``, else
            ``application/octet-stream``.
        """
        if isinstance(file, FileStorage):
            self.add(name, file)
            return
        if isinstance(file, (str, os.PathLike)):
            if filename is None:
                filename = os.fsdecode(file)
            stream: t.IO[bytes] = open(file, "rb")  # noqa: SIM115 - owned by the FileStorage
        else:
            stream = t.cast("t.IO[bytes]", file)
        if filename and content_type is None:
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        self.add(name, FileStorage(stream, filename, name, content_type))
