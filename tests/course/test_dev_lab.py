"""`python3 dev.py lab`: the address to open is its last line, it says when no browser can be
opened, one Ctrl-C stops it, and it never races `dev.py test` on .venv."""

import fcntl
import importlib.util
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
dev = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dev)


def test_jupyterlab_is_started_to_stop_on_one_ctrl_c_and_never_to_open_a_browser_itself():
    cmd = dev.lab_command(ROOT / "notebooks", 8888, "t", [])
    assert "--ServerApp.answer_yes=True" in cmd
    assert "--ServerApp.open_browser=False" in cmd


def test_the_learners_jupyterlab_turns_nbgrader_off_and_the_course_keeps_it():
    learner = dev.lab_command(ROOT / "notebooks", 8888, "t", [])
    course = dev.lab_command(ROOT / "course", 8888, "t", [], learner=False)
    off = [f"nbgrader.server_extensions.{name}=False" for name in
           ("formgrader", "validate_assignment", "assignment_list", "course_list")]
    assert all(flag in learner for flag in off)
    assert not any(flag in course for flag in off)


def test_no_browser_is_claimed_without_a_display(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert dev.open_browser("http://127.0.0.1:1/") is False


def test_a_second_dev_py_waits_while_another_installs_into_the_venv(tmp_path, monkeypatch, capsys):
    venv = tmp_path / ".venv"
    monkeypatch.setattr(dev, "VENV", venv)
    monkeypatch.setattr(dev, "LOCK", venv / ".nvmxlab-lock")
    monkeypatch.setattr(dev, "up_to_date", lambda: True)
    venv.mkdir()
    entered = threading.Event()
    with open(venv / ".nvmxlab-lock", "a") as installing:
        fcntl.flock(installing, fcntl.LOCK_EX)

        def second():
            with dev.venv_lock():
                entered.set()

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert not entered.is_set()
        fcntl.flock(installing, fcntl.LOCK_UN)
    thread.join(10)
    assert entered.is_set()
    assert "waiting: another dev.py" in capsys.readouterr().out


@pytest.mark.skipif(not dev.VENV_PYTHON.exists(), reason="needs the project's .venv")
def test_dev_py_lab_prints_the_address_last_and_stops_on_one_ctrl_c():
    port = dev.free_port(8960)
    lab = subprocess.Popen([sys.executable, "dev.py", "lab", "--port", str(port)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        lines = []
        while not (lines and "token=" in lines[-1]) and lab.poll() is None:
            lines.append(lab.stdout.readline().rstrip("\n"))
        url = lines[-1].strip()
        assert url.startswith(f"http://127.0.0.1:{port}/lab/tree/00-welcome.ipynb?token=")
        assert "no browser can be opened" in "\n".join(lines)
        time.sleep(0.5)  # nothing more is printed once the address is out
        with urllib.request.urlopen(url, timeout=10) as page:
            assert page.status == 200
            html = page.read().decode()
        # The learner's JupyterLab hides nbgrader's menus and panels.
        assert re.search(r'"disabledExtensions": \[[^\]]*"@jupyter/nbgrader"', html)
        lab.send_signal(signal.SIGINT)
        rest, _ = lab.communicate(timeout=30)
    finally:
        if lab.poll() is None:
            lab.kill()
    assert lab.returncode == 0
    assert "JupyterLab stopped" in rest
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)
