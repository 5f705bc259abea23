"""``werkzeug.middleware.proxy_fix`` under Tumbler: :class:`ProxyFix` from :mod:`tumbler.proxy_fix`.

It wraps a WSGI or an ASGI application; see :mod:`tumbler.proxy_fix` for which forwarded headers
it trusts, and the ``PROXY_FIX`` config key for the same without wrapping the app.
"""

from tumbler.proxy_fix import ProxyFix

__all__ = ["ProxyFix"]
