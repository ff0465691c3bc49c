"""LangGraph Studio (`make studio` / `langgraph dev`): the checkpointer it runs the graph with.

`langgraph.json` points `"checkpointer": {"path": "./server/studio.py:checkpointer"}` here,
so Studio shows the real Redis-backed session versions: `REDIS_URL` when set, else the
embedded Redis in `{CONVO_DATA_DIR}/redis`. (The dev server refuses a graph compiled with
its own checkpointer, so `graph.graph:graph` is compiled without one.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from graph.checkpointer import FencedRedisSaver, redis_checkpointer
from nodes.router.offline import OfflineClassifier
from server.resources import redis_server
from server.settings import get_settings


@contextlib.asynccontextmanager
async def checkpointer() -> AsyncIterator[FencedRedisSaver]:
    """Yield the Redis saver for the dev server; stop the embedded Redis on exit."""
    settings = get_settings()
    # Train the offline router now, in a thread: trained inside the first run it blocked the
    # dev server's event loop for seconds (more on a busy machine), and a Redis connection
    # being opened meanwhile for that run's checkpoint timed out.
    await asyncio.to_thread(OfflineClassifier.default)
    async with redis_server(settings) as url, redis_checkpointer(url) as saver:
        yield saver
