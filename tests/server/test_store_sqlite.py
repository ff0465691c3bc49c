"""The SQLite connections of the message store: one that is stopped always lets go of
the database, whatever else cleared its handle meanwhile."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import aiosqlite
import pytest

from server.store.db import _sqlite_connector


def _locked(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0.2)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()


async def _stop_while_close_clears_the_handle(connection: aiosqlite.Connection) -> None:
    """What SQLAlchemy's end of a cancelled connection can come to: `stop()` is queued
    while the connection's thread is busy, and aiosqlite's `close()` clears the handle
    before the thread gets to it."""
    busy = threading.Event()
    connection._tx.put_nowait((None, busy.wait))  # the thread finishes a statement first
    stopped = connection.stop()
    connection._connection = None  # as `close()` does in its `finally`
    busy.set()
    assert stopped is not None
    await stopped


async def test_a_stopped_connection_releases_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    connection = await _sqlite_connector(f"sqlite+aiosqlite:///{path}")()
    await connection.execute("CREATE TABLE t (v INTEGER)")
    await connection.execute("INSERT INTO t VALUES (1)")  # a write transaction, still open
    assert _locked(path)
    await _stop_while_close_clears_the_handle(connection)
    assert not _locked(path)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_aiosqlite_alone_would_keep_the_lock(tmp_path: Path) -> None:
    """The reason for the store's own connection class (if aiosqlite fixes it, this test
    says so and the class can go)."""
    path = tmp_path / "store.db"
    connection = await aiosqlite.connect(path, timeout=30, check_same_thread=False)
    await connection.execute("CREATE TABLE t (v INTEGER)")
    await connection.execute("INSERT INTO t VALUES (1)")
    handle = connection._connection
    await _stop_while_close_clears_the_handle(connection)
    try:
        assert _locked(path)
    finally:
        assert handle is not None
        handle.close()  # its thread has ended
