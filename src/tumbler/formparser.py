"""Parse request bodies into form fields and uploaded files, with limits.

Two body types are understood: ``application/x-www-form-urlencoded`` (split by
:func:`tumbler.http.parse_form_pairs`, as :func:`urllib.parse.parse_qsl` does) and
``multipart/form-data`` (streamed through python-multipart's callback parser, so a large upload
never sits in memory whole).
Every other content type leaves the body untouched for the application to read.

The parser is sans-io: it reads from any binary file-like object with ``read(size)``.
Limits protect the server from clients that send more than the application accepts:

* ``max_content_length`` bounds the whole body (413 Request Entity Too Large);
* ``max_form_memory_size`` bounds what is held in memory: the whole urlencoded body,
  or each non-file multipart field (413);
* ``max_form_parts`` bounds the number of fields and files (413).

A malformed multipart body (missing or invalid boundary, broken part headers, a body
that ends before the closing boundary) is a client error: with ``silent=False`` it
raises :class:`~tumbler.exceptions.BadRequest` with a description of what is wrong;
with ``silent=True`` the form and files come back empty, as in Werkzeug.
A multipart request with an empty body reads as an empty form.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from typing import IO
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol
from typing import cast

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser

from tumbler.datastructures import FileStorage
from tumbler.datastructures import Headers
from tumbler.datastructures import MultiDict
from tumbler.exceptions import BadRequest
from tumbler.exceptions import RequestEntityTooLarge
from tumbler.http import parse_form_pairs
from tumbler.http import parse_options_header

if TYPE_CHECKING:
    from typing import TypeAlias

    from python_multipart.multipart import MultipartCallbacks

__all__ = [
    "FormDataParser",
    "default_stream_factory",
    "SPOOLED_FILE_MAX_SIZE",
    "READ_CHUNK_SIZE",
]

#: Uploaded files up to this size stay in memory; larger ones spill to a temporary file.
SPOOLED_FILE_MAX_SIZE = 500 * 1024


class _DebugLog(logging.LoggerAdapter):
    """python-multipart warns about each malformed body it meets; the client chose that body,
    and the answer (a 400) already says so, so those warnings are logged at DEBUG level, where
    a client cannot fill the logs with them."""

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


# An adapter over a registered logger, so logging's level caches and configuration apply.
_PARSER_LOG = cast(logging.Logger, _DebugLog(logging.getLogger("tumbler.formparser"), {}))

#: How much of the body is read and fed to the multipart parser at a time.
READ_CHUNK_SIZE = 64 * 1024

# RFC 2046 allows 1-70 characters; python-multipart accepts up to 256. Printable ASCII
# only, so a header-smuggled control character cannot end up inside the delimiter.
_BOUNDARY_RE = re.compile(r"^[ -~]{0,255}[!-~]$")


class _SupportsRead(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class StreamFactory(Protocol):
    """Callable that returns a writable binary file for one uploaded file."""

    def __call__(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None,
        content_length: int | None = None,
    ) -> IO[bytes]: ...


if TYPE_CHECKING:
    _ParseResult: TypeAlias = tuple[_SupportsRead, MultiDict[str, str], MultiDict[str, FileStorage]]
    _ParseFunc: TypeAlias = Callable[[_SupportsRead, str, int | None, dict[str, str]], _ParseResult]


def default_stream_factory(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None,
    content_length: int | None = None,
) -> IO[bytes]:
    """Return the file an uploaded file's bytes are written to.

    The file is a :class:`tempfile.SpooledTemporaryFile` that stays in memory up to
    :data:`SPOOLED_FILE_MAX_SIZE` bytes and moves to disk past it. The arguments describe
    the upload and are accepted for Werkzeug compatibility; custom factories may use them
    to pick a storage location.
    """
    return tempfile.SpooledTemporaryFile(max_size=SPOOLED_FILE_MAX_SIZE, mode="rb+")


class _MalformedBody(ValueError):
    """Internal signal for a body that cannot be parsed; becomes a 400 or an empty form."""


class FormDataParser:
    """Parse a request body into ``(stream, form, files)``.

    :param stream_factory: called for every uploaded file to get the file to write it to,
        see :func:`default_stream_factory`.
    :param max_form_memory_size: the most bytes of form data held in memory: the whole
        urlencoded body, or any single non-file multipart field. ``None`` is unlimited.
    :param max_content_length: the most bytes the whole body may have. ``None`` is
        unlimited.
    :param cls: the multi-dict class for the results, :class:`MultiDict` by default.
    :param silent: if true, a malformed body gives an empty form instead of raising
        :class:`~tumbler.exceptions.BadRequest`. Exceeded limits always raise
        :class:`~tumbler.exceptions.RequestEntityTooLarge`.
    :param max_form_parts: the most fields and files a body may contain. ``None`` is
        unlimited.
    """

    def __init__(
        self,
        stream_factory: StreamFactory | None = None,
        max_form_memory_size: int | None = None,
        max_content_length: int | None = None,
        cls: type[MultiDict[Any, Any]] | None = None,
        silent: bool = True,
        *,
        max_form_parts: int | None = None,
    ) -> None:
        self.stream_factory: StreamFactory = (
            default_stream_factory if stream_factory is None else stream_factory
        )
        self.max_form_memory_size = max_form_memory_size
        self.max_content_length = max_content_length
        self.max_form_parts = max_form_parts
        self.cls: type[MultiDict[Any, Any]] = MultiDict if cls is None else cls
        self.silent = silent

    def get_parse_func(self, mimetype: str, options: dict[str, str]) -> _ParseFunc | None:
        """Return the parse method for ``mimetype``, or ``None`` if it is not form data."""
        if mimetype == "multipart/form-data":
            return self._parse_multipart
        if mimetype == "application/x-www-form-urlencoded":
            return self._parse_urlencoded
        return None

    def parse(
        self,
        stream: _SupportsRead,
        mimetype: str,
        content_length: int | None,
        options: dict[str, str] | None = None,
    ) -> _ParseResult:
        """Parse ``stream`` according to ``mimetype``.

        :param stream: binary file-like object holding the body.
        :param mimetype: the body's media type, lower case and without parameters.
        :param content_length: the body size if known; the parser never reads past it.
        :param options: the Content-Type parameters, e.g. ``{"boundary": "..."}``.
        :return: ``(stream, form, files)``; for a type that is not form data, the stream
            is returned unread with two empty multi-dicts.
        :raise RequestEntityTooLarge: a size or part limit was exceeded.
        :raise BadRequest: the body is malformed and ``silent`` is false.
        """
        if options is None:
            options = {}
        parse_func = self.get_parse_func(mimetype, options)
        if parse_func is not None:
            if (
                self.max_content_length is not None
                and content_length is not None
                and content_length > self.max_content_length
            ):
                raise RequestEntityTooLarge()
            try:
                return parse_func(stream, mimetype, content_length, options)
            except _MalformedBody as e:
                if not self.silent:
                    raise BadRequest(str(e)) from e
        return stream, self.cls(), self.cls()

    def _parse_urlencoded(
        self,
        stream: _SupportsRead,
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> _ParseResult:
        limit = _urlencoded_limit(self.max_form_memory_size, self.max_content_length)
        if limit is not None and content_length is not None and content_length > limit:
            raise RequestEntityTooLarge()
        body = _read_bounded(stream, content_length, limit)
        return stream, _decode_urlencoded(body, self.max_form_parts, self.cls), self.cls()

    def _parse_multipart(
        self,
        stream: _SupportsRead,
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> _ParseResult:
        boundary = options.get("boundary")
        if not boundary:
            raise _MalformedBody("The multipart/form-data Content-Type has no boundary.")
        if _BOUNDARY_RE.match(boundary) is None:
            raise _MalformedBody("The multipart/form-data boundary is not valid.")
        collector = _MultipartCollector(self, content_length)
        try:
            parser = MultipartParser(
                boundary.encode("ascii"), cast("MultipartCallbacks", collector.callbacks())
            )
            parser.logger = _PARSER_LOG
            remaining = content_length
            while not collector.finished:
                size = READ_CHUNK_SIZE if remaining is None else min(READ_CHUNK_SIZE, remaining)
                if size <= 0:
                    break
                chunk = stream.read(size)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                collector.count_bytes(len(chunk))
                parser.write(chunk)
            if not collector.finished and collector.bytes_seen > 0:
                raise _MalformedBody(
                    "The multipart/form-data body ended before its closing boundary."
                )
        except FormParserError as e:
            collector.discard()
            raise _MalformedBody(f"The multipart/form-data body is malformed: {e}") from e
        except BaseException:
            collector.discard()
            raise
        form = self.cls(collector.fields)
        files = self.cls(collector.files)
        return stream, form, files


def _urlencoded_limit(
    max_form_memory_size: int | None, max_content_length: int | None
) -> int | None:
    """The most bytes an urlencoded body may have: it is held in memory whole."""
    if max_content_length is not None and (
        max_form_memory_size is None or max_content_length < max_form_memory_size
    ):
        return max_content_length
    return max_form_memory_size


def _decode_urlencoded(
    body: bytes, max_form_parts: int | None, cls: type[MultiDict[Any, Any]]
) -> MultiDict[str, str]:
    """Split an urlencoded body into a ``cls`` multi-dict.

    :raise RequestEntityTooLarge: the body has more than ``max_form_parts`` fields.
    """
    try:
        # Raw non-ASCII bytes are not valid in this encoding, but clients send them;
        # decoding first keeps them instead of failing the whole body.
        items = parse_form_pairs(body.decode("utf-8", "replace"), max_form_parts)
    except ValueError as e:
        raise RequestEntityTooLarge(f"The form has more than {max_form_parts} fields.") from e
    return cls(items)


def _read_bounded(stream: _SupportsRead, content_length: int | None, limit: int | None) -> bytes:
    """Read the whole body, raising 413 as soon as more than ``limit`` bytes arrive."""
    if content_length is not None:
        want = content_length if limit is None else min(content_length, limit + 1)
    else:
        want = -1 if limit is None else limit + 1
    if want == -1:
        return stream.read()
    chunks: list[bytes] = []
    got = 0
    while got < want:
        chunk = stream.read(min(READ_CHUNK_SIZE, want - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    if limit is not None and got > limit:
        raise RequestEntityTooLarge()
    return b"".join(chunks)


class _MultipartCollector:
    """State of one multipart parse: receives python-multipart's callbacks."""

    __slots__ = (
        "_buffer",
        "_bytes_seen",
        "_content_type",
        "_file",
        "_filename",
        "_header_name",
        "_header_value",
        "_headers",
        "_name",
        "_parser",
        "_parts",
        "_total_length",
        "fields",
        "files",
        "finished",
    )

    def __init__(self, parser: FormDataParser, total_length: int | None) -> None:
        self._parser = parser
        self._total_length = total_length
        self._bytes_seen = 0
        self._parts = 0
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: list[tuple[str, str]] = []
        self._name = ""
        self._filename: str | None = None
        self._content_type: str | None = None
        self._buffer = bytearray()
        self._file: IO[bytes] | None = None
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self.finished = False

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._on_part_begin,
            "on_header_begin": self._on_header_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        }

    @property
    def bytes_seen(self) -> int:
        return self._bytes_seen

    def count_bytes(self, size: int) -> None:
        self._bytes_seen += size
        limit = self._parser.max_content_length
        if limit is not None and self._bytes_seen > limit:
            raise RequestEntityTooLarge()

    def discard(self) -> None:
        """Close every file opened so far, so a failed parse leaves no temporary files."""
        if self._file is not None:
            self._file.close()
            self._file = None
        for _, storage in self.files:
            storage.close()
        self.files.clear()

    def _on_part_begin(self) -> None:
        self._parts += 1
        limit = self._parser.max_form_parts
        if limit is not None and self._parts > limit:
            raise RequestEntityTooLarge(f"The form has more than {limit} parts.")
        self._headers = []
        self._name = ""
        self._filename = None
        self._content_type = None
        self._buffer = bytearray()
        self._file = None

    def _on_header_begin(self) -> None:
        self._header_name.clear()
        self._header_value.clear()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        # Browsers send file names as raw UTF-8 inside the quoted string.
        name = self._header_name.decode("latin-1")
        value = self._header_value.decode("utf-8", "replace").strip()
        # The multipart parser lets a bare CR or LF through inside a header; no client sends
        # one, and it could not be kept in the part's Headers.
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
            raise _MalformedBody("A multipart/form-data part header contains a line break.")
        self._headers.append((name, value))

    def _on_headers_finished(self) -> None:
        disposition: str | None = None
        for key, value in self._headers:
            lower = key.lower()
            if lower == "content-disposition":
                disposition = value
            elif lower == "content-type":
                self._content_type = value
        if disposition is None:
            raise _MalformedBody("A multipart/form-data part has no Content-Disposition header.")
        kind, params = parse_options_header(disposition)
        if kind != "form-data" or "name" not in params:
            raise _MalformedBody(
                "A multipart/form-data part's Content-Disposition is not 'form-data' with a name."
            )
        self._name = params["name"]
        # parse_options_header already decoded an RFC 2231 ``filename*`` into ``filename``
        # (preferring it), with only the charsets it trusts.
        self._filename = params.get("filename")
        if self._filename is not None:
            self._file = self._parser.stream_factory(
                total_content_length=self._total_length,
                content_type=self._content_type,
                filename=self._filename,
                content_length=None,
            )

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.write(data[start:end])
            return
        self._buffer += data[start:end]
        limit = self._parser.max_form_memory_size
        if limit is not None and len(self._buffer) > limit:
            raise RequestEntityTooLarge(
                f"The form field {self._name!r} is larger than {limit} bytes."
            )

    def _on_part_end(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            storage = FileStorage(
                self._file,
                filename=self._filename,
                name=self._name,
                content_type=self._content_type,
                headers=Headers(self._headers),
            )
            self._file = None
            self.files.append((self._name, storage))
        else:
            self.fields.append((self._name, self._buffer.decode("utf-8", "replace")))
            self._buffer = bytearray()

    def _on_end(self) -> None:
        self.finished = True
