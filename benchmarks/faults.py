"""Fault injection against the real processes: does every message get answered exactly once?

    python -m benchmarks.faults            # all scenarios (`make faults`, what CI runs)
    python -m benchmarks.faults --quick    # the ones that settle in seconds
    python -m benchmarks.faults --only redis_away_20s kill_worker

Three deployment shapes, each its own processes, embedded Redis 8 (AOF, `appendfsync
everysec`) and database, in a temporary folder:

- `split`: the web app (`uvicorn --factory server.app:app_factory`) and two `convo worker`
  processes on SQLite (WAL);
- `serve`: `convo serve` alone (web app and its in-process, supervised worker), SQLite;
- `postgres`: the split shape on PostgreSQL (a new database on TEST_DATABASE_URL's server,
  dropped afterwards), reached through a TCP proxy of this suite that can make it refuse
  connections or stop answering. Skipped, saying so, without TEST_DATABASE_URL.

Stand-ins served by this process: an OpenAI-compatible LLM (`ROUTER_MODE=llm`: every turn
asks it first) that answers 500 (the router falls back to its offline understanding), or
trickles, or fails in every other way; and the Graph API (`WHATSAPP_ACCESS_TOKEN` set:
replies are really sent over HTTP), which accepts each message or fails the first tries.

A scenario posts signed webhooks like Meta does (a POST not answered 200 is delivered again
every second, as Meta retries), injects its fault, then waits until every message is
answered or the scenario's bound passes. Per row:

- tried: messages posted; answered once: inbound rows `answered`, one committed turn, and
  every reply to the customer accepted by the Graph API once;
- lost: not answered within the bound, or a reply never accepted by the Graph API;
- duplicated: a message whose turn committed more than once (`orchestrate_turn.completed`
  success lines per message id in the workers' logs, and session versions above the
  number of messages of the session), or whose customer got more replies than were stored;
- non-200: answers the webhook gave that were not 200 (503 is expected while the store is
  away: Meta delivers again; other 5xx fail the row); `slowest answer`: from a message's
  first POST until it was answered;
- a scenario's own bound, in parentheses after its name (the takeover of a killed
  worker's turn within 60 s, each LLM call cut at its deadline, the webhook refusing
  within 10 s while the database hangs).

Exit status 1 when any row lost or duplicated a message, or broke its bound.
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
from collections.abc import AsyncIterator, Awaitable, Callable
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


# --- the stand-ins: LLM, Graph API, a proxy in front of PostgreSQL ----------------------

LLM_TIMEOUT_S = 2.0
"""`LLM_TIMEOUT_SECONDS` of the processes: the total deadline of one LLM call."""

TAKEOVER_BOUND_S = 60.0
"""A turn abandoned by a killed worker must be answered within this long of the kill."""

STORE_REFUSAL_BOUND_S = 10.0
"""While the database refuses or hangs, the webhook must answer (503) within this long."""


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    """One HTTP/1.1 request's body (keep-alive: called again for the next request)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return await reader.readexactly(length)


def _respond(writer: asyncio.StreamWriter, status: str, body: bytes, extra: str = "") -> None:
    writer.write(
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra}"
        f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )


class FakeLLM:
    """`POST /v1/chat/completions`, by `mode`:

    - `error`: 500 at once (the router falls back to its offline understanding);
    - `trickle`: 200 with a body that arrives one byte every `gap_s` (each read is quick,
      the whole answer would take half a minute); how long each such call stayed open
      is kept in `held_s`;
    - `mixed`: by turns 500, 429, 200 with broken JSON, 200 without choices, the
      connection closed without an answer, no answer at all, and a trickle.
    """

    MIXED = ("error", "rate_limited", "broken_json", "no_choices", "drop", "silent", "trickle")

    def __init__(self) -> None:
        self.mode = "error"
        self.gap_s = 0.5
        self.calls = 0
        self.held_s: list[float] = []
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
                await _read_request(reader)
                self.calls += 1
                mode = self.mode
                if mode == "mixed":
                    mode = self.MIXED[self.calls % len(self.MIXED)]
                if mode == "error":
                    _respond(writer, "500 Internal Server Error", b'{"error": {"message": "x"}}')
                elif mode == "rate_limited":
                    body = b'{"error": {"message": "slow down", "type": "rate_limit"}}'
                    _respond(writer, "429 Too Many Requests", body, "retry-after: 1\r\n")
                elif mode == "broken_json":
                    _respond(writer, "200 OK", b'{"id": "x", "choices": [{"mess')
                elif mode == "no_choices":
                    _respond(writer, "200 OK", b'{"id": "x", "object": "chat.completion"}')
                elif mode == "drop":
                    return
                elif mode == "silent":
                    await reader.read()  # until the client gives up and closes
                    return
                else:
                    await self._trickle(reader, writer)
                    return
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _trickle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = json.dumps({"id": "x", "object": "chat.completion", "choices": []}).encode()
        started = time.monotonic()
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
        )
        try:
            for index in range(len(body)):
                if reader.at_eof():  # the client closed: its deadline passed
                    break
                writer.write(body[index : index + 1])
                await writer.drain()
                await asyncio.sleep(self.gap_s)
        finally:
            self.held_s.append(time.monotonic() - started)


class FakeGraph:
    """The Graph API's `POST /{version}/{phone_number_id}/messages`: each message to a
    customer is accepted (200 with a new wamid) and counted in `accepted` per recipient;
    marks as read are answered 200. With `faulty`, the first `fails_per_recipient`
    attempts to each recipient fail, by turns: 500 (131000), 429 (130429), 503 without a
    body, and the connection closed without an answer (not accepted: nothing was sent)."""

    FAULTS = ("server_error", "throughput", "bare_503", "drop")

    def __init__(self) -> None:
        self.faulty = False
        self.fails_per_recipient = 2
        self.accepted: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.faults = 0
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
                payload = json.loads(await _read_request(reader))
                to = payload.get("to") if isinstance(payload, dict) else None
                if not isinstance(to, str):  # a mark as read
                    _respond(writer, "200 OK", b'{"success": true}')
                elif self.faulty and self.failed[to] < self.fails_per_recipient:
                    self.failed[to] += 1
                    fault = self.FAULTS[self.faults % len(self.FAULTS)]
                    self.faults += 1
                    if fault == "drop":
                        return
                    if fault == "server_error":
                        error = {"message": "Something went wrong", "code": 131000}
                        body = json.dumps({"error": error}).encode()
                        _respond(writer, "500 Internal Server Error", body)
                    elif fault == "throughput":
                        error = {"message": "Rate limit hit", "code": 130429}
                        _respond(
                            writer, "429 Too Many Requests", json.dumps({"error": error}).encode()
                        )
                    else:
                        _respond(writer, "503 Service Unavailable", b"")
                else:
                    self.accepted[to.removeprefix("+")] += 1  # sent in E.164, kept by wa_id
                    answer = {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": to, "wa_id": to}],
                        "messages": [{"id": f"wamid.OUT{uuid.uuid4().hex}"}],
                    }
                    _respond(writer, "200 OK", json.dumps(answer).encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


class StoreProxy:
    """A TCP proxy in front of PostgreSQL, so a scenario can make the database refuse
    (nothing listens: connection refused, open connections cut) or hang (connections
    accepted, nothing forwarded either way: a database that stopped answering)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.flowing = asyncio.Event()
        self.flowing.set()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def stop(self) -> None:
        await self.refuse()
        self.flowing.set()

    async def refuse(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    def hang(self) -> None:
        self.flowing.clear()

    async def restore(self) -> None:
        self.flowing.set()
        if self._server is None:
            await self.start()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        try:
            await self.flowing.wait()
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            self._open.discard(writer)
            return
        self._open.add(up_writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._open.discard(writer)
        self._open.discard(up_writer)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()


# --- the processes -----------------------------------------------------------------------


@dataclass
class Environment:
    """The processes of one deployment shape: `split` (the web app and two `convo worker`,
    SQLite), `serve` (`convo serve` alone: web app and in-process worker, SQLite) or
    `postgres` (the split shape on PostgreSQL, reached through a `StoreProxy`)."""

    work: Path
    llm: FakeLLM
    graph: FakeGraph
    shape: str = "split"
    database_url: str | None = None
    """PostgreSQL through the proxy, for the processes (None: SQLite)."""
    direct_dsn: str | None = None
    """The same database without the proxy, for the suite's own reads."""
    proxy: StoreProxy | None = None
    redis: EmbeddedRedis = field(init=False)
    web: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    web_port: int = field(default_factory=free_port)
    spawned: int = 0
    log_paths: dict[int, Path] = field(default_factory=dict)

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
            ROUTER_MODE="llm",  # every turn asks the (faulty) LLM first
            LLM_TIMEOUT_SECONDS=str(LLM_TIMEOUT_S),
            WHATSAPP_ACCESS_TOKEN="fault-suite",
            WHATSAPP_API_BASE_URL=f"http://127.0.0.1:{self.graph.port}",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.pop("DATABASE_URL", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    @property
    def database(self) -> Path:
        return self.work / "data" / "convo.db"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        self.spawned += 1
        path = self.work / "logs" / f"{self.spawned:02d}-{name}.log"
        process = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=path.open("wb"), stderr=subprocess.STDOUT
        )
        self.log_paths[process.pid] = path
        return process

    async def wait_worker_ready(
        self, worker: subprocess.Popen[bytes], timeout_s: float = 300
    ) -> None:
        """Until `worker` has built its graph context (router loaded: it takes jobs)."""
        path, deadline = self.log_paths[worker.pid], time.monotonic() + timeout_s
        while '"graph.context"' not in path.read_text("utf-8", "replace"):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError(f"worker not ready: see {path}")
            await asyncio.sleep(0.2)

    def start_web(self) -> None:
        if self.shape == "serve":
            self.web = self._spawn("serve", [CONVO, "serve", "--port", str(self.web_port)])
            return
        self.web = self._spawn(
            "web",
            [sys.executable, "-m", "uvicorn", "--factory", "server.app:app_factory",
             "--port", str(self.web_port), "--no-access-log", "--log-level", "warning"],
        )  # fmt: skip

    def start_workers(self) -> None:
        if self.shape != "serve":
            self.start_worker()
            self.start_worker()

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

    def process_logs(self) -> str:
        """What the workers (and `convo serve`, whose worker runs inside) logged."""
        return "\n".join(
            path.read_text("utf-8", "replace")
            for path in sorted((self.work / "logs").glob("*.log"))
            if not path.name.endswith("-web.log")
        )

    async def query(self, sql: str, values: list[str]) -> list[tuple[Any, ...]]:
        """Rows of `sql` (`{marks}` stands for one placeholder per value), read-only and
        beside the processes (PostgreSQL without the proxy: it may be refusing)."""
        if not values:
            return []
        if self.direct_dsn is not None:
            import asyncpg

            marks = ",".join(f"${index + 1}" for index in range(len(values)))
            connection = await asyncpg.connect(self.direct_dsn, timeout=10)
            try:
                return [tuple(r) for r in await connection.fetch(sql.format(marks=marks), *values)]
            finally:
                await connection.close()

        def read() -> list[tuple[Any, ...]]:
            connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)
            try:
                marks = ",".join("?" * len(values))
                return connection.execute(sql.format(marks=marks), values).fetchall()
            finally:
                connection.close()

        return await asyncio.to_thread(read)


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
    failures: list[str] = field(default_factory=list)
    """Bounds the scenario checks beside loss and duplicates (a deadline, a takeover)."""
    skipped: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.duplicated or self.server_errors or self.failures)


@dataclass
class Traffic:
    """What a scenario sent: message id -> (customer, first POST time)."""

    env: Environment
    row: Row
    sent: dict[str, tuple[str, float]] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    answered_when: dict[str, float] = field(default_factory=dict)
    slowest_refusal_s: float = 0.0
    """The longest the webhook took to answer anything but 200 (a connection error aside)."""
    checks: list[Callable[[Traffic], None]] = field(default_factory=list)
    """Run after `settle`: a scenario's own bounds (they append to `row.failures`)."""

    async def deliver(self, client: httpx.AsyncClient, body: bytes, wamids: list[str]) -> None:
        """POST like Meta: again every second until the answer is 200."""
        now = time.monotonic()
        for wamid in wamids:
            self.sent.setdefault(wamid, ("", now))
        deadline = now + 120
        while time.monotonic() < deadline:
            posted = time.monotonic()
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
            if status:
                self.slowest_refusal_s = max(self.slowest_refusal_s, time.monotonic() - posted)
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


INBOUND = "SELECT wamid, status FROM wa_messages WHERE direction='inbound' AND wamid IN ({marks})"
REPLIES = (
    "SELECT wa_id, count(*) FROM wa_messages WHERE direction='outbound' AND wa_id IN ({marks}) "
    "GROUP BY wa_id"
)


async def settle(traffic: Traffic, bound_s: float) -> None:
    """Wait until every sent message is answered (its turn committed and every reply to
    its customer accepted by the Graph API) or `bound_s` passes; fill the row."""
    env, row, wamids = traffic.env, traffic.row, list(traffic.sent)
    people = sorted({wa_id for wa_id, _ in traffic.sent.values() if wa_id})
    answered_when = traffic.answered_when
    replies: dict[str, int] = {}
    deadline = time.monotonic() + bound_s
    while True:
        statuses = dict(await env.query(INBOUND, wamids))
        replies = {str(k): int(v) for k, v in await env.query(REPLIES, people)}
        now = time.monotonic()
        for wamid, status in statuses.items():
            wa_id = traffic.sent[wamid][0]
            delivered = env.graph.accepted[wa_id] >= replies.get(wa_id, 0) if wa_id else True
            if status == "answered" and delivered and wamid not in answered_when:
                answered_when[wamid] = now
        if len(answered_when) == len(wamids) or now > deadline:
            break
        await asyncio.sleep(0.5)
    unsent = {wa_id for wa_id in people if env.graph.accepted[wa_id] < replies.get(wa_id, 0)}
    row.lost = len([w for w in wamids if w not in answered_when or traffic.sent[w][0] in unsent])
    row.max_s = max((answered_when[w] - traffic.sent[w][1] for w in answered_when), default=0.0)
    completed = Counter(
        line.split('"msg_id": "', 1)[1].split('"', 1)[0]
        for line in env.process_logs().splitlines()
        if '"orchestrate_turn.completed"' in line
        and '"success": true' in line
        and '"msg_id"' in line
    )
    twice = {w for w in wamids if completed.get(w, 0) > 1}
    twice |= await asyncio.to_thread(_versions_too_high, traffic)
    sent_twice = {wa_id for wa_id in people if env.graph.accepted[wa_id] > replies.get(wa_id, 0)}
    twice |= {w for w in wamids if traffic.sent[w][0] in sent_twice}
    for wamid in [w for w in wamids if w not in answered_when or traffic.sent[w][0] in unsent]:
        wa_id = traffic.sent[wamid][0]  # why, for the logs folder's reader
        print(
            f"    lost {wamid}: inbound {statuses.get(wamid)}, replies stored "
            f"{replies.get(wa_id, 0)}, accepted {env.graph.accepted[wa_id]}",
            file=sys.stderr,
        )
    row.duplicated = len(twice)
    row.answered_once = len([w for w in answered_when if w not in twice])
    for check in traffic.checks:
        check(traffic)


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
    """kill -9 of both workers while turns run (each LLM call trickles until its 2 s
    deadline, so turns are in flight). Two spare workers are started and ready first, as
    a deployment keeps others running (a cold start is not the takeover): the abandoned
    turns are taken over once their heartbeat mark expires (30 s) and their claim has
    passed (45 s). Checks that each was answered within TAKEOVER_BOUND_S of the kill."""
    env = traffic.env
    env.llm.mode = "trickle"
    probe = redis.Redis.from_url(env.redis.url)
    prefix = "arq:in-progress:orchestrate:"
    in_flight: list[str] = []
    killed_at = 0.0

    async def fault() -> None:
        nonlocal killed_at
        deadline = time.monotonic() + 30
        running: list[bytes] = []
        while time.monotonic() < deadline:  # both workers busy, or whatever runs by then
            running = await asyncio.to_thread(lambda: list(probe.scan_iter(f"{prefix}*")))
            if len(running) >= 2 or (running and time.monotonic() > deadline - 25):
                break
            await asyncio.sleep(0.05)
        for victim in victims:
            victim.kill()
        for victim in victims:
            victim.wait()
        killed_at = time.monotonic()
        in_flight.extend(key.decode().removeprefix(prefix) for key in running)

    def taken_over(traffic: Traffic) -> None:
        mine = [wamid for wamid in in_flight if wamid in traffic.sent]
        if not mine:
            traffic.row.failures.append("no turn was in flight at the kill")
            return
        after = [traffic.answered_when[w] - killed_at for w in mine if w in traffic.answered_when]
        slowest = max(after, default=float("inf"))
        traffic.row.note_extra = (
            f"{len(mine)} turns in flight at kill -9, answered ≤ {slowest:.0f} s after it"
        )
        if slowest > TAKEOVER_BOUND_S:
            traffic.row.failures.append(f"takeover {slowest:.0f} s > {TAKEOVER_BOUND_S:.0f} s")

    traffic.checks.append(taken_over)
    victims = [worker for worker in env.workers if worker.poll() is None]
    spares = [env.start_worker(), env.start_worker()]
    await asyncio.gather(*(env.wait_worker_ready(spare) for spare in spares))
    try:
        await asyncio.gather(burst(traffic, client, 20, 2), fault())
        await asyncio.sleep(3)
    finally:
        env.llm.mode = "error"
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
    """The LLM trickles a byte every 0.5 s (its answer would take half a minute): each
    call must end at LLM_TIMEOUT_SECONDS (2 s) and the offline understanding answers.
    Checks how long the fake LLM saw each call held open (its close is seen within a
    byte's gap, so the bound allows LLM_TIMEOUT_SECONDS + 3 s)."""
    llm = traffic.env.llm
    llm.mode, llm.held_s = "trickle", []
    try:
        await burst(traffic, client, 10, 1)
        await settle(traffic, 60)
    finally:
        llm.mode = "error"
    held = list(llm.held_s)

    def deadline_kept(traffic: Traffic) -> None:
        longest = max(held, default=0.0)
        traffic.row.note_extra = f"{len(held)} LLM calls, each cut after ≤ {longest:.1f} s"
        if not held:
            traffic.row.failures.append("no LLM call was made")
        elif longest > LLM_TIMEOUT_S + 3:
            traffic.row.failures.append(f"an LLM call held {longest:.1f} s")

    traffic.checks.append(deadline_kept)
    return 5


async def llm_faults(traffic: Traffic, client: httpx.AsyncClient) -> float:
    """Every LLM call fails, by turns: 500, 429, broken JSON, no choices, the connection
    closed, no answer at all, a trickle. Each turn is answered by the offline
    understanding within the deadline."""
    llm = traffic.env.llm
    llm.mode, calls = "mixed", llm.calls
    try:
        await burst(traffic, client, 21, 2)
        await settle(traffic, 60)
    finally:
        llm.mode = "error"
    made = llm.calls - calls

    def all_faults_seen(traffic: Traffic) -> None:
        traffic.row.note_extra = f"{made} LLM calls, {len(FakeLLM.MIXED)} kinds of fault"
        if made < len(FakeLLM.MIXED):
            traffic.row.failures.append(f"only {made} LLM calls")

    traffic.checks.append(all_faults_seen)
    return 5


async def graph_faults(traffic: Traffic, client: httpx.AsyncClient) -> float:
    """The first two sends to each customer fail (500 131000, 429 130429, a bare 503, the
    connection closed): every reply is accepted once by the third try or later."""
    graph = traffic.env.graph
    graph.faulty, faults = True, graph.faults
    try:
        await burst(traffic, client, 20, 2)
        await settle(traffic, 120)
    finally:
        graph.faulty = False
    failed = graph.faults - faults

    def faults_seen(traffic: Traffic) -> None:
        traffic.row.note_extra = f"{failed} sends failed first"
        if failed < len(FakeGraph.FAULTS):
            traffic.row.failures.append(f"only {failed} send faults")

    traffic.checks.append(faults_seen)
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


def _store_answers_refusals(traffic: Traffic) -> None:
    slowest = traffic.slowest_refusal_s
    traffic.row.note_extra = f"webhook refused in ≤ {slowest:.1f} s"
    if traffic.row.non_200 == 0:
        traffic.row.failures.append("the webhook never refused")
    elif slowest > STORE_REFUSAL_BOUND_S:
        traffic.row.failures.append(f"a refusal took {slowest:.1f} s")


async def store_refusing(traffic: Traffic, client: httpx.AsyncClient) -> float:
    """PostgreSQL refuses connections for 10 s (open ones cut) mid-traffic: the webhook
    answers 503 at once, Meta's retries land once it is back, the workers resume."""
    proxy = traffic.env.proxy
    assert proxy is not None

    async def fault() -> None:
        await asyncio.sleep(1)
        await proxy.refuse()
        await asyncio.sleep(10)
        await proxy.restore()

    traffic.checks.append(_store_answers_refusals)
    await asyncio.gather(burst(traffic, client, 20, 4), fault())
    return 120


async def store_hanging(traffic: Traffic, client: httpx.AsyncClient) -> float:
    """PostgreSQL stops answering for 15 s (connections accepted, nothing comes back):
    the webhook answers 503 within its connect/statement deadlines instead of hanging."""
    proxy = traffic.env.proxy
    assert proxy is not None

    async def fault() -> None:
        await asyncio.sleep(1)
        proxy.hang()
        await asyncio.sleep(15)
        await proxy.restore()

    traffic.checks.append(_store_answers_refusals)
    await asyncio.gather(burst(traffic, client, 20, 4), fault())
    return 120


SCENARIOS: dict[str, tuple[Scenario, str]] = {
    "baseline": (baseline, "split"),
    "duplicate_deliveries": (duplicate_deliveries, "split"),
    "redis_sigterm_restart": (redis_sigterm_restart, "split"),
    "redis_sigkill_restart": (redis_sigkill_restart, "split"),
    "redis_away_20s": (redis_away_20s, "split"),
    "kill_worker": (kill_worker, "split"),
    "kill_web": (kill_web, "split"),
    "poison_and_fuzz": (poison_and_fuzz, "split"),
    "slow_llm": (slow_llm, "split"),
    "llm_faults": (llm_faults, "split"),
    "graph_faults": (graph_faults, "split"),
    "store_locked": (store_locked, "split"),
    "serve_redis_away_20s": (redis_away_20s, "serve"),
    "pg_poison_and_fuzz": (poison_and_fuzz, "postgres"),
    "pg_store_refusing": (store_refusing, "postgres"),
    "pg_store_hanging": (store_hanging, "postgres"),
}
"""name -> (scenario, the deployment shape it runs in: see `Environment`)."""


QUICK = (
    "baseline",
    "duplicate_deliveries",
    "kill_web",
    "poison_and_fuzz",
    "slow_llm",
    "llm_faults",
    "graph_faults",
    "pg_poison_and_fuzz",
)
"""Scenarios whose messages are answered within seconds (no waiting for a sweep or a
heartbeat to expire)."""


# --- running -----------------------------------------------------------------------------


def postgres_url() -> str | None:
    """Where the PostgreSQL scenarios create their database: FAULTS_DATABASE_URL, else
    TEST_DATABASE_URL (what the tests use; `.ci/run` sets it when PostgreSQL answers)."""
    return os.environ.get("FAULTS_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


@contextlib.asynccontextmanager
async def environment(
    shape: str, work: Path, llm: FakeLLM, graph: FakeGraph
) -> AsyncIterator[Environment]:
    """The processes of `shape`, started and warmed up (each process has its router loaded);
    stopped (and a PostgreSQL database dropped) afterwards."""
    (work / "logs").mkdir(parents=True, exist_ok=True)
    env = Environment(work, llm, graph, shape=shape)
    admin: Any = None
    name = f"convo_faults_{uuid.uuid4().hex[:12]}"
    if shape == "postgres":
        import asyncpg
        from sqlalchemy.engine import make_url

        base = make_url(postgres_url() or "")
        dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
        admin = await asyncpg.connect(dsn, timeout=10)
        await admin.execute(f'CREATE DATABASE "{name}"')
        env.proxy = StoreProxy(base.host or "127.0.0.1", base.port or 5432)
        await env.proxy.start()
        env.database_url = base.set(
            host="127.0.0.1", port=env.proxy.port, database=name
        ).render_as_string(hide_password=False)
        env.direct_dsn = base.set(drivername="postgresql", database=name).render_as_string(
            hide_password=False
        )
    env.redis.start()
    try:
        env.start_web()
        await env.wait_ready()
        env.start_workers()
        warm_up = Traffic(env, Row("warm-up"))
        async with httpx.AsyncClient(base_url=env.url, timeout=30) as client:
            await burst(warm_up, client, 4, 0)
        await settle(warm_up, 180)
        if warm_up.row.lost:
            raise RuntimeError(f"{shape}: the warm-up was not answered (logs: {work})")
        yield env
    finally:
        await asyncio.to_thread(env.stop)
        if env.proxy is not None:
            await env.proxy.stop()
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


async def run(names: list[str], work: Path) -> list[Row]:
    llm, graph = FakeLLM(), FakeGraph()
    await llm.start()
    await graph.start()
    rows: dict[str, Row] = {}
    try:
        for shape in dict.fromkeys(SCENARIOS[name][1] for name in names):
            mine = [name for name in names if SCENARIOS[name][1] == shape]
            if shape == "postgres" and not postgres_url():
                for name in mine:
                    rows[name] = Row(name, skipped="no PostgreSQL: set TEST_DATABASE_URL")
                    print(f"  {name}: skipped (set TEST_DATABASE_URL)", file=sys.stderr)
                continue
            async with environment(shape, work / shape, llm, graph) as env:
                for name in mine:
                    row = Row(name)
                    traffic = Traffic(env, row)
                    started = time.monotonic()
                    async with httpx.AsyncClient(base_url=env.url, timeout=30) as client:
                        bound = await SCENARIOS[name][0](traffic, client)
                        await settle(traffic, bound)
                    row.note = f"{time.monotonic() - started:.0f} s"
                    rows[name] = row
                    print(f"  {name}: {row}", file=sys.stderr, flush=True)
    finally:
        await llm.stop()
        await graph.stop()
    return [rows[name] for name in names]


def table(rows: list[Row]) -> str:
    lines = [
        "| scenario | tried | answered once | lost | duplicated | non-200 answers "
        "(5xx but 503) | slowest answer | scenario time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row.skipped:
            lines.append(f"| {row.name} (skipped: {row.skipped}) | | | | | | | |")
            continue
        extra = "; ".join(filter(None, [row.note_extra, *row.failures]))
        name = f"{row.name} ({extra})" if extra else row.name
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
    failed = [row.name for row in rows if row.failed]
    if not args.keep and not failed:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print(f"FAILED: {', '.join(failed)} (logs kept in {work})")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
