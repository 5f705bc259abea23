"""Tumbler: Flask's API on a fast, protocol-free HTTP core, served over WSGI and ASGI."""
__version__ = "0.1.0"
