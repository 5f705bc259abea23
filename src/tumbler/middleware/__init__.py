"""WSGI/ASGI middleware under werkzeug's module names (``werkzeug.middleware.X`` ->
``tumbler.middleware.X``)."""
