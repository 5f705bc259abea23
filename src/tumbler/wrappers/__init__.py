"""The sans-io request and response objects: :class:`Request` and :class:`Response`.

Neither knows about WSGI or ASGI: the front ends build a :class:`Request` from the
protocol's raw data and send a :class:`Response` back through the protocol.
"""

from tumbler.wrappers.request import Request
from tumbler.wrappers.request import UserAgent
from tumbler.wrappers.response import Response

__all__ = ["Request", "Response", "UserAgent"]
