"""The store's migrations apply (and re-apply) on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from server.store import create_engine, migrate

REPO = Path(__file__).resolve().parents[2]
EXPECTED_COLUMNS = {"direction", "wamid", "idempotency_key", "tenant_id", "wa_id", "status"}


async def _tables_and_columns(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            columns = await conn.run_sync(lambda c: inspect(c).get_columns("wa_messages"))
            return tables, {col["name"] for col in columns}
    finally:
        await engine.dispose()


async def test_migrations_apply_on_sqlite_and_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    await migrate(url)
    await migrate(url)  # a second start must not fail
    tables, columns = await _tables_and_columns(url)
    assert {"wa_messages", "alembic_version"} <= tables
    assert columns >= EXPECTED_COLUMNS


async def test_migrations_downgrade_to_base_on_sqlite(tmp_path: Path) -> None:
    from alembic import command

    from server.store.db import alembic_config

    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    await migrate(url)
    import asyncio

    await asyncio.to_thread(command.downgrade, alembic_config(url), "base")
    tables, _ = await _tables_and_columns_or_empty(url)
    assert "wa_messages" not in tables


async def _tables_and_columns_or_empty(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names())), set()
    finally:
        await engine.dispose()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database per test, when TEST_DATABASE_URL is set."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run the store tests on it")
    url = make_url(base)
    name = f"convo_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_migrations_apply_on_postgresql(postgres_url: str) -> None:
    await migrate(postgres_url)
    await migrate(postgres_url)
    tables, columns = await _tables_and_columns(postgres_url)
    assert {"wa_messages", "alembic_version"} <= tables
    assert columns >= EXPECTED_COLUMNS


def test_head_read_from_the_files_is_alembics_head() -> None:
    """`migrate()` skips Alembic when the store is at this head: it must be Alembic's."""
    from alembic.script import ScriptDirectory

    from server.store.db import alembic_config, head_revisions

    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///unused.db"))
    assert head_revisions() == set(script.get_heads())


async def test_a_store_at_head_is_recognised_and_an_older_one_upgraded(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    await migrate(url, "0001")
    await migrate(url)  # not at head: Alembic upgrades it
    tables, _ = await _tables_and_columns(url)
    assert "wa_status_events" in tables
    await migrate(url)  # at head: nothing to do


async def test_processes_starting_together_migrate_one_at_a_time(
    postgres_url: str, tmp_path: Path
) -> None:
    """Several processes starting on an empty PostgreSQL (web workers, a worker,
    `convo migrate`): each waits for the migration lock, so none fails half-way."""
    import asyncio
    import sys

    from server.store.db import MIGRATION_LOCK_ID

    env = {**os.environ, "DATABASE_URL": postgres_url, "CONVO_DATA_DIR": str(tmp_path)}
    waiting_sql = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = :low"
    )
    holder = create_async_engine(make_url(postgres_url))
    async with holder.connect() as conn:
        await conn.execute(text(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))
        starts = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "server.cli",
                "migrate",
                cwd=REPO,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(3)
        ]
        waiting = 0
        for _ in range(1200):  # until all three wait for the lock (a bound, not a timing)
            low = MIGRATION_LOCK_ID & 0xFFFFFFFF
            waiting = int((await conn.execute(waiting_sql, {"low": low})).scalar_one())
            if waiting == 3 or any(p.returncode is not None for p in starts):
                break
            await asyncio.sleep(0.1)
        tables_while_locked, _ = await _tables_and_columns_or_empty(postgres_url)
        await conn.execute(text(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})"))
    await holder.dispose()
    outcomes = [await p.communicate() for p in starts]
    assert waiting == 3, outcomes
    assert "wa_messages" not in tables_while_locked  # nobody migrated past the lock
    assert [p.returncode for p in starts] == [0, 0, 0], outcomes
    assert all(b"database schema at revision" in out for out, _ in outcomes)
    tables, columns = await _tables_and_columns(postgres_url)
    assert {"wa_messages", "alembic_version"} <= tables and columns >= EXPECTED_COLUMNS
