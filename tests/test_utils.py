from __future__ import annotations

import io
import os
import sys
import typing as t
import zlib
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from tumbler.datastructures import Headers
from tumbler.exceptions import NotFound
from tumbler.exceptions import RequestedRangeNotSatisfiable
from tumbler.utils import FileStream
from tumbler.utils import ImportStringError
from tumbler.utils import append_slash_redirect
from tumbler.utils import cached_property
from tumbler.utils import find_modules
from tumbler.utils import get_content_type
from tumbler.utils import import_string
from tumbler.utils import redirect
from tumbler.utils import secure_filename
from tumbler.utils import send_file
from tumbler.utils import send_from_directory
from tumbler.wrappers import Request
from tumbler.wrappers import Response


def make_request(
    method: str = "GET",
    headers: list[tuple[str, str]] | None = None,
    path: str = "/",
    query_string: bytes = b"",
) -> Request:
    return Request(
        method,
        "http",
        ("localhost", 80),
        "",
        path,
        query_string,
        Headers(headers or []),
        "127.0.0.1",
    )


def body_of(response: Response) -> bytes:
    try:
        return b"".join(response.iter_encoded())
    finally:
        response.close()


# --- secure_filename ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("My cool movie.mov", "My_cool_movie.mov"),
        ("../../../etc/passwd", "etc_passwd"),
        ("i contain cool \xfcml\xe4uts.txt", "i_contain_cool_umlauts.txt"),
        ("C:\\Users\\me\\photo.jpg", "C_Users_me_photo.jpg"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("  leading and trailing  ", "leading_and_trailing"),
        ("foo$&^*)bar", "foobar"),
        ("<script>.html", "script.html"),
        ("a\x00b.txt", "ab.txt"),
        ("中文.txt", "txt"),
    ],
)
def test_secure_filename_cleans_names(given: str, expected: str) -> None:
    assert secure_filename(given) == expected


@pytest.mark.parametrize("name", [".", "..", "...", "/", "\\", "._.", "", "   ", "日本語"])
def test_secure_filename_never_returns_dot_names_or_paths(name: str) -> None:
    result = secure_filename(name)
    assert result not in {".", ".."}
    assert "/" not in result
    assert "\\" not in result
    assert result == ""


@pytest.mark.parametrize(
    ("given", "expected"),
    [("CON", "_CON"), ("nul.txt", "_nul.txt"), ("com1.log", "_com1.log"), ("LPT9", "_LPT9")],
)
def test_secure_filename_prefixes_windows_device_names(given: str, expected: str) -> None:
    assert secure_filename(given) == expected


def test_secure_filename_keeps_names_that_only_start_like_device_names() -> None:
    assert secure_filename("console.txt") == "console.txt"


def test_secure_filename_result_is_ascii() -> None:
    assert secure_filename("résumé final.pdf").isascii()


# --- redirect ---------------------------------------------------------------------------------


def test_redirect_sets_location_and_302() -> None:
    response = redirect("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert response.mimetype == "text/html"


def test_redirect_uses_given_code() -> None:
    assert redirect("/x", 308).status_code == 308


def test_redirect_body_escapes_location() -> None:
    response = redirect('/x"><script>alert(1)</script>')
    body = body_of(response).decode()
    assert "<script>" not in body
    assert "&lt;script&gt;" in body
    assert "&#34;&gt;" in body


def test_redirect_location_header_percent_encodes_non_ascii() -> None:
    assert redirect("/caf\xe9?q=\xfc").headers["Location"] == "/caf%C3%A9?q=%C3%BC"


def test_redirect_location_header_neutralises_crlf_injection() -> None:
    location = redirect("/a\r\nSet-Cookie: x=1").headers["Location"]
    assert "\r" not in location
    assert "\n" not in location
    assert location == "/a%0D%0ASet-Cookie:%20x=1"


def test_redirect_location_header_encodes_backslash_open_redirect_trick() -> None:
    assert redirect("/\\evil.example").headers["Location"] == "/%5Cevil.example"


def test_redirect_keeps_existing_percent_escapes_and_reserved_characters() -> None:
    url = "https://example.com/a%20b?x=1&y=2#frag"
    assert redirect(url).headers["Location"] == url


def test_redirect_idna_encodes_international_host() -> None:
    location = redirect("http://b\xfccher.example/stra\xdfe").headers["Location"]
    assert location == "http://xn--bcher-kva.example/stra%C3%9Fe"


def test_redirect_with_custom_response_class() -> None:
    class MyResponse(Response):
        pass

    assert isinstance(redirect("/x", Response=MyResponse), MyResponse)


def test_append_slash_redirect_from_request_keeps_query() -> None:
    response = append_slash_redirect(make_request(path="/user/42", query_string=b"a=1&b=2"))
    assert response.status_code == 308
    assert response.headers["Location"] == "42/?a=1&b=2"


def test_append_slash_redirect_from_environ() -> None:
    response = append_slash_redirect({"PATH_INFO": "/docs", "QUERY_STRING": ""}, code=301)
    assert response.status_code == 301
    assert response.headers["Location"] == "docs/"


def test_append_slash_redirect_root_path_points_to_current_directory() -> None:
    assert append_slash_redirect(make_request(path="/")).headers["Location"] == "./"


# --- cached_property --------------------------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    @cached_property
    def value(self) -> int:
        """The expensive value."""
        self.calls += 1
        return 42


def test_cached_property_computes_once() -> None:
    obj = Counter()
    assert obj.value == 42
    assert obj.value == 42
    assert obj.calls == 1


def test_cached_property_can_be_assigned_and_deleted_to_recompute() -> None:
    obj = Counter()
    obj.value = 7
    assert obj.value == 7
    assert obj.calls == 0
    del obj.value
    assert obj.value == 42
    assert obj.calls == 1


def test_cached_property_on_class_returns_descriptor_with_doc() -> None:
    assert isinstance(Counter.value, cached_property)
    assert Counter.value.__doc__ == "The expensive value."


def test_cached_property_is_per_instance() -> None:
    a, b = Counter(), Counter()
    _ = a.value
    assert b.calls == 0


def test_cached_property_on_slots_class_raises_clear_type_error() -> None:
    class Slotted:
        __slots__ = ()

        @cached_property
        def value(self) -> int:
            return 1

    with pytest.raises(TypeError, match="__slots__"):
        _ = Slotted().value


# --- import_string / find_modules ---------------------------------------------------------


def test_import_string_imports_module() -> None:
    import os.path

    assert import_string("os.path") is os.path


def test_import_string_imports_attribute_with_dot_or_colon() -> None:
    from xml.sax.saxutils import escape

    assert import_string("xml.sax.saxutils.escape") is escape
    assert import_string("xml.sax.saxutils:escape") is escape


def test_import_string_missing_module_raises_import_string_error() -> None:
    with pytest.raises(ImportStringError) as info:
        import_string("tumbler.no_such_module_here")
    assert isinstance(info.value, ImportError)
    assert info.value.import_name == "tumbler.no_such_module_here"
    assert "'tumbler' imported" in str(info.value)
    assert "'tumbler.no_such_module_here' not found" in str(info.value)


def test_import_string_missing_attribute_raises_import_string_error() -> None:
    with pytest.raises(ImportStringError):
        import_string("os.path.no_such_function")


def test_import_string_silent_returns_none() -> None:
    assert import_string("no_such_top_level_module_xyz", silent=True) is None


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[str]:
    root = tmp_path / "fm_pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "alpha.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "beta.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "fm_pkg"
    for name in [m for m in sys.modules if m == "fm_pkg" or m.startswith("fm_pkg.")]:
        del sys.modules[name]


def test_find_modules_lists_direct_modules(package: str) -> None:
    assert sorted(find_modules(package)) == ["fm_pkg.alpha"]


def test_find_modules_recursive_with_packages(package: str) -> None:
    found = sorted(find_modules(package, include_packages=True, recursive=True))
    assert found == ["fm_pkg.alpha", "fm_pkg.sub", "fm_pkg.sub.beta"]


def test_find_modules_on_plain_module_raises_value_error(package: str) -> None:
    with pytest.raises(ValueError, match="not a package"):
        list(find_modules("fm_pkg.alpha"))


# --- get_content_type -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mimetype", "expected"),
    [
        ("text/html", "text/html; charset=utf-8"),
        ("application/xml", "application/xml; charset=utf-8"),
        ("image/svg+xml", "image/svg+xml; charset=utf-8"),
        ("application/javascript", "application/javascript; charset=utf-8"),
        ("application/json", "application/json"),
        ("image/png", "image/png"),
        ("text/plain; charset=latin-1", "text/plain; charset=latin-1"),
    ],
)
def test_get_content_type_adds_charset_to_textual_types(mimetype: str, expected: str) -> None:
    assert get_content_type(mimetype, "utf-8") == expected


# --- send_file ----------------------------------------------------------------------------


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_bytes(b"<h1>hello</h1>")
    (tmp_path / "data.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "archive.tar.gz").write_bytes(b"\x1f\x8b fake")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "note.txt").write_bytes(b"note")
    return tmp_path


def test_send_file_path_streams_contents_with_guessed_type(static_dir: Path) -> None:
    response = send_file(static_dir / "index.html", make_request())
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.direct_passthrough
    assert response.headers["Content-Length"] == "14"
    assert body_of(response) == b"<h1>hello</h1>"


def test_send_file_accepts_str_path(static_dir: Path) -> None:
    response = send_file(str(static_dir / "index.html"), make_request())
    assert body_of(response) == b"<h1>hello</h1>"


def test_send_file_unknown_extension_is_octet_stream(static_dir: Path) -> None:
    (static_dir / "blob.zzunknown").write_bytes(b"x")
    response = send_file(static_dir / "blob.zzunknown", make_request())
    assert response.mimetype == "application/octet-stream"
    response.close()


def test_send_file_sets_last_modified_etag_and_no_cache(static_dir: Path) -> None:
    path = static_dir / "index.html"
    stat = os.stat(path)
    response = send_file(path, make_request())
    expected_check = zlib.adler32(str(path).encode()) & 0xFFFFFFFF
    assert response.headers["ETag"] == f'"{stat.st_mtime}-{stat.st_size}-{expected_check}"'
    assert response.last_modified == datetime.fromtimestamp(int(stat.st_mtime), UTC)
    assert response.headers["Cache-Control"] == "no-cache"
    response.close()


def test_send_file_inline_content_disposition_by_default(static_dir: Path) -> None:
    response = send_file(static_dir / "index.html", make_request())
    assert response.headers["Content-Disposition"] == 'inline; filename="index.html"'
    response.close()


def test_send_file_attachment_with_download_name(static_dir: Path) -> None:
    response = send_file(
        static_dir / "data.bin", make_request(), as_attachment=True, download_name="report.csv"
    )
    assert response.headers["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert response.mimetype == "text/csv"
    response.close()


def test_send_file_non_ascii_download_name_uses_rfc5987(static_dir: Path) -> None:
    response = send_file(
        static_dir / "data.bin",
        make_request(),
        as_attachment=True,
        download_name="Naïve résumé 中.txt",
    )
    value = response.headers["Content-Disposition"]
    assert value == (
        'attachment; filename="Naive resume .txt"; '
        "filename*=UTF-8''Na%C3%AFve%20r%C3%A9sum%C3%A9%20%E4%B8%AD.txt"
    )
    response.close()


def test_send_file_download_name_quotes_are_escaped(static_dir: Path) -> None:
    response = send_file(
        static_dir / "data.bin", make_request(), as_attachment=True, download_name='a"b\\c.txt'
    )
    assert response.headers["Content-Disposition"] == 'attachment; filename="a\\"b\\\\c.txt"'
    response.close()


def test_send_file_sets_content_encoding_for_inline_gzip_only(static_dir: Path) -> None:
    inline = send_file(static_dir / "archive.tar.gz", make_request())
    assert inline.headers["Content-Encoding"] == "gzip"
    inline.close()
    attachment = send_file(static_dir / "archive.tar.gz", make_request(), as_attachment=True)
    assert "Content-Encoding" not in attachment.headers
    attachment.close()


def test_send_file_bytesio_needs_mimetype_or_name() -> None:
    with pytest.raises(TypeError, match="MIME type"):
        send_file(io.BytesIO(b"data"), make_request())


def test_send_file_bytesio_attachment_needs_name() -> None:
    with pytest.raises(TypeError, match="attachment"):
        send_file(io.BytesIO(b"data"), make_request(), mimetype="text/plain", as_attachment=True)


def test_send_file_bytesio_with_mimetype_streams_and_sets_length() -> None:
    response = send_file(io.BytesIO(b"in memory"), make_request(), mimetype="text/plain")
    assert response.headers["Content-Length"] == "9"
    assert "ETag" not in response.headers
    assert body_of(response) == b"in memory"


def test_send_file_text_mode_file_is_rejected() -> None:
    with pytest.raises(ValueError, match="binary"):
        send_file(io.StringIO("text"), make_request(), mimetype="text/plain")  # type: ignore[arg-type]


def test_send_file_missing_path_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        send_file(tmp_path / "missing.txt", make_request())


def test_send_file_max_age_sets_public_cache_control_and_expires(static_dir: Path) -> None:
    response = send_file(static_dir / "index.html", make_request(), max_age=3600)
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.expires is not None
    response.close()


def test_send_file_max_age_callable_receives_path(static_dir: Path) -> None:
    seen: list[str | None] = []

    def max_age(path: str | None) -> int:
        seen.append(path)
        return 60

    response = send_file(static_dir / "index.html", make_request(), max_age=max_age)
    assert seen == [str(static_dir / "index.html")]
    assert response.headers["Cache-Control"] == "public, max-age=60"
    response.close()


def test_send_file_zero_max_age_is_no_cache(static_dir: Path) -> None:
    response = send_file(static_dir / "index.html", make_request(), max_age=0)
    assert response.headers["Cache-Control"] == "no-cache, max-age=0"
    response.close()


def test_send_file_custom_etag_and_disabled_etag(static_dir: Path) -> None:
    custom = send_file(static_dir / "index.html", make_request(), etag="v1")
    assert custom.headers["ETag"] == '"v1"'
    custom.close()
    none = send_file(static_dir / "index.html", make_request(), etag=False)
    assert "ETag" not in none.headers
    none.close()


def test_send_file_rejects_etag_with_quote(static_dir: Path) -> None:
    with pytest.raises(ValueError):
        send_file(static_dir / "index.html", make_request(), etag='a"b')


def test_send_file_explicit_last_modified(static_dir: Path) -> None:
    when = datetime(2020, 5, 17, 10, 0, 0, tzinfo=UTC)
    response = send_file(static_dir / "index.html", make_request(), last_modified=when)
    assert response.headers["Last-Modified"] == "Sun, 17 May 2020 10:00:00 GMT"
    response.close()


def test_send_file_x_sendfile_sends_header_and_no_body(static_dir: Path) -> None:
    path = static_dir / "index.html"
    response = send_file(path, make_request(), use_x_sendfile=True)
    assert response.headers["X-Sendfile"] == str(path)
    assert body_of(response) == b""


def test_send_file_not_modified_when_etag_matches(static_dir: Path) -> None:
    first = send_file(static_dir / "index.html", make_request())
    etag = first.headers["ETag"]
    first.close()
    second = send_file(static_dir / "index.html", make_request(headers=[("If-None-Match", etag)]))
    assert second.status_code == 304
    assert body_of(second) == b""


def test_send_file_not_modified_drops_x_sendfile(static_dir: Path) -> None:
    first = send_file(static_dir / "index.html", make_request())
    etag = first.headers["ETag"]
    first.close()
    response = send_file(
        static_dir / "index.html",
        make_request(headers=[("If-None-Match", etag)]),
        use_x_sendfile=True,
    )
    assert response.status_code == 304
    assert "X-Sendfile" not in response.headers


def test_send_file_without_conditional_ignores_if_none_match(static_dir: Path) -> None:
    first = send_file(static_dir / "index.html", make_request())
    etag = first.headers["ETag"]
    first.close()
    response = send_file(
        static_dir / "index.html",
        make_request(headers=[("If-None-Match", etag)]),
        conditional=False,
    )
    assert response.status_code == 200
    response.close()


def test_send_file_range_request_returns_partial_content(static_dir: Path) -> None:
    response = send_file(static_dir / "data.bin", make_request(headers=[("Range", "bytes=10-19")]))
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 10-19/1024"
    assert response.headers["Content-Length"] == "10"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert body_of(response) == bytes(range(10, 20))


def test_send_file_suffix_range_reads_end_of_file(static_dir: Path) -> None:
    response = send_file(static_dir / "data.bin", make_request(headers=[("Range", "bytes=-4")]))
    assert response.status_code == 206
    assert body_of(response) == bytes([252, 253, 254, 255])


def test_send_file_unsatisfiable_range_raises_416_with_length(static_dir: Path) -> None:
    with pytest.raises(RequestedRangeNotSatisfiable) as info:
        send_file(static_dir / "data.bin", make_request(headers=[("Range", "bytes=5000-6000")]))
    assert info.value.length == 1024


def test_send_file_unsatisfiable_range_closes_file_object() -> None:
    file = io.BytesIO(b"short")
    with pytest.raises(RequestedRangeNotSatisfiable):
        send_file(
            file,
            make_request(headers=[("Range", "bytes=100-200")]),
            mimetype="text/plain",
        )
    assert file.closed


def test_send_file_closes_file_after_streaming(static_dir: Path) -> None:
    file = open(static_dir / "index.html", "rb")  # noqa: SIM115 - send_file owns it
    response = send_file(file, make_request(), mimetype="text/html")
    assert b"".join(response.iter_encoded()) == b"<h1>hello</h1>"
    assert file.closed


def test_send_file_close_without_iterating_closes_file(static_dir: Path) -> None:
    file = open(static_dir / "index.html", "rb")  # noqa: SIM115 - send_file owns it
    response = send_file(file, make_request(), mimetype="text/html")
    response.close()
    assert file.closed


def test_file_stream_opens_path_lazily(tmp_path: Path) -> None:
    path = tmp_path / "late.txt"
    stream = FileStream(str(path))
    path.write_bytes(b"created after the stream")
    assert b"".join(stream) == b"created after the stream"


def test_file_stream_seek_before_iteration_starts_there(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"0123456789")
    stream = FileStream(str(path), buffer_size=3)
    assert stream.seekable()
    stream.seek(4)
    assert stream.tell() == 4
    assert list(stream) == [b"456", b"789"]


def test_file_stream_close_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"x")
    stream = FileStream(str(path))
    assert stream.read(1) == b"x"
    stream.close()
    stream.close()


def test_file_stream_reports_unseekable_file() -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

    assert not FileStream(t.cast("t.IO[bytes]", Pipe())).seekable()


# --- send_from_directory ------------------------------------------------------------------


def test_send_from_directory_serves_file(static_dir: Path) -> None:
    response = send_from_directory(static_dir, "sub/note.txt", make_request())
    assert response.mimetype == "text/plain"
    assert body_of(response) == b"note"


def test_send_from_directory_passes_options_to_send_file(static_dir: Path) -> None:
    response = send_from_directory(static_dir, "index.html", make_request(), as_attachment=True)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    response.close()


def test_send_from_directory_with_root_path(static_dir: Path) -> None:
    response = send_from_directory("sub", "note.txt", make_request(), _root_path=static_dir)
    assert body_of(response) == b"note"


@pytest.mark.parametrize(
    "path",
    [
        "../etc/passwd",
        "/etc/passwd",
        "sub/../../secret",
        "C:\\x",
        "sub\\..\\index.html",
        "index.html\x00.png",
        "",
        ".",
    ],
)
def test_send_from_directory_refuses_traversal_with_404(static_dir: Path, path: str) -> None:
    with pytest.raises(NotFound):
        send_from_directory(static_dir / "sub", path, make_request())


def test_send_from_directory_missing_file_is_404(static_dir: Path) -> None:
    with pytest.raises(NotFound):
        send_from_directory(static_dir, "nope.txt", make_request())


def test_send_from_directory_directory_is_404(static_dir: Path) -> None:
    with pytest.raises(NotFound):
        send_from_directory(static_dir, "sub", make_request())
