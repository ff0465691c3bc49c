"""Helpers for graph, router and lane tests: a scripted classifier, a scripted LLM over
respx (the real ChatOpenAI client against a mocked OpenAI HTTP API), and a conversation
driver over the compiled graph."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from graph.context import Context
from graph.graph import build_graph
from graph.messages import InboundTurn
from graph.understanding import Understanding
from nodes.registry import LaneRegistry
from nodes.router import Router, RouterConfig, build_router
from nodes.router.offline import LanePrediction

LLM_BASE_URL = "http://llm.test/v1"
TENANT = "100200300400500"
WA_ID = "5511987654321"
MONDAY_NOON_SAO_PAULO = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
"""Monday 12:00 in America/Sao_Paulo (UTC-3): the demo shop is open (09:00-19:00)."""


Reading = tuple[str, float] | tuple[str, float, str]
"""A scripted classifier's reading of a text: (lane, confidence[, the model's intent])."""


class ScriptedClassifier:
    """An offline classifier double: text -> (lane, confidence) or (lane, confidence, intent);
    unknown text is unsure."""

    def __init__(
        self,
        table: Mapping[str, Reading] | None = None,
        default: tuple[str, float] = ("info", 0.34),
        lanes: tuple[str, ...] = ("info", "commerce", "support"),
    ):
        self.table = dict(table or {})
        self.default = default
        self.lanes = lanes
        self.calls: list[str] = []

    def predict(self, text: str) -> LanePrediction:
        self.calls.append(text)
        lane, confidence, *intent = self.table.get(text, self.default)
        others = [name for name in self.lanes if name != lane]
        rest = (1.0 - confidence) / len(others)
        scores = {name: rest for name in others} | {lane: confidence}
        return LanePrediction(
            lane=lane, intent=intent[0] if intent else f"{lane}_intent", confidence=confidence,
            scores=scores,
        )  # fmt: skip


def scripted_router(
    table: Mapping[str, Reading] | None = None,
    *,
    mode: str = "offline",
    chat_model: ChatOpenAI | None = None,
    registry: LaneRegistry | None = None,
    config: RouterConfig = RouterConfig(),
    default: tuple[str, float] = ("info", 0.34),
) -> Router:
    classifier = ScriptedClassifier(table, default)
    return build_router(
        mode,  # type: ignore[arg-type]
        chat_model=chat_model,
        config=config,
        registry=registry,
        classifier=classifier,
    )


async def understand(text: str, *, lane: str = "info", **route: Any) -> Understanding:
    """What the router understands of `text` when its classifier is sure of `lane`."""
    return await scripted_router({text: (lane, 0.95)}).route(text, **route)


def chat_model(**kwargs: Any) -> ChatOpenAI:
    """The real client, pointed at the respx-mocked API; no retries so failures show at once."""
    return ChatOpenAI(
        model="gpt-4o-mini",
        api_key="sk-test",
        base_url=LLM_BASE_URL,
        max_retries=0,
        **{"timeout": 5, **kwargs},
    )


def completion(
    content: str | None = None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    tool_arguments: str | None = None,
) -> httpx.Response:
    """An OpenAI chat.completions response with the given message."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_arguments is not None:
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "LLMRoute", "arguments": tool_arguments},
            }
        ]
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 12, "total_tokens": 112},
    }
    return httpx.Response(200, json=body)


def route_json(lane: str, confidence: float = 0.9, intent: str = "llm_intent") -> str:
    return json.dumps({"lane": lane, "intent": intent, "confidence": confidence})


@dataclass
class Conversation:
    """Drives one WhatsApp thread through the compiled graph, turn by turn."""

    context: Context
    registry: LaneRegistry | None = None
    checkpointer: BaseCheckpointSaver[Any] = field(default_factory=InMemorySaver)
    tenant_id: str = TENANT
    wa_id: str = WA_ID
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.graph = build_graph(self.checkpointer, registry=self.registry)

    @property
    def config(self) -> dict[str, Any]:
        return {"configurable": {"thread_id": f"{self.tenant_id}:{self.wa_id}"}}

    async def send(
        self, text: str, *, choice_id: str | None = None, msg_id: str | None = None
    ) -> dict[str, Any]:
        turn = InboundTurn(
            tenant_id=self.tenant_id,
            wa_id=self.wa_id,
            msg_id=msg_id or f"wamid.test{next(self._ids)}",
            text=text,
            choice_id=choice_id,
            message_type="interactive" if choice_id else "text",
        )
        return await self.graph.ainvoke(
            {"turn": turn}, config=self.config, context=self.context, durability="exit"
        )

    def advance(self, **delta: float) -> None:
        assert self.context.now is not None
        self.context.now = self.context.now + timedelta(**delta)


def texts(result: Mapping[str, Any]) -> str:
    """Every body, button and row title of a turn's replies, joined (for `in` checks)."""
    parts: list[str] = []
    for message in result["outbound"]:
        parts.append(message.body)
        parts.extend(button.title for button in getattr(message, "buttons", ()))
        for section in getattr(message, "sections", ()):
            parts.extend(row.title for row in section.rows)
    return "\n".join(parts)


def context(
    router: Router | None = None, now: datetime = MONDAY_NOON_SAO_PAULO, **kwargs: Any
) -> Context:
    return Context(router=router, now=now, **kwargs)


Table = Mapping[str, Reading]
Predicate = Callable[[str], bool]
