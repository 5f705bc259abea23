"""Tests for tumbler.testing: EnvironBuilder, the WSGI/ASGI test client, cookies, redirects."""

from __future__ import annotations

import asyncio
import contextvars
import email.parser
import email.policy
import io
import json
import secrets
import sys
import threading
import time
import typing as t
from urllib.parse import parse_qsl

import click
import pytest

from tumbler.datastructures import FileStorage
from tumbler.datastructures import MultiDict
from tumbler.testing import PRESERVE_CONTEXT_KEY
from tumbler.testing import ClientRedirectError
from tumbler.testing import EnvironBuilder
from tumbler.testing import TestResponse
from tumbler.testing import TumblerClient
from tumbler.testing import TumblerCliRunner
from tumbler.testing import encode_multipart
from tumbler.testing import run_wsgi_app
from tumbler.wrappers import Response

# --------------------------------------------------------------------------------------------
# A bare application speaking both protocols, independent of Tumbler's pipeline
# --------------------------------------------------------------------------------------------

Handled = tuple[int, list[tuple[str, str]], list[bytes]]


class DualApp:
    """Answers the same requests over WSGI (2 args) and ASGI (3 args), like a Tumbler app.

    Routes:
      /redirect?to=URL&code=N   redirect
      /cookie?set=HEADER...     one Set-Cookie per ``set`` value, then echo
      /stream?n=N               N body chunks, streamed; records how many were produced
      anything else             JSON echo of the request
    """

    def __init__(self) -> None:
        self.produced = 0
        self.closed = False
        self.loops: list[int] = []
        self.receive_log: list[dict[str, t.Any]] = []
        self.chunk_marker = b"chunk"

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Handled:
        params = parse_qsl(query, keep_blank_values=True)
        if path.endswith("/redirect"):
            args = dict(params)
            location = args.get("to", path)  # no target: redirect to itself
            return int(args.get("code", "302")), [("Location", location)], [b"moved"]
        extra = [("Set-Cookie", value) for key, value in params if key == "set"]
        echo = {
            "method": method,
            "path": path,
            "query": query,
            "headers": headers,
            "body": body.decode("latin-1"),
        }
        data = json.dumps(echo).encode()
        return 200, [("Content-Type", "application/json"), *extra], [data]

    def stream_count(self, query: str) -> int:
        return int(dict(parse_qsl(query)).get("n", "3"))

    def __call__(self, a: t.Any, b: t.Any, c: t.Any = None) -> t.Any:
        if c is None:
            return self.wsgi(a, b)
        return self.asgi(a, b, c)

    # -- WSGI ---------------------------------------------------------------------------------

    def wsgi(self, environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        path = (environ["SCRIPT_NAME"] + environ["PATH_INFO"]).encode("latin-1").decode()
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if "CONTENT_TYPE" in environ:
            headers["content-type"] = environ["CONTENT_TYPE"]
        if "CONTENT_LENGTH" in environ:
            headers["content-length"] = environ["CONTENT_LENGTH"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if path.endswith("/stream"):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return self._wsgi_stream(self.stream_count(environ["QUERY_STRING"]))
        status, response_headers, chunks = self.handle(
            environ["REQUEST_METHOD"], path, environ["QUERY_STRING"], headers, body
        )
        start_response(f"{status} STATUS", response_headers)
        return chunks

    def _wsgi_stream(self, n: int) -> StreamBody:
        return StreamBody(self, n)

    # -- ASGI ---------------------------------------------------------------------------------

    async def asgi(self, scope: dict[str, t.Any], receive: t.Any, send: t.Any) -> None:
        assert scope["type"] == "http"
        self.loops.append(id(asyncio.get_running_loop()))
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = b""
        while True:
            message = await receive()
            self.receive_log.append(message)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope["query_string"].decode("latin-1")
        if scope["path"].endswith("/stream"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            try:
                for _ in range(self.stream_count(query)):
                    self.produced += 1
                    await send(
                        {"type": "http.response.body", "body": self.chunk_marker, "more_body": True}
                    )
                    await asyncio.sleep(0)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            finally:
                self.closed = True
            return
        status, response_headers, chunks = self.handle(
            scope["method"], scope["path"], query, headers, body
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in response_headers],
            }
        )
        await send({"type": "http.response.body", "body": b"".join(chunks)})
        self.receive_log.append(await receive())


class StreamBody:
    """A WSGI body iterable that counts what it produced and records close()."""

    def __init__(self, app: DualApp, n: int) -> None:
        self.app = app
        self.remaining = n

    def __iter__(self) -> StreamBody:
        return self

    def __next__(self) -> bytes:
        if self.remaining == 0:
            raise StopIteration
        self.remaining -= 1
        self.app.produced += 1
        return self.app.chunk_marker

    def close(self) -> None:
        self.app.closed = True


@pytest.fixture
def app() -> DualApp:
    return DualApp()


@pytest.fixture(params=["wsgi", "asgi"])
def client(request: pytest.FixtureRequest, app: DualApp) -> t.Iterator[TumblerClient]:
    c = TumblerClient(app, asgi=request.param == "asgi")
    yield c
    c.close()


def echo(response: TestResponse) -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], json.loads(response.get_data()))


class FakeJSON:
    """Stands in for an app's JSON provider."""

    def dumps(self, obj: t.Any, **kw: t.Any) -> str:
        return "custom:" + json.dumps(obj)

    def loads(self, s: str | bytes, **kw: t.Any) -> t.Any:
        return json.loads(s)


class ConfiguredApp:
    """An object with the attributes EnvironBuilder reads from a Tumbler app."""

    def __init__(self, **config: t.Any) -> None:
        self.config = {"SERVER_NAME": None, "APPLICATION_ROOT": "/", "PREFERRED_URL_SCHEME": "http"}
        self.config.update(config)
        self.json = FakeJSON()


def parse_multipart(environ: dict[str, t.Any]) -> list[t.Any]:
    body = environ["wsgi.input"].read()
    raw = f"Content-Type: {environ['CONTENT_TYPE']}\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    return list(message.iter_parts())


# --------------------------------------------------------------------------------------------
# EnvironBuilder: the WSGI environ
# --------------------------------------------------------------------------------------------


def test_environ_path_info_is_utf8_bytes_carried_as_latin1() -> None:
    environ = EnvironBuilder(path="/caf\u00e9/x%20y").get_environ()
    assert environ["PATH_INFO"] == "/caf\u00e9/x y".encode().decode("latin-1")
    assert environ["REQUEST_URI"] == "/caf%C3%A9/x%20y"


def test_environ_defaults_to_localhost_http_and_loopback_client() -> None:
    environ = EnvironBuilder().get_environ()
    assert environ["SERVER_NAME"] == "localhost"
    assert environ["SERVER_PORT"] == "80"
    assert environ["HTTP_HOST"] == "localhost"
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["SCRIPT_NAME"] == ""
    assert environ["PATH_INFO"] == "/"
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["wsgi.version"] == (1, 0)
    assert environ["wsgi.multithread"] is False
    assert environ["wsgi.input"].read() == b""
    assert "CONTENT_LENGTH" not in environ


def test_environ_uses_app_server_name_application_root_and_preferred_scheme() -> None:
    app = ConfiguredApp(
        SERVER_NAME="example.com:8443", APPLICATION_ROOT="/app", PREFERRED_URL_SCHEME="https"
    )
    environ = EnvironBuilder(app, "/page").get_environ()
    assert environ["HTTP_HOST"] == "example.com:8443"
    assert environ["SERVER_NAME"] == "example.com"
    assert environ["SERVER_PORT"] == "8443"
    assert environ["SCRIPT_NAME"] == "/app"
    assert environ["PATH_INFO"] == "/page"
    assert environ["wsgi.url_scheme"] == "https"


def test_subdomain_is_prefixed_to_the_default_host() -> None:
    app = ConfiguredApp(SERVER_NAME="example.com")
    assert EnvironBuilder(app, subdomain="api").get_environ()["HTTP_HOST"] == "api.example.com"


def test_url_scheme_argument_overrides_preferred_scheme() -> None:
    environ = EnvironBuilder(url_scheme="https").get_environ()
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["SERVER_PORT"] == "443"


def test_base_url_with_subdomain_raises_value_error() -> None:
    with pytest.raises(ValueError, match="subdomain"):
        EnvironBuilder(base_url="http://x/", subdomain="a")


def test_full_url_as_path_sets_scheme_host_and_query() -> None:
    environ = EnvironBuilder(path="https://other.test:8000/p?q=1").get_environ()
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["HTTP_HOST"] == "other.test:8000"
    assert environ["PATH_INFO"] == "/p"
    assert environ["QUERY_STRING"] == "q=1"


def test_base_url_sets_script_name() -> None:
    environ = EnvironBuilder(path="/x", base_url="http://h.test/root/").get_environ()
    assert environ["SCRIPT_NAME"] == "/root"
    assert environ["PATH_INFO"] == "/x"
    assert environ["HTTP_HOST"] == "h.test"


def test_ipv6_host_keeps_brackets_in_server_name() -> None:
    environ = EnvironBuilder(base_url="http://[::1]:5000/").get_environ()
    assert environ["SERVER_NAME"] == "[::1]"
    assert environ["SERVER_PORT"] == "5000"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"a": "1", "b": ["x", "y"]}, "a=1&b=x&b=y"),
        (MultiDict([("k", "v w"), ("k", "\u00e9")]), "k=v+w&k=%C3%A9"),
        ("a=1&b=2", "a=1&b=2"),
        ("name=caf\u00e9", "name=caf%C3%A9"),
        (b"raw=%FF", "raw=%FF"),
    ],
)
def test_query_string_accepts_dict_multidict_str_and_bytes(query: t.Any, expected: str) -> None:
    assert EnvironBuilder(query_string=query).get_environ()["QUERY_STRING"] == expected


def test_query_string_in_path_and_as_argument_raises_value_error() -> None:
    with pytest.raises(ValueError, match="Query string"):
        EnvironBuilder(path="/?a=1", query_string={"b": "2"})


def test_headers_become_http_keys_without_duplicating_content_type() -> None:
    environ = EnvironBuilder(
        headers={"X-Token": "abc", "Content-Type": "text/csv"}, data=b"a,b"
    ).get_environ()
    assert environ["HTTP_X_TOKEN"] == "abc"
    assert environ["CONTENT_TYPE"] == "text/csv"
    assert "HTTP_CONTENT_TYPE" not in environ
    assert environ["CONTENT_LENGTH"] == "3"


def test_repeated_headers_are_joined_with_commas() -> None:
    environ = EnvironBuilder(headers=[("Accept", "a/b"), ("Accept", "c/d")]).get_environ()
    assert environ["HTTP_ACCEPT"] == "a/b, c/d"


def test_auth_tuple_sets_basic_authorization_header() -> None:
    environ = EnvironBuilder(auth=("user", "p\u00e4ss")).get_environ()
    assert environ["HTTP_AUTHORIZATION"] == "Basic dXNlcjpww6Rzcw=="


def test_environ_overrides_win_over_everything_and_environ_base_loses() -> None:
    environ = EnvironBuilder(
        environ_base={"REMOTE_ADDR": "10.0.0.1", "REQUEST_METHOD": "BASE", "custom": 1},
        environ_overrides={"SERVER_PORT": "9999"},
    ).get_environ()
    assert environ["REMOTE_ADDR"] == "10.0.0.1"
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["custom"] == 1
    assert environ["SERVER_PORT"] == "9999"


def test_each_get_environ_call_has_a_fresh_input_stream() -> None:
    builder = EnvironBuilder(data=b"payload")
    assert builder.get_environ()["wsgi.input"].read() == b"payload"
    assert builder.get_environ()["wsgi.input"].read() == b"payload"


# --------------------------------------------------------------------------------------------
# EnvironBuilder: bodies
# --------------------------------------------------------------------------------------------


def test_str_data_is_encoded_and_sized() -> None:
    environ = EnvironBuilder(method="POST", data="h\u00e9").get_environ()
    assert environ["wsgi.input"].read() == "h\u00e9".encode()
    assert environ["CONTENT_LENGTH"] == "3"
    assert "CONTENT_TYPE" not in environ


def test_dict_data_without_files_is_urlencoded() -> None:
    environ = EnvironBuilder(
        method="POST", data={"name": "a b", "tags": ["x", "y"], "n": 3}
    ).get_environ()
    assert environ["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    body = environ["wsgi.input"].read()
    assert body == b"name=a+b&tags=x&tags=y&n=3"
    assert environ["CONTENT_LENGTH"] == str(len(body))


def test_json_is_serialized_with_the_stdlib_without_an_app() -> None:
    environ = EnvironBuilder(method="POST", json={"a": [1, 2]}).get_environ()
    assert environ["CONTENT_TYPE"] == "application/json"
    assert json.loads(environ["wsgi.input"].read()) == {"a": [1, 2]}


def test_json_is_serialized_with_the_app_json_provider() -> None:
    environ = EnvironBuilder(ConfiguredApp(), method="POST", json={"a": 1}).get_environ()
    assert environ["wsgi.input"].read() == b'custom:{"a": 1}'


def test_json_keeps_an_explicit_content_type() -> None:
    environ = EnvironBuilder(json=[1], content_type="application/vnd.x+json").get_environ()
    assert environ["CONTENT_TYPE"] == "application/vnd.x+json"


def test_json_and_data_together_raise_type_error() -> None:
    with pytest.raises(TypeError, match="json and data"):
        EnvironBuilder(json={}, data="x")


def test_data_and_input_stream_together_raise_type_error() -> None:
    with pytest.raises(TypeError, match="input stream"):
        EnvironBuilder(data="x", input_stream=io.BytesIO(b"y"))


def test_mimetype_adds_charset_for_text_types() -> None:
    environ = EnvironBuilder(data="x", mimetype="text/plain").get_environ()
    assert environ["CONTENT_TYPE"] == "text/plain; charset=utf-8"


def test_file_tuple_makes_a_multipart_body_with_filename_and_type() -> None:
    environ = EnvironBuilder(
        method="POST",
        data={
            "title": "hello",
            "upload": (io.BytesIO(b"\x00binary"), "data.bin", "application/x-custom"),
        },
    ).get_environ()
    assert environ["CONTENT_TYPE"].startswith('multipart/form-data; boundary="')
    title, upload = parse_multipart(environ)
    assert title.get_param("name", header="content-disposition") == "title"
    assert title.get_payload(decode=True) == b"hello"
    assert upload.get_filename() == "data.bin"
    assert upload.get_content_type() == "application/x-custom"
    assert upload.get_payload(decode=True) == b"\x00binary"


def test_file_content_type_is_guessed_from_the_filename() -> None:
    environ = EnvironBuilder(data={"f": (b"<p>", "page.html")}).get_environ()
    (part,) = parse_multipart(environ)
    assert part.get_content_type() == "text/html"


def test_file_without_known_type_is_octet_stream() -> None:
    environ = EnvironBuilder(data={"f": (io.BytesIO(b"x"), "blob.zzz-unknown")}).get_environ()
    (part,) = parse_multipart(environ)
    assert part.get_content_type() == "application/octet-stream"


def test_file_storage_value_is_sent_as_a_file_part() -> None:
    storage = FileStorage(io.BytesIO(b"csv"), filename="a.csv", content_type="text/csv")
    environ = EnvironBuilder(data={"doc": storage}).get_environ()
    (part,) = parse_multipart(environ)
    assert part.get_filename() == "a.csv"
    assert part.get_content_type() == "text/csv"
    assert part.get_payload(decode=True) == b"csv"


def test_plain_file_object_uses_its_base_name(tmp_path: t.Any) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(b"contents")
    with path.open("rb") as fh:
        environ = EnvironBuilder(data={"f": fh}).get_environ()
    (part,) = parse_multipart(environ)
    assert part.get_filename() == "report.txt"
    assert part.get_payload(decode=True) == b"contents"


def test_list_of_files_under_one_name_sends_every_file() -> None:
    environ = EnvironBuilder(
        data={"f": [(io.BytesIO(b"1"), "a.txt"), (io.BytesIO(b"2"), "b.txt")]}
    ).get_environ()
    assert [p.get_filename() for p in parse_multipart(environ)] == ["a.txt", "b.txt"]


def test_multipart_quotes_dangerous_characters_in_names() -> None:
    _, body = encode_multipart(
        [('fi"eld', "v")], [("f", FileStorage(io.BytesIO(b""), filename='a"\r\nb.txt'))]
    )
    assert b'name="fi%22eld"' in body
    assert b'filename="a%22%0D%0Ab.txt"' in body


def test_malformed_file_tuple_raises_type_error() -> None:
    with pytest.raises(TypeError, match="File tuple"):
        EnvironBuilder(data={"f": (io.BytesIO(b""), "a", "b/c", "extra")})


def test_multipart_boundary_is_random_per_body() -> None:
    first, _ = encode_multipart([("a", "1")])
    second, _ = encode_multipart([("a", "1")])
    assert first != second


def test_explicit_multipart_boundary_is_used_as_given() -> None:
    boundary, body = encode_multipart([("a", "1")], boundary="fixed-boundary")
    assert boundary == "fixed-boundary"
    assert body.startswith(b"--fixed-boundary\r\n")
    assert body.endswith(b"--fixed-boundary--\r\n")


def test_random_boundary_is_chosen_again_when_it_occurs_in_the_content(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = iter(["aaaa", "bbbb"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(tokens))
    boundary, _ = encode_multipart([("a", "text --TumblerFormBoundaryaaaa text")])
    assert boundary == "TumblerFormBoundarybbbb"


def test_form_with_multipart_content_type_is_encoded_as_multipart() -> None:
    environ = EnvironBuilder(data={"a": "1"}, content_type="multipart/form-data").get_environ()
    (part,) = parse_multipart(environ)
    assert part.get_payload(decode=True) == b"1"


# --------------------------------------------------------------------------------------------
# EnvironBuilder: ASGI scope and round trips
# --------------------------------------------------------------------------------------------


def test_scope_has_lowercase_byte_headers_with_host_first() -> None:
    scope, body = EnvironBuilder(
        method="POST", headers={"X-Token": "abc"}, json={"a": 1}
    ).get_scope()
    assert scope["headers"][0] == (b"host", b"localhost")
    headers = dict(scope["headers"])
    assert headers[b"x-token"] == b"abc"
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"content-length"] == str(len(body)).encode()
    assert json.loads(body) == {"a": 1}


def test_scope_path_is_decoded_and_includes_root_path() -> None:
    scope, _ = EnvironBuilder(
        path="/caf%C3%A9/a%2Fb", base_url="https://example.com:8443/root/"
    ).get_scope()
    assert scope["type"] == "http"
    assert scope["path"] == "/root/caf\u00e9/a/b"
    assert scope["root_path"] == "/root"
    assert scope["raw_path"] == b"/root/caf%C3%A9/a%2Fb"
    assert scope["scheme"] == "https"
    assert scope["server"] == ("example.com", 8443)
    assert scope["http_version"] == "1.1"
    assert scope["asgi"]["version"] == "3.0"


def test_scope_query_string_is_bytes_and_client_is_loopback() -> None:
    scope, _ = EnvironBuilder(query_string={"q": "a b"}).get_scope()
    assert scope["query_string"] == b"q=a+b"
    assert scope["client"][0] == "127.0.0.1"
    assert isinstance(scope["client"][1], int)


def test_scope_carries_the_preserve_context_callback() -> None:
    marker: list[t.Any] = []
    scope, _ = EnvironBuilder(environ_base={PRESERVE_CONTEXT_KEY: marker.append}).get_scope()
    assert scope[PRESERVE_CONTEXT_KEY] == marker.append


def test_from_environ_round_trips_the_request() -> None:
    original = EnvironBuilder(
        path="/caf\u00e9",
        base_url="https://h.test/root",
        query_string="a=1",
        method="PUT",
        headers={"X-A": "b"},
        data=b"body",
        environ_base={"custom.key": 5},
    ).get_environ()
    rebuilt = EnvironBuilder.from_environ(original).get_environ()
    for key in ("PATH_INFO", "SCRIPT_NAME", "QUERY_STRING", "REQUEST_METHOD", "HTTP_HOST"):
        assert rebuilt[key] == original[key]
    assert rebuilt["HTTP_X_A"] == "b"
    assert rebuilt["custom.key"] == 5
    assert rebuilt["wsgi.url_scheme"] == "https"


# --------------------------------------------------------------------------------------------
# Client: requests over WSGI and ASGI
# --------------------------------------------------------------------------------------------


def test_client_sends_method_path_query_and_body(client: TumblerClient) -> None:
    response = client.post("/items?x=1", data=b"payload", headers={"X-Trace": "t1"})
    assert response.status_code == 200
    data = echo(response)
    assert data["method"] == "POST"
    assert data["path"] == "/items"
    assert data["query"] == "x=1"
    assert data["body"] == "payload"
    assert data["headers"]["x-trace"] == "t1"
    assert data["headers"]["host"] == "localhost"


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "patch", "options", "trace"])
def test_client_method_helpers_send_their_method(client: TumblerClient, method: str) -> None:
    response = getattr(client, method)("/")
    assert echo(response)["method"] == method.upper()


def test_client_head_request_has_head_method(client: TumblerClient) -> None:
    assert client.head("/").status_code == 200


def test_client_sends_a_user_agent_and_loopback_remote_addr() -> None:
    environ: dict[str, t.Any] = {}

    def capture(env: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        environ.update(env)
        start_response("204 No Content", [])
        return []

    TumblerClient(capture).get("/")
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["HTTP_USER_AGENT"].startswith("Tumbler/")


def test_client_environ_base_is_merged_under_per_request_environ_base() -> None:
    seen: dict[str, t.Any] = {}

    def capture(env: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        seen.update(env)
        start_response("200 OK", [])
        return [b""]

    c = TumblerClient(capture)
    c.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    c.environ_base["HTTP_X_DEFAULT"] = "d"
    c.get("/", environ_base={"HTTP_X_DEFAULT": "override"})
    assert seen["REMOTE_ADDR"] == "10.1.1.1"
    assert seen["HTTP_X_DEFAULT"] == "override"


def test_client_json_body_and_response_json(client: TumblerClient) -> None:
    response = client.post("/", json={"n": 1})
    assert response.mimetype == "application/json"
    assert json.loads(response.json["body"]) == {"n": 1}
    assert response.get_json()["headers"]["content-type"] == "application/json"


def test_client_multipart_upload_reaches_the_app(client: TumblerClient) -> None:
    response = client.post("/", data={"f": (io.BytesIO(b"file-bytes"), "a.txt")})
    data = echo(response)
    assert data["headers"]["content-type"].startswith("multipart/form-data")
    assert "file-bytes" in data["body"]
    assert 'filename="a.txt"' in data["body"]


def test_response_text_decodes_the_body(client: TumblerClient) -> None:
    assert '"method": "GET"' in client.get("/").text


def test_response_wrapper_mixes_test_response_into_the_given_class(app: DualApp) -> None:
    class AppResponse(Response):
        def shout(self) -> str:
            return "hi"

    response = TumblerClient(app, AppResponse).get("/")
    assert isinstance(response, AppResponse)
    assert isinstance(response, TestResponse)
    assert response.shout() == "hi"


def test_response_request_describes_the_sent_request(client: TumblerClient) -> None:
    response = client.post("/caf\u00e9?x=1", data={"k": "v"})
    request = response.request
    assert request.method == "POST"
    assert request.path == "/caf\u00e9"
    assert request.args["x"] == "1"
    # The app consumed its own copy of the body; the request's copy is still readable.
    assert request.form["k"] == "v"


def test_environ_builder_get_request_builds_a_request() -> None:
    request = EnvironBuilder(path="/p", query_string={"a": "b"}, headers={"X-Y": "z"}).get_request()
    assert request.path == "/p"
    assert request.args["a"] == "b"
    assert request.headers["X-Y"] == "z"


def test_client_opens_an_environ_builder(client: TumblerClient) -> None:
    builder = EnvironBuilder(path="/built", method="PATCH")
    assert echo(client.open(builder))["method"] == "PATCH"


def test_client_opens_an_environ_dict(client: TumblerClient) -> None:
    environ = EnvironBuilder(path="/from-env", query_string="z=9").get_environ()
    data = echo(client.open(environ))
    assert data["path"] == "/from-env"
    assert data["query"] == "z=9"


# --------------------------------------------------------------------------------------------
# Client: cookies
# --------------------------------------------------------------------------------------------


def test_cookie_set_by_a_response_is_sent_back(client: TumblerClient) -> None:
    client.get("/cookie", query_string={"set": "sid=abc; Path=/"})
    assert echo(client.get("/"))["headers"]["cookie"] == "sid=abc"
    cookie = client.get_cookie("sid")
    assert cookie is not None
    assert cookie.value == "abc"


def test_cookie_with_max_age_zero_is_deleted(client: TumblerClient) -> None:
    client.get("/cookie", query_string={"set": "sid=abc"})
    client.get("/cookie", query_string={"set": "sid=; Max-Age=0"})
    assert client.get_cookie("sid") is None
    assert "cookie" not in echo(client.get("/"))["headers"]


def test_cookie_with_past_expires_is_deleted(client: TumblerClient) -> None:
    client.get("/cookie", query_string={"set": "sid=abc"})
    client.get("/cookie", query_string={"set": "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"})
    assert client.get_cookie("sid") is None


def test_cookie_stops_being_sent_after_max_age_elapses(
    client: TumblerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.get("/cookie", query_string={"set": "sid=abc; Max-Age=60"})
    assert client.get_cookie("sid") is not None
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    assert "cookie" not in echo(client.get("/"))["headers"]
    assert client.get_cookie("sid") is None


def test_max_age_takes_precedence_over_expires(client: TumblerClient) -> None:
    client.get(
        "/cookie",
        query_string={"set": "sid=abc; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT"},
    )
    cookie = client.get_cookie("sid")
    assert cookie is not None
    assert cookie.max_age == 60
    assert cookie.expires is not None
    assert 0 < cookie.expires.timestamp() - time.time() <= 60


def test_cookie_path_scopes_which_requests_receive_it(client: TumblerClient) -> None:
    client.get("/cookie", query_string={"set": "adm=1; Path=/admin"})
    assert client.get_cookie("adm", path="/admin") is not None
    assert "cookie" not in echo(client.get("/other"))["headers"]
    assert "cookie" not in echo(client.get("/administrator"))["headers"]
    assert echo(client.get("/admin"))["headers"]["cookie"] == "adm=1"
    assert echo(client.get("/admin/users"))["headers"]["cookie"] == "adm=1"


def test_cookie_without_path_defaults_to_the_request_directory(client: TumblerClient) -> None:
    client.get("/shop/cart/cookie", query_string={"set": "c=1"})
    assert client.get_cookie("c", path="/shop/cart") is not None
    assert "cookie" not in echo(client.get("/shop"))["headers"]


def test_longer_cookie_paths_are_sent_first(client: TumblerClient) -> None:
    client.get("/cookie", query_string={"set": "a=root; Path=/"})
    client.get("/cookie", query_string={"set": "b=deep; Path=/x"})
    assert echo(client.get("/x/y"))["headers"]["cookie"] == "b=deep; a=root"


def test_host_only_cookie_is_not_sent_to_subdomains(client: TumblerClient) -> None:
    client.get("http://example.com/cookie", query_string={"set": "h=1"})
    assert echo(client.get("http://example.com/"))["headers"]["cookie"] == "h=1"
    assert "cookie" not in echo(client.get("http://sub.example.com/"))["headers"]
    assert "cookie" not in echo(client.get("http://other.com/"))["headers"]


def test_domain_cookie_is_sent_to_subdomains(client: TumblerClient) -> None:
    client.get("http://example.com/cookie", query_string={"set": "d=1; Domain=.example.com"})
    assert echo(client.get("http://sub.example.com/"))["headers"]["cookie"] == "d=1"
    assert "cookie" not in echo(client.get("http://notexample.com/"))["headers"]


def test_cookie_for_a_foreign_domain_is_rejected(client: TumblerClient) -> None:
    client.get("http://example.com/cookie", query_string={"set": "x=1; Domain=evil.test"})
    assert client.get_cookie("x", domain="evil.test") is None
    assert client.get_cookie("x", domain="example.com") is None


def test_secure_cookie_is_only_sent_over_https(client: TumblerClient) -> None:
    client.get("https://example.com/cookie", query_string={"set": "s=1; Secure"})
    assert "cookie" not in echo(client.get("http://example.com/"))["headers"]
    assert echo(client.get("https://example.com/"))["headers"]["cookie"] == "s=1"


def test_secure_cookie_set_over_plain_http_is_ignored(client: TumblerClient) -> None:
    client.get("http://example.com/cookie", query_string={"set": "s=1; Secure"})
    assert client.get_cookie("s", domain="example.com") is None


def test_secure_cookie_works_on_localhost_over_http_like_browsers(client: TumblerClient) -> None:
    client.get("/cookie", query_string={"set": "s=1; Secure; HttpOnly; SameSite=Lax"})
    cookie = client.get_cookie("s")
    assert cookie is not None
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"
    assert echo(client.get("/"))["headers"]["cookie"] == "s=1"


def test_malformed_set_cookie_headers_are_ignored(client: TumblerClient) -> None:
    client.get("/cookie", query_string=MultiDict([("set", "novalue"), ("set", "=empty-name")]))
    assert "cookie" not in echo(client.get("/"))["headers"]


def test_set_cookie_and_delete_cookie_manage_the_jar(client: TumblerClient) -> None:
    client.set_cookie("manual", "v 1")
    cookie = client.get_cookie("manual")
    assert cookie is not None
    assert cookie.decoded_value == "v 1"
    assert "manual=" in echo(client.get("/"))["headers"]["cookie"]
    client.delete_cookie("manual")
    assert client.get_cookie("manual") is None
    assert "cookie" not in echo(client.get("/"))["headers"]


def test_set_cookie_with_origin_only_false_reaches_subdomains(client: TumblerClient) -> None:
    client.set_cookie("wide", "1", domain="example.com", origin_only=False)
    assert echo(client.get("http://a.example.com/"))["headers"]["cookie"] == "wide=1"


def test_explicit_cookie_header_is_kept_alongside_the_jar(client: TumblerClient) -> None:
    client.set_cookie("jar", "1")
    response = client.get("/", headers={"Cookie": "explicit=2"})
    assert echo(response)["headers"]["cookie"] == "explicit=2; jar=1"


def test_disabled_cookies_are_not_stored_and_cookie_api_raises(app: DualApp) -> None:
    c = TumblerClient(app, use_cookies=False)
    c.get("/cookie", query_string={"set": "sid=abc"})
    assert "cookie" not in echo(c.get("/"))["headers"]
    with pytest.raises(TypeError, match="use_cookies=True"):
        c.get_cookie("sid")


# --------------------------------------------------------------------------------------------
# Client: redirects
# --------------------------------------------------------------------------------------------


def test_redirect_is_returned_unfollowed_by_default(client: TumblerClient) -> None:
    response = client.get("/redirect", query_string={"to": "/target"})
    assert response.status_code == 302
    assert response.location == "/target"
    assert response.history == ()


def test_follow_redirects_records_history(client: TumblerClient) -> None:
    to_second = "/redirect?to=/final%3Fdone%3D1&code=301"
    response = client.get(
        "/redirect", query_string={"to": to_second, "code": "302"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert echo(response)["path"] == "/final"
    assert echo(response)["query"] == "done=1"
    assert [r.status_code for r in response.history] == [302, 301]
    assert response.history[1].history == (response.history[0],)


@pytest.mark.parametrize("code", ["301", "302", "303"])
def test_redirect_after_post_becomes_get_without_body(client: TumblerClient, code: str) -> None:
    response = client.post(
        "/redirect",
        query_string={"to": "/next", "code": code},
        data={"field": "value"},
        follow_redirects=True,
    )
    data = echo(response)
    assert data["method"] == "GET"
    assert data["body"] == ""
    assert "content-type" not in data["headers"]


@pytest.mark.parametrize("code", ["307", "308"])
def test_307_and_308_keep_method_and_body(client: TumblerClient, code: str) -> None:
    response = client.post(
        "/redirect",
        query_string={"to": "/next", "code": code},
        data={"field": "value"},
        follow_redirects=True,
    )
    data = echo(response)
    assert data["method"] == "POST"
    assert data["body"] == "field=value"
    assert data["headers"]["content-type"] == "application/x-www-form-urlencoded"


def test_307_keeps_a_multipart_upload_body(client: TumblerClient) -> None:
    response = client.post(
        "/redirect",
        query_string={"to": "/next", "code": "307"},
        data={"f": (io.BytesIO(b"file-bytes"), "a.txt")},
        follow_redirects=True,
    )
    data = echo(response)
    assert data["headers"]["content-type"].startswith("multipart/form-data")
    assert "file-bytes" in data["body"]


def test_307_rewinds_a_seekable_input_stream(client: TumblerClient) -> None:
    response = client.post(
        "/redirect",
        query_string={"to": "/next", "code": "307"},
        input_stream=io.BytesIO(b"streamed"),
        content_length=8,
        follow_redirects=True,
    )
    assert echo(response)["body"] == "streamed"


def test_head_redirect_stays_head(client: TumblerClient) -> None:
    response = client.head("/redirect", query_string={"to": "/x"}, follow_redirects=True)
    assert response.status_code == 200
    assert echo(response)["method"] == "HEAD"


def test_relative_redirect_location_is_resolved_against_the_request(client: TumblerClient) -> None:
    response = client.get("/dir/redirect", query_string={"to": "sibling"}, follow_redirects=True)
    assert echo(response)["path"] == "/dir/sibling"


def test_absolute_redirect_to_the_same_host_is_followed(client: TumblerClient) -> None:
    response = client.get(
        "/redirect", query_string={"to": "http://localhost/abs"}, follow_redirects=True
    )
    assert echo(response)["path"] == "/abs"


def test_redirect_to_another_host_raises(client: TumblerClient) -> None:
    with pytest.raises(RuntimeError, match="external redirects"):
        client.get("/redirect", query_string={"to": "http://evil.test/"}, follow_redirects=True)


def test_redirect_to_a_subdomain_needs_permission(app: DualApp) -> None:
    target = {"to": "http://api.example.com/x"}
    with pytest.raises(RuntimeError, match="subdomain"):
        TumblerClient(app).get(
            "http://example.com/redirect", query_string=target, follow_redirects=True
        )
    allowed = TumblerClient(app, allow_subdomain_redirects=True)
    response = allowed.get(
        "http://example.com/redirect", query_string=target, follow_redirects=True
    )
    assert echo(response)["headers"]["host"] == "api.example.com"


def test_redirect_loop_raises_client_redirect_error(client: TumblerClient) -> None:
    with pytest.raises(ClientRedirectError, match="Loop detected"):
        client.get(
            "/redirect", query_string={"to": "/redirect?to=/redirect"}, follow_redirects=True
        )


def test_redirect_outside_the_script_root_drops_it(client: TumblerClient) -> None:
    response = client.get(
        "/redirect",
        base_url="http://localhost/app/",
        query_string={"to": "/app/inside"},
        follow_redirects=True,
    )
    assert echo(response)["path"] == "/app/inside"
    response = client.get(
        "/redirect",
        base_url="http://localhost/app/",
        query_string={"to": "/elsewhere"},
        follow_redirects=True,
    )
    assert echo(response)["path"] == "/elsewhere"


def test_cookies_set_during_redirects_are_sent_on_the_next_hop(client: TumblerClient) -> None:
    client.get("/cookie", query_string={"set": "hop=1"})
    response = client.get("/redirect", query_string={"to": "/final"}, follow_redirects=True)
    assert echo(response)["headers"]["cookie"] == "hop=1"


# --------------------------------------------------------------------------------------------
# Client: streaming and protocol details
# --------------------------------------------------------------------------------------------


def test_unbuffered_streaming_body_is_pulled_lazily(client: TumblerClient, app: DualApp) -> None:
    response = client.get("/stream", query_string={"n": "5"})
    produced_before = app.produced
    assert produced_before < 5
    chunks = list(response.iter_encoded())
    assert b"".join(chunks) == b"chunk" * 5
    assert app.produced == 5


def test_buffered_response_reads_everything_and_closes(client: TumblerClient, app: DualApp) -> None:
    response = client.get("/stream", query_string={"n": "4"}, buffered=True)
    assert app.produced == 4
    assert app.closed
    assert response.get_data() == b"chunk" * 4


def test_closing_an_unread_stream_stops_the_app(client: TumblerClient, app: DualApp) -> None:
    response = client.get("/stream", query_string={"n": "1000"})
    response.close()
    assert app.closed
    assert app.produced < 1000


def test_one_client_serves_many_threads_each_with_its_own_answer(client: TumblerClient) -> None:
    results: dict[int, str] = {}

    def worker(n: int) -> None:
        results[n] = echo(client.get("/", query_string={"n": str(n)}))["query"]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: f"n={n}" for n in range(16)}


def test_asgi_body_is_fed_in_chunks_with_more_body(app: DualApp) -> None:
    c = TumblerClient(app, asgi=True)
    c.asgi_chunk_size = 4
    response = c.post("/", data=b"0123456789")
    assert echo(response)["body"] == "0123456789"
    requests = [m for m in app.receive_log if m["type"] == "http.request"]
    assert [m["body"] for m in requests] == [b"0123", b"4567", b"89"]
    assert [m["more_body"] for m in requests] == [True, True, False]
    c.close()


def test_asgi_disconnect_is_reported_only_after_the_response(app: DualApp) -> None:
    c = TumblerClient(app, asgi=True)
    c.get("/")
    assert app.receive_log[-1] == {"type": "http.disconnect"}
    c.close()


def test_asgi_disconnect_waits_until_the_last_message_is_handed_over() -> None:
    events: list[str] = []

    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        # A disconnect watcher, as frameworks run to cancel work for departed clients.
        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            events.append("disconnect")

        watcher = asyncio.get_running_loop().create_task(watch())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.body", "body": b"b"})
        events.append("sent")
        await watcher

    response = TumblerClient(app, asgi=True).get("/")
    assert response.get_data() == b"ab"
    assert events == ["sent", "disconnect"]


def test_asgi_client_reuses_one_event_loop(app: DualApp) -> None:
    c = TumblerClient(app, asgi=True)
    c.get("/")
    c.get("/")
    c.get("/stream")
    assert len(set(app.loops)) == 1
    c.close()


def test_asgi_app_sees_the_callers_context_variables() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[str] = []

    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        seen.append(var.get())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    c = TumblerClient(app, asgi=True)
    token = var.set("from-test")
    try:
        c.get("/")
    finally:
        var.reset(token)
    c.get("/")
    assert seen == ["from-test", "unset"]
    c.close()


def test_asgi_app_exception_propagates_to_the_test() -> None:
    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        TumblerClient(app, asgi=True).get("/")


def test_asgi_app_returning_without_response_raises() -> None:
    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        return None

    with pytest.raises(RuntimeError, match="without sending a response"):
        TumblerClient(app, asgi=True).get("/")


def test_asgi_body_before_start_is_a_protocol_error() -> None:
    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        await send({"type": "http.response.body", "body": b"x"})

    with pytest.raises(RuntimeError, match=r"before 'http\.response\.start'"):
        TumblerClient(app, asgi=True).get("/")


def test_asgi_client_refuses_to_run_inside_a_running_loop(app: DualApp) -> None:
    c = TumblerClient(app, asgi=True)

    async def inside() -> None:
        c.get("/")

    with pytest.raises(RuntimeError, match="running event loop"):
        asyncio.run(inside())


def test_asgi_response_headers_are_decoded() -> None:
    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"x-a", b"1"), (b"x-a", b"2"), (b"content-type", b"text/plain")],
            }
        )
        await send({"type": "http.response.body", "body": b"made"})

    response = TumblerClient(app, asgi=True).post("/")
    assert response.status_code == 201
    assert response.headers.getlist("X-A") == ["1", "2"]
    assert response.text == "made"


def test_wsgi_start_response_deferred_until_iteration_is_supported() -> None:
    def app(environ: t.Any, start_response: t.Any) -> t.Iterator[bytes]:
        start_response("202 Accepted", [("X-Lazy", "yes")])
        yield b"late"

    response = TumblerClient(app).get("/")
    assert response.status_code == 202
    assert response.headers["X-Lazy"] == "yes"
    assert response.get_data() == b"late"


def test_wsgi_app_that_never_calls_start_response_raises() -> None:
    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        return [b"x"]

    with pytest.raises(RuntimeError, match="start_response"):
        TumblerClient(app).get("/")


def test_wsgi_write_callable_output_comes_first() -> None:
    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        write = start_response("200 OK", [])
        write(b"written-")
        return [b"returned"]

    assert TumblerClient(app).get("/", buffered=True).get_data() == b"written-returned"


def test_wsgi_app_iterable_close_is_called_after_reading() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> t.Iterator[bytes]:
            yield b"data"

        def close(self) -> None:
            closed.append(True)

    def app(environ: t.Any, start_response: t.Any) -> Body:
        start_response("200 OK", [])
        return Body()

    response = TumblerClient(app).get("/")
    assert response.get_data() == b"data"
    response.close()
    assert closed == [True]


def test_wsgi_exception_propagates_to_the_test() -> None:
    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        raise LookupError("nope")

    with pytest.raises(LookupError, match="nope"):
        TumblerClient(app).get("/")


def test_run_wsgi_app_returns_body_status_and_headers() -> None:
    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        start_response("201 CREATED", [("X-Path", environ["PATH_INFO"])])
        return [b"made"]

    body, status, headers = run_wsgi_app(app, EnvironBuilder(path="/p").get_environ())
    assert (list(body), status, headers["X-Path"]) == ([b"made"], "201 CREATED", "/p")


def test_run_wsgi_app_buffered_closes_the_iterable_before_returning() -> None:
    closed: list[bool] = []

    def app(environ: t.Any, start_response: t.Any) -> t.Iterator[bytes]:
        start_response("200 OK", [])
        try:
            yield b"a"
        finally:
            closed.append(True)

    body, _, _ = run_wsgi_app(app, EnvironBuilder().get_environ(), buffered=True)
    assert closed == [True]
    assert body == [b"a"]


def test_run_wsgi_app_closes_the_iterable_when_start_response_is_missing() -> None:
    closed: list[bool] = []

    def app(environ: t.Any, start_response: t.Any) -> t.Iterator[bytes]:
        try:
            yield b"x"
        finally:
            closed.append(True)

    with pytest.raises(RuntimeError, match="start_response"):
        run_wsgi_app(app, EnvironBuilder().get_environ())
    assert closed == [True]


def test_run_wsgi_app_start_response_twice_without_exc_info_raises() -> None:
    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        start_response("200 OK", [])
        start_response("500 ERROR", [])
        return []

    with pytest.raises(RuntimeError, match="twice"):
        run_wsgi_app(app, EnvironBuilder().get_environ())


def test_run_wsgi_app_allows_replacing_the_status_with_exc_info_before_output() -> None:
    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        start_response("200 OK", [])
        try:
            raise ValueError("late failure")
        except ValueError:
            start_response("500 INTERNAL SERVER ERROR", [], sys.exc_info())
        return [b"error page"]

    body, status, _ = run_wsgi_app(app, EnvironBuilder().get_environ(), buffered=True)
    assert status == "500 INTERNAL SERVER ERROR"
    assert body == [b"error page"]


def test_nested_with_client_raises(client: TumblerClient) -> None:
    with client, pytest.raises(RuntimeError, match="nest"):
        client.__enter__()


def test_with_client_passes_a_preserve_callback_only_inside_the_block() -> None:
    seen: list[bool] = []

    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        seen.append(PRESERVE_CONTEXT_KEY in environ)
        start_response("200 OK", [])
        return [b""]

    c = TumblerClient(app)
    c.get("/")
    with c:
        c.get("/")
    c.get("/")
    assert seen == [False, True, False]


def test_reported_contexts_stay_entered_until_the_block_or_next_request_ends() -> None:
    events: list[str] = []

    class Ctx:
        def __init__(self, name: str) -> None:
            self.name = name

        def __enter__(self) -> Ctx:
            events.append(f"enter {self.name}")
            return self

        def __exit__(self, *exc: t.Any) -> None:
            events.append(f"exit {self.name}")

    counter = iter(range(100))

    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        n = next(counter)
        environ[PRESERVE_CONTEXT_KEY](Ctx(f"app{n}"))
        environ[PRESERVE_CONTEXT_KEY](Ctx(f"req{n}"))
        start_response("200 OK", [])
        return [b""]

    c = TumblerClient(app)
    with c:
        c.get("/")
        assert events == ["enter app0", "enter req0"]
        c.get("/")
        assert events[2:] == ["exit req0", "exit app0", "enter app1", "enter req1"]
    assert events[6:] == ["exit req1", "exit app1"]


# --------------------------------------------------------------------------------------------
# CLI runner
# --------------------------------------------------------------------------------------------


class CliApp:
    def __init__(self) -> None:
        @click.group()
        def cli() -> None:
            pass

        @cli.command()
        @click.argument("name")
        def greet(name: str) -> None:
            click.echo(f"hello {name}")

        self.cli = cli


def test_cli_runner_invokes_the_app_cli_by_default() -> None:
    result = TumblerCliRunner(CliApp()).invoke(args=["greet", "ann"])
    assert result.exit_code == 0
    assert result.output == "hello ann\n"


def test_cli_runner_passes_an_explicit_obj_through() -> None:
    @click.command()
    @click.pass_obj
    def show(obj: t.Any) -> None:
        click.echo(repr(obj))

    result = TumblerCliRunner(CliApp()).invoke(show, obj={"k": 1})
    assert result.output == "{'k': 1}\n"


def test_cli_runner_default_obj_loads_the_app() -> None:
    pytest.importorskip("tumbler.cli")
    app = CliApp()

    @click.command()
    @click.pass_obj
    def show(obj: t.Any) -> None:
        click.echo("same" if obj.load_app() is app else "different")

    assert TumblerCliRunner(app).invoke(show).output == "same\n"


def test_cli_runner_invokes_a_given_command() -> None:
    @click.command()
    def other() -> None:
        click.echo("other ran")

    result = TumblerCliRunner(CliApp()).invoke(other)
    assert result.output == "other ran\n"


# --------------------------------------------------------------------------------------------
# Against a real Tumbler app: sessions and preserved contexts, over WSGI and ASGI
# --------------------------------------------------------------------------------------------


def make_tumbler_app(secret_key: str | None = "test-secret") -> t.Any:
    from tumbler.app import Tumbler
    from tumbler.globals import g
    from tumbler.globals import request
    from tumbler.globals import session

    tumbler_app = Tumbler(__name__)
    tumbler_app.testing = True
    if secret_key is not None:
        tumbler_app.secret_key = secret_key

    @tumbler_app.route("/count")
    def count() -> t.Any:
        session["n"] = session.get("n", 0) + 1
        return {"n": session["n"]}

    @tumbler_app.route("/peek")
    def peek() -> t.Any:
        g.marker = request.args.get("m", "none")
        return "peeked"

    return tumbler_app


@pytest.fixture(params=["wsgi", "asgi"])
def tumbler_client(request: pytest.FixtureRequest) -> t.Iterator[TumblerClient]:
    c = make_tumbler_app().test_client(asgi=request.param == "asgi")
    yield c
    c.close()


def test_tumbler_app_test_client_is_a_tumbler_client(tumbler_client: TumblerClient) -> None:
    response = tumbler_client.get("/count")
    assert isinstance(response, TestResponse)
    assert response.json == {"n": 1}


def test_session_transaction_changes_are_seen_by_the_next_request(
    tumbler_client: TumblerClient,
) -> None:
    with tumbler_client.session_transaction() as sess:
        sess["n"] = 41
    assert tumbler_client.get("/count").json == {"n": 42}


def test_session_transaction_sees_what_a_request_stored(tumbler_client: TumblerClient) -> None:
    tumbler_client.get("/count")
    tumbler_client.get("/count")
    with tumbler_client.session_transaction() as sess:
        assert sess["n"] == 2


def test_session_transaction_without_secret_key_raises() -> None:
    c = make_tumbler_app(secret_key=None).test_client()
    transaction = c.session_transaction()
    with pytest.raises(RuntimeError, match="Session backend did not open a session"):
        transaction.__enter__()


def test_session_transaction_with_cookies_disabled_raises() -> None:
    c = make_tumbler_app().test_client(use_cookies=False)
    with pytest.raises(TypeError, match="Cookies are disabled"), c.session_transaction():
        pass


def test_with_client_keeps_the_last_request_context(tumbler_client: TumblerClient) -> None:
    from tumbler.globals import g
    from tumbler.globals import request

    with tumbler_client:
        tumbler_client.get("/peek?m=first")
        assert request.args["m"] == "first"
        assert g.marker == "first"
        tumbler_client.get("/peek?m=second")
        assert request.args["m"] == "second"
        assert g.marker == "second"


def test_with_client_pops_the_context_when_the_block_ends(tumbler_client: TumblerClient) -> None:
    from tumbler.ctx import has_app_context
    from tumbler.ctx import has_request_context

    with tumbler_client:
        tumbler_client.get("/peek")
        assert has_request_context()
    assert not has_request_context()
    assert not has_app_context()


def test_without_with_block_no_context_is_left_behind(tumbler_client: TumblerClient) -> None:
    from tumbler.ctx import has_request_context

    tumbler_client.get("/peek")
    assert not has_request_context()
