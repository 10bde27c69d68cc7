"""Serve a built JupyterLite site on the loopback interface, as any static web host would.

    python3 lite/serve.py build/lite [--port N]

Standard library only: `python3 dev.py lite --serve` and the browser tests (tests/lite) use it
before or without the project's virtual environment.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"
# The types a browser insists on: WebAssembly.instantiateStreaming refuses anything but
# application/wasm, and module scripts need a JavaScript type. Python's table varies by version.
TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".whl": "application/zip",
    ".ipynb": "application/json",
}


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}
    quiet = False

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        if not self.quiet:
            super().log_message(format, *args)


def check_site(site: Path) -> None:
    if not (site / "index.html").is_file() or not (site / "jupyter-lite.json").is_file():
        raise SystemExit(f"{site} holds no JupyterLite site: build it with `python3 dev.py lite`")


def make_server(site: Path, port: int = 0, *, quiet: bool = False) -> http.server.HTTPServer:
    """A server for `site` on 127.0.0.1 (port 0: a free one); call serve_forever to start."""
    check_site(site)
    handler = type("Handler", (SiteHandler,), {"quiet": quiet})
    return http.server.ThreadingHTTPServer(
        (HOST, port), functools.partial(handler, directory=str(site))
    )


def address(server: http.server.HTTPServer) -> str:
    return f"http://{HOST}:{server.server_address[1]}/"


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """Serve `site` from a background thread on a free port; yields its address."""
    server = make_server(site, quiet=True)
    thread = threading.Thread(target=server.serve_forever, name="lite-site", daemon=True)
    thread.start()
    try:
        yield address(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. build/lite")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args(argv)
    try:
        server = make_server(args.site.resolve(), args.port)
    except OSError as error:
        print(f"cannot listen on {HOST}:{args.port}: {error.strerror}; try --port 0")
        return 1
    print(f"serving {args.site} at {address(server)} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
