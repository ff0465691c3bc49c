"""Fault injection against the real processes: does every message get answered exactly once?

    python -m benchmarks.faults            # all scenarios (`make faults`, about 6 minutes)
    python -m benchmarks.faults --quick    # the ones that settle in seconds (CI, about 2)
    python -m benchmarks.faults --only redis_away_20s kill_worker

One environment for the whole run, in the production shape: the embedded Redis 8 (AOF,
`appendfsync everysec`) in a temporary folder, SQLite in WAL mode, the web app
(`uvicorn --factory server.app:app_factory`) and two `convo worker` processes, plus a fake
OpenAI-compatible LLM in this process that answers 500 (the router falls back to its
offline understanding) or, in the slow-LLM scenario, trickles one byte every 0.5 s. Replies
are kept in the outbox (no access token: nothing leaves the machine).

A scenario posts signed webhooks like Meta does (a POST not answered 200 is delivered again
every second, as Meta retries), injects its fault, then waits until every acknowledged
message is answered or the scenario's bound passes. Per row:

- tried: messages posted; answered once: inbound rows `answered` with one committed turn;
- lost: acknowledged (or never acknowledged) and not answered within the bound;
- duplicated: a message whose turn committed more than once (`orchestrate_turn.completed`
  success lines per message id in the workers' logs, and session versions above the
  number of messages of the session);
- 5xx: answers the webhook gave that were not 200 (503 is expected while the store is
  locked: Meta delivers again); `max s`: the slowest message, from its first POST to answered.

Exit status 1 when any row lost or duplicated a message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from server.embedded_redis import EmbeddedRedis, free_port
from server.settings import DEFAULT_APP_SECRET
from server.whatsapp.signature import sign

ROOT = Path(__file__).resolve().parents[1]
TEXT_PAYLOAD = ROOT / "tests" / "data" / "webhooks" / "text.json"
TENANT = "106540352242922"
CONVO = str(Path(sys.executable).parent / "convo")


# --- the fake LLM ------------------------------------------------------------------------


class FakeLLM:
    """`POST /v1/chat/completions`: 500 at once, or (trickling) 200 with a body that arrives
    one byte every `gap_s`: each read is quick, the whole answer takes minutes."""

    def __init__(self) -> None:
        self.trickle = False
        self.gap_s = 0.5
        self.calls = 0
        self.port = free_port()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                self.calls += 1
                if not self.trickle:
                    body = b'{"error": {"message": "overloaded"}}'
                    writer.write(
                        b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n"
                        + f"content-length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                    await writer.drain()
                    continue
                body = json.dumps({"id": "x", "object": "chat.completion", "choices": []}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                )
                for index in range(len(body)):
                    writer.write(body[index : index + 1])
                    await writer.drain()
                    await asyncio.sleep(self.gap_s)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


# --- the processes -----------------------------------------------------------------------


@dataclass
class Environment:
    work: Path
    llm: FakeLLM
    redis: EmbeddedRedis = field(init=False)
    web: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    web_port: int = field(default_factory=free_port)
    spawned: int = 0

    def __post_init__(self) -> None:
        self.redis = EmbeddedRedis(data_dir=self.work / "redis")

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "OPENAI_"))}
        env.update(
            REDIS_URL=self.redis.url,
            CONVO_DATA_DIR=str(self.work / "data"),
            CONVO_ENV="development",
            ENABLE_ORCHESTRATION="true",
            OPENAI_BASE_URL=f"http://127.0.0.1:{self.llm.port}/v1",
            OPENAI_API_KEY="fault-suite",
            LLM_TIMEOUT_SECONDS="2",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.pop("DATABASE_URL", None)
        return env

    @property
    def database(self) -> Path:
        return self.work / "data" / "convo.db"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        self.spawned += 1
        log = (self.work / "logs" / f"{self.spawned:02d}-{name}.log").open("wb")
        return subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )

    def start_web(self) -> None:
        self.web = self._spawn(
            "web",
            [sys.executable, "-m", "uvicorn", "--factory", "server.app:app_factory",
             "--port", str(self.web_port), "--no-access-log", "--log-level", "warning"],
        )  # fmt: skip

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = self._spawn("worker", [CONVO, "worker"])
        self.workers.append(worker)
        return worker

    async def wait_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError("the web app did not become ready (see the logs folder)")

    def stop(self) -> None:
        for process in [*self.workers, self.web]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.web]:
            if process is not None:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.redis.stop()

    def kill_redis(self) -> None:
        """SIGKILL: no AOF flush (up to a second of writes lost, as on a crash)."""
        assert self.redis.process is not None
        self.redis.process.kill()
        self.redis.process.wait()
        self.redis.process = None

    def worker_logs(self) -> str:
        return "\n".join(
            path.read_text("utf-8", "replace")
            for path in sorted((self.work / "logs").glob("*-worker.log"))
        )


# --- traffic -----------------------------------------------------------------------------


def message_body(wamid: str, wa_id: str, text: str) -> bytes:
    payload = json.loads(TEXT_PAYLOAD.read_text("utf-8"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = TENANT
    value["contacts"][0]["wa_id"] = wa_id
    message = value["messages"][0]
    message.update(id=wamid, timestamp=str(int(time.time())))
    message["from"] = wa_id
    message["text"]["body"] = text
    return json.dumps(payload, separators=(",", ":")).encode()


def headers(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(body, DEFAULT_APP_SECRET),
    }


@dataclass
class Row:
    name: str
    tried: int = 0
    answered_once: int = 0
    lost: int = 0
    duplicated: int = 0
    non_200: int = 0
    server_errors: int = 0
    max_s: float = 0.0
    note: str = ""
    note_extra: str = ""


@dataclass
class Traffic:
    """What a scenario sent: message id -> (customer, first POST time)."""

    env: Environment
    row: Row
    sent: dict[str, tuple[str, float]] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)

    async def deliver(self, client: httpx.AsyncClient, body: bytes, wamids: list[str]) -> None:
        """POST like Meta: again every second until the answer is 200."""
        now = time.monotonic()
        for wamid in wamids:
            self.sent.setdefault(wamid, ("", now))
        deadline = now + 120
        while time.monotonic() < deadline:
            try:
                response = await client.post(
                    "/webhooks/whatsapp", content=body, headers=headers(body)
                )
                status = response.status_code
            except httpx.HTTPError:
                status = 0  # the web app is down: Meta retries
            if status == 200:
                self.acked.update(wamids)
                return
            self.row.non_200 += 1
            if status >= 500 and status != 503:
                self.row.server_errors += 1
            await asyncio.sleep(1)

    async def message(self, client: httpx.AsyncClient, wa_id: str, text: str) -> str:
        wamid = f"wamid.FAULT{uuid.uuid4().hex[:16]}"
        self.sent[wamid] = (wa_id, time.monotonic())
        self.row.tried += 1
        await self.deliver(client, message_body(wamid, wa_id, text), [wamid])
        return wamid


def answered_at(database: Path, wamids: list[str]) -> dict[str, str]:
    """Inbound status per wamid (read-only; the processes keep writing)."""
    if not wamids:
        return {}
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        marks = ",".join("?" * len(wamids))
        query = "SELECT wamid, status FROM wa_messages WHERE direction='inbound' AND wamid IN "
        rows = connection.execute(f"{query}({marks})", wamids).fetchall()
    finally:
        connection.close()
    return dict(rows)


async def settle(traffic: Traffic, bound_s: float) -> None:
    """Wait until every sent message is answered or `bound_s` passes; fill the row."""
    row, wamids = traffic.row, list(traffic.sent)
    answered_when: dict[str, float] = {}
    deadline = time.monotonic() + bound_s
    while True:
        statuses = await asyncio.to_thread(answered_at, traffic.env.database, wamids)
        now = time.monotonic()
        for wamid, status in statuses.items():
            if status == "answered" and wamid not in answered_when:
                answered_when[wamid] = now
        if len(answered_when) == len(wamids) or now > deadline:
            break
        await asyncio.sleep(0.5)
    row.lost = len(wamids) - len(answered_when)
    row.max_s = max((answered_when[w] - traffic.sent[w][1] for w in answered_when), default=0.0)
    completed = Counter(
        line.split('"msg_id": "', 1)[1].split('"', 1)[0]
        for line in traffic.env.worker_logs().splitlines()
        if '"orchestrate_turn.completed"' in line
        and '"success": true' in line
        and '"msg_id"' in line
    )
    twice = {w for w in wamids if completed.get(w, 0) > 1}
    twice |= await asyncio.to_thread(_versions_too_high, traffic)
    row.duplicated = len(twice)
    row.answered_once = len([w for w in answered_when if w not in twice])


def _versions_too_high(traffic: Traffic) -> set[str]:
    """Messages of sessions whose version is above the number of messages they got."""
    per_user: dict[str, list[str]] = {}
    for wamid, (wa_id, _) in traffic.sent.items():
        if wa_id:
            per_user.setdefault(wa_id, []).append(wamid)
    client = redis.Redis.from_url(traffic.env.redis.url)
    try:
        too_high: set[str] = set()
        for wa_id, wamids in per_user.items():
            version = client.hget(f"session:{TENANT}:{wa_id}", "version")
            if version is not None and int(version) > len(wamids):
                too_high.update(wamids)
        return too_high
    finally:
        client.close()


# --- scenarios ---------------------------------------------------------------------------

TEXTS = ["hola, ¿a qué hora abren?", "what time do you close?", "vocês abrem no domingo?"]
"""Questions for the info lane (no request for a person: a handoff mutes the bot)."""


def users(prefix: str, count: int) -> list[str]:
    base = random.randint(10**6, 10**7 - count - 1)
    return [f"55{prefix}{base + index}" for index in range(count)]


async def burst(traffic: Traffic, client: httpx.AsyncClient, count: int, spread_s: float) -> None:
    """`count` messages from `count // 2` customers, spread over `spread_s` seconds."""
    people = users("11", max(count // 2, 1))

    async def one(index: int) -> None:
        await asyncio.sleep(spread_s * index / count)
        await traffic.message(client, people[index % len(people)], TEXTS[index % len(TEXTS)])

    await asyncio.gather(*(one(index) for index in range(count)))


Scenario = Callable[[Traffic, httpx.AsyncClient], Awaitable[float]]
"""Sends its traffic and injects its fault; returns how long to wait for the answers."""


async def baseline(traffic: Traffic, client: httpx.AsyncClient) -> float:
    await burst(traffic, client, 40, 2)
    return 60


async def duplicate_deliveries(traffic: Traffic, client: httpx.AsyncClient) -> float:
    """Each message POSTed 4 times (3 at once, 1 later): one turn each."""
    people = users("12", 15)
    bodies = []
    for index in range(30):
        wamid = f"wamid.DUP{uuid.uuid4().hex[:16]}"
        traffic.sent[wamid] = (people[index % 15], time.monotonic())
        traffic.row.tried += 1
        bodies.append((message_body(wamid, people[index % 15], TEXTS[index % 3]), wamid))
    await asyncio.gather(*(traffic.deliver(client, b, [w]) for b, w in bodies for _ in range(3)))
    await asyncio.sleep(1)
    await asyncio.gather(*(traffic.deliver(client, b, [w]) for b, w in bodies))
    return 60


async def _redis_restart(traffic: Traffic, client: httpx.AsyncClient, kill: bool) -> float:
    async def fault() -> None:
        await asyncio.sleep(1.0)
        if kill:
            traffic.env.kill_redis()
        else:
            await asyncio.to_thread(traffic.env.redis.stop)
        await asyncio.sleep(2.0)
        await asyncio.to_thread(traffic.env.redis.start)

    await asyncio.gather(burst(traffic, client, 40, 4), fault())
    return 150


async def redis_sigterm_restart(traffic: Traffic, client: httpx.AsyncClient) -> float:
    return await _redis_restart(traffic, client, kill=False)


async def redis_sigkill_restart(traffic: Traffic, client: httpx.AsyncClient) -> float:
    return await _redis_restart(traffic, client, kill=True)


async def redis_away_20s(traffic: Traffic, client: httpx.AsyncClient) -> float:
    await asyncio.to_thread(traffic.env.redis.stop)
    await burst(traffic, client, 20, 15)
    await asyncio.sleep(5)
    await asyncio.to_thread(traffic.env.redis.start)
    return 120


async def kill_worker(traffic: Traffic, client: httpx.AsyncClient) -> float:
    """kill -9 of every worker while turns run (each LLM call takes its 2 s deadline, so
    turns are in flight), two new workers started at once: the abandoned turns are taken
    over once their heartbeat mark expires (30 s) and their claim has passed (45 s)."""
    env = traffic.env
    env.llm.trickle = True
    probe = redis.Redis.from_url(env.redis.url)

    async def fault() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            running = await asyncio.to_thread(probe.keys, "arq:in-progress:orchestrate:*")
            if running:
                break
            await asyncio.sleep(0.05)
        victims = [worker for worker in env.workers if worker.poll() is None]
        for victim in victims:
            victim.kill()
        for victim in victims:
            victim.wait()
        traffic.row.note_extra = f"{len(running)} turns in flight at kill -9"
        env.start_worker()
        env.start_worker()

    try:
        await asyncio.gather(burst(traffic, client, 20, 2), fault())
        await asyncio.sleep(3)
    finally:
        env.llm.trickle = False
        probe.close()
    return 150


async def kill_web(traffic: Traffic, client: httpx.AsyncClient) -> float:
    env = traffic.env

    async def fault() -> None:
        await asyncio.sleep(1.5)
        assert env.web is not None
        env.web.kill()
        env.web.wait()
        env.start_web()

    await asyncio.gather(burst(traffic, client, 30, 4), fault())
    return 90


async def poison_and_fuzz(traffic: Traffic, client: httpx.AsyncClient) -> float:
    """10 POSTs with a lone-surrogate text beside a good one, and 200 fuzzed bodies."""
    people = users("13", 20)
    for index in range(10):
        poisoned, good = (
            f"wamid.POISON{uuid.uuid4().hex[:12]}",
            f"wamid.GOOD{uuid.uuid4().hex[:12]}",
        )
        payload = json.loads(message_body(poisoned, people[2 * index], "x"))
        value = payload["entry"][0]["changes"][0]["value"]
        value["messages"][0]["text"]["body"] = "hi \ud800 there"
        second = copy.deepcopy(value["messages"][0])
        second.update(id=good)
        second["from"] = people[2 * index + 1]
        second["text"]["body"] = TEXTS[index % 3]
        value["messages"].append(second)
        body = json.dumps(payload, separators=(",", ":")).encode()
        now = time.monotonic()
        traffic.sent[poisoned] = (people[2 * index], now)
        traffic.sent[good] = (people[2 * index + 1], now)
        traffic.row.tried += 2
        await traffic.deliver(client, body, [poisoned, good])
    rng = random.Random(15)
    template = json.loads(message_body("wamid.FUZZ", "5511000000000", "fuzz"))
    for _ in range(200):
        fuzzed = _mutate(copy.deepcopy(template), rng)
        body = json.dumps(fuzzed, separators=(",", ":")).encode()
        response = await client.post("/webhooks/whatsapp", content=body, headers=headers(body))
        if response.status_code >= 500:
            traffic.row.server_errors += 1
    return 60


JUNK: list[Any] = [None, True, 0, -1, 1.5, "", "x", "\ud800", "\x00", [], {}, [None], 10**30]


def _mutate(node: Any, rng: random.Random) -> Any:
    paths: list[tuple[Any, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key in list(value):
                paths.append((value, key))
                walk(value[key])
        elif isinstance(value, list):
            for index in range(len(value)):
                paths.append((value, index))
                walk(value[index])

    walk(node)
    for _ in range(rng.randint(1, 3)):
        parent, key = rng.choice(paths)
        with contextlib.suppress(KeyError, IndexError, TypeError):
            parent[key] = rng.choice(JUNK)
    return node


async def slow_llm(traffic: Traffic, client: httpx.AsyncClient) -> float:
    """The LLM trickles a byte every 0.5 s: each call ends at LLM_TIMEOUT_SECONDS (2 s) and
    the offline understanding answers."""
    traffic.env.llm.trickle = True
    try:
        await burst(traffic, client, 10, 1)
        await settle(traffic, 60)
    finally:
        traffic.env.llm.trickle = False
    return 5


async def store_locked(traffic: Traffic, client: httpx.AsyncClient) -> float:
    """Another process holds SQLite's write lock for 12 s (a hung store): the webhook
    answers 503 after its deadline and Meta's retries land once the lock is free."""
    holder = sqlite3.connect(traffic.env.database, timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    async def release() -> None:
        await asyncio.sleep(12)
        holder.execute("ROLLBACK")
        holder.close()

    await asyncio.gather(burst(traffic, client, 10, 2), release())
    return 90


SCENARIOS: dict[str, Scenario] = {
    "baseline": baseline,
    "duplicate_deliveries": duplicate_deliveries,
    "redis_sigterm_restart": redis_sigterm_restart,
    "redis_sigkill_restart": redis_sigkill_restart,
    "redis_away_20s": redis_away_20s,
    "kill_worker": kill_worker,
    "kill_web": kill_web,
    "poison_and_fuzz": poison_and_fuzz,
    "slow_llm": slow_llm,
    "store_locked": store_locked,
}


QUICK = ("baseline", "duplicate_deliveries", "kill_web", "poison_and_fuzz", "slow_llm")
"""Scenarios whose messages are answered within seconds (no waiting for a sweep or a
heartbeat to expire): what CI runs."""


# --- running -----------------------------------------------------------------------------


async def run(names: list[str], work: Path) -> list[Row]:
    (work / "logs").mkdir(parents=True, exist_ok=True)
    llm = FakeLLM()
    await llm.start()
    env = Environment(work, llm)
    env.redis.start()
    rows: list[Row] = []
    try:
        env.start_web()
        await env.wait_ready()
        env.start_worker()
        env.start_worker()
        warm_up = Traffic(env, Row("warm-up"))  # both workers have their router loaded
        async with httpx.AsyncClient(base_url=env.url, timeout=30) as client:
            await burst(warm_up, client, 4, 0)
        await settle(warm_up, 180)
        for name in names:
            row = Row(name)
            traffic = Traffic(env, row)
            started = time.monotonic()
            async with httpx.AsyncClient(base_url=env.url, timeout=30) as client:
                bound = await SCENARIOS[name](traffic, client)
                await settle(traffic, bound)
            row.note = f"{time.monotonic() - started:.0f} s"
            rows.append(row)
            print(f"  {name}: {row}", file=sys.stderr, flush=True)
    finally:
        await asyncio.to_thread(env.stop)
        await llm.stop()
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| scenario | tried | answered once | lost | duplicated | non-200 answers "
        "(5xx but 503) | slowest answer | scenario time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        name = f"{row.name} ({row.note_extra})" if row.note_extra else row.name
        lines.append(
            f"| {name} | {row.tried} | {row.answered_once} | {row.lost} | {row.duplicated} "
            f"| {row.non_200} ({row.server_errors}) | {row.max_s:.1f} s | {row.note} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="scenarios to run")
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args()
    names = args.only or (list(QUICK) if args.quick else list(SCENARIOS))
    work = Path(tempfile.mkdtemp(prefix="convo-faults-"))
    started = time.monotonic()
    rows = asyncio.run(run(names, work))
    print(table(rows))
    print(f"\n{len(rows)} scenarios in {time.monotonic() - started:.0f} s; logs: {work}")
    failed = [row.name for row in rows if row.lost or row.duplicated or row.server_errors]
    if not args.keep and not failed:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print(f"FAILED: {', '.join(failed)} (logs kept in {work})")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
