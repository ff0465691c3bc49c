"""The running app (real Redis, SQLite in the test's tmp dir) for the job tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from send_support import sending_resources
from webhook_support import running_app

from server.resources import Resources


@pytest.fixture
async def app_client(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    async with running_app(monkeypatch, redis_url, ENABLE_ORCHESTRATION="true") as pair:
        yield pair


@pytest.fixture
async def resources(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> AsyncIterator[Resources]:
    """Resources with sending enabled (a fake token, the Graph API mocked by each test)."""
    async with sending_resources(monkeypatch, redis_url) as opened:
        yield opened
