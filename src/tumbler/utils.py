"""The ``werkzeug.utils`` helpers that applications use directly.

``secure_filename`` for uploaded file names, ``redirect`` and ``append_slash_redirect``,
``send_file`` / ``send_from_directory`` for serving files (sans-io: they take a
:class:`tumbler.wrappers.Request` instead of a WSGI environ), ``cached_property``,
``import_string`` / ``find_modules`` and ``get_content_type``.
"""

from __future__ import annotations

import io
import mimetypes
import os
import pkgutil
import re
import sys
import typing as t
import unicodedata
from datetime import UTC
from datetime import datetime
from email.utils import format_datetime
from time import time
from urllib.parse import quote
from urllib.parse import urlsplit
from zlib import adler32

from markupsafe import escape

from tumbler.exceptions import NotFound
from tumbler.exceptions import RequestedRangeNotSatisfiable
from tumbler.security import safe_join
from tumbler.wrappers.response import get_content_type

if t.TYPE_CHECKING:
    from tumbler.wrappers import Request
    from tumbler.wrappers import Response

__all__ = [
    "FileStream",
    "ImportStringError",
    "append_slash_redirect",
    "cached_property",
    "find_modules",
    "get_content_type",
    "import_string",
    "redirect",
    "secure_filename",
    "send_file",
    "send_from_directory",
]

_T = t.TypeVar("_T")

# ---------------------------------------------------------------------------------------------
# cached_property


class cached_property(t.Generic[_T]):
    """A property computed on first access and then stored on the instance.

    The value is stored in the instance ``__dict__`` under the same name, so later reads are
    plain attribute lookups (no descriptor call). Assigning sets the cached value; ``del``
    clears it so the next access recomputes. Unlike :func:`functools.cached_property` on
    Python 3.11 it takes no lock, so concurrent first reads may compute twice.

    :param fget: the method computing the value.
    :param name: the attribute name; defaults to ``fget.__name__``.
    :param doc: the docstring; defaults to ``fget.__doc__``.
    :raises TypeError: on access, if the instance has no ``__dict__`` (a ``__slots__`` class).
    """

    def __init__(
        self, fget: t.Callable[[t.Any], _T], name: str | None = None, doc: str | None = None
    ) -> None:
        self.fget = fget
        self.__name__ = name or fget.__name__
        self.__doc__ = doc or fget.__doc__
        self.__module__ = fget.__module__

    def __set_name__(self, owner: type, name: str) -> None:
        self.__name__ = name

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> cached_property[_T]: ...

    @t.overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        try:
            cache = obj.__dict__
        except AttributeError:
            raise TypeError(
                f"cached_property {self.__name__!r} needs an instance __dict__ to store its"
                f" value, but {type(obj).__name__!r} uses __slots__ without '__dict__'."
            ) from None
        value = self.fget(obj)
        cache[self.__name__] = value
        return value


# ---------------------------------------------------------------------------------------------
# secure_filename

_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_WINDOWS_DEVICE_FILES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in "123456789"]
    + [f"LPT{i}" for i in "123456789"]
)


def secure_filename(filename: str) -> str:
    """Turn an untrusted file name into a safe, ASCII-only one for storing on disk.

    Accents are stripped (``"ümlaut"`` becomes ``"umlaut"``), other non-ASCII characters are
    dropped, path separators (``/`` and ``\\``) and whitespace become ``_``, anything outside
    ``A-Za-z0-9_.-`` is removed, and leading/trailing dots and underscores are trimmed, so
    the result is never ``.``, ``..`` or a path. Windows device names (``CON``, ``nul.txt``,
    ...) are prefixed with ``_`` on every platform, since files saved here may be served
    to or copied onto Windows later.

    >>> secure_filename("../../../etc/passwd")
    'etc_passwd'

    :param filename: the client-supplied name, e.g. ``FileStorage.filename``.
    :return: the safe name, which may be empty: generate a name yourself in that case.
    """
    filename = unicodedata.normalize("NFKD", filename)
    filename = filename.encode("ascii", "ignore").decode("ascii")
    filename = filename.replace("/", " ").replace("\\", " ")
    filename = _FILENAME_UNSAFE.sub("", "_".join(filename.split())).strip("._")
    if filename and filename.split(".", 1)[0].upper() in _WINDOWS_DEVICE_FILES:
        filename = f"_{filename}"
    return filename


# ---------------------------------------------------------------------------------------------
# redirects

# Characters that may appear in a URI as they are; everything else in an IRI is
# percent-encoded, which also neutralises CR/LF header injection and "\" path tricks.
_URI_SAFE = "/:?#[]@!$&'()*+,;=%~"


def _iri_to_uri(iri: str) -> str:
    if iri.isascii():
        return quote(iri, safe=_URI_SAFE)
    try:
        netloc = urlsplit(iri).netloc
    except ValueError:
        netloc = ""
    if netloc and not netloc.isascii():
        userinfo, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            ascii_host = quote(host, safe="")
        iri = iri.replace(netloc, f"{quote(userinfo, safe=':%')}{at}{ascii_host}{colon}{port}", 1)
    return quote(iri, safe=_URI_SAFE)


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """Return a response that redirects the client to ``location``.

    The body is a short HTML page with a link, for clients that do not follow redirects; the
    location is escaped there. In the ``Location`` header, non-ASCII characters are
    percent-encoded (and an internationalised host name IDNA-encoded), as HTTP requires.

    :param location: the target URL, absolute or relative.
    :param code: the redirect status: 301, 302 (default), 303, 307 or 308.
    :param Response: the response class to build; defaults to
        :class:`tumbler.wrappers.Response`.
    :return: the redirect response.
    """
    if Response is None:
        from tumbler.wrappers import Response as default_class

        Response = default_class

    html_location = escape(location)
    body = (
        "<!doctype html>\n"
        "<html lang=en>\n"
        "<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n"
        "<p>You should be redirected automatically to the target URL: "
        f'<a href="{html_location}">{html_location}</a>. If not, click the link.\n'
    )
    response = Response(body, code, mimetype="text/html")
    response.headers["Location"] = _iri_to_uri(location)
    return response


def append_slash_redirect(request: Request | t.Mapping[str, t.Any], code: int = 308) -> Response:
    """Redirect to the current URL with a slash appended, keeping the query string.

    The target is relative and only changes the last segment (``/user/42`` redirects to
    ``42/``), so it works behind any mount point. Calling it for a path that already ends
    with a slash produces a redirect loop.

    :param request: the current :class:`tumbler.wrappers.Request` (or a WSGI environ).
    :param code: the status; 308 keeps the method and body.
    :return: the redirect response.
    """
    if isinstance(request, t.Mapping):
        path = request.get("PATH_INFO", "")
        query = request.get("QUERY_STRING", "")
    else:
        path = request.path
        query = request.query_string.decode("latin-1")
    tail = path.rpartition("/")[2]
    new_path = f"{tail}/" if tail else "./"
    if query:
        new_path = f"{new_path}?{query}"
    return redirect(new_path, code)


# ---------------------------------------------------------------------------------------------
# imports


class ImportStringError(ImportError):
    """:func:`import_string` could not import the name.

    :param import_name: the dotted name that failed.
    :param exception: the original error.

    The message walks the dotted name and says which parts imported and which one did not.
    """

    import_name: str
    exception: BaseException

    def __init__(self, import_name: str, exception: BaseException) -> None:
        self.import_name = import_name
        self.exception = exception
        found: list[str] = []
        name = ""
        missing = import_name
        for part in import_name.replace(":", ".").split("."):
            name = f"{name}.{part}" if name else part
            if import_string(name, silent=True) is None:
                missing = name
                break
            found.append(name)
        lines = [f"- {n!r} imported." for n in found]
        lines.append(f"- {missing!r} not found.")
        message = (
            f"import_string() failed for {import_name!r}. Check that every package has an"
            " __init__.py, that the project is on sys.path, that no other module of the same"
            " name shadows it, and that the attribute exists.\n\n"
            + "\n".join(lines)
            + f"\n\nOriginal error: {type(exception).__name__}: {exception}"
        )
        super().__init__(message)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({self.import_name!r}, {self.exception!r})>"


def import_string(import_name: str, silent: bool = False) -> t.Any:
    """Import a module or an object from a dotted (``"pkg.mod.obj"``) or colon
    (``"pkg.mod:obj"``) name.

    :param import_name: what to import.
    :param silent: return ``None`` instead of raising when the import fails.
    :return: the module or object.
    :raises ImportStringError: if the import fails and ``silent`` is false.
    """
    import_name = import_name.replace(":", ".")
    try:
        try:
            __import__(import_name)
        except ImportError:
            if "." not in import_name:
                raise
        else:
            return sys.modules[import_name]
        module_name, obj_name = import_name.rsplit(".", 1)
        module = __import__(module_name, globals(), locals(), [obj_name])
        try:
            return getattr(module, obj_name)
        except AttributeError as e:
            raise ImportError(e) from None
    except ImportError as e:
        if not silent:
            raise ImportStringError(import_name, e).with_traceback(sys.exc_info()[2]) from None
    return None


def find_modules(
    import_path: str, include_packages: bool = False, recursive: bool = False
) -> t.Iterator[str]:
    """Yield the dotted names of the modules inside a package (e.g. to import all views).

    :param import_path: the package's dotted name.
    :param include_packages: also yield subpackages.
    :param recursive: descend into subpackages (this imports them).
    :raises ValueError: if ``import_path`` is a module, not a package.
    :raises ImportStringError: if the package cannot be imported.
    """
    module = import_string(import_path)
    path = getattr(module, "__path__", None)
    if path is None:
        raise ValueError(f"{import_path!r} is not a package")
    prefix = f"{module.__name__}."
    for _finder, name, is_package in pkgutil.iter_modules(path):
        full_name = prefix + name
        if is_package:
            if include_packages:
                yield full_name
            if recursive:
                yield from find_modules(full_name, include_packages, True)
        else:
            yield full_name


# ---------------------------------------------------------------------------------------------
# content types and files


class FileStream:
    """An iterable over a file's bytes, in chunks, that closes the file when done.

    Given a path, the file is opened only when iteration starts (so a response that is never
    sent, such as a 304, holds no file descriptor). It supports ``seekable()``, ``seek()``
    and ``tell()`` so range responses can skip to an offset instead of reading up to it.

    :param path_or_file: a path, or a binary file object (which this stream then owns).
    :param buffer_size: the chunk size in bytes.
    """

    __slots__ = ("_file", "_offset", "_path", "buffer_size")

    def __init__(self, path_or_file: str | t.IO[bytes], buffer_size: int = 64 * 1024) -> None:
        self._path: str | None = None
        self._file: t.IO[bytes] | None = None
        if isinstance(path_or_file, str):
            self._path = path_or_file
        else:
            self._file = path_or_file
        self._offset: int | None = None
        self.buffer_size = buffer_size

    def _open(self) -> t.IO[bytes]:
        if self._file is None:
            assert self._path is not None
            self._file = open(self._path, "rb")  # noqa: SIM115 - closed by close()
            self._path = None
        if self._offset is not None:
            self._file.seek(self._offset)
            self._offset = None
        return self._file

    def seekable(self) -> bool:
        """Whether :meth:`seek` works: always for paths, per the file object otherwise."""
        if self._file is None:
            return True
        try:
            return bool(self._file.seekable())
        except (AttributeError, ValueError):
            return False

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move to ``offset`` (like :meth:`io.IOBase.seek`); deferred until a path is opened."""
        if self._file is None and whence == 0:
            self._offset = offset
            return offset
        return self._open().seek(offset, whence)

    def tell(self) -> int:
        """Return the current position in the file."""
        if self._file is None:
            return self._offset or 0
        return self._open().tell()

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining bytes if negative)."""
        return self._open().read(size)

    def __iter__(self) -> t.Iterator[bytes]:
        try:
            file = self._open()
            while chunk := file.read(self.buffer_size):
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        """Close the underlying file; safe to call more than once."""
        self._path = None
        if self._file is not None:
            self._file.close()


def _http_date(value: datetime | float) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
    else:
        value = datetime.fromtimestamp(value, UTC)
    return format_datetime(value.astimezone(UTC), usegmt=True)


def _content_disposition(kind: str, download_name: str) -> str:
    # RFC 6266: an ASCII "filename" for old clients plus RFC 5987 "filename*" when the
    # real name is not ASCII.
    if download_name.isascii():
        fallback = download_name
        extended = None
    else:
        fallback = unicodedata.normalize("NFKD", download_name)
        fallback = fallback.encode("ascii", "ignore").decode("ascii")
        extended = quote(download_name, safe="!#$&+-.^_`|~")
    fallback = "".join(c for c in fallback if c.isprintable())
    quoted = fallback.replace("\\", "\\\\").replace('"', '\\"')
    value = f'{kind}; filename="{quoted}"'
    if extended is not None:
        value += f"; filename*=UTF-8''{extended}"
    return value


def send_file(
    path_or_file: os.PathLike[str] | str | t.IO[bytes],
    request: Request,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | t.Callable[[str | None], int | None] | None = None,
    use_x_sendfile: bool = False,
    response_class: type[Response] | None = None,
    _root_path: os.PathLike[str] | str | None = None,
) -> Response:
    """Send a file's contents, streaming it in chunks.

    Never pass a path that came from the client: use :func:`send_from_directory`.

    :param path_or_file: a trusted path (relative to the working directory, or to
        ``_root_path``), or a binary file object positioned at the data's start. Paths are
        better: they give the size, modification time, ETag and range support.
    :param request: the current request, used for conditional (304/412) and range
        (206/416) answers.
    :param mimetype: the type to send; guessed from ``download_name`` or the path if not
        given, ``application/octet-stream`` when unknown.
    :param as_attachment: ask the browser to save the file rather than display it.
    :param download_name: the file name the browser should use; defaults to the path's
        base name. Non-ASCII names are sent with RFC 5987 ``filename*``.
    :param conditional: answer conditional and range requests.
    :param etag: compute an ETag from the path's mtime, size and name; or a string to use
        as the ETag; or ``False`` for none.
    :param last_modified: the ``Last-Modified`` time (datetime or seconds); defaults to the
        file's mtime.
    :param max_age: seconds the client may cache the file (``Cache-Control: public``), or a
        callable taking the path and returning that; ``None`` sends ``no-cache`` so clients
        revalidate with the ETag.
    :param use_x_sendfile: send only an ``X-Sendfile`` header with the path and let the
        front server send the file.
    :param response_class: the response class; defaults to
        :class:`tumbler.wrappers.Response`.
    :param _root_path: the base for relative paths (the app passes its root path).
    :raises FileNotFoundError: if the path does not exist.
    :raises TypeError: if no name is available to guess the type from or to name an
        attachment.
    :raises ValueError: if the file object is in text mode, or ``etag`` contains ``"``.
    :raises RequestedRangeNotSatisfiable: for a range outside the file (416).
    """
    if response_class is None:
        from tumbler.wrappers import Response as default_class

        response_class = default_class

    path: str | None = None
    file: t.IO[bytes] | None = None
    size: int | None = None
    mtime: float | None = None
    headers: list[tuple[str, str]] = []

    if isinstance(path_or_file, str | os.PathLike):
        if _root_path is not None:
            path = os.path.join(os.fspath(_root_path), os.fspath(path_or_file))
        else:
            path = os.path.abspath(path_or_file)
        stat = os.stat(path)
        size = stat.st_size
        mtime = stat.st_mtime
    else:
        file = path_or_file
        if isinstance(file, io.TextIOBase):
            raise ValueError("Files must be opened in binary mode or use BytesIO.")
        if isinstance(file, io.BytesIO):
            size = file.getbuffer().nbytes - file.tell()

    if download_name is None and path is not None:
        download_name = os.path.basename(path)

    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "Unable to detect the MIME type because a file name is not available. Either"
                " set 'download_name', pass a path instead of a file, or set 'mimetype'."
            )
        mimetype, encoding = mimetypes.guess_type(download_name)
        if mimetype is None:
            mimetype = "application/octet-stream"
        # A Content-Encoding on a download makes browsers decompress .tar.gz files on save.
        if encoding is not None and not as_attachment:
            headers.append(("Content-Encoding", encoding))

    if download_name is not None:
        kind = "attachment" if as_attachment else "inline"
        headers.append(("Content-Disposition", _content_disposition(kind, download_name)))
    elif as_attachment:
        raise TypeError(
            "No name provided for attachment. Either set 'download_name' or pass a path"
            " instead of a file."
        )

    body: FileStream | None
    if use_x_sendfile and path is not None:
        headers.append(("X-Sendfile", path))
        body = None
    else:
        body = FileStream(path if file is None else file)  # type: ignore[arg-type]

    if size is not None:
        headers.append(("Content-Length", str(size)))
    if last_modified is not None:
        headers.append(("Last-Modified", _http_date(last_modified)))
    elif mtime is not None:
        headers.append(("Last-Modified", _http_date(mtime)))

    if callable(max_age):
        max_age = max_age(path)
    if max_age is None:
        headers.append(("Cache-Control", "no-cache"))
    else:
        if max_age > 0:
            headers.append(("Cache-Control", f"public, max-age={max_age}"))
        else:
            headers.append(("Cache-Control", f"no-cache, max-age={max_age}"))
        headers.append(("Expires", _http_date(time() + max_age)))

    if isinstance(etag, str):
        if '"' in etag:
            raise ValueError("Invalid ETag: it must not contain '\"'.")
        headers.append(("ETag", f'"{etag}"'))
    elif etag and path is not None:
        check = adler32(path.encode()) & 0xFFFFFFFF
        headers.append(("ETag", f'"{mtime}-{size}-{check}"'))

    response = response_class(body, mimetype=mimetype, headers=headers, direct_passthrough=True)
    if body is not None and body.seekable():
        # make_conditional serves byte ranges by seeking in this instead of reading the
        # whole body up to the range start.
        response._file = t.cast("t.IO[bytes]", body)

    if conditional:
        try:
            response = response.make_conditional(request, accept_ranges=True, complete_length=size)
        except RequestedRangeNotSatisfiable:
            if body is not None:
                body.close()
            raise
        # Some X-Sendfile servers send the file even with a 304 status.
        if response.status_code == 304:
            response.headers.pop("X-Sendfile", None)
    return response


def send_from_directory(
    directory: os.PathLike[str] | str,
    path: os.PathLike[str] | str,
    request: Request,
    **kwargs: t.Any,
) -> Response:
    """Send a file from inside ``directory``, where ``path`` may come from the client.

    ``path`` goes through :func:`tumbler.security.safe_join`, so traversal attempts
    (``../``, absolute paths, backslashes, drive letters, NUL bytes) are refused.

    :param directory: the trusted base directory (never client input).
    :param path: the client-supplied path relative to ``directory``.
    :param request: the current request.
    :param kwargs: passed to :func:`send_file`.
    :raises NotFound: if ``path`` is refused or is not an existing regular file.
    """
    joined = safe_join(os.fspath(directory), os.fspath(path))
    if joined is None:
        raise NotFound()
    root_path = kwargs.pop("_root_path", None)
    if root_path is not None:
        joined = os.path.join(os.fspath(root_path), joined)
    try:
        is_file = os.path.isfile(joined)
    except ValueError:
        is_file = False
    if not is_file:
        raise NotFound()
    return send_file(joined, request, **kwargs)
