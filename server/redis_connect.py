"""Every Redis client of the service is built here, from one kind of address.

An address is a URL:

    redis://[user:password@]host:port/db          one server (REDIS_URL)
    rediss://...                                  the same over TLS
    redis+sentinel://[:password@]h1:p1,h2:p2/master_name[/db]
                                                  the primary of `master_name`, found by
                                                  asking the sentinels (redis-py's Sentinel)

`REDIS_SENTINELS` + `REDIS_SENTINEL_MASTER` are the same thing as a `redis+sentinel://`
REDIS_URL (see `server.settings`). A Sentinel-managed client asks the sentinels for the
primary when it connects and again after a failover (a connection to the demoted primary
answers READONLY, which redis-py turns into a reconnect), so the web app, the workers'
queue, the checkpointer, the session locks and the rate limiter follow the primary. arq
gets the same address as its own `RedisSettings(sentinel=True)`.

An address may hold a password: whatever prints one (an error, a log line) passes it
through :func:`redact_url` first, and the log formatter does so for every line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from arq.connections import RedisSettings
from redis.asyncio.sentinel import Sentinel

from server.logging import redact_url as redact_url  # re-exported with the addresses

SENTINEL_SCHEME = "redis+sentinel"


class RedisAddressError(ValueError):
    """An address that is neither a Redis URL nor a `redis+sentinel://` one."""


@dataclass(frozen=True)
class SentinelAddress:
    """A Sentinel-managed primary: where the sentinels are and the name they know it by."""

    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int = 0
    password: str | None = None
    """The password of the Redis servers (the sentinels are asked without one)."""


def sentinel_url(sentinels: list[tuple[str, int]], master: str, db: int = 0) -> str:
    hosts = ",".join(f"{host}:{port}" for host, port in sentinels)
    return f"{SENTINEL_SCHEME}://{hosts}/{master}/{db}"


def parse_host_ports(text: str) -> list[tuple[str, int]]:
    """`"h1:26379, h2:26379"` -> [("h1", 26379), ("h2", 26379)]."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit():
            shown = "***@" + item.rpartition("@")[2] if "@" in item else item  # no password
            raise RedisAddressError(f"{shown!r} is not host:port")
        pairs.append((host.strip("[]"), int(port)))
    if not pairs:
        raise RedisAddressError("no host:port given")
    return pairs


def parse_sentinel(url: str) -> SentinelAddress:
    parts = urlsplit(url)
    netloc = parts.netloc
    password = None
    if "@" in netloc:
        credentials, netloc = netloc.rsplit("@", 1)
        password = unquote(credentials.split(":", 1)[1]) if ":" in credentials else None
    path = [segment for segment in parts.path.split("/") if segment]
    if not path:
        raise RedisAddressError(f"{SENTINEL_SCHEME}:// needs the master name after the hosts")
    db = int(path[1]) if len(path) > 1 and path[1].isdigit() else 0
    return SentinelAddress(tuple(parse_host_ports(netloc)), path[0], db, password)


def is_sentinel(url: str) -> bool:
    return url.startswith(f"{SENTINEL_SCHEME}://")


def split_urls(text: str) -> list[str]:
    """A list of addresses: JSON-free, separated by commas or spaces. A comma inside a
    `redis+sentinel://` host list stays (a new address starts with its scheme)."""
    items = re.split(r"[\s,]+(?=rediss?(?:\+sentinel)?://)", text.strip())
    return [item.strip().rstrip(",").strip() for item in items if item.strip()]


_SOCKET_DEFAULTS: dict[str, Any] = {"socket_connect_timeout": 2.0, "socket_keepalive": True}


def connect(url: str, **kwargs: Any) -> aioredis.Redis:
    """A client of the Redis at `url` (see module doc); no connection is made yet."""
    if not is_sentinel(url):
        return aioredis.Redis.from_url(url, **kwargs)
    address = parse_sentinel(url)
    options = {**_SOCKET_DEFAULTS, **kwargs}
    sentinel = Sentinel(
        list(address.sentinels),
        sentinel_kwargs={k: v for k, v in options.items() if k.startswith("socket_")},
        **options,
    )
    client: aioredis.Redis = sentinel.master_for(
        address.master, redis_class=aioredis.Redis, db=address.db, password=address.password
    )
    return client


def arq_settings(url: str) -> RedisSettings:
    """arq's connection settings for the same address (the job queue)."""
    if not is_sentinel(url):
        return RedisSettings.from_dsn(url)
    address = parse_sentinel(url)
    return RedisSettings(
        host=list(address.sentinels),
        sentinel=True,
        sentinel_master=address.master,
        database=address.db,
        password=address.password,
    )
