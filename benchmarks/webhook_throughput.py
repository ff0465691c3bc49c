"""Webhook throughput and tail latency in the production shape, against a bare FastAPI app.

    python -m benchmarks.webhook_throughput --repeat 3

Each target is served by its own `uvicorn --factory ... --no-access-log` process (same
uvicorn, same flags), loaded by `benchmarks.loadgen` in a separate process:

- `bare FastAPI`: `benchmarks.bare_app` (reads the body, answers the same JSON): the baseline;
- `convo, SQLite` / `convo, PostgreSQL`: `server.app:app_factory` plus one `convo worker`
  process on the same Redis and database (production shape: the worker's
  `process_message` writes compete with the webhook's), orchestration off so the worker's
  turns do not take the CPU the webhook is measured on. PostgreSQL is used when
  `--postgres-url` (default `postgresql+asyncpg://postgres@127.0.0.1:5432/test`) answers:
  a fresh database is created for the run and dropped after.

For each target, `--repeat` times: max throughput (32 connections, closed loop), 320
requests/s offered for a few seconds (open loop; latency counted from when a request was
due), and one request at a time (latency and server CPU per request, read from
`/proc/{pid}/stat`). Before the 320 req/s and the one-at-a-time runs the harness waits (up
to 60 s) until the worker has run every queued job: the closed loop queues thousands, and a
worker still catching up would compete with the webhook for the CPU and SQLite's write lock,
so the rate run would measure the backlog of the previous run instead of a steady 320 req/s
(the faster the webhook, the bigger that backlog). Every POST carries one text message
with a new wamid and a valid signature. Prints a markdown table: medians with the
[min–max] spread, ratios against the bare app measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.results import add_json_option, write_json
from server.embedded_redis import EmbeddedRedis, free_port
from server.settings import DEFAULT_APP_SECRET
from server.whatsapp.signature import sign

PAYLOAD = Path(__file__).resolve().parents[1] / "tests" / "data" / "webhooks" / "text.json"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TICKS = os.sysconf("SC_CLK_TCK")


def write_bodies(path: Path, prefix: str, count: int) -> None:
    """`count` signed POSTs, one text message each, wamids `wamid.{prefix}{i}`."""
    template = json.loads(PAYLOAD.read_text("utf-8"))
    value = template["entry"][0]["changes"][0]["value"]
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            message = value["messages"][0]
            message["id"] = f"wamid.{prefix}{index:07d}"
            message["from"] = value["contacts"][0]["wa_id"] = f"1555{index % 5000:07d}"
            message["text"]["body"] = f"hola {index}, ¿a qué hora abren mañana?"
            raw = json.dumps(template, separators=(",", ":"), ensure_ascii=False).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(raw, DEFAULT_APP_SECRET),
            }
            handle.write(json.dumps({"body": raw.decode(), "headers": headers}) + "\n")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class Target:
    name: str
    app: str
    env: dict[str, str]
    worker: bool
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    port: int = 0


@contextmanager
def serving(target: Target, logs: Path) -> Iterator[Target]:
    target.port = free_port()
    env = {**os.environ, **target.env, "PYTHONUNBUFFERED": "1"}
    command = [
        *(sys.executable, "-m", "uvicorn", "--factory", target.app),
        *("--host", "127.0.0.1", "--port", str(target.port), "--no-access-log"),
        *("--log-level", "warning"),
    ]
    slug = target.name.replace(" ", "_").replace(",", "")
    log = (logs / f"{slug}.web.log").open("wb")
    target.processes = [subprocess.Popen(command, env=env, stdout=log, stderr=log)]
    if target.worker:
        worker_log = (logs / f"{slug}.worker.log").open("wb")
        worker = [sys.executable, "-m", "server.cli", "worker"]
        target.processes.append(
            subprocess.Popen(worker, env=env, stdout=worker_log, stderr=worker_log)
        )
    try:
        try:
            wait_healthy(target.port, target.processes[0])
        except SystemExit:
            # the logs live in a temporary directory that is gone after the run
            log.flush()
            tail = (logs / f"{slug}.web.log").read_text(errors="replace")[-3000:]
            print(f"--- {slug}.web.log (tail)\n{tail}", file=sys.stderr)
            raise
        yield target
    finally:
        for process in target.processes:
            process.terminate()
        for process in target.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 90) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}; see its log")
        with suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return time.monotonic() - started
        time.sleep(0.05)
    raise SystemExit(f"no /healthz on port {port} after {timeout}s")


def load(port: int, bodies: Path, *options: str) -> dict[str, Any]:
    command = [
        *(sys.executable, "-m", "benchmarks.loadgen", "--port", str(port)),
        *("--bodies", str(bodies), *options),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


@dataclass
class Runs:
    max_rps: list[float] = field(default_factory=list)
    rate_p50: list[float] = field(default_factory=list)
    rate_p99: list[float] = field(default_factory=list)
    rate_over_1s: list[int] = field(default_factory=list)
    rate_errors: list[int] = field(default_factory=list)
    serial_p50: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    busy: list[tuple[float, float]] = field(default_factory=list)
    """Per closed-loop run: (web, worker) CPU seconds per wall second."""
    drain_s: list[float] = field(default_factory=list)
    """Per repetition: how long the worker took to catch up after the closed loop."""


def drain(target: Target, timeout: float = 60) -> float:
    """Wait until the worker has run every queued job (the closed loop can queue thousands),
    so its catching up does not compete with the next run; seconds waited."""
    if not target.worker:
        return 0.0
    import redis

    client = redis.Redis.from_url(target.env["REDIS_URL"])
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            if not client.zcard("arq:queue"):
                break
            time.sleep(0.2)
    finally:
        client.close()
    time.sleep(0.5)  # the last jobs finish
    return time.monotonic() - started


def measure(target: Target, work: Path, repeat: int, seconds: float, rate: float) -> Runs:
    runs = Runs()
    server = target.processes[0].pid
    for rep in range(repeat):
        prefix = f"{uuid.uuid4().hex[:8]}"
        bodies = work / f"bodies-{prefix}.jsonl"
        write_bodies(bodies, prefix, int(seconds * 4000) + int(rate * seconds) + 4000)
        if rep == 0:  # warm-up: imports, pools, first statements
            load(target.port, bodies, "--mode", "closed", "--connections", "8", "--seconds", "1")
            write_bodies(bodies, prefix + "b", int(seconds * 4000) + int(rate * seconds) + 4000)
        before = [cpu_seconds(process.pid) for process in target.processes]
        closed = load(target.port, bodies, "--mode", "closed", "--seconds", str(seconds))
        used = [cpu_seconds(p.pid) - b for p, b in zip(target.processes, before, strict=True)]
        elapsed = float(closed["elapsed_s"])
        runs.busy.append((used[0] / elapsed, (used[1] / elapsed) if len(used) > 1 else 0.0))
        runs.max_rps.append(float(closed["rps"]))
        write_bodies(bodies, prefix + "r", int(rate * seconds) + 10)
        drained_s = drain(target)  # the rate run measures a steady state, not the backlog
        runs.drain_s.append(drained_s)
        opened = load(
            target.port, bodies, "--mode", "rate", "--rate", str(rate), "--seconds", str(seconds)
        )
        runs.rate_p50.append(float(opened["p50_ms"]))
        runs.rate_p99.append(float(opened["p99_ms"]))
        runs.rate_over_1s.append(int(opened["over_1s"]))
        runs.rate_errors.append(int(opened["errors"]) + opened["requests"] - opened["ok"])
        write_bodies(bodies, prefix + "s", 2000)
        drain(target)
        cpu_before = cpu_seconds(server)
        serial = load(target.port, bodies, "--mode", "closed", "--connections", "1",
                      "--seconds", "1.5")  # fmt: skip
        cpu_after = cpu_seconds(server)
        runs.serial_p50.append(float(serial["p50_ms"]))
        runs.cpu_ms.append((cpu_after - cpu_before) * 1000 / max(int(serial["requests"]), 1))
        bodies.unlink()
    return runs


def spread(values: list[float], digits: int = 0) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:,.{digits}f}"
    return f"{med:,.{digits}f} [{min(values):,.{digits}f}–{max(values):,.{digits}f}]"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}×" if baseline else "—"


def table(results: dict[str, Runs], rate: float) -> str:
    bare = results["bare FastAPI"]
    base_rps = statistics.median(bare.max_rps)
    base_cpu = statistics.median(bare.cpu_ms)
    lines = [
        f"| target | max req/s (32 conn.) | vs bare | at {rate:.0f} req/s: p50 ms | p99 ms"
        " | over 1 s | errors | one at a time: p50 ms | server CPU ms/req | vs bare"
        " | cores busy at max (web / worker) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        lines.append(
            f"| {name} | {spread(runs.max_rps)}"
            f" | {ratio(statistics.median(runs.max_rps), base_rps)}"
            f" | {spread(runs.rate_p50, 1)} | {spread(runs.rate_p99, 1)}"
            f" | {max(runs.rate_over_1s)} | {max(runs.rate_errors)}"
            f" | {spread(runs.serial_p50, 2)} | {spread(runs.cpu_ms, 2)}"
            f" | {ratio(statistics.median(runs.cpu_ms), base_cpu)}"
            f" | {statistics.median(b[0] for b in runs.busy):.2f}"
            f" / {statistics.median(b[1] for b in runs.busy):.2f} |"
        )
    return "\n".join(lines)


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn, timeout=3)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def postgres_database(url: str | None) -> Iterator[str | None]:
    """A fresh database next to `url`'s (None when no server answers)."""
    if not url:
        yield None
        return
    from sqlalchemy.engine import make_url

    name = f"convo_bench_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, Exception) as exc:  # no server, no rights: skip it
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}", file=sys.stderr)
        yield None
        return
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_answers(url: str) -> bool:
    from sqlalchemy.engine import make_url

    if not url:
        return False
    parsed = make_url(url)
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((parsed.host or "127.0.0.1", parsed.port or 5432)) == 0


def run(args: argparse.Namespace) -> str:
    pg_url = args.postgres_url if postgres_answers(args.postgres_url) else None
    results: dict[str, Runs] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedRedis() as redis_server,
        postgres_database(pg_url) as pg_database,
    ):
        work = Path(tmp)
        common = {
            "REDIS_URL": redis_server.url,
            "CONVO_ENV": "development",
            "ENABLE_ORCHESTRATION": "false",
            "LOG_LEVEL": "INFO",
        }
        targets = [Target("bare FastAPI", "benchmarks.bare_app:app_factory", {}, worker=False)]
        sqlite_dir = work / "sqlite"
        targets.append(
            Target(
                "convo, SQLite",
                "server.app:app_factory",
                {**common, "CONVO_DATA_DIR": str(sqlite_dir)},
                worker=True,
            )
        )
        if pg_database:
            targets.append(
                Target(
                    "convo, PostgreSQL",
                    "server.app:app_factory",
                    {**common, "CONVO_DATA_DIR": str(work / "pg"), "DATABASE_URL": pg_database},
                    worker=True,
                )
            )
        for target in targets:
            if target.name in args.skip:
                continue
            with serving(target, work):
                results[target.name] = measure(target, work, args.repeat, args.seconds, args.rate)
            print(f"measured {target.name}", file=sys.stderr)
        if args.keep_logs:
            for log in work.glob("*.log"):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
    runs = {name: dataclasses.asdict(target) for name, target in results.items()}
    write_json(args.json, "webhook_throughput", {"rate": args.rate, "targets": runs})
    note = "" if pg_database else "\n\nPostgreSQL: no server answered; not measured."
    return table(results, args.rate) + note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rate", type=float, default=320.0)
    default_pg = os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES)
    parser.add_argument("--postgres-url", default=default_pg, help="'' to skip PostgreSQL")
    parser.add_argument("--skip", action="append", default=[], help="a target name to skip")
    parser.add_argument("--keep-logs", action="store_true", help="print the servers' log tails")
    add_json_option(parser)
    print(run(parser.parse_args()))


if __name__ == "__main__":
    main()
