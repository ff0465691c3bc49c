"""The latency burst coalescing adds, measured against no coalescing in the same run.

    python -m benchmarks.burst_latency --customers 10 --window-ms 1500 [--together]

One deployment (web app + one `convo worker`, embedded Redis, offline understanding) with
two tenants that differ only in `burst_window_ms`: 0 (off) and the window given. Each
customer sends a burst of three texts, one POST each ("hi" / "I want to return" / "the
blue mug"); each customer starts once the one before was answered (`--together`: all
back to back, so turns queue up behind each other). Printed per tenant: the
messages that got a reply per burst (3 without coalescing, 1 with), and the time from the
burst's last message being stored by the webhook to the first reply to it being stored
(p50 / p95 / max); then the latency added (p50 with the window minus p50 without) and the
waits the workers logged. The wait is about one window; the latency added is less when
the worker is busy, since one turn per burst instead of three also means less queueing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from benchmarks.deployment import Deployment, body
from nodes.tenants.profile import DEFAULT_TENANTS_DIR
from server.embedded_redis import EmbeddedRedis

OFF_TENANT = "100200300400500"
"""The demo profile's number (window 0)."""
ON_TENANT = "106540352242922"
"""A copy of the demo profile on another number, with the window."""
BURST = ("hi", "I want to return", "the blue mug")


def tenants(folder: Path, window_ms: int) -> Path:
    folder.mkdir(parents=True)
    for path in DEFAULT_TENANTS_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    demo = yaml.safe_load((folder / "demo.yaml").read_text(encoding="utf-8"))
    bursty = {**demo, "tenant_id": "bursty", "default": False, "phone_number_ids": [ON_TENANT]}
    bursty["burst_window_ms"] = window_ms
    (folder / "bursty.yaml").write_text(yaml.safe_dump(bursty), encoding="utf-8")
    return folder


def type_burst(deployment: Deployment, client: httpx.Client, tenant: str) -> list[str]:
    """One customer's three messages, one POST each, back to back; their wamids."""
    wa_id = f"55119{uuid.uuid4().int % 10**8:08d}"
    wamids = []
    for text in BURST:
        wamid = f"wamid.BURSTBENCH{uuid.uuid4().hex[:12]}"
        raw = body(wa_id, [(wamid, text, int(time.time()))], tenant)
        assert deployment.post(raw, client=client) == 200
        wamids.append(wamid)
    return wamids


def arrivals(deployment: Deployment) -> dict[str, float]:
    """Per inbound wamid: when the webhook stored it (unix seconds)."""
    connection = sqlite3.connect(f"file:{deployment.database}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute(
            "SELECT wamid, created_at FROM wa_messages WHERE direction='inbound'"
        ).fetchall()
    finally:
        connection.close()
    return {wamid: _unix(created) for wamid, created in rows}


def _unix(created: str) -> float:
    at = datetime.fromisoformat(created)
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def first_reply_at(deployment: Deployment) -> dict[str, float]:
    """Per inbound wamid: when its first reply was stored (unix seconds)."""
    connection = sqlite3.connect(f"file:{deployment.database}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute(
            "SELECT context_wamid, MIN(created_at) FROM wa_messages"
            " WHERE direction='outbound' GROUP BY context_wamid"
        ).fetchall()
    finally:
        connection.close()
    return {wamid: _unix(created) for wamid, created in rows}


def run_tenant(
    deployment: Deployment, tenant: str, customers: int, *, together: bool = False
) -> dict[str, object]:
    """Each customer's burst; one after the other's answer (the latency of an idle
    service), or all back to back (`together`: a busy worker)."""
    bursts = []
    with httpx.Client() as client:
        for _ in range(customers):
            bursts.append(type_burst(deployment, client, tenant))
            if not together:
                _answered(deployment, bursts[-1])
    wamids = [wamid for burst in bursts for wamid in burst]
    _answered(deployment, wamids)
    replies = first_reply_at(deployment)
    stored = arrivals(deployment)
    latencies = sorted((replies[b[-1]] - stored[b[-1]]) * 1000 for b in bursts)
    spread = max((stored[b[-1]] - stored[b[0]]) * 1000 for b in bursts)
    answered = [w for w in wamids if w in replies]
    return {
        "replied_messages_per_burst": len(answered) / customers,
        "max_arrival_spread_ms": spread,
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[max(0, round(0.95 * len(latencies)) - 1)],
        "max_ms": latencies[-1],
    }


def _answered(deployment: Deployment, wamids: list[str]) -> None:
    statuses = deployment.wait_answered(wamids, timeout_s=300)
    assert all(s == "answered" for s in statuses.values()), statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--window-ms", type=int, default=1500)
    parser.add_argument(
        "--together", action="store_true", help="all customers back to back (a busy worker)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis() as redis:
        work = Path(tmp)
        folder = tenants(work / "tenants", args.window_ms)
        extra = {"CONVO_TENANTS_DIR": str(folder)}
        with Deployment(work, redis_env={"REDIS_URL": redis.url}, workers=1, extra_env=extra) as d:
            d.wait_workers_ready()
            for tenant in (OFF_TENANT, ON_TENANT):  # warm-up: a first turn seeds the catalog
                run_tenant(d, tenant, 1)
            off = run_tenant(d, OFF_TENANT, args.customers, together=args.together)
            on = run_tenant(d, ON_TENANT, args.customers, together=args.together)
            logs = d.logs("worker").splitlines()
    coalesced = sum('"orchestrate_turn.coalesced"' in line for line in logs)
    waits = sorted(
        json.loads(line)["waited_ms"] for line in logs if '"orchestrate_turn.burst_wait"' in line
    )
    pace = "back to back" if args.together else "one after the other's answer"
    print(f"{args.customers} customers per tenant, a burst of 3 texts each ({pace}), 1 worker")
    for name, result in (("window 0 (off)", off), (f"window {args.window_ms} ms", on)):
        print(
            f"  {name:18} replied messages per burst {result['replied_messages_per_burst']:.1f}"
            f" (burst arrival spread max {result['max_arrival_spread_ms']:.0f} ms)"
            f"  last message stored -> first reply p50 {result['p50_ms']:.0f} ms"
            f"  p95 {result['p95_ms']:.0f} ms  max {result['max_ms']:.0f} ms"
        )
    added = float(on["p50_ms"]) - float(off["p50_ms"])  # type: ignore[arg-type]
    print(f"  latency added (p50): {added:.0f} ms for a {args.window_ms} ms window")
    print(
        f"  burst waits logged (orchestrate_turn.burst_wait): {len(waits)}, waited_ms p50"
        f" {statistics.median(waits):.0f} max {waits[-1]:.0f}; coalesced turns logged: {coalesced}"
    )


if __name__ == "__main__":
    main()
