"""Edge functions on the event loop.

LangGraph runs a plain (non-async) edge function in a thread pool: one thread hand-off,
and its context copy, per call. The graph's edge functions only read a field of the
state, so `on_the_loop` gives LangGraph a coroutine that calls them directly. The
wrapper keeps the function's name and annotations: the `Literal` return type still tells
LangGraph (and Studio) where the edge can go.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TypeVar

S = TypeVar("S")
R = TypeVar("R")


def on_the_loop(route: Callable[[S], R]) -> Callable[[S], Awaitable[R]]:
    """`route` as a coroutine function (see module doc)."""

    @functools.wraps(route)
    async def routed(state: S) -> R:
        return route(state)

    return routed
