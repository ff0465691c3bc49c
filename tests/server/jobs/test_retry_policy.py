"""Which errors are transient: the whole cause chain decides, not the outer class."""

from __future__ import annotations

import asyncpg
import pytest
import redis.exceptions
import sqlalchemy.exc
from redisvl.exceptions import RedisSearchError, RedisVLError

from server.jobs.retry import describe_error, is_transient


def _wrapped(outer: type[Exception], inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer("Failed to load data: Connection closed by server.") from exc
    except Exception as wrapped:
        return wrapped


@pytest.mark.parametrize("outer", [RedisVLError, RedisSearchError, RuntimeError])
def test_a_library_error_wrapping_a_connection_error_is_transient(outer) -> None:
    inner = redis.exceptions.ConnectionError("Connection closed by server.")
    assert is_transient(_wrapped(outer, inner))


def test_an_error_raised_while_handling_a_timeout_is_transient() -> None:
    try:
        try:
            raise TimeoutError("read timed out")
        except TimeoutError:
            raise RedisVLError("search failed")  # noqa: B904 (implicit context, on purpose)
    except RedisVLError as exc:
        assert is_transient(exc)


def test_a_dbapi_error_is_classified_by_the_driver_error_it_carries() -> None:
    lost = sqlalchemy.exc.DBAPIError("SELECT 1", None, ConnectionResetError("reset by peer"))
    assert is_transient(lost)
    bad_data = sqlalchemy.exc.DataError("INSERT", None, asyncpg.DataError("invalid input"))
    assert not is_transient(bad_data)


def test_a_wrapped_bug_stays_permanent() -> None:
    assert not is_transient(_wrapped(RedisVLError, KeyError("checkpoint")))
    assert not is_transient(ValueError("bug"))


def test_described_errors_name_the_chain_without_a_database_errors_text() -> None:
    customer_text = "hi there, my card is 4111"
    error = sqlalchemy.exc.DataError(
        "INSERT", None, asyncpg.DataError(f"invalid input for query argument $5: {customer_text!r}")
    )
    described = describe_error(error)
    assert "DataError" in described and customer_text not in described
    wrapped = _wrapped(RedisVLError, redis.exceptions.ConnectionError("Connection refused"))
    assert describe_error(wrapped) == "RedisVLError <- ConnectionError: Connection refused"


class _AdaptedDriverError(Exception):
    """Like SQLAlchemy's asyncpg adapter: its own `Error` raised from asyncpg's."""


def _adapted(inner: BaseException) -> Exception:
    try:
        raise _AdaptedDriverError(str(inner)) from inner
    except _AdaptedDriverError as adapted:
        return adapted


@pytest.mark.parametrize(
    "driver_error",
    [
        asyncpg.exceptions.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation"
        ),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),
    ],
)
def test_a_postgresql_connection_error_behind_the_adapter_is_transient(driver_error) -> None:
    """What a send job met when PostgreSQL cut its pooled connection: a plain DBAPIError
    around the adapter's error around asyncpg's; it was failed for good, the reply lost."""
    lost = sqlalchemy.exc.DBAPIError("SELECT", None, _adapted(driver_error))
    assert is_transient(lost)


def test_a_dbapi_error_sqlalchemy_saw_as_a_disconnect_is_transient() -> None:
    orig = _adapted(asyncpg.exceptions.InterfaceError("cannot perform operation"))
    assert not is_transient(sqlalchemy.exc.DBAPIError("SELECT", None, orig))
    invalidated = sqlalchemy.exc.DBAPIError("SELECT", None, orig, connection_invalidated=True)
    assert is_transient(invalidated)
