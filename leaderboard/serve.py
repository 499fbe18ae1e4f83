"""Serve a built site on loopback for a quick look (``harness leaderboard serve``).

Python's http.server, bound to 127.0.0.1 only: this is a preview, not a web server to expose.
"""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ir_harness.errors import ConfigError

HOST = "127.0.0.1"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


def make_server(site: Path, port: int = 8000) -> ThreadingHTTPServer:
    """A server for ``site`` on 127.0.0.1:``port`` (0 picks a free port); not yet serving."""
    site = Path(site)
    if not (site / "index.html").is_file():
        raise ConfigError(
            f"{site} has no index.html; build it first: harness leaderboard build --out {site}"
        )
    handler = functools.partial(_QuietHandler, directory=str(site.resolve()))
    return ThreadingHTTPServer((HOST, port), handler)


def serve(site: Path, port: int = 8000) -> None:
    """Block serving ``site`` until interrupted."""
    server = make_server(site, port)
    print(f"serving {site} at http://{HOST}:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
