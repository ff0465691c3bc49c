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
                await asyncio.to_thread(self.gate.wait)
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
def llm() -> GatedLLM:
    return GatedLLM().start()


@pytest.fixture(scope="module")
def web(llm: GatedLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """One Redis and one web app for the module; each test starts its own workers."""
    env = {
        "ROUTER_MODE": "llm",
        "OPENAI_API_KEY": "sk-stub",
        "OPENAI_BASE_URL": llm.base_url,
        "LLM_TIMEOUT_SECONDS": "600",  # the gate, not the client's timeout, ends the wait
    }
    work = tmp_path_factory.mktemp("shutdown")
    with (
        EmbeddedRedis() as redis,
        Deployment(work, redis_env={"REDIS_URL": redis.url}, workers=0, extra_env=env) as dep,
    ):
        yield dep


@pytest.fixture
def deployment(web: Deployment, llm: GatedLLM) -> Iterator[Deployment]:
    llm.gate.clear()
    llm.calls = 0
    yield web
    llm.gate.set()  # a worker still waiting on the LLM can finish
    for worker in web.workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in web.workers:
        worker.wait(timeout=WAIT_S)
    web.workers.clear()


LOGS: dict[int, Path] = {}
"""Each worker's own log file, by pid."""


def _log(worker: subprocess.Popen[bytes]) -> str:
    return LOGS[worker.pid].read_text("utf-8", "replace")


def _start_worker(deployment: Deployment, grace_s: float) -> subprocess.Popen[bytes]:
    """A `convo worker` with this grace period, once its controller is ready."""
    ready = deployment.logs("worker").count('"orchestrate_turn.controller_ready"')
    deployment.extra_env["WORKER_SHUTDOWN_GRACE_SECONDS"] = str(grace_s)
    worker = deployment.add_worker()
    LOGS[worker.pid] = sorted((deployment.work / "logs").glob("*-worker.log"))[-1]
    _until(
        lambda: (
            deployment.logs("worker").count('"orchestrate_turn.controller_ready"') > ready
            or worker.poll() is not None
        ),
        "the worker to be ready",
        deployment,
    )
    assert worker.poll() is None, deployment.logs("worker")[-4000:]
    return worker


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


def _stop_line(worker: subprocess.Popen[bytes]) -> dict[str, object]:
    lines = [line for line in _log(worker).splitlines() if '"worker.stopped"' in line]
    assert len(lines) == 1, _log(worker)[-4000:]
    return dict(json.loads(lines[0]))


def test_sigterm_lets_the_running_turn_finish_then_the_worker_exits_0(
    deployment: Deployment, llm: GatedLLM
) -> None:
    worker = _start_worker(deployment, grace_s=600)
    wamid = _send_one(deployment, llm)
    worker.terminate()  # SIGTERM
    _until(
        lambda: '"worker.stopping"' in _log(worker),
        "the worker to stop taking jobs",
        deployment,
    )
    assert worker.poll() is None  # still finishing its turn
    llm.gate.set()
    assert _exit_code(worker, deployment) == 0
    stopped = _stop_line(worker)
    assert stopped["handed_back_jobs"] == 0  # (the start-up sweep may have run alongside)
    _assert_answered_once(deployment, wamid)  # by the worker that was stopping


def test_sigterm_past_the_grace_period_hands_the_turn_back_to_the_next_worker(
    deployment: Deployment, llm: GatedLLM
) -> None:
    first = _start_worker(deployment, grace_s=0.5)
    wamid = _send_one(deployment, llm)
    first.terminate()
    assert _exit_code(first, deployment) == 0
    stopped = _stop_line(first)
    assert stopped["handed_back_jobs"] >= 1  # the turn (and any job running alongside)
    assert deployment.statuses([wamid]) != {wamid: "answered"}
    llm.gate.set()
    _start_worker(deployment, grace_s=20)  # a new worker takes the handed-back job
    _assert_answered_once(deployment, wamid)


def test_a_turn_of_a_killed_worker_is_answered_once_by_another_worker(
    deployment: Deployment, llm: GatedLLM
) -> None:
    """The bound (README, *Deploying to production*): the job is free again once the dead
    worker's lease expires (30 s after its last heartbeat) and the turn runs once its claim
    (45 s from the turn's start) is gone. Waited for as a condition, not asserted."""
    first = _start_worker(deployment, grace_s=20)
    wamid = _send_one(deployment, llm)
    first.kill()  # SIGKILL: no chance to hand anything back
    assert first.wait(timeout=WAIT_S) != 0
    llm.gate.set()
    _start_worker(deployment, grace_s=20)
    _assert_answered_once(deployment, wamid)
