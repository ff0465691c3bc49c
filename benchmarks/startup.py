"""Start-up time: to the first `/healthz` 200 and to the first answered turn, vs a bare app.

    python -m benchmarks.startup --repeat 3

Each measurement spawns a fresh process and polls it every 20 ms:

- `bare FastAPI`: `uvicorn --factory benchmarks.bare_app:app_factory`, to `/healthz` (baseline);
- `convo web app`: `uvicorn --factory server.app:app_factory` (production shape, on a
  running Redis and an already migrated SQLite file), to `/healthz`;
- `convo serve`: the one-command development service (embedded Redis, SQLite,
  orchestration on, in-process worker), to `/healthz`, then one message is POSTed to the
  signed webhook and the time to its reply in the outbox is measured (`/dev/outbox`, as
  `convo chat` does). Its data folder is kept between repetitions, so the first start is
  cold (empty data, the router's model cache is built) and the next ones are warm.

Prints a markdown table: medians with the [min–max] spread of the warm starts, and the
ratio of each `/healthz` time to the bare app's in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import httpx

from server.chat_payloads import ChatUser, new_wamid, signed_request, text_payload
from server.embedded_redis import EmbeddedRedis, free_port
from server.settings import DEFAULT_APP_SECRET

POLL_S = 0.02


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


def first_turn(data_dir: Path, log: Path) -> tuple[float, float]:
    """(seconds to /healthz, seconds to the first reply) of one `convo serve` start."""
    port = free_port()
    env = {
        **os.environ,
        "CONVO_DATA_DIR": str(data_dir),
        "ENABLE_ORCHESTRATION": "true",
        "CONVO_ENV": "development",
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
            with httpx.Client(base_url=base, timeout=10) as client:
                client.post("/webhooks/whatsapp", content=body, headers=headers).raise_for_status()
                params = {"tenant_id": user.phone_number_id, "wa_id": user.wa_id, "wamid": wamid}
                while time.monotonic() - started < 180:
                    state = client.get("/dev/outbox", params=params).json()
                    if state["turn_done"] and state["messages"]:
                        return healthy, time.monotonic() - started
                    time.sleep(POLL_S)
            raise SystemExit("no reply within 180 s")
        finally:
            _stop(process)


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} [{min(values):.2f}–{max(values):.2f}]"


def run(repeat: int) -> str:
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis() as redis_server:
        work = Path(tmp)
        log = work / "startup.log"
        web_env = {
            **os.environ,
            "REDIS_URL": redis_server.url,
            "CONVO_DATA_DIR": str(work / "web"),
            "CONVO_ENV": "development",
        }
        bare, web, serve_health, serve_turn = [], [], [], []
        cold: tuple[float, float] | None = None
        for rep in range(repeat + 1):  # the first convo serve start is the cold one
            port = free_port()
            bare.append(
                time_to_health(
                    uvicorn("benchmarks.bare_app:app_factory", port), {**os.environ}, port, log
                )
            )
            port = free_port()
            web.append(time_to_health(uvicorn("server.app:app_factory", port), web_env, port, log))
            healthy, answered = first_turn(work / "serve", log)
            if rep == 0:
                cold = (healthy, answered)
            else:
                serve_health.append(healthy)
                serve_turn.append(answered)
        bare, web = bare[1:], web[1:]  # the first start also compiled/warmed the file cache
    base = statistics.median(bare)
    rows = [
        "| start-up | to /healthz 200, s | vs bare | to the first answered turn, s |",
        "|---|---|---|---|",
        f"| bare FastAPI (baseline) | {spread(bare)} | 1.00× | — |",
        f"| convo web app (uvicorn factory) | {spread(web)}"
        f" | {statistics.median(web) / base:.2f}× | — |",
        f"| convo serve, warm (data + model cache kept) | {spread(serve_health)}"
        f" | {statistics.median(serve_health) / base:.2f}× | {spread(serve_turn)} |",
    ]
    if cold is not None:
        rows.append(
            f"| convo serve, first start (empty data folder) | {cold[0]:.2f}"
            f" | {cold[0] / base:.2f}× | {cold[1]:.2f} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(run(args.repeat))
    print(json.dumps({"note": "medians [min–max] of the warm starts"}), file=sys.stderr)


if __name__ == "__main__":
    main()
