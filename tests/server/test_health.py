from __future__ import annotations

import httpx
import pytest

from server.app import create_app


async def test_healthz_reports_redis_modules_and_database(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    app = create_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {"ReJSON", "search"} <= set(body["redis"]["modules"])
    assert body["database"] == {
        "status": "ok",
        "dialect": "sqlite",
        "latency_ms": body["database"]["latency_ms"],
    }


async def test_healthz_is_503_when_redis_is_gone(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    app = create_app()
    async with app.router.lifespan_context(app):
        await app.state.resources.redis.aclose()
        app.state.resources.redis = type(app.state.resources.redis).from_url(
            "redis://127.0.0.1:1/0", socket_connect_timeout=0.2
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"]["status"] == "error"
    assert response.json()["database"]["status"] == "ok"
