"""Multi-turn eval: scripted conversations run through the compiled graph, one thread each.

Each turn is a real graph invocation (``{"turn": InboundTurn}``) on an in-memory
checkpointer, with a clock that advances between turns, so stickiness, follow-ups and
handoffs are what is measured, not the router alone. A turn counts as correct when the lane
that finally handled it (after any handoff) is the expected one and the router did not ask
a clarifying question instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from evals import metrics
from evals.dataset import Conversation
from evals.metrics import LaneScore, LanguageScore, LatencySummary, Prediction, TokenUsage
from evals.report import DatasetInfo, git_commit
from evals.runner import ERROR_METHOD, capture_usage, tokens_of

if TYPE_CHECKING:
    from graph.messages import InboundTurn
    from nodes.router import Router

EVAL_TENANT = "100200300400500"
"""The demo tenant's phone_number_id, so the demo profile answers."""
TURN_GAP = timedelta(seconds=20)
"""Simulated time between two user messages (well inside the sticky window)."""
START = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
"""A fixed weekday afternoon: replies that depend on opening hours are reproducible."""


class TurnPrediction(Prediction):
    conversation_id: str
    turn: int
    """1-based position in the conversation."""
    routed: str = ""
    """The router's lane, before any handoff."""
    handoffs: list[str] = Field(default_factory=list)


class ConversationResult(BaseModel):
    id: str
    lang: str
    tags: list[str]
    turns: list[TurnPrediction]
    correct_turns: int
    all_correct: bool
    needless_switches: int
    handoff_loops: int


class Share(BaseModel):
    n: int
    correct: int
    accuracy: float


class HandoffEffect(BaseModel):
    """Turns a lane handed on, and whether that helped: the router's lane vs the final one."""

    turns: int
    fixed: int
    """The router's lane was wrong and the handoff reached the expected lane."""
    broke: int
    """The router's lane was right and the handoff moved the turn away from it."""


def handoff_effect(turns: Sequence[TurnPrediction]) -> HandoffEffect:
    handed = [t for t in turns if t.handoffs and not t.clarified]
    return HandoffEffect(
        turns=len(handed),
        fixed=sum(t.routed != t.expected and t.correct for t in handed),
        broke=sum(t.routed == t.expected and not t.correct for t in handed),
    )


class ConversationReport(BaseModel):
    kind: Literal["conversations"] = "conversations"
    router: str
    router_config: dict[str, Any] = Field(default_factory=dict)
    """The router's knobs for this run (thresholds, stickiness, LLM method)."""
    n: int
    """Turns scored (the unit of accuracy)."""
    n_conversations: int
    accuracy: float
    answered_accuracy: float
    clarification_rate: float
    macro_f1: float
    per_lane: dict[str, LaneScore]
    per_language: dict[str, LanguageScore]
    confusion: dict[str, dict[str, int]]
    first_turns: Share
    follow_up_turns: Share
    per_tag: dict[str, Share]
    conversations_all_correct: float
    needless_switches: int
    needless_switch_rate: float = 0.0
    """Needless switches over the follow-up turns (a switch can only happen on those)."""
    conversations_with_ping_pong: int
    handoff_loops: int
    routed_accuracy: float
    """Accuracy of the router's lane alone, before any lane handed the turn on."""
    handoffs: HandoffEffect
    methods: dict[str, int]
    latency_ms: LatencySummary | None
    tokens: TokenUsage | None
    dataset: DatasetInfo
    created_at: str
    git_commit: str | None
    conversations: list[ConversationResult]


def _wa_id(index: int) -> str:
    return f"1555{index:08d}"  # phone-shaped, unique per conversation: one thread each


class TurnOutcome(BaseModel):
    """What one graph invocation returned (or how it failed), timed, with its LLM tokens."""

    result: dict[str, Any]
    error: str | None
    latency_ms: float
    prompt_tokens: int | None
    completion_tokens: int | None


async def invoke_turn(graph: Any, router: Router, inbound: InboundTurn) -> TurnOutcome:
    from graph.context import Context

    config = {"configurable": {"thread_id": inbound.thread_id}}
    context = Context(router=router, now=inbound.received_at)
    error, result = None, {}
    with capture_usage() as usage:
        started = time.perf_counter()
        try:
            result = await graph.ainvoke({"turn": inbound}, config=config, context=context)
        except Exception as exc:  # one broken turn is a finding, not a reason to stop the run
            error = f"{type(exc).__name__}: {exc}"
        elapsed_ms = (time.perf_counter() - started) * 1000
    prompt, completion = tokens_of(usage)
    return TurnOutcome(
        result=result,
        error=error,
        latency_ms=round(elapsed_ms, 3),
        prompt_tokens=prompt,
        completion_tokens=completion,
    )


async def run_turn(
    graph: Any, router: Router, conversation: Conversation, index: int, position: int
) -> TurnPrediction:
    """Turn ``position`` of the conversation as user message of thread ``index``."""
    from graph.messages import InboundTurn

    expected = conversation.turns[position]
    inbound = InboundTurn(
        tenant_id=EVAL_TENANT,
        wa_id=_wa_id(index),
        msg_id=f"wamid.eval.{conversation.id}.{position}",
        text=expected.text,
        received_at=START + TURN_GAP * position,
    )
    outcome = await invoke_turn(graph, router, inbound)
    decision = outcome.result.get("understanding")
    return TurnPrediction(
        conversation_id=conversation.id,
        turn=position + 1,
        text=expected.text,
        lang=conversation.lang,
        expected=expected.lane,
        predicted=outcome.result.get("lane") or (decision.lane if decision else ERROR_METHOD),
        routed=decision.lane if decision else ERROR_METHOD,
        method=decision.method if decision else ERROR_METHOD,
        intent=decision.intent if decision else "",
        confidence=decision.confidence if decision else 0.0,
        handoffs=list(outcome.result.get("handoffs") or []),
        latency_ms=outcome.latency_ms,
        line=conversation.line,
        id=conversation.id,
        prompt_tokens=outcome.prompt_tokens,
        completion_tokens=outcome.completion_tokens,
        error=outcome.error,
        fallback_reason=decision.fallback_reason if decision else None,
    )


def score_conversation(
    conversation: Conversation, turns: list[TurnPrediction]
) -> ConversationResult:
    said = [metrics.CLARIFY if t.clarified else t.predicted for t in turns]
    return ConversationResult(
        id=conversation.id,
        lang=conversation.lang,
        tags=list(conversation.tags),
        turns=turns,
        correct_turns=sum(t.correct for t in turns),
        all_correct=all(t.correct for t in turns),
        needless_switches=metrics.needless_switches([t.expected for t in turns], said),
        handoff_loops=metrics.handoff_loops([[t.routed, *t.handoffs] for t in turns]),
    )


async def run_conversations(
    graph: Any,
    router: Router,
    conversations: Sequence[Conversation],
    *,
    concurrency: int = 4,
    on_turn: Callable[[TurnPrediction], None] | None = None,
) -> list[ConversationResult]:
    """Turns of one conversation in order; conversations side by side (separate threads)."""
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def one(index: int, conversation: Conversation) -> ConversationResult:
        turns = []
        async with semaphore:
            for position in range(len(conversation.turns)):
                turn = await run_turn(graph, router, conversation, index, position)
                turns.append(turn)
                if on_turn is not None:
                    on_turn(turn)
        return score_conversation(conversation, turns)

    return list(await asyncio.gather(*(one(i, c) for i, c in enumerate(conversations))))


def share(turns: Sequence[Prediction]) -> Share:
    correct = sum(t.correct for t in turns)
    return Share(n=len(turns), correct=correct, accuracy=metrics.ratio(correct, len(turns)))


def _per_tag(results: Sequence[ConversationResult]) -> dict[str, Share]:
    tags = sorted({tag for r in results for tag in r.tags})
    return {tag: share([t for r in results if tag in r.tags for t in r.turns]) for tag in tags}


def build_conversation_report(
    results: Sequence[ConversationResult],
    *,
    router: str,
    dataset: DatasetInfo,
    router_config: dict[str, Any] | None = None,
) -> ConversationReport:
    from collections import Counter

    turns = [t for r in results for t in r.turns]
    per_lane = metrics.lane_scores(turns)
    return ConversationReport(
        router=router,
        router_config=router_config or {},
        n=len(turns),
        n_conversations=len(results),
        accuracy=metrics.accuracy(turns),
        answered_accuracy=metrics.answered_accuracy(turns),
        clarification_rate=metrics.clarification_rate(turns),
        macro_f1=metrics.macro_f1(per_lane),
        per_lane=per_lane,
        per_language=metrics.per_language(turns),
        confusion=metrics.confusion(turns),
        first_turns=share([t for t in turns if t.turn == 1]),
        follow_up_turns=share([t for t in turns if t.turn > 1]),
        per_tag=_per_tag(results),
        conversations_all_correct=metrics.ratio(sum(r.all_correct for r in results), len(results)),
        needless_switches=sum(r.needless_switches for r in results),
        needless_switch_rate=metrics.ratio(
            sum(r.needless_switches for r in results), sum(t.turn > 1 for t in turns)
        ),
        conversations_with_ping_pong=sum(r.needless_switches > 0 for r in results),
        handoff_loops=sum(r.handoff_loops for r in results),
        routed_accuracy=metrics.ratio(
            sum(t.routed == t.expected and not t.clarified for t in turns), len(turns)
        ),
        handoffs=handoff_effect(turns),
        methods=dict(Counter(t.method for t in turns).most_common()),
        latency_ms=metrics.latency_summary([t.latency_ms for t in turns]),
        tokens=metrics.token_usage(turns),
        dataset=dataset,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        git_commit=git_commit(),
        conversations=list(results),
    )
