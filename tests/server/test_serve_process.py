"""`convo serve` as a user runs it, in a real child process: one instance per data
folder, a busy port refused before anything starts, the embedded Redis gone with its
parent however the parent ends, and a bad setting reported in one clear message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server.embedded_redis import free_port

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 120.0  # a bound for a loaded machine, never a timing assertion


@dataclass
class Serve:
    process: subprocess.Popen[str]
    port: int
    data_dir: Path

    @property
    def redis_pid(self) -> int:
        return int((self.data_dir / "redis" / "redis.pid").read_text())


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(CONVO_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO), **extra)
    return env


def _convo(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "server.cli", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=WAIT_S)


def _start(tmp_path: Path, name: str = "data") -> Serve:
    data_dir, port = tmp_path / name, free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # printed once Redis runs and the port is bound
    assert line.startswith("convo listening"), (line, process.poll())
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return Serve(process, port, data_dir)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("convo serve never answered /healthz")


def _gone(pid: int) -> bool:
    """The process no longer runs (a zombie waiting for its reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    except OSError:  # no /proc (macOS): ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return "\nState:\tZ" in status


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Serve]:
    serve = _start(tmp_path)
    redis_pid = serve.redis_pid
    yield serve
    if serve.process.poll() is None:
        serve.process.terminate()
        serve.process.wait(WAIT_S)
    if not _gone(redis_pid):
        os.kill(redis_pid, signal.SIGKILL)  # leave nothing behind, even when a test failed


def test_a_second_instance_on_the_same_data_folder_stops_at_once(
    serving: Serve, tmp_path: Path
) -> None:
    redis_pid = serving.redis_pid
    second = _convo("serve", "--port", str(free_port()), cwd=tmp_path, env=_env(serving.data_dir))
    assert second.returncode == 1
    assert "another convo is already running on the data folder" in second.stderr
    assert f"pid {serving.process.pid}, http://127.0.0.1:{serving.port}" in second.stderr
    assert "CONVO_DATA_DIR" in second.stderr
    assert "Traceback" not in second.stderr
    assert serving.redis_pid == redis_pid  # no second Redis started on the same files
    assert httpx.get(f"http://127.0.0.1:{serving.port}/healthz").status_code == 200


def test_a_port_in_use_is_refused_before_anything_starts(serving: Serve, tmp_path: Path) -> None:
    other_data = tmp_path / "other"
    second = _convo("serve", "--port", str(serving.port), cwd=tmp_path, env=_env(other_data))
    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{serving.port}" in second.stderr
    assert "--port" in second.stderr and "Traceback" not in second.stderr
    assert not (other_data / "redis").exists()  # no Redis was started for it


@pytest.mark.parametrize("stop", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_the_embedded_redis_goes_away_with_its_parent(serving: Serve, stop: signal.Signals) -> None:
    if stop == signal.SIGKILL and not sys.platform.startswith("linux"):
        pytest.skip("only Linux stops a child when its parent is killed (PR_SET_PDEATHSIG)")
    redis_pid = serving.redis_pid
    assert not _gone(redis_pid)
    serving.process.send_signal(stop)
    serving.process.wait(WAIT_S)
    assert _wait_gone(redis_pid), f"redis-server {redis_pid} outlived convo serve ({stop.name})"
    if stop != signal.SIGKILL:  # a clean stop: exit code 0, after Redis
        assert serving.process.returncode == 0


def test_a_bad_log_level_is_one_clear_message_like_any_setting(tmp_path: Path) -> None:
    for variable, value in (("LOG_LEVEL", "LOUD"), ("WHATSAPP_PAIR_BURST", "0")):
        result = _convo("serve", cwd=tmp_path, env=_env(tmp_path / "d", **{variable: value}))
        assert result.returncode == 2
        lines = result.stderr.splitlines()
        assert lines[0] == "convo: configuration error:"
        assert len(lines) == 2 and lines[1].startswith(f"{variable}: "), result.stderr
    assert (
        "'LOUD' is not a log level; use one of DEBUG, INFO"
        in _convo("worker", cwd=tmp_path, env=_env(tmp_path / "d", LOG_LEVEL="LOUD")).stderr
    )
