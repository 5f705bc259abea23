from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from tumbler import exceptions as exc
from tumbler.exceptions import Aborter
from tumbler.exceptions import BadRequest
from tumbler.exceptions import BadRequestKeyError
from tumbler.exceptions import HTTPException
from tumbler.exceptions import InternalServerError
from tumbler.exceptions import MethodNotAllowed
from tumbler.exceptions import NotFound
from tumbler.exceptions import RequestedRangeNotSatisfiable
from tumbler.exceptions import ServiceUnavailable
from tumbler.exceptions import TooManyRequests
from tumbler.exceptions import Unauthorized
from tumbler.exceptions import abort
from tumbler.exceptions import default_exceptions


def test_not_found_has_code_and_status_phrase_name() -> None:
    e = NotFound()
    assert e.code == 404
    assert e.name == "Not Found"


def test_custom_description_replaces_class_default() -> None:
    assert NotFound("no such user").description == "no such user"
    assert NotFound().description == NotFound.description


def test_str_shows_code_name_and_description() -> None:
    assert str(NotFound("gone fishing")) == "404 Not Found: gone fishing"


def test_repr_names_class_and_status() -> None:
    assert repr(NotFound()) == "<NotFound '404: Not Found'>"


def test_exception_without_code_renders_question_marks_and_unknown_name() -> None:
    e = HTTPException("odd")
    assert e.name == "Unknown"
    assert str(e) == "??? Unknown: odd"


def test_body_is_small_html5_page_with_title_heading_and_description() -> None:
    body = NotFound("Nothing here.").get_body()
    assert body == (
        "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n"
        "<h1>Not Found</h1>\n<p>Nothing here.</p>\n"
    )


def test_body_escapes_script_in_description() -> None:
    body = BadRequest("<script>alert(1)</script>").get_body()
    assert "<script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_body_escapes_quotes_and_ampersands() -> None:
    description = BadRequest("a \"b\" & 'c'").get_description()
    assert description == "<p>a &#34;b&#34; &amp; &#39;c&#39;</p>"


def test_description_newlines_become_br() -> None:
    assert BadRequest("line one\nline two").get_description() == "<p>line one<br>line two</p>"


def test_none_description_renders_empty_paragraph() -> None:
    class Bare(HTTPException):
        code = 499

    assert Bare().get_description() == "<p></p>"


def test_custom_subclass_with_unusual_code_gets_phrase_from_status_table() -> None:
    class InsufficientStorage(HTTPException):
        code = 507
        description = "Disk full."

    assert InsufficientStorage().name == "Insufficient Storage"


def test_headers_default_to_html_content_type() -> None:
    assert NotFound().get_headers() == [("Content-Type", "text/html; charset=utf-8")]


def test_bad_request_key_error_is_both_key_error_and_bad_request() -> None:
    e = BadRequestKeyError("username")
    assert isinstance(e, KeyError)
    assert isinstance(e, BadRequest)
    assert e.code == 400
    assert e.args == ("username",)


def test_bad_request_key_error_is_caught_by_except_key_error() -> None:
    with pytest.raises(KeyError):
        raise BadRequestKeyError("x")


def test_bad_request_key_error_hides_key_from_client_by_default() -> None:
    e = BadRequestKeyError("secret_field")
    assert "secret_field" not in e.description
    assert "secret_field" not in e.get_body()


def test_bad_request_key_error_shows_key_when_show_exception_set() -> None:
    e = BadRequestKeyError("username")
    e.show_exception = True
    assert e.description.endswith("\nKeyError: 'username'")
    assert "KeyError: &#39;username&#39;" in e.get_body()


def test_bad_request_key_error_description_can_be_replaced() -> None:
    e = BadRequestKeyError("k", "Missing field.")
    assert e.description == "Missing field."
    e.description = "Other."
    assert e.description == "Other."


def test_bad_request_key_error_shown_key_is_escaped() -> None:
    e = BadRequestKeyError("<img src=x onerror=alert(1)>")
    e.show_exception = True
    assert "<img" not in e.get_body()


def test_bad_request_key_error_without_key() -> None:
    assert BadRequestKeyError().args == ()


@pytest.mark.parametrize("cls", [exc.ClientDisconnected, exc.SecurityError, exc.BadHost])
def test_bad_request_subclasses_answer_400(cls: type[BadRequest]) -> None:
    assert issubclass(cls, BadRequest)
    assert cls().code == 400


def test_unauthorized_without_challenge_sends_no_www_authenticate() -> None:
    headers = Unauthorized().get_headers()
    assert all(name != "WWW-Authenticate" for name, _ in headers)


def test_unauthorized_single_challenge_becomes_one_header() -> None:
    headers = Unauthorized(www_authenticate='Basic realm="app"').get_headers()
    assert ("WWW-Authenticate", 'Basic realm="app"') in headers


def test_unauthorized_challenge_list_becomes_one_header_each() -> None:
    e = Unauthorized(www_authenticate=["Basic realm=a", "Bearer"])
    values = [v for k, v in e.get_headers() if k == "WWW-Authenticate"]
    assert values == ["Basic realm=a", "Bearer"]


def test_unauthorized_challenge_object_is_rendered_with_str() -> None:
    class Challenge:
        def __str__(self) -> str:
            return "Digest realm=x"

    headers = Unauthorized(www_authenticate=Challenge()).get_headers()
    assert ("WWW-Authenticate", "Digest realm=x") in headers


def test_method_not_allowed_lists_valid_methods_in_allow_header() -> None:
    e = MethodNotAllowed(["GET", "HEAD"])
    assert ("Allow", "GET, HEAD") in e.get_headers()
    assert list(e.valid_methods) == ["GET", "HEAD"]


def test_method_not_allowed_without_methods_sends_no_allow() -> None:
    assert all(k != "Allow" for k, _ in MethodNotAllowed().get_headers())


def test_method_not_allowed_keeps_description_keyword() -> None:
    assert MethodNotAllowed(["GET"], description="Read only.").description == "Read only."


def test_range_not_satisfiable_sends_content_range_with_length() -> None:
    headers = RequestedRangeNotSatisfiable(length=1234).get_headers()
    assert ("Content-Range", "bytes */1234") in headers


def test_range_not_satisfiable_without_length_sends_no_content_range() -> None:
    assert all(k != "Content-Range" for k, _ in RequestedRangeNotSatisfiable().get_headers())


def test_too_many_requests_retry_after_seconds() -> None:
    assert ("Retry-After", "60") in TooManyRequests(retry_after=60).get_headers()


def test_service_unavailable_retry_after_aware_datetime_is_http_date_in_gmt() -> None:
    when = datetime(2030, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    headers = ServiceUnavailable(retry_after=when).get_headers()
    assert ("Retry-After", "Wed, 02 Jan 2030 03:04:05 GMT") in headers


def test_retry_after_naive_datetime_is_taken_as_utc() -> None:
    headers = TooManyRequests(retry_after=datetime(2030, 1, 2, 3, 4, 5)).get_headers()
    assert ("Retry-After", "Wed, 02 Jan 2030 03:04:05 GMT") in headers


def test_retry_after_absent_sends_no_header() -> None:
    assert all(k != "Retry-After" for k, _ in TooManyRequests().get_headers())


def test_internal_server_error_keeps_original_exception_out_of_body() -> None:
    original = ValueError("db password is hunter2")
    e = InternalServerError(original_exception=original)
    assert e.original_exception is original
    assert "hunter2" not in e.get_body()


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (400, "BadRequest"),
        (401, "Unauthorized"),
        (403, "Forbidden"),
        (404, "NotFound"),
        (405, "MethodNotAllowed"),
        (406, "NotAcceptable"),
        (408, "RequestTimeout"),
        (409, "Conflict"),
        (410, "Gone"),
        (411, "LengthRequired"),
        (412, "PreconditionFailed"),
        (413, "RequestEntityTooLarge"),
        (414, "RequestURITooLarge"),
        (415, "UnsupportedMediaType"),
        (416, "RequestedRangeNotSatisfiable"),
        (417, "ExpectationFailed"),
        (418, "ImATeapot"),
        (421, "MisdirectedRequest"),
        (422, "UnprocessableEntity"),
        (423, "Locked"),
        (424, "FailedDependency"),
        (428, "PreconditionRequired"),
        (429, "TooManyRequests"),
        (431, "RequestHeaderFieldsTooLarge"),
        (451, "UnavailableForLegalReasons"),
        (500, "InternalServerError"),
        (501, "NotImplemented"),
        (502, "BadGateway"),
        (503, "ServiceUnavailable"),
        (504, "GatewayTimeout"),
        (505, "HTTPVersionNotSupported"),
    ],
)
def test_default_exceptions_maps_each_code_to_its_werkzeug_named_class(
    code: int, name: str
) -> None:
    cls = default_exceptions[code]
    assert cls.__name__ == name
    assert cls is getattr(exc, name)
    assert cls().code == code
    assert cls.description


def test_abort_raises_exception_for_code() -> None:
    with pytest.raises(NotFound):
        abort(404)


def test_abort_400_raises_plain_bad_request_not_a_subclass() -> None:
    with pytest.raises(BadRequest) as info:
        abort(400)
    assert type(info.value) is BadRequest


def test_abort_passes_description_through() -> None:
    with pytest.raises(exc.Forbidden) as info:
        abort(403, "Admins only.")
    assert info.value.description == "Admins only."


def test_abort_passes_keyword_arguments_through() -> None:
    with pytest.raises(MethodNotAllowed) as info:
        abort(405, valid_methods=["POST"])
    assert list(info.value.valid_methods) == ["POST"]


def test_abort_unknown_code_raises_lookup_error() -> None:
    with pytest.raises(LookupError, match="no exception for 999"):
        abort(999)


def test_abort_success_code_raises_lookup_error() -> None:
    with pytest.raises(LookupError):
        abort(200)


def test_abort_non_response_object_raises_lookup_error() -> None:
    with pytest.raises(LookupError):
        abort("404")  # type: ignore[arg-type]


def test_aborter_extra_mapping_adds_custom_code() -> None:
    class InsufficientStorage(HTTPException):
        code = 507

    aborter = Aborter(extra={507: InsufficientStorage})
    with pytest.raises(InsufficientStorage):
        aborter(507)


def test_aborter_copies_mapping_so_default_is_untouched() -> None:
    aborter = Aborter()
    aborter.mapping[404] = exc.Gone
    with pytest.raises(exc.Gone):
        aborter(404)
    assert default_exceptions[404] is NotFound


def test_aborter_custom_mapping_replaces_defaults() -> None:
    aborter = Aborter(mapping={404: NotFound})
    with pytest.raises(LookupError):
        aborter(403)


def test_get_response_builds_response_with_status_headers_and_body() -> None:
    response = NotFound("<b>nope</b>").get_response()
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    body = b"".join(response.iter_encoded())
    assert b"&lt;b&gt;nope&lt;/b&gt;" in body
    assert b"<b>" not in body


def test_get_response_includes_extra_headers() -> None:
    response = MethodNotAllowed(["GET"]).get_response()
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"


def test_get_response_returns_given_response_unchanged() -> None:
    from tumbler.wrappers import Response

    custom = Response("custom", status=418)
    assert NotFound(response=custom).get_response() is custom


def test_abort_with_response_raises_http_exception_carrying_it() -> None:
    from tumbler.wrappers import Response

    custom = Response("teapot", status=418)
    with pytest.raises(HTTPException) as info:
        abort(custom)
    assert info.value.response is custom
    assert info.value.get_response() is custom
