"""Behaviour of FileStorage and FileMultiDict."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tumbler.datastructures import FileMultiDict
from tumbler.datastructures import FileStorage
from tumbler.datastructures import Headers


def upload(data: bytes = b"hello world", **kwargs: object) -> FileStorage:
    options: dict[str, object] = {"filename": "hello.txt", "name": "doc"}
    options.update(kwargs)
    return FileStorage(io.BytesIO(data), **options)  # type: ignore[arg-type]


def test_file_storage_exposes_metadata() -> None:
    fs = upload(content_type="text/plain; charset=utf-8", content_length=11)
    assert fs.filename == "hello.txt"
    assert fs.name == "doc"
    assert fs.content_type == "text/plain; charset=utf-8"
    assert fs.content_length == 11
    assert fs.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert fs.headers["Content-Length"] == "11"


def test_file_storage_mimetype_and_params() -> None:
    fs = upload(content_type='Text/HTML; charset="utf-8"')
    assert fs.mimetype == "text/html"
    assert fs.mimetype_params == {"charset": "utf-8"}


def test_file_storage_mimetype_follows_header_changes() -> None:
    fs = upload(content_type="text/plain")
    assert fs.mimetype == "text/plain"
    fs.headers["Content-Type"] = "image/png"
    assert fs.mimetype == "image/png"


def test_file_storage_without_content_type_has_empty_mimetype() -> None:
    fs = upload()
    assert fs.content_type is None
    assert fs.mimetype == ""
    assert fs.mimetype_params == {}


def test_file_storage_content_length_is_zero_when_missing_or_malformed() -> None:
    assert upload().content_length == 0
    assert upload(headers=Headers([("Content-Length", "abc")])).content_length == 0


def test_file_storage_uses_given_headers() -> None:
    headers = Headers([("Content-Type", "image/png"), ("X-Extra", "1")])
    fs = upload(headers=headers)
    assert fs.headers is headers
    assert fs.mimetype == "image/png"


def test_file_storage_refuses_content_type_with_newline() -> None:
    with pytest.raises(ValueError, match="newline"):
        upload(content_type="text/plain\r\nX-Evil: 1")


def test_file_storage_proxies_stream_methods() -> None:
    fs = upload(b"line1\nline2\n")
    assert fs.readline() == b"line1\n"
    assert fs.tell() == 6
    fs.seek(0)
    assert fs.read() == b"line1\nline2\n"


def test_file_storage_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = upload().no_such_attribute


def test_file_storage_iterates_stream_lines() -> None:
    assert list(upload(b"a\nb\n")) == [b"a\n", b"b\n"]


def test_file_storage_save_to_path(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    upload(b"payload").save(target)
    assert target.read_bytes() == b"payload"


def test_file_storage_save_to_str_path(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    upload(b"payload").save(str(target))
    assert target.read_bytes() == b"payload"


def test_file_storage_save_to_file_object_leaves_it_open() -> None:
    out = io.BytesIO()
    upload(b"payload").save(out)
    assert not out.closed
    assert out.getvalue() == b"payload"


def test_file_storage_save_copies_large_data_in_chunks() -> None:
    data = bytes(range(256)) * 4096
    out = io.BytesIO()
    upload(data).save(out, buffer_size=1000)
    assert out.getvalue() == data


def test_file_storage_save_to_missing_directory_raises() -> None:
    with pytest.raises(FileNotFoundError):
        upload().save("/nonexistent-dir-for-tumbler-tests/out.bin")


def test_file_storage_bool_is_whether_a_filename_was_sent() -> None:
    assert upload()
    assert not upload(filename="")
    assert not FileStorage()


def test_file_storage_defaults_to_empty_stream() -> None:
    fs = FileStorage()
    assert fs.read() == b""
    assert fs.filename is None


def test_file_storage_takes_filename_from_real_file(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b")
    with open(path, "rb") as handle:
        fs = FileStorage(handle)
        assert fs.filename == str(path)


def test_file_storage_ignores_pseudo_and_numeric_stream_names() -> None:
    class Named(io.BytesIO):
        def __init__(self, name: object) -> None:
            super().__init__(b"")
            self.name = name

    assert FileStorage(Named("<stdin>")).filename is None
    assert FileStorage(Named(3)).filename is None


def test_file_storage_close_closes_stream_and_ignores_errors() -> None:
    fs = upload()
    fs.close()
    assert fs.stream.closed

    class Broken(io.BytesIO):
        def close(self) -> None:
            raise OSError("already gone")

    FileStorage(Broken()).close()


def test_file_storage_repr() -> None:
    assert repr(upload(content_type="text/plain")) == "<FileStorage: 'hello.txt' ('text/plain')>"


def test_file_multidict_add_file_from_stream_guesses_content_type() -> None:
    files = FileMultiDict()
    files.add_file("doc", io.BytesIO(b"x"), filename="report.pdf")
    files.add_file("doc", io.BytesIO(b"y"), filename="blob.unknownext")
    first, second = files.getlist("doc")
    assert first.content_type == "application/pdf"
    assert first.name == "doc"
    assert second.content_type == "application/octet-stream"


def test_file_multidict_add_file_from_path_opens_it(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"notes")
    files = FileMultiDict()
    files.add_file("attachment", str(path))
    fs = files["attachment"]
    try:
        assert fs.filename == str(path)
        assert fs.mimetype == "text/plain"
        assert fs.read() == b"notes"
    finally:
        fs.close()


def test_file_multidict_add_file_keeps_file_storage_as_is() -> None:
    fs = upload()
    files = FileMultiDict()
    files.add_file("doc", fs)
    assert files["doc"] is fs


def test_file_multidict_explicit_content_type_wins() -> None:
    files = FileMultiDict()
    files.add_file("doc", io.BytesIO(b"x"), filename="a.txt", content_type="text/csv")
    assert files["doc"].content_type == "text/csv"
