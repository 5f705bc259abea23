from __future__ import annotations

import dataclasses
import decimal
import gc
import io
import json
import time
import typing as t
import uuid
from datetime import UTC
from datetime import date
from datetime import datetime

import pytest
from markupsafe import Markup

import tumbler.json as tjson
from tumbler.app import Tumbler
from tumbler.json.provider import DefaultJSONProvider
from tumbler.json.provider import JSONProvider
from tumbler.json.provider import htmlsafe_json_dumps


class RecordingResponse:
    def __init__(self, body: str, mimetype: str) -> None:
        self.body = body
        self.mimetype = mimetype


class FakeApp:
    response_class = RecordingResponse

    def __init__(self, debug: bool = False, config: dict[str, t.Any] | None = None) -> None:
        self.debug = debug
        self.config = config or {}


@pytest.fixture
def app() -> FakeApp:
    return FakeApp()


@pytest.fixture
def provider(app: FakeApp) -> DefaultJSONProvider:
    return DefaultJSONProvider(app)


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Html:
    def __html__(self) -> str:
        return "<b>hi</b>"


# --- serialization ----------------------------------------------------------------------------


def test_dumps_sorts_keys_by_default(provider: DefaultJSONProvider) -> None:
    assert provider.dumps({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'


def test_dumps_sort_keys_can_be_disabled_per_provider(app: FakeApp) -> None:
    class Unsorted(DefaultJSONProvider):
        sort_keys = False

    assert Unsorted(app).dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'


def test_dumps_escapes_non_ascii_by_default(provider: DefaultJSONProvider) -> None:
    assert provider.dumps("é") == '"\\u00e9"'
    assert provider.dumps("é", ensure_ascii=False) == '"é"'


def test_dumps_datetime_as_http_date(provider: DefaultJSONProvider) -> None:
    value = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert provider.dumps(value) == '"Tue, 02 Jan 2024 03:04:05 GMT"'


def test_dumps_date_as_http_date_at_midnight(provider: DefaultJSONProvider) -> None:
    assert provider.dumps(date(2024, 1, 2)) == '"Tue, 02 Jan 2024 00:00:00 GMT"'


def test_dumps_uuid_as_string(provider: DefaultJSONProvider) -> None:
    value = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert provider.dumps(value) == '"12345678-1234-5678-1234-567812345678"'


def test_dumps_decimal_as_string(provider: DefaultJSONProvider) -> None:
    assert provider.dumps(decimal.Decimal("1.10")) == '"1.10"'


def test_dumps_dataclass_instance_as_dict(provider: DefaultJSONProvider) -> None:
    assert provider.dumps(Point(1, 2)) == '{"x": 1, "y": 2}'


def test_dumps_dataclass_class_itself_is_not_serializable(provider: DefaultJSONProvider) -> None:
    with pytest.raises(TypeError, match="type is not JSON serializable"):
        provider.dumps(Point)


def test_dumps_html_objects_as_their_html(provider: DefaultJSONProvider) -> None:
    assert provider.dumps(Html()) == '"<b>hi</b>"'
    assert provider.dumps(Markup("<i>x</i>")) == '"<i>x</i>"'


def test_dumps_unknown_object_raises_type_error_naming_type(provider: DefaultJSONProvider) -> None:
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        provider.dumps(object())


def test_dump_writes_to_text_file(provider: DefaultJSONProvider) -> None:
    buffer = io.StringIO()
    provider.dump({"a": [1, 2]}, buffer)
    assert buffer.getvalue() == '{"a": [1, 2]}'


def test_loads_accepts_str_and_utf8_and_utf16_bytes(provider: DefaultJSONProvider) -> None:
    assert provider.loads('{"a": 1}') == {"a": 1}
    assert provider.loads('{"a": "é"}'.encode()) == {"a": "é"}
    assert provider.loads('{"a": "é"}'.encode("utf-16")) == {"a": "é"}


def test_load_reads_binary_file(provider: DefaultJSONProvider) -> None:
    assert provider.load(io.BytesIO(b"[1, 2]")) == [1, 2]


def test_loads_invalid_json_raises_value_error(provider: DefaultJSONProvider) -> None:
    with pytest.raises(ValueError):
        provider.loads("{'single': 'quotes'}")


def test_loads_invalid_utf8_raises_value_error(provider: DefaultJSONProvider) -> None:
    with pytest.raises(ValueError):
        provider.loads(b'{"a": "\xff\xfe\xfa"}')


@pytest.mark.parametrize("doc", ['"\\ud800"', '{"\\udfff": 1}', '["a", {"b": ["\\uDBFF x"]}]'])
def test_loads_refuses_unpaired_surrogate_escapes(provider: DefaultJSONProvider, doc: str) -> None:
    # Such a string is not Unicode: it would fail later, when a template or response encodes it.
    with pytest.raises(ValueError, match="unpaired surrogate"):
        provider.loads(doc.encode())


def test_loads_refuses_surrogates_encoded_as_utf8_bytes(provider: DefaultJSONProvider) -> None:
    with pytest.raises(ValueError):
        provider.loads(b'"\xed\xa0\x80"')


def test_loads_accepts_surrogate_pairs_and_escaped_backslashes(
    provider: DefaultJSONProvider,
) -> None:
    assert provider.loads(b'"\\ud83d\\ude00"') == "\U0001f600"
    assert provider.loads(b'"\\\\ud800"') == "\\ud800"


# --- nesting depth limit ----------------------------------------------------------------------


def test_loads_accepts_documents_at_the_depth_limit(provider: DefaultJSONProvider) -> None:
    doc = "[" * 64 + "]" * 64
    assert provider.loads(doc) is not None


def test_loads_refuses_one_level_past_the_limit(provider: DefaultJSONProvider) -> None:
    doc = "[" * 65 + "]" * 65
    with pytest.raises(ValueError, match="nested deeper than the limit of 64"):
        provider.loads(doc)


def test_loads_refuses_10000_deep_document_quickly_without_recursion_error(
    provider: DefaultJSONProvider,
) -> None:
    doc = '{"a":' * 10000 + "1" + "}" * 10000
    start = time.perf_counter()
    with pytest.raises(ValueError):
        provider.loads(doc)
    assert time.perf_counter() - start < 0.5


def test_loads_refuses_deep_unterminated_document(provider: DefaultJSONProvider) -> None:
    with pytest.raises(ValueError):
        provider.loads("[" * 1_000_000)


def test_loads_ignores_brackets_inside_strings(provider: DefaultJSONProvider) -> None:
    doc = json.dumps({"text": "[" * 500 + '\\"{' * 100})
    assert provider.loads(doc) == {"text": "[" * 500 + '\\"{' * 100}


def test_loads_escaped_quote_does_not_end_string_for_depth_scan(
    provider: DefaultJSONProvider,
) -> None:
    # If \" ended the string, the 100 brackets after it would count as nesting.
    doc = '["\\"' + "[" * 100 + '"]'
    assert provider.loads(doc) == ['"' + "[" * 100]


def test_depth_scan_is_linear_for_many_unterminated_quotes(provider: DefaultJSONProvider) -> None:
    doc = "[" * 100 + '"\\"' * 200_000
    start = time.perf_counter()
    with pytest.raises(ValueError):
        provider.loads(doc)
    assert time.perf_counter() - start < 1.0


def test_max_depth_comes_from_app_config() -> None:
    app = FakeApp(config={"MAX_JSON_DEPTH": 3})
    provider = DefaultJSONProvider(app)
    assert provider.loads("[[[1]]]") == [[[1]]]
    with pytest.raises(ValueError, match="limit of 3"):
        provider.loads("[[[[1]]]]")


def test_max_depth_none_in_config_disables_the_limit() -> None:
    app = FakeApp(config={"MAX_JSON_DEPTH": None})
    provider = DefaultJSONProvider(app)
    assert provider.loads("[" * 200 + "]" * 200) is not None


def test_max_depth_class_attribute_applies_without_config_key(app: FakeApp) -> None:
    class Shallow(DefaultJSONProvider):
        max_depth = 1

    with pytest.raises(ValueError):
        Shallow(app).loads('{"a": {}}')


# --- responses --------------------------------------------------------------------------------


def test_response_is_compact_with_trailing_newline(provider: DefaultJSONProvider) -> None:
    rv = provider.response({"b": [1, 2], "a": None})
    assert rv.body == '{"a":null,"b":[1,2]}\n'
    assert rv.mimetype == "application/json"


def test_response_is_indented_in_debug_mode() -> None:
    app = FakeApp(debug=True)
    rv = DefaultJSONProvider(app).response({"a": 1})
    assert rv.body == '{\n  "a": 1\n}\n'


def test_response_compact_true_overrides_debug() -> None:
    app = FakeApp(debug=True)
    provider = DefaultJSONProvider(app)
    provider.compact = True
    assert provider.response([1]).body == "[1]\n"


def test_response_compact_false_indents_without_debug(provider: DefaultJSONProvider) -> None:
    provider.compact = False
    assert provider.response([1]).body == "[\n  1\n]\n"


def test_response_several_args_become_a_list(provider: DefaultJSONProvider) -> None:
    assert provider.response(1, "a").body == '[1,"a"]\n'


def test_response_kwargs_become_an_object(provider: DefaultJSONProvider) -> None:
    assert provider.response(b=1, a=2).body == '{"a":2,"b":1}\n'


def test_response_without_arguments_is_null(provider: DefaultJSONProvider) -> None:
    assert provider.response().body == "null\n"


def test_response_with_args_and_kwargs_raises_type_error(provider: DefaultJSONProvider) -> None:
    with pytest.raises(TypeError, match="either args or kwargs"):
        provider.response(1, a=2)


def test_response_uses_custom_mimetype(provider: DefaultJSONProvider) -> None:
    provider.mimetype = "application/vnd.api+json"
    assert provider.response([]).mimetype == "application/vnd.api+json"


def test_provider_holds_app_weakly() -> None:
    app = FakeApp()
    provider = DefaultJSONProvider(app)
    assert provider._app is app
    del app
    gc.collect()
    assert provider._app is None


def test_base_provider_requires_dumps_and_loads(app: FakeApp) -> None:
    base = JSONProvider(app)
    with pytest.raises(NotImplementedError):
        base.dumps(1)
    with pytest.raises(NotImplementedError):
        base.loads("1")


def test_custom_provider_only_needs_dumps_and_loads(app: FakeApp) -> None:
    class Upper(JSONProvider):
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return json.dumps(obj).upper()

        def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
            return json.loads(s)

    provider = Upper(app)
    buffer = io.StringIO()
    provider.dump("a", buffer)
    assert buffer.getvalue() == '"A"'
    assert provider.load(io.StringIO("[1]")) == [1]
    rv = provider.response("x")
    assert (rv.body, rv.mimetype) == ('"X"', "application/json")


# --- module functions outside an app context ------------------------------------------------


def test_module_dumps_outside_app_uses_default_provider_rules() -> None:
    assert tjson.dumps({"b": uuid.UUID(int=0), "a": decimal.Decimal("2")}) == (
        '{"a": "2", "b": "00000000-0000-0000-0000-000000000000"}'
    )


def test_module_loads_outside_app_enforces_depth_limit() -> None:
    with pytest.raises(ValueError):
        tjson.loads("[" * 100 + "]" * 100)


def test_module_dump_and_load_round_trip_through_files() -> None:
    buffer = io.StringIO()
    tjson.dump({"a": [1, 2]}, buffer)
    buffer.seek(0)
    assert tjson.load(buffer) == {"a": [1, 2]}


# --- htmlsafe dumps ---------------------------------------------------------------------------


def test_htmlsafe_json_dumps_escapes_html_significant_characters() -> None:
    rv = htmlsafe_json_dumps("</script><script>alert('x')</script>&")
    assert isinstance(rv, Markup)
    for char in "<>&'":
        assert char not in rv
    assert json.loads(str(rv)) == "</script><script>alert('x')</script>&"


def test_htmlsafe_json_dumps_uses_given_dumps_and_kwargs() -> None:
    rv = htmlsafe_json_dumps({"a": 1}, dumps=json.dumps, indent=1)
    assert str(rv) == '{\n "a": 1\n}'


# --- with a real application -----------------------------------------------------------------


@pytest.fixture(params=[False, True], ids=["wsgi", "asgi"])
def asgi(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def real_app() -> Tumbler:
    return Tumbler("json_app")


def test_app_json_is_a_default_provider_bound_to_the_app(real_app: Tumbler) -> None:
    assert isinstance(real_app.json, DefaultJSONProvider)
    assert real_app.json._app is real_app


def test_jsonify_in_app_context_builds_a_json_response(real_app: Tumbler) -> None:
    with real_app.app_context():
        response = tjson.jsonify({"b": 1, "a": "é"})
    assert isinstance(response, real_app.response_class)
    assert response.mimetype == "application/json"
    assert response.get_data() == b'{"a":"\\u00e9","b":1}\n'


def test_jsonify_indents_in_debug_mode(real_app: Tumbler) -> None:
    real_app.debug = True
    with real_app.app_context():
        assert tjson.jsonify(a=1).get_data() == b'{\n  "a": 1\n}\n'


def test_jsonify_outside_app_context_uses_default_provider() -> None:
    response = tjson.jsonify([1, 2])
    assert response.mimetype == "application/json"
    assert response.get_data() == b"[1,2]\n"


def test_module_functions_use_the_apps_custom_provider(real_app: Tumbler) -> None:
    class Marked(DefaultJSONProvider):
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return "marked:" + super().dumps(obj, **kwargs)

        def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
            return ("marked", super().loads(s, **kwargs))

    real_app.json = Marked(real_app)
    with real_app.app_context():
        assert tjson.dumps(1) == "marked:1"
        assert tjson.loads("1") == ("marked", 1)


def test_jsonify_serializes_dates_as_http_dates_in_view(real_app: Tumbler, asgi: bool) -> None:
    @real_app.route("/when")
    def when() -> t.Any:
        return tjson.jsonify(when=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))

    response = real_app.test_client(asgi=asgi).get("/when")
    assert response.get_json() == {"when": "Tue, 02 Jan 2024 03:04:05 GMT"}


def test_deeply_nested_request_json_is_a_400(real_app: Tumbler, asgi: bool) -> None:
    @real_app.post("/echo")
    def echo() -> t.Any:
        from tumbler.globals import request

        return {"got": request.get_json()}

    client = real_app.test_client(asgi=asgi)
    deep = "[" * 10000 + "]" * 10000
    response = client.post("/echo", data=deep, content_type="application/json")
    assert response.status_code == 400
    assert client.post("/echo", json=[[1]]).get_json() == {"got": [[1]]}


def test_request_json_with_an_unpaired_surrogate_is_a_400(real_app: Tumbler, asgi: bool) -> None:
    @real_app.post("/echo")
    def echo() -> str:
        from tumbler.globals import request

        return f"<p>{request.get_json()}</p>"

    client = real_app.test_client(asgi=asgi)
    response = client.post("/echo", data=b'"\\ud800"', content_type="application/json")
    assert response.status_code == 400


def test_max_json_depth_config_is_honoured_by_requests(real_app: Tumbler) -> None:
    real_app.config["MAX_JSON_DEPTH"] = 2

    @real_app.post("/echo")
    def echo() -> t.Any:
        from tumbler.globals import request

        return {"got": request.get_json()}

    client = real_app.test_client()
    assert client.post("/echo", json=[[1]]).status_code == 200
    assert client.post("/echo", json=[[[1]]]).status_code == 400
