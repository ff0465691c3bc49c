"""A Redis password never reaches an error message or a log line: `redis://`,
`rediss://` and `redis+sentinel://` addresses are printed with `***` in its place."""

from __future__ import annotations

import json
import logging
import sys

import pytest
import redis.exceptions
from pydantic import ValidationError

from server.jobs.retry import describe_error
from server.logging import JsonLinesFormatter
from server.redis_connect import RedisAddressError, parse_host_ports, parse_sentinel, redact_url
from server.redis_modules import RedisModulesMissing
from server.settings import Settings, describe_settings_error

SECRET = "s3cr@t-Pa55"
SENTINEL = f"redis+sentinel://:{SECRET}@10.0.0.1:26379,10.0.0.2:26379/convo/0"


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("redis://:s3cret@db:6380/0", "redis://:***@db:6380/0"),
        ("redis://app:s3cret@db/1", "redis://app:***@db/1"),
        ("rediss://app:s3cret@db:6380", "rediss://app:***@db:6380"),
        ("redis://s3cret@db", "redis://***@db"),  # a token given as the user name
        (SENTINEL, "redis+sentinel://:***@10.0.0.1:26379,10.0.0.2:26379/convo/0"),
        ("redis://db:6379/0", "redis://db:6379/0"),
        ("redis+sentinel://h1:1,h2:2/convo", "redis+sentinel://h1:1,h2:2/convo"),
    ],
)
def test_an_address_is_shown_without_its_password(address: str, shown: str) -> None:
    assert redact_url(address) == shown


def test_every_address_quoted_in_a_text_is_redacted() -> None:
    text = f"shards redis://:one@h1:1,redis://:two@h2:2 and {SENTINEL!r} failed"
    redacted = redact_url(text)
    assert "one" not in redacted and "two" not in redacted and SECRET not in redacted
    assert "redis://:***@h1:1,redis://:***@h2:2" in redacted
    assert (
        redact_url("https://graph.facebook.com/v21.0/me") == "https://graph.facebook.com/v21.0/me"
    )


def test_a_sentinel_address_keeps_its_password_for_the_connection() -> None:
    assert parse_sentinel(SENTINEL).password == SECRET


def test_address_errors_do_not_quote_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RedisAddressError) as caught:
        parse_host_ports(f"10.0.0.1:26379, {SECRET}@10.0.0.2")
    assert SECRET not in str(caught.value) and "10.0.0.2" in str(caught.value)

    monkeypatch.setenv("REDIS_SESSION_URLS", f"http://:{SECRET}@x/0")
    with pytest.raises(ValidationError) as invalid:
        Settings(CONVO_ENV="development")
    described = describe_settings_error(invalid.value)
    assert "http://:***@x/0" in described
    assert SECRET not in described and SECRET not in str(invalid.value)


def test_a_server_without_the_modules_is_named_without_its_password() -> None:
    message = str(RedisModulesMissing(SENTINEL, ["RedisJSON"]))
    assert SECRET not in message and "10.0.0.1:26379,10.0.0.2:26379/convo" in message


def test_log_lines_never_carry_a_redis_password() -> None:
    """Fields, a library's message and an error's text: each written with `***`."""
    error = redis.exceptions.ConnectionError(f"Error connecting to {SENTINEL}")
    try:
        raise error
    except redis.exceptions.ConnectionError:
        record = logging.LogRecord(
            "arq.connections", logging.WARNING, __file__, 1, "redis connection error %s %s",
            (SENTINEL, error), sys.exc_info(),
        )  # fmt: skip
    record.fields = {"url": SENTINEL, "error": describe_error(error)}
    line = JsonLinesFormatter().format(record)
    assert SECRET not in line
    assert json.loads(line)["url"] == "redis+sentinel://:***@10.0.0.1:26379,10.0.0.2:26379/convo/0"
