"""100 turns of the conversation graph on one session: Redis commands per turn and the
session's bytes stay flat (the numbers themselves: `python -m benchmarks.state_cost`)."""

from __future__ import annotations

import statistics

import redis.asyncio as aioredis

from benchmarks.state_cost import measure_turns, session_keys
from graph.checkpointer import DEFAULT_KEEP_LAST, redis_checkpointer
from graph.context import Context
from graph.graph import build_graph
from graph.messages import InboundTurn
from server.controller import Controller, TurnResult

TENANT, WA = "100200300400500", "5511987654321"
THREAD = {"configurable": {"thread_id": f"{TENANT}:{WA}"}}


async def versions_kept(controller: Controller) -> list[int]:
    return [
        s.values["session"]["version"] async for s in controller.graph.aget_state_history(THREAD)
    ]


async def test_cost_per_turn_and_session_size_stay_bounded(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    async with redis_checkpointer(redis_url) as saver:
        controller = Controller(build_graph(saver), redis_client, saver=saver, context=Context())

        async def later_turn(turn: InboundTurn) -> TurnResult:  # fresh message ids
            return await controller.handle_turn(
                turn.model_copy(update={"msg_id": turn.msg_id + "b"})
            )

        per_turn, keys_20, bytes_20 = await measure_turns(
            redis_client, 20, WA, controller.handle_turn
        )
        more, keys_100, bytes_100 = await measure_turns(redis_client, 80, WA, later_turn)
        kept = await versions_kept(controller)

    per_turn += more
    steady = statistics.median(per_turn[10:20])
    assert max(per_turn[-10:]) <= steady + 5  # flat: turn 100 costs what turn 15 cost
    assert max(per_turn) <= 60  # 36 measured (benchmarks.state_cost)
    assert keys_100 == keys_20 <= DEFAULT_KEEP_LAST + 3  # checkpoints + pointer + fence
    assert bytes_100 <= bytes_20 * 1.25  # the dialogue window is already full at turn 10
    assert kept == list(range(100, 100 - DEFAULT_KEEP_LAST, -1))  # recent versions inspectable
    assert len(await session_keys(redis_client, TENANT, WA)) == keys_100
