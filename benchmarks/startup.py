"""Start-up time: to the first `/healthz` 200 and to the first answered turn, vs a bare app.

    python -m benchmarks.startup --repeat 3

Each measurement spawns a fresh process and polls it every 20 ms:

- `bare FastAPI`: `uvicorn --factory benchmarks.bare_app:app_factory`, to `/healthz` (baseline);
- `convo web app`: `uvicorn --factory server.app:app_factory` (production shape, on a
  running Redis and an already migrated SQLite file), to `/healthz`;
- `convo serve`: the one-command development service (embedded Redis, SQLite,
  orchestration on, in-process worker), to `/healthz`, then one message is POSTed to the
  signed webhook and the time to its reply in the outbox is measured (`/dev/outbox` with
  the development token the benchmark gives the server, as `convo chat` does), and when
  `/readyz` first said ready. Its data folder and model cache (`CONVO_MODEL_CACHE`, inside
  that folder) are kept between repetitions, so the first start is cold (empty data, the
  router's models are fitted and cached) and the next ones are warm.

Prints a markdown table: medians with the [min–max] spread of the warm starts, and the
ratio of each `/healthz` time to the bare app's in the same run; `--json PATH` also
writes every start's seconds (for `benchmarks.summary`).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx

from benchmarks.results import add_json_option, write_json
from server.chat_payloads import ChatUser, new_wamid, signed_request, text_payload
from server.dev import DEV_TOKEN_HEADER
from server.embedded_redis import EmbeddedRedis, free_port
from server.settings import DEFAULT_APP_SECRET

POLL_S = 0.02
DEV_TOKEN = secrets.token_urlsafe(16)
"""`/dev/outbox` wants the development token: the benchmark gives the server its own."""


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"{process.args} exited with {process.returncode}")
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic()
        time.sleep(POLL_S)
    raise SystemExit(f"no answer from {url} in {timeout}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def time_to_health(command: list[str], env: dict[str, str], port: int, log: Path) -> float:
    with log.open("ab") as out:
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
        try:
            return _wait(f"http://127.0.0.1:{port}/healthz", process, 120) - started
        finally:
            _stop(process)


def uvicorn(app: str, port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1"),
        *("--port", str(port), "--no-access-log", "--log-level", "warning"),
    ]


def first_turn(data_dir: Path, log: Path) -> tuple[float, float, float | None]:
    """(seconds to /healthz, to the first reply, to /readyz 200 if seen before the reply)
    of one `convo serve` start."""
    port = free_port()
    env = {
        **os.environ,
        "CONVO_DATA_DIR": str(data_dir),
        "CONVO_MODEL_CACHE": str(data_dir / "model-cache"),
        "ENABLE_ORCHESTRATION": "true",
        "CONVO_ENV": "development",
        "CONVO_DEV_TOKEN": DEV_TOKEN,
    }
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
        try:
            healthy = _wait(f"{base}/healthz", process, 180) - started
            user = ChatUser(wa_id="15550001111")
            wamid = new_wamid()
            body, headers = signed_request(text_payload(user, wamid, "hola"), DEFAULT_APP_SECRET)
            ready: float | None = None
            dev_headers = {DEV_TOKEN_HEADER: DEV_TOKEN}
            with httpx.Client(base_url=base, timeout=10, headers=dev_headers) as client:
                client.post("/webhooks/whatsapp", content=body, headers=headers).raise_for_status()
                params = {"tenant_id": user.phone_number_id, "wa_id": user.wa_id, "wamid": wamid}
                while time.monotonic() - started < 180:
                    if ready is None and client.get("/readyz").status_code == 200:
                        ready = time.monotonic() - started
                    response = client.get("/dev/outbox", params=params)
                    response.raise_for_status()
                    state = response.json()
                    if state["turn_done"] and state["messages"]:
                        return healthy, time.monotonic() - started, ready
                    time.sleep(POLL_S)
            raise SystemExit("no reply within 180 s")
        finally:
            _stop(process)


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} [{min(values):.2f}–{max(values):.2f}]"


def measure(repeat: int) -> dict[str, Any]:
    """Seconds per start, each list in start order (the first bare and web starts, which
    also warmed the file cache, are dropped; the first `convo serve` start is the cold one)."""
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis() as redis_server:
        work = Path(tmp)
        log = work / "startup.log"
        web_env = {
            **os.environ,
            "REDIS_URL": redis_server.url,
            "CONVO_DATA_DIR": str(work / "web"),
            "CONVO_ENV": "development",
        }
        bare: list[float] = []
        web: list[float] = []
        serve: dict[str, list[float | None]] = {"healthz": [], "turn": [], "readyz": []}
        cold: dict[str, float | None] = {}
        for rep in range(repeat + 1):
            port = free_port()
            bare.append(
                time_to_health(
                    uvicorn("benchmarks.bare_app:app_factory", port), {**os.environ}, port, log
                )
            )
            port = free_port()
            web.append(time_to_health(uvicorn("server.app:app_factory", port), web_env, port, log))
            healthy, answered, ready = first_turn(work / "serve", log)
            if rep == 0:
                cold = {"healthz": healthy, "turn": answered, "readyz": ready}
            else:
                serve["healthz"].append(healthy)
                serve["turn"].append(answered)
                serve["readyz"].append(ready)
    return {"bare": bare[1:], "web": web[1:], "serve_warm": serve, "serve_cold": cold}


def table(results: dict[str, Any]) -> str:
    bare, web = results["bare"], results["web"]
    warm, cold = results["serve_warm"], results["serve_cold"]
    base = statistics.median(bare)
    ready = [value for value in warm["readyz"] if value is not None]
    rows = [
        "| start-up | to /healthz 200, s | vs bare | to /readyz 200, s"
        " | to the first answered turn, s |",
        "|---|---|---|---|---|",
        f"| bare FastAPI (baseline) | {spread(bare)} | 1.00× | — | — |",
        f"| convo web app (uvicorn factory) | {spread(web)}"
        f" | {statistics.median(web) / base:.2f}× | — | — |",
        f"| convo serve, warm (data + model cache kept) | {spread(warm['healthz'])}"
        f" | {statistics.median(warm['healthz']) / base:.2f}×"
        f" | {spread(ready) if ready else 'after the turn'} | {spread(warm['turn'])} |",
    ]
    if cold:
        cold_ready = f"{cold['readyz']:.2f}" if cold["readyz"] is not None else "after the turn"
        rows.append(
            f"| convo serve, first start (empty data folder) | {cold['healthz']:.2f}"
            f" | {cold['healthz'] / base:.2f}× | {cold_ready} | {cold['turn']:.2f} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    add_json_option(parser)
    args = parser.parse_args()
    results = measure(args.repeat)
    print(table(results))
    write_json(args.json, "startup", {"repeat": args.repeat, **results})


if __name__ == "__main__":
    main()
