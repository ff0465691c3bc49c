"""100 turns of the conversation graph on one session: what each costs Redis, counted
exactly (commands by the server, round trips by the client's connections), and what the
session weighs (the numbers themselves: `python -m benchmarks.state_cost`)."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from benchmarks.redis_count import RoundTrips, counting_client
from benchmarks.state_cost import TENANT, measure_turns, session_keys
from graph.checkpointer import redis_checkpointer
from graph.context import Context
from graph.graph import build_graph
from graph.messages import InboundTurn
from graph.state import CARRIED_CHANNELS
from server.controller import Controller, forget_replies

WA = "5511987654321"
THREAD = {"configurable": {"thread_id": f"{TENANT}:{WA}"}}


async def test_a_turn_costs_at_most_20_commands_in_2_round_trips_and_the_session_stays_small(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    counter = RoundTrips()
    client, saver_client = counting_client(redis_url, counter), counting_client(redis_url, counter)
    async with redis_checkpointer(
        redis_url, carried_channels=CARRIED_CHANNELS, client=saver_client
    ) as saver:
        controller = Controller(build_graph(saver), client, saver=saver, context=Context())

        async def delivered(turn: InboundTurn) -> None:  # what the job does once stored
            await forget_replies(redis_client, turn.msg_id)

        counts, keys_20, bytes_20 = await measure_turns(
            redis_client, 20, WA, controller.handle_turn, counter=counter, after=delivered
        )
        counts, keys_100, bytes_100 = await measure_turns(
            *(redis_client, 80, WA, controller.handle_turn),
            counter=counter,
            after=delivered,
            first=20,
            counts=counts,
        )
        latest = await saver.aget_tuple(THREAD)
        kept = [s async for s in controller.graph.aget_state_history(THREAD)]
    await client.aclose()
    await saver_client.aclose()

    # Every turn after the first: one script opens it (claim, lock, read), one commits.
    assert counts.round_trips[1:] == [2] * 99
    assert max(counts.commands[1:]) <= 20  # 17 measured
    assert latest is not None
    assert latest.checkpoint["channel_values"]["session"]["version"] == 100
    state_json = len(json.dumps(latest.checkpoint["channel_values"]["session"]))
    assert bytes_100 <= 3 * state_json
    assert keys_100 == keys_20 == 3  # checkpoint, latest pointer, version hash
    assert bytes_100 <= bytes_20 * 1.1  # flat: the dialogue window is full by turn 20
    assert [s.values["session"]["version"] for s in kept] == [100]
    assert len(await session_keys(redis_client, TENANT, WA, counts.msg_ids)) == keys_100
