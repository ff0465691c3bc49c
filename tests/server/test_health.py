"""Liveness (`/healthz`) and readiness (`/readyz`), on the real embedded Redis."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from webhook_support import running_app

from server.app import create_app
from server.embedded_redis import EmbeddedRedis
from server.jobs import orchestrate
from server.redis_modules import RedisModulesMissing, missing_modules, redact_url
from server.resources import open_resources
from server.settings import get_settings


@pytest.fixture(scope="module")
def moduleless_redis() -> Iterator[str]:
    """A Redis without RedisJSON and RediSearch: the embedded server binary started without
    its modules (what a stock Redis 7 or a managed Redis without modules looks like)."""
    with EmbeddedRedis(modules=False) as server:
        yield server.url


async def test_healthz_says_only_that_the_process_is_alive(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_app(monkeypatch, redis_url) as (client, app):
        await app.state.resources.redis.aclose()  # even with Redis gone: alive
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_redis_with_modules_and_the_database(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_app(monkeypatch, redis_url) as (client, _app):
        response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["redis"]["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["dialect"] == "sqlite"
    assert "router" not in body["checks"]  # no in-process worker: nothing to wait for


async def test_readyz_is_503_when_redis_is_gone(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_app(monkeypatch, redis_url) as (client, app):
        await app.state.resources.redis.aclose()
        app.state.resources.redis = aioredis.Redis.from_url(
            "redis://127.0.0.1:1/0", socket_connect_timeout=0.2
        )
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {
        "status": "error",
        "error": "ConnectionError",  # the class only: no host, port or message to the public
        "latency_ms": response.json()["checks"]["redis"]["latency_ms"],
    }
    assert "127.0.0.1" not in response.text
    assert response.json()["checks"]["database"]["status"] == "ok"


async def test_readyz_checks_every_session_shard(
    redis_url: str, moduleless_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `REDIS_SESSION_URLS`, a shard that is gone (or lost its modules) makes the
    process not ready; the error names the shard's position, never its address."""
    with EmbeddedRedis() as second:
        env = {"REDIS_SESSION_URLS": f"{redis_url},{second.url}"}
        async with running_app(monkeypatch, redis_url, **env) as (client, app):
            ready = await client.get("/readyz")
            shards = app.state.resources.session_shards
            app.state.resources.session_shards = (
                shards[0],
                aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2),
            )
            gone = await client.get("/readyz")
            app.state.resources.session_shards = (
                shards[0],
                aioredis.Redis.from_url(moduleless_redis),
            )
            plain = await client.get("/readyz")
            await app.state.resources.session_shards[1].aclose()
            app.state.resources.session_shards = shards
    assert ready.status_code == 200
    assert ready.json()["checks"]["session_shards"]["status"] == "ok"
    assert ready.json()["checks"]["session_shards"]["shards"] == 2
    assert gone.status_code == 503
    assert gone.json()["checks"]["session_shards"]["error"] == "shard 1: ConnectionError"
    assert "127.0.0.1" not in gone.text
    assert plain.status_code == 503
    assert "shard 1: missing modules" in plain.json()["checks"]["session_shards"]["error"]


async def test_readyz_is_503_against_a_redis_without_the_modules(
    redis_url: str, moduleless_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server behind the URL changed (a failover to a plain Redis): not ready."""
    async with running_app(monkeypatch, redis_url) as (client, app):
        await app.state.resources.redis.aclose()
        app.state.resources.redis = aioredis.Redis.from_url(moduleless_redis)
        response = await client.get("/readyz")
        await app.state.resources.redis.aclose()
    assert response.status_code == 503
    redis_check = response.json()["checks"]["redis"]
    assert redis_check["status"] == "error"
    assert "RedisJSON" in redis_check["error"] and "RediSearch" in redis_check["error"]


async def test_a_redis_without_the_modules_stops_the_start_with_what_to_do(
    moduleless_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = aioredis.Redis.from_url(moduleless_redis)
    try:  # the premise: this server really lacks both modules
        assert set(await missing_modules(client)) == {"RedisJSON", "RediSearch"}
    finally:
        await client.aclose()
    monkeypatch.setenv("REDIS_URL", moduleless_redis)
    get_settings.cache_clear()
    with pytest.raises(RedisModulesMissing) as caught:
        async with open_resources(get_settings()):
            pytest.fail("resources opened on a Redis without the modules")
    message = str(caught.value)
    assert "lacks RedisJSON and RediSearch" in message
    assert "redis:8" in message and "redis-stack-server" in message
    assert "unset REDIS_URL" in message


def test_a_redis_password_never_reaches_the_message() -> None:
    assert redact_url("redis://:s3cret@db:6380/0") == "redis://:***@db:6380/0"
    assert redact_url("redis://app:s3cret@db/1") == "redis://app:***@db/1"
    assert "s3cret" not in str(RedisModulesMissing("redis://:s3cret@db:6380/0", ["RedisJSON"]))


async def test_readyz_waits_for_the_router_and_the_controller(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the in-process worker, `/readyz` is 503 until the controller is built."""
    release = asyncio.Event()
    real = orchestrate.make_controller

    async def slow_controller(resources):  # type: ignore[no-untyped-def]
        await release.wait()
        return await real(resources)

    monkeypatch.setattr(orchestrate, "make_controller", slow_controller)
    async with running_app(
        monkeypatch, redis_url, run_worker=True, ENABLE_ORCHESTRATION="true"
    ) as (client, _app):
        waiting = await client.get("/readyz")
        release.set()
        ready = None
        for _ in range(600):  # the controller's build, then the worker records it
            ready = await client.get("/readyz")
            if ready.status_code == 200:
                break
            await asyncio.sleep(0.1)
    assert waiting.status_code == 503
    assert waiting.json()["checks"]["controller"]["status"] == "waiting"
    assert ready is not None and ready.status_code == 200, ready.json() if ready else None
    assert ready.json()["checks"]["router"] == {"status": "ok"}
    assert ready.json()["checks"]["controller"] == {"status": "ok"}
    assert orchestrate.router_ready()


async def test_create_app_without_a_worker_has_no_worker_checks(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("ENABLE_ORCHESTRATION", "true")
    get_settings.cache_clear()
    app = create_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/readyz")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"redis", "database"}


@pytest.mark.parametrize(
    ("env", "docs"),
    [
        ({"CONVO_ENV": "development"}, True),
        ({"CONVO_ENV": "production"}, False),
        ({"CONVO_ENV": "production", "API_DOCS": "true"}, True),
    ],
)
async def test_api_docs_are_off_in_production_unless_enabled(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], docs: bool
) -> None:
    secrets = {
        "WHATSAPP_APP_SECRET": "0123456789abcdef0123456789abcdef",
        "WHATSAPP_VERIFY_TOKEN": "verify-me-0123456789",
    }
    async with running_app(monkeypatch, redis_url, **secrets, **env) as (client, _):
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await client.get(path)).status_code == (200 if docs else 404)
        assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_training_the_router_never_blocks_the_event_loop(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the router trains (held here until the web app has answered), `/healthz` and
    `/readyz` answer: the training runs in a thread, not on the loop the webhook shares."""
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    real = orchestrate.load_turn_machinery

    def slow_training(tenants_dir: str | None = None) -> None:
        started.set()
        release.wait(120)  # a bound for a broken test, never reached when it passes
        finished.set()
        real(tenants_dir)

    monkeypatch.setattr(orchestrate, "load_turn_machinery", slow_training)
    monkeypatch.setattr(orchestrate, "_router_loaded", False)
    async with running_app(
        monkeypatch, redis_url, run_worker=True, ENABLE_ORCHESTRATION="true"
    ) as (client, _app):
        for _ in range(1200):  # until the worker has started training
            if started.is_set():
                break
            await asyncio.sleep(0.1)
        alive = await client.get("/healthz")
        training = await client.get("/readyz")
        answered_while_training = not finished.is_set()
        release.set()
        ready = None
        for _ in range(1200):
            ready = await client.get("/readyz")
            if ready.status_code == 200:
                break
            await asyncio.sleep(0.1)
    assert started.is_set()
    assert answered_while_training, "the web app could not answer until training ended"
    assert alive.status_code == 200
    assert training.status_code == 503
    assert training.json()["checks"]["router"] == {
        "status": "waiting",
        "reason": "loading the router",
    }
    assert ready is not None and ready.status_code == 200, ready.json() if ready else None


async def test_the_router_is_imported_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting the model cache imports the router (numpy, scikit-learn): tens of seconds on
    a loaded machine. It runs in the loading thread, so the loop still answers (and a
    SIGTERM during start-up is acted on at once)."""
    threads: list[str] = []

    def record(name: str) -> Any:
        return lambda *args: threads.append(f"{name}:{threading.current_thread().name}")

    monkeypatch.setattr(orchestrate, "use_model_cache", record("cache"))
    monkeypatch.setattr(orchestrate, "load_turn_machinery", record("load"))

    async def create(resources: object) -> object:
        record("create")()
        return object()

    monkeypatch.setattr("server.controller.create_controller", create)
    await orchestrate.make_controller(SimpleNamespace(settings=get_settings()))  # type: ignore[arg-type]
    loop_thread = threading.current_thread().name
    assert [t.split(":")[0] for t in threads] == ["cache", "load", "create"]
    assert threads[0].split(":")[1] != loop_thread and threads[1].split(":")[1] != loop_thread
