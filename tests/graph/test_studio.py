"""LangGraph Studio: `langgraph dev` loads langgraph.json, uses the Redis checkpointer from
server/studio.py, and runs turns of the graph through its HTTP API.

The server runs without `--allow-blocking`: its blocking-call detector fails a turn that
trains the router or reads a file on the event loop (a first turn that trained there
stalled the Redis client into a `TimeoutError`)."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from server.embedded_redis import free_port

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 240.0
pytestmark = [pytest.mark.studio, pytest.mark.timeout(420)]


def _wait_until_ok(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"langgraph dev exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{base_url}/ok", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)  # polling a readiness endpoint, not waiting for luck
    pytest.fail(f"langgraph dev not ready after {STARTUP_SECONDS}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def studio(redis_url: str, tmp_path: Path) -> Iterator[str]:
    if importlib.util.find_spec("langgraph_cli") is None:
        pytest.skip("langgraph-cli is not installed (dev dependency langgraph-cli[inmem])")
    port = free_port()
    log = tmp_path / "langgraph-dev.log"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "CONVO_DATA_DIR": str(tmp_path),
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
    }
    command = [sys.executable, "-m", "langgraph_cli", "dev", "--port", str(port),
               "--no-browser", "--no-reload"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ok(base_url, process, log)
        yield base_url
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT the server's process group (it stops cleanly), SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _turn(text: str, msg_id: str) -> dict[str, object]:
    return {
        "turn": {
            "tenant_id": "100200300400500",
            "wa_id": "5511987654321",
            "msg_id": msg_id,
            "text": text,
        }
    }


def test_langgraph_dev_runs_turns_on_the_redis_checkpointer(studio: str, redis_url: str) -> None:
    thread_id = str(uuid.uuid4())
    with httpx.Client(base_url=studio, timeout=180) as client:
        assert client.post("/threads", json={"thread_id": thread_id}).status_code == 200
        url = f"/threads/{thread_id}/runs/wait"
        first = client.post(
            url, json={"assistant_id": "conversation", "input": _turn("hola", "m1")}
        )
        assert first.status_code == 200, first.text
        values = first.json()
        assert "session" in values, values
        assert values["session"]["version"] == 1
        assert "Casa Aurora" in values["outbound"][0]["body"]
        second = client.post(url, json={"assistant_id": "conversation", "input": _turn("ok", "m2")})
        assert second.json()["session"]["version"] == 2
        assert second.json()["understanding"]["method"] == "sticky"
    keys = redis.Redis.from_url(redis_url).keys(f"checkpoint*{thread_id}*")
    assert keys, "the dev server did not store the session in Redis"
