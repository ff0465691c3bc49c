"""Shared fixtures: one embedded Redis for the session, emptied before every test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio as aioredis

from server.embedded_redis import EmbeddedRedis
from server.settings import get_settings


@pytest.fixture(scope="session")
def embedded_redis() -> Iterator[EmbeddedRedis]:
    """The real Redis 8 (JSON + search modules) every Redis test talks to."""
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
def redis_url(embedded_redis: EmbeddedRedis) -> str:
    """A Redis URL whose database is empty when the test starts (isolation between tests)."""
    client = redis.Redis.from_url(embedded_redis.url)
    client.flushall()
    client.close()
    return embedded_redis.url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[None]:
    """No test reads the developer's `.env` or environment, and settings are re-read per test."""
    for name in list(os.environ):
        if name.startswith(
            ("WHATSAPP_", "OPENAI_", "CONVO_", "ROUTER_", "CHATWOOT_", "HANDOFF_")
        ) or name in {
            "REDIS_URL",
            "DATABASE_URL",
            "ENABLE_ORCHESTRATION",
            "LOG_LEVEL",
        }:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONVO_ENV", "test")
    monkeypatch.setenv("CONVO_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(str(tmp_path))  # so a developer's .env is not picked up
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
