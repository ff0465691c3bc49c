"""Which errors are transient: the whole cause chain decides, not the outer class."""

from __future__ import annotations

import asyncpg
import pytest
import redis.exceptions
import sqlalchemy.exc
from arq.worker import Retry
from redis.sentinel import MasterNotFoundError
from redisvl.exceptions import RedisSearchError, RedisVLError

from graph.session.errors import CommitNotReplicated, StaleStateError
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


# A turn caught by a Redis switch is retried until the switch is over, within a budget.


def _ctx(job_try: int, age_s: float) -> dict[str, object]:
    from datetime import UTC, datetime, timedelta

    return {"job_try": job_try, "enqueue_time": datetime.now(UTC) - timedelta(seconds=age_s)}


async def _run(
    ctx: dict[str, object],
    error: Exception,
    budget_s: float,
    extra: tuple[type[BaseException], ...] = (),
) -> BaseException:
    from server.jobs.retry import retry_transient

    with pytest.raises(BaseException) as raised:
        async with retry_transient(ctx, "orchestrate_turn", extra, redis_switch_budget_s=budget_s):
            raise error
    return raised.value


@pytest.mark.parametrize(
    "error",
    [
        CommitNotReplicated("commit reached 0 of 1 replicas"),
        redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379."),
        MasterNotFoundError("No master found for 'convo'"),
        redis.exceptions.ReadOnlyError("You can't write against a read only replica."),
        redis.exceptions.ResponseError("NOREPLICAS Not enough good replicas to write."),
    ],
)
async def test_a_redis_switch_is_waited_for_past_the_tries_within_the_budget(error) -> None:
    """Tries 5, 9 and 30 of a turn whose commit no replica confirmed (or whose primary is
    away) are retried every few seconds while the job is younger than the budget."""
    for job_try in (5, 9, 30):
        retried = await _run(_ctx(job_try, age_s=60), error, budget_s=300)
        assert isinstance(retried, Retry), job_try
        assert retried.defer_score is not None and 0 < retried.defer_score <= 5000
    assert await _run(_ctx(9, age_s=301), error, budget_s=300) is error  # budget spent
    assert await _run(_ctx(5, age_s=60), error, budget_s=0) is error  # a job without one
    assert await _run({"job_try": 5}, error, budget_s=300) is error  # age unknown: tries count


async def test_other_transient_errors_keep_their_count_of_tries() -> None:
    stale = StaleStateError("version moved", expected=3, actual=4)
    assert isinstance(await _run(_ctx(4, age_s=10), stale, budget_s=300), Retry)
    assert await _run(_ctx(5, age_s=10), stale, budget_s=300) is stale
    assert not is_transient(redis.exceptions.ResponseError("WRONGTYPE Operation against a key"))
    bug = KeyError("checkpoint")
    assert await _run(_ctx(1, age_s=10), bug, budget_s=300) is bug  # permanent: never


async def test_a_turn_conflict_is_waited_for_within_the_budget() -> None:
    """Another turn of the session holds its lock or committed first (longer during a
    switch): given up after 5 tries, this message would be answered after later ones."""
    stale = StaleStateError("version moved", expected=3, actual=4)
    retried = await _run(_ctx(9, age_s=60), stale, budget_s=300, extra=(StaleStateError,))
    assert isinstance(retried, Retry)
    assert await _run(_ctx(9, age_s=301), stale, 300, extra=(StaleStateError,)) is stale


def test_the_turn_job_allows_arq_enough_tries_for_the_budget() -> None:
    from server.jobs.orchestrate import ORCHESTRATE_TURN_JOB, REDIS_SWITCH_BUDGET_S
    from server.jobs.retry import MAX_TRIES

    # a retry waits at least a second, so the budget ends before arq's count of tries
    assert ORCHESTRATE_TURN_JOB.max_tries is not None
    assert ORCHESTRATE_TURN_JOB.max_tries >= MAX_TRIES + REDIS_SWITCH_BUDGET_S
