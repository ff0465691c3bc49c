"""LangGraph Studio (`make studio` / `langgraph dev`): the checkpointer it runs the graph with.

`langgraph.json` points `"checkpointer": {"path": "./server/studio.py:checkpointer"}` here,
so Studio shows the real Redis-backed session versions: `REDIS_URL` when set, else the
embedded Redis in `{CONVO_DATA_DIR}/redis`. (The dev server refuses a graph compiled with
its own checkpointer, so `graph.graph:graph` is compiled without one.)

The dev server enters this context at start-up, before it answers requests, so it is
also where the router is trained (or loaded) and the tenants' files are read, in a
thread: the first turn does not do it on the event loop, where training stalled every
Redis call for seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from graph.checkpointer import FencedRedisSaver, redis_checkpointer
from server.jobs.orchestrate import prepare_turn_machinery
from server.redis_connect import connect
from server.resources import redis_server
from server.settings import get_settings


@contextlib.asynccontextmanager
async def checkpointer() -> AsyncIterator[FencedRedisSaver]:
    """Yield the Redis saver for the dev server; stop the embedded Redis on exit."""
    settings = get_settings()
    await asyncio.to_thread(prepare_turn_machinery, settings.model_cache_dir, settings.tenants_dir)
    async with redis_server(settings) as url:
        client = connect(url)
        try:
            async with redis_checkpointer(client=client) as saver:
                yield saver
        finally:
            await client.aclose()
