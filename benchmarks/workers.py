"""Turns per second with 1, 2 and 4 worker processes, on one Redis and on two session shards.

    python -m benchmarks.workers --customers 150

For each topology (one Redis; a queue Redis plus two session shards, `REDIS_SESSION_URLS`),
one deployment in the production shape (`benchmarks.deployment`: the web app and `convo
worker` processes, SQLite, orchestration on, offline understanding, replies kept in the
outbox) is started with one worker; then workers are added (1 -> 2 -> 4) and each step is
measured the same way: `--customers` new customers each send two messages (two POSTs, in
order, timestamps one second apart), all POSTed at once by 16 concurrent senders; the clock
runs from the first POST until every message is answered.

Per row: turns/s (messages answered / wall seconds), the exactly-once checks (every message
answered; each turn committed once, from the workers' `orchestrate_turn.completed` lines;
each customer's session versions 1, 2 in the order sent), and the CPU used per turn by each
process kind (web, workers together, Redis servers together), read from `/proc`. The
1-worker row on one Redis is the baseline of the same run. Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.deployment import Deployment, body, cpu_seconds
from server.embedded_redis import EmbeddedRedis

WORKER_STEPS = (1, 2, 4)
TEXTS = ("hola, ¿a qué hora abren?", "what time do you close?", "vocês entregam em Lima?")


@dataclass
class Row:
    topology: str
    workers: int
    turns: int
    seconds: float
    answered: int
    committed_once: bool
    in_order: bool
    cpu_ms: dict[str, float]

    @property
    def ok(self) -> bool:
        return self.answered == self.turns and self.committed_once and self.in_order


def send_all(deployment: Deployment, customers: int, step: str) -> dict[str, list[str]]:
    """Two messages per new customer, each its own POST, the second after the first."""
    sent: dict[str, list[str]] = {}
    bodies: dict[str, list[bytes]] = {}
    for index in range(customers):
        wa_id = f"5541{step}{index:06d}{random.randint(100, 999)}"
        messages = [
            (f"wamid.BW{uuid.uuid4().hex[:16]}", TEXTS[(index + k) % 3], 1_760_000_000 + k)
            for k in range(2)
        ]
        sent[wa_id] = [wamid for wamid, _, _ in messages]
        bodies[wa_id] = [body(wa_id, [message]) for message in messages]
    with (
        httpx.Client(base_url=deployment.url, timeout=30) as client,
        ThreadPoolExecutor(16) as pool,
    ):

        def customer(wa_id: str) -> None:
            for raw in bodies[wa_id]:
                if deployment.post(raw, client=client) != 200:
                    raise SystemExit(f"the webhook refused a POST of {wa_id}")

        list(pool.map(customer, sent))
    return sent


def measure(deployment: Deployment, redis_pids: list[int], topology: str, customers: int) -> Row:
    pids = deployment.pids()
    kinds = {"web": pids["web"], "worker": pids["worker"], "redis": redis_pids}
    before = {kind: sum(cpu_seconds(pid) for pid in group) for kind, group in kinds.items()}
    started = time.monotonic()
    sent = send_all(deployment, customers, f"{len(pids['worker'])}{topology[:1]}")
    wamids = [wamid for wamids in sent.values() for wamid in wamids]
    statuses = deployment.wait_answered(wamids, timeout_s=600)
    seconds = time.monotonic() - started
    after = {kind: sum(cpu_seconds(pid) for pid in group) for kind, group in kinds.items()}
    answered = sum(1 for w in wamids if statuses.get(w) == "answered")
    turns = [t for t in deployment.completed_turns() if t.get("msg_id") in set(wamids)]
    counts = Counter(t["msg_id"] for t in turns)
    version_of = {t["msg_id"]: t["state_version"] for t in turns}
    in_order = all([version_of.get(w) for w in ws] == [1, 2] for ws in sent.values())
    return Row(
        topology=topology,
        workers=len(pids["worker"]),
        turns=len(wamids),
        seconds=seconds,
        answered=answered,
        committed_once=counts == Counter(wamids),
        in_order=in_order,
        cpu_ms={k: (after[k] - before[k]) * 1000 / max(answered, 1) for k in kinds},
    )


def run_topology(topology: str, customers: int, work: Path) -> list[Row]:
    with ExitStack() as stack:
        count = 1 if topology == "one Redis" else 3
        servers = [stack.enter_context(EmbeddedRedis()) for _ in range(count)]
        redis_env = {"REDIS_URL": servers[0].url}
        if count > 1:
            redis_env["REDIS_SESSION_URLS"] = ",".join(s.url for s in servers[1:])
        deployment = stack.enter_context(
            Deployment(work / topology.replace(" ", "-"), redis_env=redis_env, workers=1)
        )
        redis_pids = [s.process.pid for s in servers if s.process is not None]
        rows = []
        for workers in WORKER_STEPS:
            while len(deployment.workers) < workers:
                deployment.add_worker()
            deployment.wait_workers_ready()
            send_all(deployment, 4, f"w{workers}")  # warm-up: every worker has run a turn
            rows.append(measure(deployment, redis_pids, topology, customers))
            print(f"  {topology}, {workers} worker(s): {format_row(rows[-1], rows[0])}",
                  file=sys.stderr)  # fmt: skip
        return rows


def format_row(row: Row, baseline: Row) -> str:
    rate = row.turns / row.seconds
    base = baseline.turns / baseline.seconds
    checks = "yes" if row.ok else (
        f"NO (answered {row.answered}/{row.turns}, once {row.committed_once},"
        f" in order {row.in_order})"
    )  # fmt: skip
    cpu = " | ".join(f"{row.cpu_ms[k]:.1f}" for k in ("web", "worker", "redis"))
    return (
        f"| {row.topology} | {row.workers} | {row.turns} | {rate:.1f} | {rate / base:.2f}x |"
        f" {checks} | {cpu} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--customers", type=int, default=150, help="customers per step (2 turns each)"
    )
    parser.add_argument("--only", choices=["one Redis", "two shards"], default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="convo-bench-workers-"))
    topologies = [args.only] if args.only else ["one Redis", "two shards"]
    rows: list[Row] = []
    try:
        for topology in topologies:
            rows += run_topology(topology, args.customers, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"{args.customers} customers x 2 messages per step (two POSTs each, 16 concurrent"
        " senders); CPU in ms per turn by process kind; baseline: 1 worker on one Redis\n"
    )
    print("| topology | workers | turns | turns/s | vs baseline | exactly once, in order |"
          " CPU/turn web | worker | redis |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(format_row(row, rows[0]))
    if not all(row.ok for row in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
