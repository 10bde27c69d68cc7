"""Start and stop what the browser tests drive: a JupyterLab server and headless Chromium.

The pytest fixtures in conftest.py and the browser benchmark both use these context managers,
so a benchmark measures exactly what the tests measure.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from .jupyterlab import ARTIFACTS, REPO, JupyterServer

CHROMIUM = Path("/usr/bin/chromium")
# The background-networking flags matter: without them Chromium keeps calling home, and this
# machine's closed network refuses each attempt.
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_command(port: int, token: str, home: Path) -> list[str]:
    return [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}", "--allow-root",
        f"--ServerApp.root_dir={REPO}",
        # window.jupyterapp, which the helpers drive (see jupyterlab.py)
        "--expose-app-in-browser",
        # No news feed or update check: nothing outside this machine can answer them.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        f"--LabApp.user_settings_dir={home / 'settings'}",
    ]  # fmt: skip


def quiet_settings(home: Path) -> None:
    """Turn off the "official Jupyter news?" toast, which can cover what a test clicks, and
    autosave, which would write the outputs of a test's run into the course's notebooks."""
    settings = home / "settings" / "@jupyterlab"
    for plugin, text in (
        ("apputils-extension/notification", '{"fetchNews": "false"}\n'),
        ("docmanager-extension/plugin", '{"autosave": false}\n'),
    ):
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def isolated_env(home: Path) -> dict[str, str]:
    """Keep the user's Jupyter and IPython configuration out of the tests, and theirs out of it."""
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
    }


def log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(server: JupyterServer, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with status {process.returncode} before answering; "
                f"log {log}:\n{log_tail(log)}"
            )
        try:
            server.api("GET", "status")
            return
        except OSError:  # connection refused until it listens; URLError is an OSError
            time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not answer /api/status within 120 s; log {log}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM lets the server shut its kernels down; SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def jupyterlab(home: Path, log: Path = ARTIFACTS / "jupyter-server.log") -> Iterator[JupyterServer]:
    """A JupyterLab on a free loopback port with a random token, rooted at the repository.

    `home` is an empty folder for its configuration; the server is stopped on the way out,
    whatever happened inside.
    """
    quiet_settings(home)
    port, token = free_port(), secrets.token_hex(16)
    server = JupyterServer(f"http://127.0.0.1:{port}", token, REPO)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as log_file:
        process = subprocess.Popen(
            lab_command(port, token, home),
            cwd=REPO,
            env=isolated_env(home),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a hung server can be killed whole
        )
        try:
            wait_until_ready(server, process, log)
            yield server
        finally:
            stop(process)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright (whose own download cannot work here)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
