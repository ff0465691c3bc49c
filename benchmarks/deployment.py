"""A deployment in the production shape, as real processes, for tests and benchmarks.

    with Deployment(work_dir, redis_env={"REDIS_URL": url}, workers=2) as deployment:
        deployment.post(deployment.body("5511...", [("wamid.A", "hola", 1700000000)]))
        deployment.wait_answered(["wamid.A"], timeout_s=120)
        deployment.completed_turns()   # the workers' `orchestrate_turn.completed` lines

One web app (`uvicorn --factory server.app:app_factory`) and `workers` separate
`convo worker` processes, on the Redis topology given as environment variables
(`REDIS_URL`, or the Sentinel and shard settings) and one SQLite store in `work_dir`.
Orchestration is on, no LLM (the offline understanding answers), no access token (replies
stay in the outbox as `logged`: nothing leaves the machine). Each process logs JSON lines
to its own file in `work_dir/logs`; waits are bounded by deadlines, never by sleeps that
hope something happened.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from server.embedded_redis import free_port
from server.settings import DEFAULT_APP_SECRET
from server.whatsapp.signature import sign

ROOT = Path(__file__).resolve().parents[1]
TENANT = "106540352242922"
"""The phone number id of the demo tenant (tests/data/webhooks/text.json)."""
CONVO = str(Path(sys.executable).parent / "convo")
TICKS = os.sysconf("SC_CLK_TCK")


def body(wa_id: str, messages: Iterable[tuple[str, str, int]], tenant: str = TENANT) -> bytes:
    """One webhook POST from customer `wa_id` with `(wamid, text, unix timestamp)` messages,
    in the given order, shaped and serialized as Meta sends it."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": tenant},
        "contacts": [{"profile": {"name": "Load Test"}, "wa_id": wa_id}],
        "messages": [
            {"from": wa_id, "id": wamid, "timestamp": str(ts), "type": "text", "text": {"body": t}}
            for wamid, t, ts in messages
        ],
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def signed(raw: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(raw, DEFAULT_APP_SECRET),
    }


def session_state(redis_url: str, wa_id: str, tenant: str = TENANT) -> dict[str, Any] | None:
    """The committed session of a conversation as a dict (None if it has none), read with
    the service's own checkpointer from the Redis at `redis_url` (any address kind)."""
    from graph.checkpointer import redis_checkpointer
    from server.redis_connect import connect

    async def read() -> dict[str, Any] | None:
        client = connect(redis_url)
        try:
            async with redis_checkpointer(client=client) as saver:
                config: Any = {"configurable": {"thread_id": f"{tenant}:{wa_id}"}}
                stored = await saver.aget_tuple(config)
        finally:
            await client.aclose()
        session = stored.checkpoint["channel_values"].get("session") if stored else None
        return session if isinstance(session, dict) else None

    return asyncio.run(read())


def user_msg_ids(session: dict[str, Any] | None) -> list[str]:
    """The message ids of the customer's turns in a session's dialogue window, in order."""
    turns = ((session or {}).get("dialogue") or {}).get("turns") or []
    return [t.get("msg_id") for t in turns if t.get("role") == "user"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process used so far (Linux `/proc`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Deployment:
    """The web app and `workers` worker processes (see module doc); a context manager."""

    def __init__(
        self,
        work: Path,
        *,
        redis_env: dict[str, str],
        workers: int = 2,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.work = work
        self.redis_env = redis_env
        self.worker_count = workers
        self.extra_env = extra_env or {}
        self.web: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.port = free_port()
        self._spawned = 0
        (work / "logs").mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.work / "data" / "convo.db"

    @property
    def env(self) -> dict[str, str]:
        drop = ("WHATSAPP_", "OPENAI_", "REDIS_", "CHATWOOT_", "HANDOFF_", "STRIPE_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        env.pop("DATABASE_URL", None)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(
            CONVO_DATA_DIR=str(self.work / "data"),
            CONVO_ENV="development",
            ENABLE_ORCHESTRATION="true",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
            **self.redis_env,
            **self.extra_env,
        )
        return env

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        self._spawned += 1
        log = (self.work / "logs" / f"{self._spawned:02d}-{name}.log").open("wb")
        return subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=log)

    def start(self, timeout_s: float = 180) -> Deployment:
        self.web = self._spawn(
            "web",
            [sys.executable, "-m", "uvicorn", "--factory", "server.app:app_factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
             "--log-level", "warning"],
        )  # fmt: skip
        self._wait_web(timeout_s)
        for _ in range(self.worker_count):
            self.add_worker()
        return self

    def add_worker(self) -> subprocess.Popen[bytes]:
        worker = self._spawn("worker", [CONVO, "worker"])
        self.workers.append(worker)
        return worker

    def _wait_web(self, timeout_s: float) -> None:
        assert self.web is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise RuntimeError(f"the web app exited ({self.web.returncode}): {self.logs()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the web app did not answer /healthz in {timeout_s}s")

    def wait_workers_ready(self, timeout_s: float = 180) -> None:
        """Until every worker has built its controller (router trained, graph compiled)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ready = self.logs("worker").count('"orchestrate_turn.controller_ready"')
            if ready >= len(self.workers):
                return
            for worker in self.workers:
                if worker.poll() is not None:
                    raise RuntimeError(f"a worker exited: {self.logs('worker')[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"workers not ready in {timeout_s}s: {self.logs('worker')[-3000:]}")

    def post(self, raw: bytes, *, client: httpx.Client | None = None) -> int:
        """POST a signed webhook body; again every second until it is answered 200 (as Meta
        does), for at most a minute. Returns the last status."""
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline:
            try:
                url = f"{self.url}/webhooks/whatsapp"
                poster = client.post if client is not None else httpx.post
                status = poster(url, content=raw, headers=signed(raw), timeout=30).status_code
            except httpx.HTTPError:
                status = 0
            if status == 200:
                return status
            time.sleep(1)
        return status

    def statuses(self, wamids: list[str]) -> dict[str, str]:
        """Inbound status per wamid, read-only (the processes keep writing)."""
        if not wamids or not self.database.exists():
            return {}
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)
        try:
            marks = ",".join("?" * len(wamids))
            query = "SELECT wamid, status FROM wa_messages WHERE direction='inbound' AND wamid IN"
            return dict(connection.execute(f"{query} ({marks})", wamids).fetchall())
        finally:
            connection.close()

    def replies(self, wamids: list[str]) -> dict[str, int]:
        """How many outbox rows answer each wamid."""
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)
        try:
            rows = connection.execute(
                "SELECT idempotency_key FROM wa_messages WHERE direction='outbound'"
            ).fetchall()
        finally:
            connection.close()
        counts = dict.fromkeys(wamids, 0)
        for (key,) in rows:
            wamid = (key or "").split(":reply:", 1)[0]
            if wamid in counts:
                counts[wamid] += 1
        return counts

    def wait_answered(self, wamids: list[str], timeout_s: float = 180) -> dict[str, str]:
        """Poll until every wamid is `answered` (or the deadline); the last statuses."""
        deadline = time.monotonic() + timeout_s
        while True:
            statuses = self.statuses(wamids)
            done = all(statuses.get(w) == "answered" for w in wamids)
            if done or time.monotonic() > deadline:
                return statuses
            time.sleep(0.2)

    def logs(self, kind: str = "") -> str:
        return "\n".join(
            path.read_text("utf-8", "replace")
            for path in sorted((self.work / "logs").glob(f"*{kind}*.log"))
        )

    def completed_turns(self) -> list[dict[str, Any]]:
        """Every committed turn the workers logged (`orchestrate_turn.completed`, success),
        in log order per worker: msg_id, state_version, wa_id (masked), lane."""
        turns = []
        for line in self.logs("worker").splitlines():
            if '"orchestrate_turn.completed"' not in line or '"success": true' not in line:
                continue
            try:
                turns.append(json.loads(line))
            except ValueError:
                continue
        return turns

    def pids(self) -> dict[str, list[int]]:
        return {
            "web": [self.web.pid] if self.web is not None else [],
            "worker": [w.pid for w in self.workers],
        }

    def stop(self) -> None:
        processes = [*self.workers, self.web]
        for process in processes:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> Deployment:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
