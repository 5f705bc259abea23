"""The development server behind ``tumbler run`` and ``app.run()``. Not for production.

:func:`run_simple` binds the listening socket itself (so a busy port is reported clearly, and port
``0`` picks a free one), prints a banner, then serves the app with one of two servers:

- **uvicorn** (ASGI) when it is installed and the app speaks ASGI (Tumbler apps speak both);
- a **threaded WSGI server** built on the standard library's ``wsgiref`` otherwise, or when asked
  with ``server="wsgi"``.

With ``use_reloader=True`` the process that owns the socket becomes a supervisor: it runs the
server in a child process that inherits the socket, and starts a new child whenever the child
exits with :data:`RELOAD_EXIT_CODE`. The child watches the source files of loaded modules plus
``extra_files`` with ``watchfiles`` when installed, otherwise by polling modification times.
"""

from __future__ import annotations

import errno
import fnmatch
import importlib
import inspect
import os
import signal
import socket
import ssl
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import typing as t
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler
from wsgiref.simple_server import WSGIServer

#: Exit status with which a server child asks its supervisor for a restart.
RELOAD_EXIT_CODE = 3
#: Set to ``"true"`` in the environment of a server child started by the reloader.
RUN_MAIN_ENV = "TUMBLER_RUN_MAIN"
#: The file descriptor of the inherited listening socket, in a server child's environment.
SERVER_FD_ENV = "TUMBLER_SERVER_FD"
#: Accepted values of ``server``.
SERVER_CHOICES = ("auto", "uvicorn", "wsgi")

SSLContextArg = ssl.SSLContext | tuple[str, str] | tuple[str, None] | str | None


class ServerError(RuntimeError):
    """The development server could not start (bad option, missing dependency)."""


class AddressInUseError(ServerError):
    """The requested host and port are already taken by another program."""


def is_running_from_reloader() -> bool:
    """Return whether this process is a server child started by the reloader."""
    return os.environ.get(RUN_MAIN_ENV) == "true"


# -- choosing a server ------------------------------------------------------------------------


def is_asgi_app(app: t.Any) -> bool:
    """Return whether ``app`` can be served over ASGI.

    True for Tumbler apps (they have ``asgi_app``), coroutine functions and objects whose
    ``__call__`` is a coroutine function.
    """
    if getattr(app, "asgi_app", None) is not None:
        return True
    if inspect.iscoroutinefunction(app):
        return True
    return callable(app) and inspect.iscoroutinefunction(type(app).__call__)


def _uvicorn_available() -> bool:
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        return False
    return True


def select_server(app: t.Any, server: str | None = None) -> str:
    """Return the server to use for ``app``: ``"uvicorn"`` or ``"wsgi"``.

    :param server: ``"auto"`` or ``None`` picks uvicorn when installed and ``app`` speaks ASGI,
        otherwise WSGI; ``"uvicorn"`` and ``"wsgi"`` force a choice.
    :raises ServerError: for an unknown name, or uvicorn requested but not installed or the app
        not being an ASGI app.
    """
    choice = (server or "auto").lower()
    if choice not in SERVER_CHOICES:
        raise ServerError(f"Unknown server {server!r}; choose one of {', '.join(SERVER_CHOICES)}.")
    if choice == "wsgi":
        return "wsgi"
    asgi = is_asgi_app(app)
    if choice == "uvicorn":
        if not _uvicorn_available():
            raise ServerError(
                "The uvicorn server was requested but uvicorn is not installed."
                " Install it with 'pip install uvicorn' or use '--server wsgi'."
            )
        if not asgi:
            raise ServerError("The uvicorn server needs an ASGI application; use '--server wsgi'.")
        return "uvicorn"
    return "uvicorn" if asgi and _uvicorn_available() else "wsgi"


# -- sockets and TLS --------------------------------------------------------------------------


def prepare_socket(host: str, port: int) -> socket.socket:
    """Bind and listen on ``host``:``port`` and return the socket.

    :raises AddressInUseError: when the port is taken.
    :raises ServerError: when the address cannot be used (unknown host, no permission).
    """
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ServerError(f"Cannot listen on {host!r}: {e.strerror}.") from None
    family, type_, proto, _, address = info[0]
    sock = socket.socket(family, type_, proto)
    if os.name == "posix":
        # Lets a restarted server bind while old connections sit in TIME_WAIT; on POSIX this
        # still refuses a port another program is listening on.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        where = f"{_display_host(host)}:{port}"
        if e.errno == errno.EADDRINUSE:
            raise AddressInUseError(
                f"Address {where} is already in use. Stop the program using port {port}"
                " or choose another port with '--port'."
            ) from None
        if e.errno == errno.EACCES:
            raise ServerError(
                f"Permission denied to listen on {where}; ports below 1024 need privileges."
                " Choose another port with '--port'."
            ) from None
        raise ServerError(f"Cannot listen on {where}: {e.strerror}.") from None
    return sock


def load_ssl_context(cert_file: str, key_file: str | None = None) -> ssl.SSLContext:
    """Return a server-side TLS context loaded from a certificate and optional key file.

    :raises ServerError: when the files cannot be loaded.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as e:
        raise ServerError(f"Could not load the TLS certificate {cert_file!r}: {e}") from None
    return context


def generate_adhoc_ssl_context() -> ssl.SSLContext:
    """Return a TLS context with a fresh self-signed certificate for ``localhost``.

    Browsers will warn about it; it exists so HTTPS-only features can be tried locally.

    :raises ServerError: when the ``cryptography`` package is not installed.
    """
    try:
        # Imported by name: cryptography is optional and has no stubs in the test setup.
        x509: t.Any = importlib.import_module("cryptography.x509")
        hashes: t.Any = importlib.import_module("cryptography.hazmat.primitives.hashes")
        serialization: t.Any = importlib.import_module(
            "cryptography.hazmat.primitives.serialization"
        )
        rsa: t.Any = importlib.import_module("cryptography.hazmat.primitives.asymmetric.rsa")
        NameOID: t.Any = importlib.import_module("cryptography.x509.oid").NameOID
    except ImportError:
        raise ServerError(
            "Using ad-hoc certificates requires the cryptography library. Install it with"
            " 'pip install cryptography', or pass your own files with '--cert' and '--key'."
        ) from None
    import datetime

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as tmp:
        cert_path = os.path.join(tmp, "cert.pem")
        key_path = os.path.join(tmp, "key.pem")
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as f:
            f.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.TraditionalOpenSSL,
                    serialization.NoEncryption(),
                )
            )
        return load_ssl_context(cert_path, key_path)


def resolve_ssl_context(ssl_context: SSLContextArg) -> ssl.SSLContext | None:
    """Turn ``run_simple``'s ``ssl_context`` argument into a context (or ``None``).

    :param ssl_context: ``None``; an :class:`ssl.SSLContext`; ``(cert_file, key_file)``; a
        single certificate file that also holds the key; or ``"adhoc"``.
    :raises ServerError: when files cannot be loaded or ``"adhoc"`` lacks ``cryptography``.
    """
    if ssl_context is None or isinstance(ssl_context, ssl.SSLContext):
        return ssl_context
    if ssl_context == "adhoc":
        return generate_adhoc_ssl_context()
    if isinstance(ssl_context, tuple):
        return load_ssl_context(ssl_context[0], ssl_context[1])
    return load_ssl_context(ssl_context)


# -- the WSGI server --------------------------------------------------------------------------


class _RequestHandler(WSGIRequestHandler):
    # A client that connects and then says nothing must not hold a thread forever.
    timeout = 60
    server_version = "Tumbler"

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            # The handshake runs here, in the request's thread, so a slow or broken TLS
            # client cannot stall the accept loop.
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()


class _WSGIServer(WSGIServer):
    def handle_error(self, request: t.Any, client_address: t.Any) -> None:
        # Clients vanishing mid-request and failed TLS handshakes are routine, not errors.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


class _ThreadedWSGIServer(ThreadingMixIn, _WSGIServer):
    daemon_threads = True


def make_wsgi_server(
    sock: socket.socket,
    app: t.Any,
    threaded: bool = True,
    ssl_context: ssl.SSLContext | None = None,
) -> WSGIServer:
    """Return a ``wsgiref`` server for ``app`` on an already listening ``sock``.

    :param threaded: handle each request in its own thread.
    :param ssl_context: serve HTTPS with this context.
    """
    server_class: type[WSGIServer] = _ThreadedWSGIServer if threaded else _WSGIServer
    if sock.family == socket.AF_INET6:
        server_class = type(server_class.__name__, (server_class,), {"address_family": sock.family})
    host, port = sock.getsockname()[:2]
    httpd = server_class((host, port), _RequestHandler, bind_and_activate=False)
    # The socket was bound (and maybe inherited from the reloader) before the server existed.
    httpd.socket.close()
    httpd.socket = (
        ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        if ssl_context is not None
        else sock
    )
    httpd.server_address = (host, port)
    httpd.server_name = host
    httpd.server_port = port
    httpd.setup_environ()
    if ssl_context is not None:
        httpd.base_environ["HTTPS"] = "on"
    httpd.set_app(app)
    return httpd


def _serve_wsgi(
    sock: socket.socket, app: t.Any, threaded: bool, ssl_context: ssl.SSLContext | None
) -> None:
    httpd = make_wsgi_server(sock, app, threaded=threaded, ssl_context=ssl_context)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


def _serve_uvicorn(
    sock: socket.socket, app: t.Any, ssl_context: ssl.SSLContext | None, debug: bool
) -> None:
    import uvicorn

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        # Tumbler apps return their coroutine from a plain __call__, which uvicorn's
        # auto-detection would mistake for ASGI 2.
        interface="asgi3",
        lifespan="auto",
        log_level="debug" if debug else "info",
    )
    config.load()
    if ssl_context is not None:
        # Set after load() so one context object works with every uvicorn version.
        config.ssl = ssl_context
    uvicorn.Server(config).run(sockets=[sock])


# -- the banner -------------------------------------------------------------------------------


def _display_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _server_description(kind: str) -> str:
    if kind == "uvicorn":
        import uvicorn

        return f"uvicorn {uvicorn.__version__} (ASGI)"
    return "threaded WSGI server (wsgiref)"


def format_banner(
    app: t.Any,
    sock: socket.socket,
    server: str,
    debug: bool,
    reloader: str | None,
    https: bool,
) -> str:
    """Return the start-up banner: the URL, the server used, and whether debug and reload are on.

    :param server: ``"uvicorn"`` or ``"wsgi"``.
    :param reloader: the reloader's kind (``"watchfiles"``, ``"polling"``) or ``None`` when off.
    """
    host, port = sock.getsockname()[:2]
    scheme = "https" if https else "http"
    name = getattr(app, "name", None) or getattr(app, "__name__", None) or type(app).__name__
    lines = [f" * Serving Tumbler app '{name}'"]
    if host in ("0.0.0.0", "::"):
        lines.append(f" * Running on all addresses ({host}), port {port}")
        lines.append(f" * Running on {scheme}://127.0.0.1:{port}/ (press CTRL+C to quit)")
        lines.append(" * Warning: reachable from other machines on the network.")
    else:
        lines.append(
            f" * Running on {scheme}://{_display_host(host)}:{port}/ (press CTRL+C to quit)"
        )
    lines.append(f" * Server: {_server_description(server)}")
    lines.append(f" * Debug mode: {'on' if debug else 'off'}")
    lines.append(f" * Reload: {f'on ({reloader})' if reloader else 'off'}")
    lines.append(" * This is a development server. Do not use it in production.")
    return "\n".join(lines) + "\n"


# -- the reloader -----------------------------------------------------------------------------

_LIBRARY_PREFIXES = tuple(
    {
        p
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (p := sysconfig.get_paths().get(key))
    }
)


def _watched_files(extra_files: t.Iterable[str], exclude_patterns: t.Iterable[str]) -> set[str]:
    files = {os.path.abspath(f) for f in extra_files}
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if not filename:
            continue
        filename = os.path.abspath(filename)
        # Installed libraries do not change while developing; watching them only costs time.
        if filename.startswith(_LIBRARY_PREFIXES):
            continue
        files.add(filename)
    excluded = tuple(exclude_patterns)
    if excluded:
        files = {f for f in files if not any(fnmatch.fnmatch(f, p) for p in excluded)}
    return files


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _watch_polling(extra_files: list[str], exclude_patterns: list[str], interval: float) -> str:
    """Block until a watched file changes; return its path."""
    mtimes: dict[str, float | None] = {}
    while True:
        for path in _watched_files(extra_files, exclude_patterns):
            mtime = _mtime(path)
            if path not in mtimes:
                mtimes[path] = mtime
            elif mtimes[path] != mtime:
                return path
        time.sleep(interval)


def _watch_watchfiles(extra_files: list[str], exclude_patterns: list[str]) -> str:
    """Block until a watched file (or a new ``.py`` file in a watched folder) changes.

    Returns the changed path, or ``""`` if watching stopped without a change.
    """
    import watchfiles

    files = _watched_files(extra_files, exclude_patterns)
    folders = {os.path.dirname(f) for f in files}
    # Only the outermost folders: watchfiles watches recursively.
    roots = sorted(f for f in folders if not any(f.startswith(o + os.sep) for o in folders))
    default_filter = watchfiles.DefaultFilter()

    def wanted(change: t.Any, path: str) -> bool:
        if not default_filter(change, path):
            return False
        if any(fnmatch.fnmatch(path, p) for p in exclude_patterns):
            return False
        return path in files or path.endswith(".py")

    for changes in watchfiles.watch(*roots, watch_filter=wanted, raise_interrupt=False):
        for _, path in changes:
            return str(path)
    return ""


def reloader_kind() -> str:
    """Return the change detector the reloader will use: ``"watchfiles"`` or ``"polling"``."""
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        return "polling"
    return "watchfiles"


def _start_change_watcher(
    extra_files: list[str], exclude_patterns: list[str], interval: float
) -> None:
    def watch() -> None:
        if reloader_kind() == "watchfiles":
            path = _watch_watchfiles(extra_files, exclude_patterns)
        else:
            path = _watch_polling(extra_files, exclude_patterns, interval)
        if not path:
            return
        sys.stderr.write(f" * Detected change in {path!r}, reloading\n")
        sys.stderr.flush()
        sys.stdout.flush()
        # Immediate exit from this thread: the server owns the main thread, and the supervisor
        # starts a fresh process that re-imports everything.
        os._exit(RELOAD_EXIT_CODE)

    threading.Thread(target=watch, name="tumbler-reloader", daemon=True).start()


def _args_for_reloading() -> list[str]:
    """Return the command line that starts this program again."""
    args = [sys.executable, *(f"-W{o}" for o in sys.warnoptions)]
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        # Started with ``python -m package``.
        name = spec.name
        if name.endswith(".__main__"):
            name = name[: -len(".__main__")]
        return [*args, "-m", name, *sys.argv[1:]]
    script = sys.argv[0]
    if not os.path.exists(script) and os.name == "nt" and os.path.exists(script + ".exe"):
        return [script + ".exe", *sys.argv[1:]]
    return [*args, script, *sys.argv[1:]]


def _supervise(sock: socket.socket, kind: str) -> int:
    """Run server children until one exits with something other than a reload request."""
    env = os.environ.copy()
    env[RUN_MAIN_ENV] = "true"
    pass_fds: tuple[int, ...] = ()
    if os.name == "posix":
        sock.set_inheritable(True)
        env[SERVER_FD_ENV] = str(sock.fileno())
        pass_fds = (sock.fileno(),)
    else:
        # Windows cannot hand a socket down this way; the child binds the port itself.
        env[SERVER_FD_ENV] = ""
        sock.close()
    child: subprocess.Popen[bytes] | None = None

    def forward_sigterm(signum: int, frame: t.Any) -> None:
        if child is not None and child.poll() is None:
            child.terminate()
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, forward_sigterm)
    try:
        first = True
        while True:
            if not first:
                sys.stderr.write(f" * Restarting with {kind}\n")
                sys.stderr.flush()
            first = False
            child = subprocess.Popen(_args_for_reloading(), env=env, pass_fds=pass_fds)
            try:
                code = child.wait()
            except KeyboardInterrupt:
                # The terminal sent SIGINT to the child too; let it shut down cleanly.
                child.wait()
                return 0
            if code != RELOAD_EXIT_CODE:
                return code
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait()


# -- entry point ------------------------------------------------------------------------------


def run_simple(
    host: str,
    port: int,
    app: t.Any,
    use_reloader: bool = False,
    use_debugger: bool = False,
    threaded: bool = True,
    ssl_context: SSLContextArg = None,
    extra_files: t.Iterable[str] | None = None,
    server: str | None = None,
    *,
    exclude_patterns: t.Iterable[str] | None = None,
    reloader_interval: float = 1.0,
    debug: bool | None = None,
) -> None:
    """Serve ``app`` on ``host``:``port`` until interrupted. For development only.

    :param host: the interface to listen on (``127.0.0.1`` keeps it private to this machine).
    :param port: the port; ``0`` picks a free one (shown in the banner).
    :param app: a Tumbler app, or any WSGI or ASGI application.
    :param use_reloader: restart the server when a source file changes.
    :param use_debugger: wrap the app in :class:`tumbler.debug.DebugPageMiddleware`, so
        exceptions escaping it show the debug page to local clients.
    :param threaded: handle WSGI requests in threads (uvicorn is concurrent anyway).
    :param ssl_context: serve HTTPS: an :class:`ssl.SSLContext`, ``(cert_file, key_file)``, a
        combined certificate file, or ``"adhoc"`` for a throwaway self-signed certificate.
    :param extra_files: more files whose change triggers a reload.
    :param server: ``"auto"``/``None``, ``"uvicorn"`` or ``"wsgi"``, see :func:`select_server`.
    :param exclude_patterns: ``fnmatch`` patterns of files the reloader ignores.
    :param reloader_interval: seconds between polls when watchfiles is not installed.
    :param debug: the debug state shown in the banner; defaults to ``app.debug``.
    :raises AddressInUseError: when the port is taken.
    :raises ServerError: for any other reason the server cannot start.
    :raises SystemExit: in the reloader's supervisor, with the server child's exit status.
    """
    kind = select_server(app, server)
    context = resolve_ssl_context(ssl_context)
    if debug is None:
        debug = bool(getattr(app, "debug", False))
    extra = [os.fspath(f) for f in extra_files or ()]
    excluded = list(exclude_patterns or ())

    if is_running_from_reloader():
        fd = os.environ.get(SERVER_FD_ENV)
        sock = socket.socket(fileno=int(fd)) if fd else prepare_socket(host, port)
        _start_change_watcher(extra, excluded, reloader_interval)
    else:
        sock = prepare_socket(host, port)
        sys.stderr.write(
            format_banner(
                app,
                sock,
                kind,
                debug,
                reloader_kind() if use_reloader else None,
                context is not None,
            )
        )
        sys.stderr.flush()
        if use_reloader:
            try:
                code = _supervise(sock, reloader_kind())
            finally:
                sock.close()
            raise SystemExit(code)

    served = app
    if use_debugger:
        from .debug import DebugPageMiddleware

        served = DebugPageMiddleware(app)
    try:
        if kind == "uvicorn":
            _serve_uvicorn(sock, served, context, debug)
        else:
            _serve_wsgi(sock, served, threaded, context)
    finally:
        sock.close()
        shutdown = getattr(app, "shutdown", None)
        if kind == "wsgi" and callable(shutdown):
            # Under ASGI the lifespan protocol ran the after-serving hooks already.
            shutdown()


__all__ = [
    "RELOAD_EXIT_CODE",
    "SERVER_CHOICES",
    "AddressInUseError",
    "ServerError",
    "format_banner",
    "generate_adhoc_ssl_context",
    "is_asgi_app",
    "is_running_from_reloader",
    "load_ssl_context",
    "make_wsgi_server",
    "prepare_socket",
    "reloader_kind",
    "resolve_ssl_context",
    "run_simple",
    "select_server",
]
