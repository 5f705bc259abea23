"""Parse and format HTTP header values: dates, cookies, options, lists, accept, ranges, etags.

Every parser here treats its input as untrusted client data: malformed input produces ``None``,
an empty result, or a best-effort partial result, never an exception. The formatting functions
(``dump_*``, ``quote_*``, ``http_date``) validate what the application hands them and raise
``ValueError`` for values that would corrupt the header (control characters, bad ``SameSite``).

Names and semantics follow ``werkzeug.http`` so code written for it ports by renaming the import.
"""

from __future__ import annotations

import calendar
import email.utils
import re
import typing as t
import warnings
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import MutableSequence
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from enum import Enum
from hashlib import sha1
from time import struct_time
from time import time as _now
from urllib.parse import quote as _url_quote
from urllib.parse import unquote as _url_unquote
from urllib.parse import unquote_to_bytes as _unquote_to_bytes

if t.TYPE_CHECKING:
    from .datastructures import HeaderSet
    from .datastructures import MultiDict
    from .datastructures.accept import Accept
    from .datastructures.auth import Authorization
    from .datastructures.auth import WWWAuthenticate
    from .datastructures.cache_control import ContentSecurityPolicy
    from .datastructures.cache_control import RequestCacheControl
    from .datastructures.cache_control import _CacheControl
    from .datastructures.etag import ETags
    from .datastructures.etag import IfRange
    from .datastructures.range import ContentRange
    from .datastructures.range import Range

__all__ = [
    "COEP",
    "COOP",
    "HTTP_STATUS_CODES",
    "cookie_date",
    "dump_age",
    "dump_cookie",
    "dump_csp_header",
    "dump_header",
    "dump_options_header",
    "generate_etag",
    "http_date",
    "is_byte_range_valid",
    "is_entity_header",
    "is_hop_by_hop_header",
    "is_resource_modified",
    "parse_accept_header",
    "parse_age",
    "parse_authorization_header",
    "parse_cache_control_header",
    "parse_content_range_header",
    "parse_cookie",
    "parse_csp_header",
    "parse_date",
    "parse_dict_header",
    "parse_etags",
    "parse_form_pairs",
    "parse_if_range_header",
    "parse_list_header",
    "parse_options_header",
    "parse_range_header",
    "parse_set_header",
    "parse_www_authenticate_header",
    "quote_etag",
    "quote_header_value",
    "remove_entity_headers",
    "remove_hop_by_hop_headers",
    "unquote_etag",
    "unquote_header_value",
]

HTTP_STATUS_CODES: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    306: "Switch Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request URI Too Long",
    415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a teapot",
    421: "Misdirected Request",
    422: "Unprocessable Entity",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    449: "Retry With",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Failed",
}
"""Reason phrases by status code, spelled as werkzeug spells them (``Response.status`` uses them)."""


class COEP(Enum):
    """Values of the ``Cross-Origin-Embedder-Policy`` response header."""

    UNSAFE_NONE = "unsafe-none"
    REQUIRE_CORP = "require-corp"


class COOP(Enum):
    """Values of the ``Cross-Origin-Opener-Policy`` response header."""

    UNSAFE_NONE = "unsafe-none"
    SAME_ORIGIN_ALLOW_POPUPS = "same-origin-allow-popups"
    SAME_ORIGIN = "same-origin"


_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# A quoted string; an unterminated one runs to the end of the input so that a failed match
# never rescans the rest (which would make parsing quadratic in the header length).
_QUOTED = r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)'
_PLAIN_INT_RE = re.compile(r"[0-9]+", re.ASCII)
_QUOTED_PAIR_RE = re.compile(r"\\(.)", re.DOTALL)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

_ENTITY_HEADERS = frozenset(
    {
        "allow",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "content-type",
        "expires",
        "last-modified",
    }
)
_HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def _plain_int(value: str) -> int | None:
    """Parse a non-negative decimal integer with no sign, spaces or underscores, else None."""
    if _PLAIN_INT_RE.fullmatch(value) is None:
        return None
    return int(value)


_INVALID_CONTENT_LENGTH = (
    "The Content-Length header is not a valid length: it must be a number of bytes, in digits."
)


def _content_length(value: str | bytes) -> int | None:
    """Parse a ``Content-Length`` value (1 to 19 ASCII digits, spaces around ignored), else None."""
    value = value.strip()
    # isdigit alone would take other scripts' digits ("\xb9"); 19 digits fit an int64.
    if not value or len(value) > 19 or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


# --- quoting and simple header structures ---------------------------------------------------


def quote_header_value(value: t.Any, allow_token: bool = True) -> str:
    """Quote a header value if it is not a plain token.

    :param value: The value, converted with ``str()``.
    :param allow_token: If false, quote the value even when it is a valid token.
    :return: The value unchanged if it is a token, otherwise wrapped in double quotes with
        ``\\`` and ``"`` backslash-escaped. The empty string becomes ``""``.
    """
    text = str(value)
    if not text:
        return '""'
    if allow_token and _TOKEN_CHARS.issuperset(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_header_value(value: str) -> str:
    """Remove surrounding double quotes and resolve backslash escapes (quoted-pairs).

    The reverse of :func:`quote_header_value`. A value that is not quoted is returned as is.
    """
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _QUOTED_PAIR_RE.sub(r"\1", value[1:-1])
    return value


_COMPLETE_QUOTED_RE = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)


def _unquote_lenient(raw: str) -> str:
    """Unquote a quoted string that may lack its closing quote (best effort for bad input)."""
    match = _COMPLETE_QUOTED_RE.fullmatch(raw)
    inner = match.group(1) if match is not None else raw[1:].removesuffix("\\")
    return _QUOTED_PAIR_RE.sub(r"\1", inner)


_LIST_ITEM_RE = re.compile(rf'(?:{_QUOTED}|[^,"])+', re.DOTALL)


def _split_list(value: str) -> list[str]:
    """Split a comma separated header at commas outside quoted strings; items stay raw."""
    items = []
    for match in _LIST_ITEM_RE.finditer(value):
        item = match.group().strip()
        if item:
            items.append(item)
    return items


def parse_list_header(value: str) -> list[str]:
    """Parse a comma separated list header (RFC 9110 ``#element``).

    Commas inside quoted strings do not split; items that are entirely a quoted string are
    unquoted and their escapes resolved; empty items are dropped.

    >>> parse_list_header('token, "quoted, value"')
    ['token', 'quoted, value']

    :param value: The header value.
    :return: The list of items, possibly empty.
    """
    return [unquote_header_value(item) for item in _split_list(value)]


_CHARSET_VALUE_RE = re.compile(
    r"([\w!#$%&*+\-.^`|~]*)'[\w!#$%&*+\-.^`|~]*'(.*)", re.ASCII | re.DOTALL
)
_SAFE_CHARSETS = frozenset(
    {"ascii", "us-ascii", "utf-8", "utf8", "iso-8859-1", "latin-1", "latin1"}
)


def _decode_extended(value: str, fallback_charset: str | None = None) -> tuple[str, str | None]:
    """Decode an RFC 2231/8187 ``charset'lang'percent-encoded`` value.

    Returns the decoded value and the charset that applied. Unknown charsets leave the value
    as received (minus the charset prefix), since decoding with a guessed codec would mangle it.
    """
    charset = fallback_charset
    match = _CHARSET_VALUE_RE.fullmatch(value)
    if match is not None:
        charset = match.group(1).lower() or fallback_charset
        value = match.group(2)
    if charset in _SAFE_CHARSETS:
        return _url_unquote(value, encoding=charset, errors="replace"), charset
    return value, charset


def parse_dict_header(value: str) -> dict[str, str | None]:
    """Parse a comma separated list of ``key=value`` pairs.

    >>> parse_dict_header('a=b, c="d, e", f')
    {'a': 'b', 'c': 'd, e', 'f': None}

    Keys without a value map to ``None``; quoted values are unquoted; ``key*=UTF-8''...``
    values (RFC 2231) are percent-decoded and stored under ``key``. Items with an empty key
    are skipped.

    :param value: The header value.
    :return: A dict in header order.
    """
    result: dict[str, str | None] = {}
    for item in _split_list(value):
        key, has_value, raw = item.partition("=")
        key = key.strip()
        if not key:
            continue
        if not has_value:
            result[key] = None
            continue
        raw = raw.strip()
        if key.endswith("*") and len(key) > 1:
            key = key[:-1]
            raw = unquote_header_value(raw)
            result[key] = _decode_extended(raw)[0]
            continue
        result[key] = unquote_header_value(raw)
    return result


def dump_header(iterable: Mapping[str, t.Any] | Iterable[t.Any]) -> str:
    """Build a comma separated header from a mapping or an iterable.

    A mapping produces ``key=value`` items (a ``None`` value gives the bare key; keys ending in
    ``*`` are assumed already RFC 2231 encoded and are not quoted). Other iterables produce one
    item per element. Values that are not tokens are quoted.

    >>> dump_header({"max-age": 0, "no-cache": None})
    'max-age=0, no-cache'
    """
    if isinstance(iterable, Mapping):
        items = []
        for key, value in iterable.items():
            if value is None:
                items.append(key)
            elif key.endswith("*"):
                items.append(f"{key}={value}")
            else:
                items.append(f"{key}={quote_header_value(value)}")
        return ", ".join(items)
    return ", ".join(quote_header_value(item) for item in iterable)


_PARAM_RE = re.compile(
    rf"""
    \s*;\s*
    (?:
        ({_TOKEN})                     # key
        \s*=\s*
        ({_QUOTED}|[!#$%&'*+\-.^_`|~0-9A-Za-z\x80-\U0010ffff/:?@\[\]{{}}=]+)
    )?
    """,
    re.VERBOSE | re.DOTALL,
)
_CONTINUATION_RE = re.compile(r"\*([0-9]{1,3})(\*?)$")


def _unquote_text(text: str) -> str:
    try:
        return _unquote_to_bytes(text).decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate, which unquote() keeps as it is
        return _url_unquote(text, errors="replace")


def parse_form_pairs(text: str, max_fields: int | None = None) -> list[tuple[str, str]]:
    """Split a query string or urlencoded body into ``(name, value)`` pairs.

    The result of :func:`urllib.parse.parse_qsl` with ``keep_blank_values=True`` and
    ``errors="replace"``, in fewer steps: only pieces with ``+`` or ``%`` are decoded.

    :param text: the decoded text (``a=1&b=two+words``); empty pieces are skipped and a piece
        without ``=`` is a name with an empty value.
    :param max_fields: refuse more ``&``-separated pieces than this.
    :raises ValueError: when there are more than ``max_fields`` pieces.
    """
    if not text:
        return []
    if max_fields is not None and text.count("&") >= max_fields:
        raise ValueError("Max number of fields exceeded")
    pairs = []
    for piece in text.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "+" in piece:
            name = name.replace("+", " ")
            value = value.replace("+", " ")
        if "%" in piece:
            # unquote(s, errors="replace") decodes each run of escapes on its own; decoding
            # the whole string at once gives the same text (a literal character is whole
            # UTF-8 and never completes an escaped sequence) in half the time.
            if "%" in name:
                name = _unquote_text(name)
            if "%" in value:
                value = _unquote_text(value)
        pairs.append((name, value))
    return pairs


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Parse a header made of a value and ``;``-separated ``key=value`` parameters.

    >>> parse_options_header("text/html; charset=utf-8")
    ('text/html', {'charset': 'utf-8'})

    Parameter names are lowercased. Quoted values are unquoted (backslash escapes and the
    ``%22`` form browsers use in multipart bodies both become ``"``). RFC 2231 extended values
    (``filename*=UTF-8''na%C3%AFve.txt``) are decoded and win over the plain form of the same
    key; continuations (``key*0``, ``key*1``) are joined in index order. Malformed parameters
    are skipped; this never raises.

    :param value: The header value, or ``None``.
    :return: ``(value, options)``; ``("", {})`` for ``None`` or an empty string.
    """
    if not value:
        return "", {}
    main, sep, rest = value.partition(";")
    main = main.strip()
    if not main or not sep:
        return main, {}

    options: dict[str, str] = {}
    extended: set[str] = set()
    continued: dict[str, dict[int, str]] = {}
    charset: str | None = None

    for match in _PARAM_RE.finditer(";" + rest):
        key, raw = match.group(1), match.group(2)
        if not key:
            continue
        key = key.lower()
        is_quoted = raw[0] == '"'
        if is_quoted:
            raw = _unquote_lenient(raw).replace("%22", '"')

        cont = _CONTINUATION_RE.search(key)
        if cont is not None:
            base = key[: cont.start()]
            if cont.group(2) and not is_quoted:
                raw, charset = _decode_extended(raw, charset)
            continued.setdefault(base, {})[int(cont.group(1))] = raw
            continue

        if key.endswith("*") and len(key) > 1:
            key = key[:-1]
            raw, charset = _decode_extended(raw, charset)
            options[key] = raw
            extended.add(key)
        elif key not in extended:
            options[key] = raw

    for base, parts in continued.items():
        if base not in extended:
            options[base] = "".join(parts[i] for i in sorted(parts))
    return main, options


def dump_options_header(header: str | None, options: Mapping[str, t.Any]) -> str:
    """Build a header from a value and ``key=value`` parameters joined by ``"; "``.

    The reverse of :func:`parse_options_header`. ``None`` values are skipped; values that are
    not tokens are quoted; keys ending in ``*`` are assumed already encoded.

    >>> dump_options_header("text/html", {"charset": "utf-8"})
    'text/html; charset=utf-8'
    """
    segments = [] if header is None else [header]
    for key, value in options.items():
        if value is None:
            continue
        if key.endswith("*"):
            segments.append(f"{key}={value}")
        else:
            segments.append(f"{key}={quote_header_value(value)}")
    return "; ".join(segments)


# --- dates ------------------------------------------------------------------------------------

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name.lower(): index for index, name in enumerate(_MONTHS, 1)}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
# IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
_IMF_RE = re.compile(
    rf"[a-z]{{3}},\s+([0-9]{{1,2}})\s+{_MONTH}\s+([0-9]{{4}})\s+{_TIME}\s+(?:gmt|utc|ut|z)", re.I
)
# RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
_RFC850_RE = re.compile(
    rf"[a-z]+,\s*([0-9]{{1,2}})-{_MONTH}-([0-9]{{2}}|[0-9]{{4}})\s+{_TIME}\s+gmt", re.I
)
# asctime: "Sun Nov  6 08:49:37 1994"
_ASCTIME_RE = re.compile(rf"[a-z]{{3}}\s+{_MONTH}\s+([0-9]{{1,2}})\s+{_TIME}\s+([0-9]{{4}})", re.I)


def _aware_utc(dt: datetime) -> datetime:
    """Treat a naive datetime as UTC and convert an aware one to UTC."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _two_digit_year(year: int) -> int:
    # RFC 9110 5.6.7: a two-digit year more than 50 years in the future is in the past century.
    current = datetime.now(UTC).year
    full = current - current % 100 + year
    if full > current + 50:
        full -= 100
    return full


def _build_date(year: int, month: str, day: str, hh: str, mm: str, ss: str) -> datetime | None:
    try:
        return datetime(
            year,
            _MONTH_NUMBERS[month.lower()],
            int(day),
            int(hh),
            int(mm),
            min(int(ss), 59),  # a leap second is representable in HTTP but not in datetime
            tzinfo=UTC,
        )
    except ValueError:
        return None


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date into an aware UTC :class:`~datetime.datetime`.

    Accepts the three formats of RFC 9110 (IMF-fixdate, RFC 850 and asctime) and, as a
    fallback, other RFC 2822 forms such as numeric zones (converted to UTC).

    :param value: The header value, or ``None``.
    :return: The datetime, or ``None`` if the value is missing or malformed. Never raises.
    """
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > 100:
        return None
    if (m := _IMF_RE.fullmatch(value)) is not None:
        return _build_date(int(m.group(3)), m.group(2), m.group(1), *m.group(4, 5, 6))
    if (m := _RFC850_RE.fullmatch(value)) is not None:
        year = int(m.group(3))
        if len(m.group(3)) == 2:
            year = _two_digit_year(year)
        return _build_date(year, m.group(2), m.group(1), *m.group(4, 5, 6))
    if (m := _ASCTIME_RE.fullmatch(value)) is not None:
        return _build_date(int(m.group(6)), m.group(1), m.group(2), *m.group(3, 4, 5))
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return _aware_utc(parsed)
    except (ValueError, OverflowError):
        return None


def _format_imf(dt: datetime) -> str:
    return (
        f"{_WEEKDAYS[dt.weekday()]}, {dt.day:02d} {_MONTHS[dt.month - 1]} {dt.year:04d} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} GMT"
    )


def _to_utc_datetime(timestamp: datetime | date | float | struct_time | None) -> datetime:
    if timestamp is None:
        return datetime.fromtimestamp(_now(), UTC)
    if isinstance(timestamp, datetime):
        return _aware_utc(timestamp)
    if isinstance(timestamp, date):
        return datetime(timestamp.year, timestamp.month, timestamp.day, tzinfo=UTC)
    if isinstance(timestamp, struct_time):
        # struct_time from localtime() carries its offset; one built by hand is taken as UTC.
        offset = getattr(timestamp, "tm_gmtoff", None) or 0
        return datetime.fromtimestamp(calendar.timegm(timestamp) - offset, UTC)
    return datetime.fromtimestamp(timestamp, UTC)


def http_date(timestamp: datetime | date | float | struct_time | None = None) -> str:
    """Format a time as an IMF-fixdate, e.g. ``Sun, 06 Nov 1994 08:49:37 GMT``.

    :param timestamp: A datetime (naive means UTC; aware is converted to UTC), a date
        (midnight UTC), a Unix timestamp, a :class:`time.struct_time`, or ``None`` for now.
    :raises OverflowError, ValueError: For timestamps outside the supported range.
    """
    return _format_imf(_to_utc_datetime(timestamp))


def cookie_date(expires: datetime | date | float | struct_time | None = None) -> str:
    """Format a time in the legacy Netscape cookie form ``Sun, 06-Nov-1994 08:49:37 GMT``.

    Kept for ports of old werkzeug code; :func:`dump_cookie` uses :func:`http_date`, which
    every current browser accepts.
    """
    dt = _to_utc_datetime(expires)
    return (
        f"{_WEEKDAYS[dt.weekday()]}, {dt.day:02d}-{_MONTHS[dt.month - 1]}-{dt.year:04d} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} GMT"
    )


def parse_age(value: str | None = None) -> timedelta | None:
    """Parse a non-negative integer count of seconds (``Age``, ``Retry-After`` delta).

    :return: A :class:`~datetime.timedelta`, or ``None`` if missing or malformed.
    """
    if not value:
        return None
    seconds = _plain_int(value.strip())
    if seconds is None:
        return None
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        return None


def dump_age(age: timedelta | int | None = None) -> str | None:
    """Format a duration as an integer number of seconds.

    :param age: Seconds as an int or a :class:`~datetime.timedelta`, or ``None``.
    :return: The string, or ``None`` if ``age`` is ``None``.
    :raises ValueError: If the age is negative.
    """
    if age is None:
        return None
    seconds = int(age.total_seconds()) if isinstance(age, timedelta) else int(age)
    if seconds < 0:
        raise ValueError("age cannot be negative")
    return str(seconds)


# --- accept, cache-control, csp, sets ---------------------------------------------------------

_TAccept = t.TypeVar("_TAccept", bound="Accept")
_TCacheControl = t.TypeVar("_TCacheControl", bound="_CacheControl")
_Q_PARAM_RE = re.compile(r";\s*q\s*=", re.I)
_Q_RE = re.compile(r"0(?:\.[0-9]*)?|1(?:\.0*)?|\.[0-9]+", re.ASCII)


@t.overload
def parse_accept_header(value: str | None) -> Accept: ...
@t.overload
def parse_accept_header(value: str | None, cls: type[_TAccept]) -> _TAccept: ...
def parse_accept_header(value: str | None, cls: type[Accept] | None = None) -> Accept:
    """Parse an ``Accept``-style header into an :class:`~tumbler.datastructures.Accept`.

    Items are ordered by specificity, then quality. An item whose ``q`` is not a number in
    ``[0, 1]`` is skipped; ``q=0`` is kept and means "not acceptable". Parameters other than
    ``q`` stay part of the value (``text/html; level=1``).

    :param value: The header value, or ``None``.
    :param cls: The class to build: ``MIMEAccept`` for ``Accept``, ``LanguageAccept``,
        ``CharsetAccept``; default :class:`~tumbler.datastructures.Accept`.
    """
    if cls is None:
        from .datastructures.accept import Accept

        cls = Accept
    if not value:
        return cls(None)
    result: list[tuple[str, float]] = []
    for item in _split_list(value):
        if ";" not in item:
            result.append((item, 1.0))
            continue
        name, options = parse_options_header(item)
        if not name:
            continue
        quality = 1.0
        if "q" in options:
            q_str = options.pop("q").strip()
            if _Q_RE.fullmatch(q_str) is None:
                continue
            quality = float(q_str)
        elif _Q_PARAM_RE.search(item):
            continue  # a q parameter so malformed the options parser dropped it
        if options:
            name = dump_options_header(name, options)
        result.append((name, quality))
    return cls(result)


@t.overload
def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[t.Any], None] | None = None,
) -> RequestCacheControl: ...
@t.overload
def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[t.Any], None] | None,
    cls: type[_TCacheControl],
) -> _TCacheControl: ...
@t.overload
def parse_cache_control_header(
    value: str | None,
    *,
    cls: type[_TCacheControl],
) -> _TCacheControl: ...
def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[t.Any], None] | None = None,
    cls: type[_CacheControl] | None = None,
) -> _CacheControl:
    """Parse a ``Cache-Control`` header.

    :param value: The header value, or ``None``.
    :param on_update: Called with the object after each change (response class only).
    :param cls: :class:`~tumbler.datastructures.RequestCacheControl` (default, immutable) or
        :class:`~tumbler.datastructures.ResponseCacheControl`.
    """
    if cls is None:
        from .datastructures.cache_control import RequestCacheControl

        cls = RequestCacheControl
    return cls(parse_dict_header(value) if value else None, on_update)


def parse_csp_header(
    value: str | None,
    on_update: Callable[[ContentSecurityPolicy], None] | None = None,
    cls: type[ContentSecurityPolicy] | None = None,
) -> ContentSecurityPolicy:
    """Parse a ``Content-Security-Policy`` header into directive -> value pairs.

    Policies are separated by ``;``; a policy without a space (no value) is skipped.

    :param value: The header value, or ``None``.
    :param on_update: Called with the object after each change.
    :param cls: The class to build, default :class:`~tumbler.datastructures.ContentSecurityPolicy`.
    """
    if cls is None:
        from .datastructures.cache_control import ContentSecurityPolicy

        cls = ContentSecurityPolicy
    items = []
    for policy in (value or "").split(";"):
        directive, _, rest = policy.strip().partition(" ")
        if directive and rest.strip():
            items.append((directive, rest.strip()))
    return cls(items, on_update)


def dump_csp_header(header: Mapping[str, str]) -> str:
    """Build a ``Content-Security-Policy`` header: ``"directive value; directive value"``."""
    return "; ".join(f"{key} {value}" for key, value in header.items())


def parse_set_header(
    value: str | None, on_update: Callable[[HeaderSet], None] | None = None
) -> HeaderSet:
    """Parse a comma separated, case-insensitive set header (``Vary``, ``Allow``).

    :param value: The header value, or ``None``.
    :param on_update: Called with the set after each change.
    :return: A :class:`~tumbler.datastructures.HeaderSet`, empty for a missing value.
    """
    from .datastructures import HeaderSet

    return HeaderSet(parse_list_header(value) if value else None, on_update)


# --- etags and conditional requests ------------------------------------------------------------

_ETAG_RE = re.compile(r'\s*(W/|w/)?("[^"]*"|[^,\s"]+|"[^"]*$)\s*(?:,|$)')


def quote_etag(etag: str, weak: bool = False) -> str:
    """Quote an entity tag, ``W/``-prefixed if ``weak``.

    :raises ValueError: If the tag contains a double quote or a control character.
    """
    if '"' in etag or _CONTROL_RE.search(etag):
        raise ValueError("invalid etag")
    return f'W/"{etag}"' if weak else f'"{etag}"'


def unquote_etag(etag: str | None) -> tuple[str, bool] | tuple[None, None]:
    """Split an entity tag into its value and weakness.

    >>> unquote_etag('W/"bar"')
    ('bar', True)

    :return: ``(value, is_weak)``, or ``(None, None)`` for an empty value.
    """
    if not etag:
        return None, None
    etag = etag.strip()
    weak = etag[:2] in ("W/", "w/")
    if weak:
        etag = etag[2:]
    if len(etag) >= 2 and etag[0] == etag[-1] == '"':
        etag = etag[1:-1]
    return etag, weak


def parse_etags(value: str | None) -> ETags:
    """Parse an ``If-Match`` / ``If-None-Match`` header into :class:`~tumbler.datastructures.ETags`.

    ``*`` gives an ETags that matches everything. Unparseable trailing text is ignored.
    """
    from .datastructures.etag import ETags

    if not value:
        return ETags()
    strong: list[str] = []
    weak: list[str] = []
    pos, end = 0, len(value)
    while pos < end:
        match = _ETAG_RE.match(value, pos)
        if match is None or match.end() == pos:
            break
        is_weak, tag = match.groups()
        if tag == "*":
            return ETags(star_tag=True)
        if tag.startswith('"'):
            tag = tag[1:-1] if len(tag) >= 2 and tag.endswith('"') else tag[1:]
        if not _CONTROL_RE.search(tag):  # such a tag can match nothing we would send
            (weak if is_weak else strong).append(tag)
        pos = match.end()
    return ETags(strong, weak)


def generate_etag(data: bytes) -> str:
    """Return the SHA-1 hex digest of ``data``, for use as an entity tag."""
    return sha1(data).hexdigest()


def is_resource_modified(
    http_range: str | Mapping[str, t.Any] | None = None,
    http_if_range: str | None = None,
    http_if_modified_since: str | None = None,
    http_if_none_match: str | None = None,
    http_if_match: str | None = None,
    etag: str | None = None,
    data: bytes | None = None,
    last_modified: datetime | str | None = None,
    ignore_if_range: bool = True,
    method: str = "GET",
) -> bool:
    """Decide whether a conditional request should get the full response.

    Takes the request's raw header values, or, as in werkzeug, a WSGI environ as the first
    argument (then ``is_resource_modified(environ, etag, data, last_modified, ignore_if_range)``
    also works positionally, and the method is read from ``REQUEST_METHOD``).

    :param http_range: The ``Range`` header (If-Range only applies when it is present).
    :param http_if_range: The ``If-Range`` header, used only if ``ignore_if_range`` is false.
    :param http_if_modified_since: The ``If-Modified-Since`` header; ignored when an
        ``If-None-Match`` header is present or the method is not GET or HEAD (RFC 9110).
    :param http_if_none_match: The ``If-None-Match`` header (weak comparison).
    :param http_if_match: The ``If-Match`` header (strong comparison); when it does not match,
        this returns ``False`` and the caller answers 412 rather than 304.
    :param etag: The response's entity tag.
    :param data: The response body, to compute the entity tag from instead of ``etag``.
    :param last_modified: The response's modification time (datetime or HTTP date string).
    :param ignore_if_range: Set to ``False`` to honour ``If-Range``.
    :param method: The request method.
    :return: ``True`` if the full response should be sent, ``False`` for 304/412.
    :raises TypeError: If both ``etag`` and ``data`` are given.
    """
    if isinstance(http_range, Mapping):
        environ = http_range
        # werkzeug's positional order after environ: etag, data, last_modified, ignore_if_range
        shifted = (http_if_range, http_if_modified_since, http_if_none_match, http_if_match)
        if etag is None and shifted[0] is not None:
            etag = shifted[0]
        if data is None and shifted[1] is not None:
            data = t.cast(bytes, shifted[1])
        if last_modified is None and shifted[2] is not None:
            last_modified = shifted[2]
        if shifted[3] is not None:
            ignore_if_range = bool(shifted[3])
        return is_resource_modified(
            http_range=environ.get("HTTP_RANGE"),
            http_if_range=environ.get("HTTP_IF_RANGE"),
            http_if_modified_since=environ.get("HTTP_IF_MODIFIED_SINCE"),
            http_if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
            http_if_match=environ.get("HTTP_IF_MATCH"),
            etag=etag,
            data=data,
            last_modified=last_modified,
            ignore_if_range=ignore_if_range,
            method=environ.get("REQUEST_METHOD", method),
        )

    if data is not None:
        if etag is not None:
            raise TypeError("both data and etag given")
        etag = generate_etag(data)

    if isinstance(last_modified, str):
        last_modified = parse_date(last_modified)
    if last_modified is not None:
        # HTTP dates have whole seconds; compare at that precision.
        last_modified = _aware_utc(last_modified.replace(microsecond=0))

    if_range = None
    if not ignore_if_range and http_range is not None:
        if_range = parse_if_range_header(http_if_range)

    unmodified = False
    if if_range is not None and if_range.date is not None:
        modified_since: datetime | None = if_range.date
    elif http_if_none_match or method.upper() not in ("GET", "HEAD"):
        modified_since = None
    else:
        modified_since = parse_date(http_if_modified_since)
    if modified_since is not None and last_modified is not None:
        unmodified = last_modified <= modified_since

    if etag:
        etag_value = unquote_etag(etag)[0] or ""
        if if_range is not None and if_range.etag is not None:
            # If-Range holds one tag and compares strongly; it is not a list to split again.
            unmodified = if_range.etag == etag_value
        else:
            if_none_match = parse_etags(http_if_none_match)
            if if_none_match:
                unmodified = if_none_match.contains_weak(etag_value)
            if_match = parse_etags(http_if_match)
            if if_match:
                unmodified = not if_match.contains(etag_value)
    return not unmodified


# --- ranges ------------------------------------------------------------------------------------


def is_byte_range_valid(start: int | None, stop: int | None, length: int | None) -> bool:
    """Check a byte range (``stop`` exclusive) against a resource length.

    ``(None, None, length)`` describes an unsatisfied range (``bytes */length``) and is valid
    for any non-negative or unknown length.
    """
    if (start is None) != (stop is None):
        return False
    if start is None:
        return length is None or length >= 0
    assert stop is not None
    if length is None:
        return 0 <= start < stop
    if start >= stop:
        return False
    return 0 <= start < length


def parse_range_header(value: str | None, make_inclusive: bool = True) -> Range | None:
    """Parse a ``Range`` header into a :class:`~tumbler.datastructures.Range`.

    ``bytes=0-499`` gives ``ranges == [(0, 500)]`` (stop exclusive); ``bytes=500-`` gives
    ``(500, None)``; the suffix ``bytes=-500`` gives ``(-500, None)``. Several ranges must be
    in ascending, non-overlapping order, and a suffix or open range must be last.

    :param value: The header value, or ``None``.
    :param make_inclusive: Accepted for werkzeug compatibility; ranges are always stored with
        an exclusive stop.
    :return: The Range, or ``None`` if missing or malformed (the caller then ignores it).
    """
    from .datastructures.range import Range

    if not value or "=" not in value:
        return None
    units, _, spec = value.partition("=")
    units = units.strip().lower()
    if not units or not _TOKEN_CHARS.issuperset(units):
        return None
    ranges: list[tuple[int, int | None]] = []
    last_end = 0
    for item in spec.split(","):
        item = item.strip()
        if last_end < 0 or "-" not in item:
            return None
        first, _, second = item.partition("-")
        first, second = first.strip(), second.strip()
        if not first:
            suffix = _plain_int(second)
            if not suffix:  # missing, malformed, or a zero-length suffix
                return None
            ranges.append((-suffix, None))
            last_end = -1
            continue
        begin = _plain_int(first)
        if begin is None or begin < last_end:
            return None
        if not second:
            ranges.append((begin, None))
            last_end = -1
            continue
        end = _plain_int(second)
        if end is None or begin > end:
            return None
        ranges.append((begin, end + 1))
        last_end = end + 1
    return Range(units, ranges)


def parse_content_range_header(
    value: str | None, on_update: Callable[[ContentRange], None] | None = None
) -> ContentRange | None:
    """Parse a ``Content-Range`` header (``bytes 0-499/1234``, ``bytes */1234``).

    :param value: The header value, or ``None``.
    :param on_update: Called with the object after each change.
    :return: A :class:`~tumbler.datastructures.ContentRange`, or ``None`` if malformed.
    """
    from .datastructures.range import ContentRange

    if not value:
        return None
    parts = value.strip().split(None, 1)
    if len(parts) != 2 or "/" not in parts[1]:
        return None
    units, spec = parts
    rng, _, length_str = spec.partition("/")
    rng, length_str = rng.strip(), length_str.strip()
    length: int | None
    if length_str == "*":
        length = None
    else:
        length = _plain_int(length_str)
        if length is None:
            return None
    if rng == "*":
        if length is None:
            return None
        return ContentRange(units, None, None, length, on_update=on_update)
    first, sep, last = rng.partition("-")
    start, end = _plain_int(first.strip()), _plain_int(last.strip())
    if not sep or start is None or end is None:
        return None
    if not is_byte_range_valid(start, end + 1, length) or (length is not None and end >= length):
        return None
    return ContentRange(units, start, end + 1, length, on_update=on_update)


def parse_if_range_header(value: str | None) -> IfRange:
    """Parse an ``If-Range`` header, which holds either an HTTP date or an entity tag.

    :return: An :class:`~tumbler.datastructures.IfRange`; empty for a missing value or one
        that is neither a date nor an entity tag (a stray quote, a control character). The
        weakness of a tag is dropped (a weak tag never matches If-Range anyway).
    """
    from .datastructures.etag import IfRange

    if not value:
        return IfRange()
    parsed = parse_date(value)
    if parsed is not None:
        return IfRange(date=parsed)
    tag = unquote_etag(value)[0]
    if tag is None or '"' in tag or _CONTROL_RE.search(tag):
        # Not an entity tag: it could never be serialised back nor match a validator.
        return IfRange()
    return IfRange(tag)


# --- header classification ---------------------------------------------------------------------


def is_entity_header(header: str) -> bool:
    """Return whether ``header`` (any case) is an entity header such as ``Content-Type``."""
    return header.lower() in _ENTITY_HEADERS


def is_hop_by_hop_header(header: str) -> bool:
    """Return whether ``header`` (any case) is an HTTP/1.1 hop-by-hop header."""
    return header.lower() in _HOP_BY_HOP_HEADERS


def _remove_headers(headers: t.Any, drop: Callable[[str], bool]) -> None:
    if isinstance(headers, MutableSequence):
        headers[:] = [(key, value) for key, value in headers if not drop(key)]
        return
    for key in {key for key, _ in headers if drop(key)}:
        del headers[key]


def remove_entity_headers(
    headers: t.Any, allowed: Iterable[str] = ("expires", "content-location")
) -> None:
    """Remove entity headers in place from a list of pairs or a ``Headers`` object.

    :param headers: A list of ``(name, value)`` pairs or a ``Headers``.
    :param allowed: Entity headers to keep; by default ``Expires`` and ``Content-Location``,
        which a 304 response should still carry.
    """
    keep = {name.lower() for name in allowed}
    _remove_headers(headers, lambda key: is_entity_header(key) and key.lower() not in keep)


def remove_hop_by_hop_headers(headers: t.Any) -> None:
    """Remove hop-by-hop headers in place from a list of pairs or a ``Headers`` object."""
    _remove_headers(headers, is_hop_by_hop_header)


# --- cookies -----------------------------------------------------------------------------------

_COOKIE_UNSLASH_RE = re.compile(rb"\\([0-3][0-7]{2}|.)", re.DOTALL)


def _unslash(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    if len(escaped) == 1:
        return escaped
    return int(escaped, 8).to_bytes(1, "big")


def _cookie_text(header: str | bytes) -> str:
    if isinstance(header, bytes):
        return header.decode("utf-8", "replace")
    # A header that came off the wire is latin-1 decoded (WSGI, ASGI raw headers); recover the
    # UTF-8 the browser sent. A str that is not valid UTF-8 that way is taken as real text.
    try:
        return header.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return header


def parse_cookie(
    header: str | bytes | Mapping[str, t.Any] | None,
    cls: Callable[[list[tuple[str, str]]], t.Any] | None = None,
) -> MultiDict[str, str]:
    """Parse a ``Cookie`` request header.

    Pairs are separated by ``;``. A pair without ``=`` or with an empty name is skipped, as is
    anything else malformed; this never raises. Quoted values are unquoted and their
    backslash escapes resolved (``\\"``, ``\\\\`` and ``\\ooo`` octal bytes, as
    :func:`dump_cookie` writes them). Invalid UTF-8 becomes U+FFFD.

    :param header: The header as str (latin-1 decoded wire text is re-decoded as UTF-8) or
        bytes, or a WSGI environ holding ``HTTP_COOKIE``.
    :param cls: The mapping class, called with the list of pairs. Defaults to
        :class:`~tumbler.datastructures.MultiDict`, which keeps repeated names.
    """
    if cls is None:
        from .datastructures import MultiDict

        cls = MultiDict
    if isinstance(header, Mapping):
        header = header.get("HTTP_COOKIE")
    if not header:
        return cls([])
    pairs: list[tuple[str, str]] = []
    # RFC 6265 values never hold a raw ";" (dump_cookie escapes it), so splitting is exact
    # and keeps parsing linear in the header length.
    for part in _cookie_text(header).split(";"):
        name, has_value, value = part.partition("=")
        name = name.strip()
        if not name or not has_value:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            raw = _COOKIE_UNSLASH_RE.sub(_unslash, value[1:-1].encode("utf-8", "surrogatepass"))
            value = raw.decode("utf-8", "replace")
        pairs.append((name, value))
    return cls(pairs)


_COOKIE_NO_QUOTE_RE = re.compile(r"[\w!#$%&'()*+\-./:<=>?@\[\]^`{|}~]*", re.ASCII)
_COOKIE_SLASH_RE = re.compile(rb'[\x00-\x1f",;\\\x7f-\xff]')
_COOKIE_SLASH_MAP = {b'"': b'\\"', b"\\": b"\\\\"}
_COOKIE_SLASH_MAP.update(
    (bytes([c]), b"\\%03o" % c) for c in (*range(0x20), *b",;", *range(0x7F, 256))
)
_COOKIE_BAD_KEY_RE = re.compile(r'[\x00-\x20\x7f;,="]')
_DOMAIN_RE = re.compile(r"[A-Za-z0-9._-]+")
_SAMESITE_VALUES = frozenset({"Strict", "Lax", "None"})


def _quote_cookie_value(value: str) -> str:
    if _COOKIE_NO_QUOTE_RE.fullmatch(value):
        return value
    # Work on bytes: a non-ASCII character is several UTF-8 bytes, each escaped as \ooo octal,
    # the form http.cookies and browsers' cookie libraries understand.
    escaped = _COOKIE_SLASH_RE.sub(lambda m: _COOKIE_SLASH_MAP[m.group()], value.encode())
    return '"' + escaped.decode("ascii") + '"'


def dump_cookie(
    key: str,
    value: str = "",
    max_age: timedelta | int | None = None,
    expires: str | datetime | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    sync_expires: bool = True,
    max_size: int = 4093,
    samesite: str | None = None,
    partitioned: bool = False,
) -> str:
    """Build a ``Set-Cookie`` header value (without the ``Set-Cookie:`` prefix).

    :param key: The cookie name.
    :param value: The value; quoted, with escapes, if it has characters RFC 6265 forbids bare.
        Control characters (CR and LF included) become ``\\ooo`` octal escapes, so a value
        taken from user input can neither fail nor inject a header.
    :param max_age: Lifetime in seconds or as a timedelta; ``None`` for a session cookie.
    :param expires: Expiry as a datetime, Unix timestamp or preformatted string. If not given
        and ``max_age`` is, it is computed from ``max_age`` when ``sync_expires`` is true.
    :param path: The path the cookie is sent for (percent-encoded as needed); ``None`` omits it.
    :param domain: The domain, without port or leading dot; IDNA-encoded.
    :param secure: Only send the cookie over HTTPS.
    :param httponly: Hide the cookie from JavaScript.
    :param sync_expires: Derive ``Expires`` from ``max_age`` for old clients.
    :param max_size: Warn when the header is longer than this many bytes (browsers may drop
        it silently); ``0`` disables the check.
    :param samesite: ``"Strict"``, ``"Lax"`` or ``"None"`` (any case), or ``None`` to omit.
    :param partitioned: Opt in to partitioned storage (CHIPS); implies ``secure``.
    :raises ValueError: If the name is empty or has control, space, ``;``, ``,``, ``=`` or ``"``
        characters; if the ``expires`` string or domain has control characters or is
        otherwise unusable; or if ``samesite`` is not one of the allowed values. Refusing these
        stops header injection through cookie data.
    """
    if not key or _COOKIE_BAD_KEY_RE.search(key):
        raise ValueError(f"invalid cookie name {key!r}")

    if path is not None:
        path = _url_quote(path, safe="%!$&'()*+,/:=@")

    if domain:
        domain = domain.partition(":")[0].lstrip(".").encode("idna").decode("ascii")
        if not _DOMAIN_RE.fullmatch(domain):
            raise ValueError(f"invalid cookie domain {domain!r}")

    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    elif max_age is not None:
        max_age = int(max_age)

    expires_str: str | None
    if expires is not None:
        if isinstance(expires, str):
            if _CONTROL_RE.search(expires) or ";" in expires:
                raise ValueError("invalid cookie expires value")
            expires_str = expires
        else:
            expires_str = http_date(expires)
    elif max_age is not None and sync_expires:
        expires_str = http_date(_now() + max_age)
    else:
        expires_str = None

    if samesite is not None:
        samesite = samesite.title()
        if samesite not in _SAMESITE_VALUES:
            raise ValueError("SameSite must be 'Strict', 'Lax', or 'None'.")

    if partitioned:
        secure = True

    quoted = _quote_cookie_value(value)
    # A non-ASCII name is sent as UTF-8 bytes, tunnelled through latin-1 like all header text.
    parts = [f"{key.encode().decode('latin-1')}={quoted}"]
    if domain:
        parts.append(f"Domain={domain}")
    if expires_str is not None:
        parts.append(f"Expires={expires_str}")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if path is not None:
        parts.append(f"Path={path}")
    if samesite is not None:
        parts.append(f"SameSite={samesite}")
    if partitioned:
        parts.append("Partitioned")
    header = "; ".join(parts)

    size = len(header)
    if max_size and size > max_size:
        value_size = len(quoted)
        warnings.warn(
            f"The {key!r} cookie is too large: the value was {value_size} bytes but the"
            f" header required {size - value_size} extra bytes. The final size was"
            f" {size} bytes but the limit is {max_size} bytes. Browsers may silently"
            " ignore cookies larger than this.",
            stacklevel=2,
        )
    return header


# --- authorization -----------------------------------------------------------------------------


def parse_authorization_header(value: str | None) -> Authorization | None:
    """Parse an ``Authorization`` header; see :meth:`Authorization.from_header`."""
    from .datastructures.auth import Authorization

    return Authorization.from_header(value)


def parse_www_authenticate_header(value: str | None) -> WWWAuthenticate | None:
    """Parse a ``WWW-Authenticate`` header; see :meth:`WWWAuthenticate.from_header`."""
    from .datastructures.auth import WWWAuthenticate

    return WWWAuthenticate.from_header(value)
