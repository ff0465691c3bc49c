"""Test support for the webhook and its jobs: named payloads, signing, the running app.

(Lives at tests/ so every test folder can import it: pytest puts tests/ on sys.path.)
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from graph.messages import InboundTurn, TextMessage
from server.app import create_app
from server.jobs import job_queue
from server.resources import Resources
from server.settings import get_settings
from server.store.models import WaMessage
from server.whatsapp.signature import sign

WEBHOOKS_DIR = Path(__file__).resolve().parent / "data" / "webhooks"


def load_payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((WEBHOOKS_DIR / f"{name}.json").read_text("utf-8"))
    return data


def meta_bytes(payload: dict[str, Any]) -> bytes:
    """The body as Meta sends it: compact JSON with non-ASCII escaped (`\\u00e9`)."""
    return json.dumps(payload, separators=(",", ":")).encode()


def signed_headers(body: bytes, secret: str = "dev-app-secret") -> dict[str, str]:
    return {"X-Hub-Signature-256": sign(body, secret), "Content-Type": "application/json"}


@contextlib.asynccontextmanager
async def running_app(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, *, run_worker: bool = False, **env: str
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """The real app (lifespan entered: Redis, migrated SQLite in the test's tmp dir).

    `run_worker=True` also runs the arq worker in the app's process, like `convo serve`.
    """
    monkeypatch.setenv("REDIS_URL", redis_url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    app = create_app(run_worker=run_worker)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, app


async def post_webhook(client: httpx.AsyncClient, payload: dict[str, Any]) -> httpx.Response:
    body = meta_bytes(payload)
    return await client.post("/webhooks/whatsapp", content=body, headers=signed_headers(body))


def resources_of(app: FastAPI) -> Resources:
    resources: Resources = app.state.resources
    return resources


async def stored_rows(app: FastAPI, direction: str | None = None) -> list[WaMessage]:
    async with resources_of(app).sessions() as session:
        query = select(WaMessage).order_by(WaMessage.id)
        if direction:
            query = query.where(WaMessage.direction == direction)
        return list((await session.execute(query)).scalars())


def job_ctx(app: FastAPI, **extra: Any) -> dict[str, Any]:
    """What arq passes a job: the resources, the queue connection, the try number."""
    resources = resources_of(app)
    return {"resources": resources, "redis": job_queue(resources.redis), "job_try": 1, **extra}


@dataclass
class FakeController:
    """Answers every turn with one text reply; records the turns it saw."""

    turns: list[InboundTurn] = field(default_factory=list)
    error: BaseException | None = None

    async def handle_turn(self, turn: InboundTurn, backlog: Any = None) -> Any:
        if self.error is not None:
            raise self.error
        self.turns.append(turn)
        return SimpleNamespace(
            status="completed",
            lane="info",
            messages=[TextMessage(body=f"echo: {turn.text}")],
            state_version=len(self.turns),
            understanding=None,
        )


JUNK: list[Any] = [None, True, 0, -1, 1.5, "", "x", "1749416383", [], {}, [None], {"a": 1}, 10**30]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def mutate_payload(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of `payload` with 1-3 random values replaced by junk or deleted."""
    mutated = copy.deepcopy(payload)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_paths(mutated)[1:])
        parent = mutated
        for step in path[:-1]:
            parent = parent[step]
        if rng.random() < 0.2 and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(JUNK))
    return mutated
