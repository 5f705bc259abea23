"""Run the blog on Tumbler's development server: ``python -m blog [--host H] [--port P]``.

``tumbler --app blog run`` does the same with more options; this runner needs only the package.
"""

from __future__ import annotations

import argparse

from . import create_app


def main(argv: list[str] | None = None) -> None:
    """Parse ``--host``/``--port``/``--debug`` and serve the blog until interrupted.

    :param argv: command-line arguments; ``sys.argv[1:]`` when omitted.
    """
    parser = argparse.ArgumentParser(prog="python -m blog", description="Run the example blog.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on")
    parser.add_argument("--debug", action="store_true", help="enable debug mode")
    args = parser.parse_args(argv)
    create_app().run(host=args.host, port=args.port, debug=args.debug)


if __name__ == "__main__":
    main()
