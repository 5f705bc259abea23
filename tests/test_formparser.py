"""Tests for tumbler.formparser: urlencoded and multipart bodies, limits and malformed input."""

from __future__ import annotations

import io
import tempfile
from typing import IO

import pytest

from tumbler.datastructures import FileStorage
from tumbler.datastructures import ImmutableMultiDict
from tumbler.datastructures import MultiDict
from tumbler.exceptions import BadRequest
from tumbler.exceptions import RequestEntityTooLarge
from tumbler.formparser import SPOOLED_FILE_MAX_SIZE
from tumbler.formparser import FormDataParser
from tumbler.formparser import default_stream_factory

BOUNDARY = "----tumblerboundary"


def multipart(*parts: tuple[dict[str, str], bytes], boundary: str = BOUNDARY) -> bytes:
    """Build a multipart/form-data body from (headers, content) pairs."""
    out = b""
    for headers, content in parts:
        out += f"--{boundary}\r\n".encode()
        for key, value in headers.items():
            out += f"{key}: {value}\r\n".encode()
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def field(name: str, value: bytes) -> tuple[dict[str, str], bytes]:
    return {"Content-Disposition": f'form-data; name="{name}"'}, value


def upload(
    name: str, filename: str, content: bytes, content_type: str = "text/plain"
) -> tuple[dict[str, str], bytes]:
    headers = {
        "Content-Disposition": f'form-data; name="{name}"; filename="{filename}"',
        "Content-Type": content_type,
    }
    return headers, content


def parse_multipart(
    body: bytes,
    parser: FormDataParser | None = None,
    boundary: str | None = BOUNDARY,
    content_length: int | None = -1,
) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
    parser = parser or FormDataParser(silent=False)
    options = {} if boundary is None else {"boundary": boundary}
    length = len(body) if content_length == -1 else content_length
    _, form, files = parser.parse(io.BytesIO(body), "multipart/form-data", length, options)
    return form, files


def parse_urlencoded(body: bytes, parser: FormDataParser | None = None) -> MultiDict[str, str]:
    parser = parser or FormDataParser()
    _, form, _ = parser.parse(io.BytesIO(body), "application/x-www-form-urlencoded", len(body), {})
    return form


# --- urlencoded ----------------------------------------------------------------------


def test_urlencoded_keeps_repeated_keys_in_order() -> None:
    form = parse_urlencoded(b"a=1&b=2&a=3")
    assert form.getlist("a") == ["1", "3"]
    assert form["b"] == "2"


def test_urlencoded_keeps_blank_values_and_bare_keys() -> None:
    form = parse_urlencoded(b"empty=&bare")
    assert form["empty"] == ""
    assert form["bare"] == ""


def test_urlencoded_decodes_plus_and_percent_utf8() -> None:
    form = parse_urlencoded(b"q=hello+w%C3%B6rld")
    assert form["q"] == "hello wörld"


def test_urlencoded_invalid_percent_encoding_is_kept_literally() -> None:
    form = parse_urlencoded(b"q=100%zz&r=%")
    assert form["q"] == "100%zz"
    assert form["r"] == "%"


def test_urlencoded_invalid_utf8_is_replaced_not_raised() -> None:
    form = parse_urlencoded(b"q=%FF%FE&raw=\xff")
    assert form["q"] == "\ufffd\ufffd"
    assert form["raw"] == "\ufffd"


def test_urlencoded_body_over_memory_limit_is_413() -> None:
    parser = FormDataParser(max_form_memory_size=10)
    with pytest.raises(RequestEntityTooLarge):
        parse_urlencoded(b"a=" + b"x" * 20, parser)


def test_urlencoded_body_over_memory_limit_without_length_is_413() -> None:
    parser = FormDataParser(max_form_memory_size=10)
    stream = io.BytesIO(b"a=" + b"x" * 20)
    with pytest.raises(RequestEntityTooLarge):
        parser.parse(stream, "application/x-www-form-urlencoded", None, {})


def test_urlencoded_body_at_memory_limit_is_accepted() -> None:
    parser = FormDataParser(max_form_memory_size=10)
    assert parse_urlencoded(b"a=12345678", parser)["a"] == "12345678"


def test_urlencoded_too_many_fields_is_413() -> None:
    parser = FormDataParser(max_form_parts=2)
    with pytest.raises(RequestEntityTooLarge):
        parse_urlencoded(b"a=1&b=2&c=3", parser)


def test_urlencoded_never_reads_past_content_length() -> None:
    stream = io.BytesIO(b"a=1&b=2")
    _, form, _ = FormDataParser().parse(stream, "application/x-www-form-urlencoded", 3, {})
    assert form.to_dict() == {"a": "1"}
    assert stream.read() == b"&b=2"


def test_declared_length_over_max_content_length_is_413_before_reading() -> None:
    stream = io.BytesIO(b"a=1")
    parser = FormDataParser(max_content_length=2)
    with pytest.raises(RequestEntityTooLarge):
        parser.parse(stream, "application/x-www-form-urlencoded", 3, {})
    assert stream.tell() == 0


def test_result_uses_the_given_storage_class() -> None:
    form = parse_urlencoded(b"a=1", FormDataParser(cls=ImmutableMultiDict))
    assert isinstance(form, ImmutableMultiDict)


# --- other content types --------------------------------------------------------------


@pytest.mark.parametrize("mimetype", ["text/plain", "application/json", ""])
def test_other_content_types_are_not_parsed_and_stream_is_untouched(mimetype: str) -> None:
    stream = io.BytesIO(b"a=1")
    rv_stream, form, files = FormDataParser().parse(stream, mimetype, 3, {})
    assert rv_stream is stream
    assert stream.tell() == 0
    assert not form
    assert not files


# --- multipart -------------------------------------------------------------------------


def test_multipart_parses_fields_and_files() -> None:
    body = multipart(field("name", b"Ada"), upload("doc", "notes.txt", b"hello\r\nworld"))
    form, files = parse_multipart(body)
    assert form["name"] == "Ada"
    storage = files["doc"]
    assert storage.filename == "notes.txt"
    assert storage.name == "doc"
    assert storage.content_type == "text/plain"
    assert storage.read() == b"hello\r\nworld"


def test_multipart_repeated_field_names_keep_order() -> None:
    form, _ = parse_multipart(multipart(field("tag", b"a"), field("tag", b"b")))
    assert form.getlist("tag") == ["a", "b"]


def test_multipart_several_files_under_one_name() -> None:
    body = multipart(upload("f", "a.txt", b"A"), upload("f", "b.txt", b"B"))
    _, files = parse_multipart(body)
    assert [f.filename for f in files.getlist("f")] == ["a.txt", "b.txt"]


def test_multipart_empty_file_input_gives_storage_with_empty_filename() -> None:
    _, files = parse_multipart(multipart(upload("f", "", b"", "application/octet-stream")))
    assert files["f"].filename == ""
    assert files["f"].read() == b""


def test_multipart_field_value_invalid_utf8_is_replaced() -> None:
    form, _ = parse_multipart(multipart(field("x", b"ok\xff")))
    assert form["x"] == "ok\ufffd"


def test_multipart_utf8_filename_is_decoded() -> None:
    body = multipart(upload("f", "résumé.pdf", b"%PDF"))
    _, files = parse_multipart(body)
    assert files["f"].filename == "résumé.pdf"


def test_multipart_rfc2231_filename_star_is_preferred() -> None:
    headers = {
        "Content-Disposition": (
            'form-data; name="f"; filename="fallback.txt"; filename*=UTF-8\'\'%E2%82%AC%20rates.txt'
        )
    }
    _, files = parse_multipart(multipart((headers, b"1")))
    assert files["f"].filename == "€ rates.txt"


def test_multipart_keeps_part_headers_on_file_storage() -> None:
    headers = {
        "Content-Disposition": 'form-data; name="f"; filename="a.bin"',
        "Content-Type": "application/octet-stream",
        "X-Extra": "yes",
    }
    _, files = parse_multipart(multipart((headers, b"\x00\x01")))
    assert files["f"].headers["X-Extra"] == "yes"


def test_multipart_binary_content_with_boundary_like_bytes_survives() -> None:
    content = b"--" + BOUNDARY.encode()[:-1] + b"\r\n\x00\xff--\r\n"
    _, files = parse_multipart(multipart(upload("f", "a.bin", content)))
    assert files["f"].read() == content


def test_multipart_large_file_is_streamed_across_chunks() -> None:
    content = bytes(range(256)) * 1024 * 3  # 768 KiB, several read chunks
    _, files = parse_multipart(multipart(upload("f", "big.bin", content)))
    assert files["f"].read() == content


def test_multipart_large_upload_spools_to_disk() -> None:
    spooled: list[tempfile.SpooledTemporaryFile[bytes]] = []

    def factory(*args: object, **kwargs: object) -> IO[bytes]:
        rv = default_stream_factory(None, None, None)
        assert isinstance(rv, tempfile.SpooledTemporaryFile)
        spooled.append(rv)
        return rv

    content = b"x" * (SPOOLED_FILE_MAX_SIZE + 1)
    parser = FormDataParser(factory, silent=False)
    _, files = parse_multipart(multipart(upload("f", "big.bin", content)), parser)
    assert getattr(spooled[0], "_rolled")  # noqa: B009
    assert files["f"].read() == content


def test_multipart_small_upload_stays_in_memory() -> None:
    rv = default_stream_factory(None, None, None)
    assert isinstance(rv, tempfile.SpooledTemporaryFile)
    rv.write(b"x" * 100)
    assert not getattr(rv, "_rolled")  # noqa: B009


def test_multipart_empty_message_gives_empty_form() -> None:
    form, files = parse_multipart(f"--{BOUNDARY}--\r\n".encode())
    assert not form
    assert not files


def test_multipart_epilogue_after_closing_boundary_is_ignored() -> None:
    form, _ = parse_multipart(multipart(field("a", b"1")) + b"epilogue junk")
    assert form["a"] == "1"


# --- multipart limits -------------------------------------------------------------------


def test_multipart_field_over_memory_limit_is_413() -> None:
    parser = FormDataParser(max_form_memory_size=5, silent=False)
    with pytest.raises(RequestEntityTooLarge):
        parse_multipart(multipart(field("a", b"123456")), parser)


def test_multipart_memory_limit_does_not_apply_to_files() -> None:
    parser = FormDataParser(max_form_memory_size=5, silent=False)
    _, files = parse_multipart(multipart(upload("f", "a.txt", b"1234567890")), parser)
    assert files["f"].read() == b"1234567890"


def test_multipart_too_many_parts_is_413() -> None:
    parser = FormDataParser(max_form_parts=2, silent=False)
    body = multipart(field("a", b"1"), field("b", b"2"), field("c", b"3"))
    with pytest.raises(RequestEntityTooLarge):
        parse_multipart(body, parser)


def test_multipart_part_count_at_limit_is_accepted() -> None:
    parser = FormDataParser(max_form_parts=2, silent=False)
    form, _ = parse_multipart(multipart(field("a", b"1"), field("b", b"2")), parser)
    assert len(form) == 2


def test_multipart_body_over_max_content_length_without_declared_length_is_413() -> None:
    parser = FormDataParser(max_content_length=100, silent=False)
    body = multipart(upload("f", "a.bin", b"x" * 200))
    with pytest.raises(RequestEntityTooLarge):
        parse_multipart(body, parser, content_length=None)


def test_multipart_limit_error_propagates_even_when_silent() -> None:
    parser = FormDataParser(max_form_parts=1, silent=True)
    with pytest.raises(RequestEntityTooLarge):
        parse_multipart(multipart(field("a", b"1"), field("b", b"2")), parser)


def test_multipart_failed_parse_closes_files_already_opened() -> None:
    opened: list[IO[bytes]] = []

    def factory(*args: object, **kwargs: object) -> IO[bytes]:
        rv = io.BytesIO()
        opened.append(rv)
        return rv

    parser = FormDataParser(factory, max_form_parts=1, silent=False)
    body = multipart(upload("f", "a.txt", b"A"), field("b", b"2"))
    with pytest.raises(RequestEntityTooLarge):
        parse_multipart(body, parser)
    assert opened and all(f.closed for f in opened)


# --- malformed multipart ------------------------------------------------------------------


def test_multipart_missing_boundary_is_400_with_description() -> None:
    with pytest.raises(BadRequest, match="no boundary"):
        parse_multipart(multipart(field("a", b"1")), boundary=None)


@pytest.mark.parametrize("boundary", ["bad\r\nboundary", "x" * 300, "trailing "])
def test_multipart_invalid_boundary_is_400(boundary: str) -> None:
    with pytest.raises(BadRequest, match="boundary is not valid"):
        parse_multipart(b"whatever", boundary=boundary)


def test_multipart_body_with_other_boundary_is_400() -> None:
    body = multipart(field("a", b"1"), boundary="other")
    with pytest.raises(BadRequest, match="malformed"):
        parse_multipart(body)


def test_multipart_truncated_body_is_400() -> None:
    body = multipart(field("a", b"1"), upload("f", "a.txt", b"content"))
    with pytest.raises(BadRequest, match="ended before"):
        parse_multipart(body[:-30])


def test_multipart_body_shorter_than_content_length_is_400() -> None:
    body = multipart(field("a", b"1"))[:-10]
    with pytest.raises(BadRequest):
        parse_multipart(body, content_length=len(body) + 100)


def test_multipart_empty_body_gives_empty_form() -> None:
    # Some clients send a multipart Content-Type with no body at all for an empty form.
    form, files = parse_multipart(b"")
    assert not form
    assert not files


def test_multipart_body_of_only_newlines_is_400() -> None:
    with pytest.raises(BadRequest, match="ended before"):
        parse_multipart(b"\r\n\r\n")


def test_multipart_part_without_content_disposition_is_400() -> None:
    body = multipart(({"Content-Type": "text/plain"}, b"x"))
    with pytest.raises(BadRequest, match="Content-Disposition"):
        parse_multipart(body)


def test_multipart_part_without_name_is_400() -> None:
    body = multipart(({"Content-Disposition": "form-data"}, b"x"))
    with pytest.raises(BadRequest, match="name"):
        parse_multipart(body)


def test_multipart_broken_part_header_is_400() -> None:
    body = f"--{BOUNDARY}\r\nNo colon here\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()
    with pytest.raises(BadRequest, match="malformed"):
        parse_multipart(body)


def test_multipart_oversized_part_header_is_400() -> None:
    headers = {"Content-Disposition": 'form-data; name="a"', "X-Big": "v" * 10_000}
    with pytest.raises(BadRequest):
        parse_multipart(multipart((headers, b"1")))


def test_multipart_malformed_body_gives_empty_form_when_silent() -> None:
    parser = FormDataParser(silent=True)
    form, files = parse_multipart(b"garbage", parser)
    assert not form
    assert not files


@pytest.mark.parametrize("charset", ["idna", "punycode", "undefined", "rot13", "no-such-charset"])
def test_multipart_filename_in_an_unusable_charset_is_not_an_error(charset: str) -> None:
    # "filename**0" is a continuation of a parameter literally named "filename*"; its charset
    # prefix must never reach a codec that raises (idna refuses errors="replace").
    headers = {"Content-Disposition": f"form-data; name=\"f\"; filename**0={charset}''%FF"}
    form, files = parse_multipart(multipart((headers, b"x")))
    assert form["f"] == "x"
    assert not files


@pytest.mark.parametrize("header", [b'filename\n="a.txt"', b'filename="a\rb.txt"'])
def test_multipart_part_header_with_a_bare_line_break_is_a_400(header: bytes) -> None:
    body = (
        b"--" + BOUNDARY.encode() + b"\r\n"
        b'Content-Disposition: form-data; name="f"; ' + header + b"\r\n\r\n"
        b"x\r\n--" + BOUNDARY.encode() + b"--\r\n"
    )
    with pytest.raises(BadRequest):
        parse_multipart(body)


def test_malformed_multipart_logs_no_warning_a_client_could_repeat(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    # python-multipart warns about each malformed body; clients choose their bodies, so those
    # messages go to DEBUG under tumbler.formparser instead of filling the logs.
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    ours = logging.getLogger("tumbler.formparser")
    handler = Collect(logging.DEBUG)
    ours.addHandler(handler)
    level = ours.level
    ours.setLevel(logging.DEBUG)
    try:
        with caplog.at_level("DEBUG"), pytest.raises(BadRequest):
            parse_multipart(b"garbage")
    finally:
        ours.removeHandler(handler)
        ours.setLevel(level)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in records] == [logging.DEBUG]
