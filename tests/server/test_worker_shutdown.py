"""Real `convo worker` processes stopped in the middle of a turn.

The web app and the workers run as in production (`benchmarks.deployment`) on a Redis of
their own; the turn's LLM call goes to a stub in this process that holds every request until
the test opens its gate, so "a turn is running" is a fact the test waits for, not a timing.

- SIGTERM while a turn runs: the worker takes no new job, finishes the turn within its grace
  period, answers it once and exits 0;
- SIGTERM with a grace period shorter than the turn: the turn is handed back to the queue,
  the worker exits 0, and the next worker answers it once;
- SIGKILL while a turn runs: another worker answers it once, after the dead worker's job
  lease (heartbeat, `server.worker.HEARTBEAT_TTL_S`) and the turn's claim expire.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.deployment import Deployment, body
from benchmarks.worker_llm import ANSWER
from server.embedded_redis import EmbeddedRedis, free_port

pytestmark = pytest.mark.timeout(600)

WAIT_S = 240.0
"""A bound for waiting on a condition on a loaded machine, never a timing assertion."""


class GatedLLM:
    """An OpenAI-compatible `/v1/chat/completions` that holds each request until `gate` is
    set, then answers with a valid routing answer; `calls` counts the requests received."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls = 0
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> GatedLLM:
        threading.Thread(target=self._run, daemon=True).start()
        assert self._started.wait(30)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._started.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                     if line.lower().startswith(b"content-length:")),
                    0,
                )  # fmt: skip
                await reader.readexactly(length)
                self.calls += 1
                while not self.gate.is_set():
                    await asyncio.sleep(0.05)
                message = {"role": "assistant", "content": json.dumps(ANSWER), "refusal": None}
                payload = json.dumps({
                    "id": "chatcmpl-stub", "object": "chat.completion", "created": 1_700_000_000,
                    "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop",
                                 "logprobs": None}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 12, "total_tokens": 112},
                }).encode()  # fmt: skip
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@pytest.fixture(scope="module")
def queue_redis() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
def llm() -> GatedLLM:
    return GatedLLM().start()


def _deployment(work: Path, redis: EmbeddedRedis, llm: GatedLLM, grace_s: float) -> Deployment:
    env = {
        "ROUTER_MODE": "llm",
        "OPENAI_API_KEY": "sk-stub",
        "OPENAI_BASE_URL": llm.base_url,
        "LLM_TIMEOUT_SECONDS": "600",  # the gate, not the client's timeout, ends the wait
        "WORKER_SHUTDOWN_GRACE_SECONDS": str(grace_s),
    }
    return Deployment(work, redis_env={"REDIS_URL": redis.url}, workers=1, extra_env=env)


def _until(condition: object, what: str, deployment: Deployment) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting for: {what}\n{deployment.logs('worker')[-4000:]}")
        time.sleep(0.1)


def _send_one(deployment: Deployment, llm: GatedLLM) -> str:
    """POST one message; return its wamid once its turn is waiting on the LLM."""
    wamid = f"wamid.STOP{uuid.uuid4().hex[:12]}"
    wa_id = f"55119{uuid.uuid4().int % 10**8:08d}"
    assert deployment.post(body(wa_id, [(wamid, "do you have mugs?", int(time.time()))])) == 200
    _until(lambda: llm.calls >= 1, "the turn to call the LLM", deployment)
    return wamid


def _exit_code(worker: subprocess.Popen[bytes], deployment: Deployment) -> int:
    try:
        return worker.wait(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker did not exit\n{deployment.logs('worker')[-4000:]}")


def _assert_answered_once(deployment: Deployment, wamid: str) -> None:
    statuses = deployment.wait_answered([wamid], timeout_s=WAIT_S)
    assert statuses == {wamid: "answered"}, deployment.logs("worker")[-4000:]
    turns = [t for t in deployment.completed_turns() if t.get("msg_id") == wamid]
    assert Counter(t["msg_id"] for t in turns) == {wamid: 1}  # committed once
    assert deployment.replies([wamid])[wamid] >= 1


def _stop_line(deployment: Deployment) -> dict[str, object]:
    lines = [line for line in deployment.logs("worker").splitlines() if '"worker.stopped"' in line]
    assert len(lines) == 1, deployment.logs("worker")[-4000:]
    return dict(json.loads(lines[0]))


def test_sigterm_lets_the_running_turn_finish_then_the_worker_exits_0(
    queue_redis: EmbeddedRedis, llm: GatedLLM, tmp_path: Path
) -> None:
    with _deployment(tmp_path, queue_redis, llm, grace_s=600) as deployment:
        deployment.wait_workers_ready()
        (worker,) = deployment.workers
        wamid = _send_one(deployment, llm)
        worker.terminate()  # SIGTERM
        _until(
            lambda: '"worker.stopping"' in deployment.logs("worker"),
            "the worker to stop taking jobs",
            deployment,
        )
        assert worker.poll() is None  # still finishing its turn
        llm.gate.set()
        assert _exit_code(worker, deployment) == 0
        stopped = _stop_line(deployment)
        assert (stopped["finished_jobs"], stopped["handed_back_jobs"]) == (1, 0)
        _assert_answered_once(deployment, wamid)  # by the worker that was stopping


def test_sigterm_past_the_grace_period_hands_the_turn_back_to_the_next_worker(
    queue_redis: EmbeddedRedis, llm: GatedLLM, tmp_path: Path
) -> None:
    with _deployment(tmp_path, queue_redis, llm, grace_s=0.5) as deployment:
        deployment.wait_workers_ready()
        (first,) = deployment.workers
        wamid = _send_one(deployment, llm)
        first.terminate()
        assert _exit_code(first, deployment) == 0
        stopped = _stop_line(deployment)
        assert (stopped["finished_jobs"], stopped["handed_back_jobs"]) == (0, 1)
        assert deployment.statuses([wamid]) != {wamid: "answered"}
        llm.gate.set()
        deployment.add_worker()  # a new worker takes the handed-back job
        _assert_answered_once(deployment, wamid)


def test_a_turn_of_a_killed_worker_is_answered_once_by_another_worker(
    queue_redis: EmbeddedRedis, llm: GatedLLM, tmp_path: Path
) -> None:
    """The bound (README, *Deploying to production*): the job is free again once the dead
    worker's lease expires (30 s after its last heartbeat) and the turn runs once its claim
    (45 s from the turn's start) is gone. Waited for as a condition, not asserted."""
    with _deployment(tmp_path, queue_redis, llm, grace_s=20) as deployment:
        deployment.wait_workers_ready()
        (first,) = deployment.workers
        wamid = _send_one(deployment, llm)
        first.kill()  # SIGKILL: no chance to hand anything back
        assert first.wait(timeout=WAIT_S) != 0
        llm.gate.set()
        deployment.add_worker()
        _assert_answered_once(deployment, wamid)
