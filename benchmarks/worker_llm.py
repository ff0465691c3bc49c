"""Turns per second of one worker when the LLM takes 0.5 s, against the ideal rate.

    python -m benchmarks.worker_llm --customers 120 --max-jobs 10 32

For each `--max-jobs` value, a deployment in the production shape (`benchmarks.deployment`:
the web app and one `convo worker` process, SQLite, one embedded Redis, `ROUTER_MODE=llm`)
talks to a stub OpenAI-compatible server in this process that answers every
`/v1/chat/completions` after `--llm-seconds` (a valid routing answer). `--customers` new
customers each send one message, all POSTed at once; the clock runs from the first POST
until every message is answered.

The ideal rate of a worker whose turns only wait on the LLM is
`max_jobs / (llm_seconds × LLM calls per turn)` (calls counted by the stub as they arrive;
the worker's start-up warm-up of its LLM client answers in-process and is not counted).
Reported per row: turns/s, the ideal, their ratio, and the worker's CPU per turn (from
`/proc`), whose inverse bounds one process whatever `max_jobs` is. The stub also reports
how long it really took to answer (request read to response written, mean): the stub
shares this process with the POSTing threads, and an answer later than `--llm-seconds`
would lower the rate without being the worker's doing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.deployment import Deployment, body, cpu_seconds
from benchmarks.results import add_json_option, write_json
from server.embedded_redis import EmbeddedRedis, free_port

ANSWER = {"lane": "commerce", "intent": "browse_catalog", "confidence": 0.95}


class SlowLLM:
    """`POST /v1/chat/completions` answered after `delay_s` with a routing answer."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.calls = 0
        self.served_s: list[float] = []
        """Per answered call: request read to response written (the stub's own delay)."""
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> SlowLLM:
        threading.Thread(target=self._run, daemon=True).start()
        self._started.wait(10)
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
                received = time.monotonic()
                await asyncio.sleep(self.delay_s)
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
                self.served_s.append(time.monotonic() - received)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def one_row(redis_url: str, llm: SlowLLM, max_jobs: int, customers: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="convo-worker-llm-"))
    env = {
        "ROUTER_MODE": "llm",
        "OPENAI_API_KEY": "sk-stub",
        "OPENAI_BASE_URL": llm.base_url,
        "WORKER_MAX_JOBS": str(max_jobs),
    }
    try:
        with Deployment(work, redis_env={"REDIS_URL": redis_url}, workers=1, extra_env=env) as dep:
            dep.wait_workers_ready()
            run = uuid.uuid4().hex[:6]
            now = int(time.time())
            messages = [
                (f"55119{run}{i:04d}", f"wamid.{run}.{i}", "do you have mugs?")
                for i in range(customers)
            ]
            calls_before, served_before = llm.calls, len(llm.served_s)
            (worker_pid,) = dep.pids()["worker"]
            cpu_before = cpu_seconds(worker_pid)
            started = time.monotonic()
            with httpx.Client(timeout=30) as client, ThreadPoolExecutor(16) as pool:
                posts = [
                    pool.submit(dep.post, body(wa, [(wamid, text, now)]), client=client)
                    for wa, wamid, text in messages
                ]
                assert all(p.result() == 200 for p in posts)
            wamids = [wamid for _, wamid, _ in messages]
            statuses = dep.wait_answered(wamids, timeout_s=600)
            seconds = time.monotonic() - started
            answered = sum(1 for w in wamids if statuses.get(w) == "answered")
            cpu = cpu_seconds(worker_pid) - cpu_before
            calls = (llm.calls - calls_before) / max(answered, 1)
            served = llm.served_s[served_before:]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rate = answered / seconds
    ideal = max_jobs / (llm.delay_s * max(calls, 1.0))
    return {
        "max_jobs": max_jobs, "answered": answered, "customers": customers, "rate": rate,
        "ideal": ideal, "calls": calls, "cpu_ms": cpu * 1000 / max(answered, 1),
        "seconds": seconds, "llm_answer_s": sum(served) / len(served) if served else 0.0,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=120)
    parser.add_argument("--max-jobs", type=int, nargs="+", default=[10, 32])
    parser.add_argument("--llm-seconds", type=float, default=0.5)
    add_json_option(parser)
    args = parser.parse_args(argv)
    llm = SlowLLM(args.llm_seconds).start()
    rows = []
    with EmbeddedRedis() as server:
        for max_jobs in args.max_jobs:
            rows.append(one_row(server.url, llm, max_jobs, args.customers))
    print(
        f"One worker, LLM answering in {args.llm_seconds} s, {args.customers} customers × 1 message"
    )
    served = ", ".join(f"{r['llm_answer_s']:.3f} s" for r in rows)
    print(f"(the stub's measured answer time, mean per row: {served})")
    print()
    print(
        "| max_jobs | answered | turns/s | ideal (max_jobs ÷ LLM wait per turn) | achieved ÷ ideal"
        " | LLM calls per turn | worker CPU ms per turn | CPU-bound ceiling, turns/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ceiling = 1000 / r["cpu_ms"] if r["cpu_ms"] else float("inf")
        print(
            f"| {r['max_jobs']:.0f} | {r['answered']:.0f}/{r['customers']:.0f} | {r['rate']:.1f}"
            f" | {r['ideal']:.1f} | {r['rate'] / r['ideal']:.2f}× | {r['calls']:.2f}"
            f" | {r['cpu_ms']:.0f} | {ceiling:.0f} |"
        )
    write_json(args.json, "worker_llm", {"llm_seconds": args.llm_seconds, "rows": rows})


if __name__ == "__main__":
    main()
