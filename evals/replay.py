"""Replay: stored inbound messages through two router configurations, side by side.

Each conversation (`thread_id`) is replayed in the order its messages arrived, through the
real compiled graph on an in-memory checkpointer, once with the service's router
("before") and once with a changed one ("after"): a new mode, model, thresholds or
training set. Stickiness, follow-ups and handoffs therefore play out as they would have.

Shadow only: nothing is sent, no session is read or written in Redis, orders and carts
live in a throwaway in-memory store per side, and no person is asked to join (no desk).
The clock of each turn is the time the message arrived.

A turn *changed* when the lane that answered it (``clarify`` when the router asked a
question instead) or the router's intent differs between the two sides.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from evals.metrics import CLARIFY
from evals.report import git_commit

if TYPE_CHECKING:
    from graph.context import Context
    from graph.messages import InboundTurn
    from nodes.router import Router

ERROR = "error"


class Outcome(BaseModel):
    lane: str
    """The lane that answered (after handoffs); `clarify` when the router asked instead."""
    routed: str
    """The router's lane, before any handoff."""
    intent: str
    method: str
    confidence: float
    error: str | None = None


class ReplayedTurn(BaseModel):
    msg_id: str
    thread: str
    """`{tenant}:{wa_id}`, the number masked unless asked otherwise."""
    received_at: datetime
    text: str
    before: Outcome
    after: Outcome
    changed: list[Literal["lane", "intent"]] = Field(default_factory=list)


class ReplayReport(BaseModel):
    kind: Literal["replay"] = "replay"
    source: str
    before: dict[str, Any]
    """The service's router: mode and knobs."""
    after: dict[str, Any]
    """The changed router: mode and knobs, and what differs."""
    n: int
    n_conversations: int
    changed: int
    changed_share: float
    lane_changed: int
    intent_changed: int
    lanes_before: dict[str, int]
    lanes_after: dict[str, int]
    confusion: dict[str, dict[str, int]]
    """Rows: lane before; columns: lane after."""
    changed_turns: list[ReplayedTurn]
    errors: int
    created_at: str
    git_commit: str | None


ContextFactory = Callable[["Router", datetime], "Context"]
"""The run context of one turn on one side: its router and the turn's clock."""


def outcome_of(result: dict[str, Any], error: str | None) -> Outcome:
    decision = result.get("understanding")
    if decision is None:
        return Outcome(
            lane=ERROR, routed=ERROR, intent="", method=ERROR, confidence=0.0, error=error
        )
    lane = CLARIFY if decision.method == CLARIFY else (result.get("lane") or decision.lane)
    return Outcome(
        lane=lane,
        routed=decision.lane,
        intent=decision.intent or "",
        method=decision.method,
        confidence=decision.confidence,
        error=error,
    )


def conversations_of(turns: Sequence[InboundTurn]) -> list[list[InboundTurn]]:
    """The turns grouped by conversation, each in arrival order (WhatsApp's timestamps have
    a one-second grain: ties keep the order given, the store's)."""
    threads: dict[str, list[InboundTurn]] = {}
    for turn in turns:
        threads.setdefault(turn.thread_id, []).append(turn)
    return [sorted(t, key=lambda x: x.received_at) for t in threads.values()]


async def _run_side(
    conversations: Sequence[Sequence[InboundTurn]],
    router: Router,
    make_context: ContextFactory,
    concurrency: int,
) -> dict[str, Outcome]:
    from langgraph.checkpoint.memory import InMemorySaver

    from graph.graph import build_graph

    graph: Any = build_graph(InMemorySaver())  # typed loosely, as in evals.conversations
    semaphore = asyncio.Semaphore(max(1, concurrency))
    outcomes: dict[str, Outcome] = {}

    async def one(conversation: Sequence[InboundTurn]) -> None:
        async with semaphore:
            for turn in conversation:
                config = {"configurable": {"thread_id": turn.thread_id}}
                context = make_context(router, turn.received_at)
                error, result = None, dict[str, Any]()
                try:
                    result = await graph.ainvoke({"turn": turn}, config=config, context=context)
                except Exception as exc:  # one broken turn is a finding, not a reason to stop
                    error = f"{type(exc).__name__}: {exc}"
                outcomes[turn.msg_id] = outcome_of(result, error)

    await asyncio.gather(*(one(c) for c in conversations))
    return outcomes


async def replay(
    turns: Sequence[InboundTurn],
    *,
    before: Router,
    after: Router,
    make_context: ContextFactory,
    mask: Callable[[str], str] = lambda thread: thread,
    concurrency: int = 4,
) -> list[ReplayedTurn]:
    """Every turn through both routers; the result in arrival order per conversation."""
    conversations = conversations_of(turns)
    old = await _run_side(conversations, before, make_context, concurrency)
    new = await _run_side(conversations, after, make_context, concurrency)
    replayed = []
    for conversation in conversations:
        for turn in conversation:
            a, b = old[turn.msg_id], new[turn.msg_id]
            changed: list[Literal["lane", "intent"]] = []
            if a.lane != b.lane:
                changed.append("lane")
            if a.intent != b.intent:
                changed.append("intent")
            replayed.append(
                ReplayedTurn(
                    msg_id=turn.msg_id,
                    thread=mask(turn.thread_id),
                    received_at=turn.received_at,
                    text=turn.text,
                    before=a,
                    after=b,
                    changed=changed,
                )
            )
    return replayed


def build_replay_report(
    replayed: Sequence[ReplayedTurn],
    *,
    source: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> ReplayReport:
    lanes = sorted({t.before.lane for t in replayed} | {t.after.lane for t in replayed})
    confusion = {row: dict.fromkeys(lanes, 0) for row in lanes}
    for turn in replayed:
        confusion[turn.before.lane][turn.after.lane] += 1
    changed = [t for t in replayed if t.changed]
    return ReplayReport(
        source=source,
        before=before,
        after=after,
        n=len(replayed),
        n_conversations=len({t.thread for t in replayed}),
        changed=len(changed),
        changed_share=round(len(changed) / len(replayed), 4) if replayed else 0.0,
        lane_changed=sum("lane" in t.changed for t in replayed),
        intent_changed=sum("intent" in t.changed for t in replayed),
        lanes_before=dict(Counter(t.before.lane for t in replayed).most_common()),
        lanes_after=dict(Counter(t.after.lane for t in replayed).most_common()),
        confusion=confusion,
        changed_turns=changed,
        errors=sum(bool(t.before.error or t.after.error) for t in replayed),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        git_commit=git_commit(),
    )


def render_replay_html(report: ReplayReport) -> str:
    from evals.html import cards, esc, heatmap, page, pct, table

    def side(config: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v}" for k, v in config.items())

    body = [
        cards(
            [
                ("turns", str(report.n)),
                ("conversations", str(report.n_conversations)),
                ("changed", f"{report.changed} ({pct(report.changed_share)})"),
                ("lane changed", str(report.lane_changed)),
                ("intent changed", str(report.intent_changed)),
                ("errors", str(report.errors)),
            ]
        ),
        f"<p><b>before</b>: {esc(side(report.before))}<br><b>after</b>: "
        f"{esc(side(report.after))}</p>",
        "<h2>Lanes (rows: before, columns: after)</h2>",
        heatmap(report.confusion, corner="before \\ after"),
        "<h2>Lanes before and after</h2>",
        table(
            ["lane", "before", "after"],
            [
                (lane, report.lanes_before.get(lane, 0), report.lanes_after.get(lane, 0))
                for lane in report.confusion
            ],
        ),
        f"<h2>Changed messages ({report.changed})</h2>",
        table(
            [
                "received",
                "conversation",
                "lane before",
                "lane after",
                "intent before",
                "intent after",
                "text",
            ],
            [
                (
                    t.received_at.isoformat(timespec="seconds"),
                    t.thread,
                    t.before.lane,
                    t.after.lane,
                    t.before.intent,
                    t.after.intent,
                    t.text,
                )
                for t in report.changed_turns
            ],
            text_column=6,
        ),
    ]
    meta = f"{report.source} · {report.created_at} · commit {report.git_commit or 'n/a'}"
    return page("Replay: what a router change would change", meta, body)


def print_replay_report(console: Any, report: ReplayReport, limit: int = 30) -> None:
    from rich.table import Table
    from rich.text import Text

    from evals.terminal import pct

    summary = Table(title=f"Replay · {report.source}")
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    for name, value in (
        ("turns", report.n),
        ("conversations", report.n_conversations),
        ("changed", f"{report.changed} ({pct(report.changed_share)})"),
        ("lane changed", report.lane_changed),
        ("intent changed", report.intent_changed),
        ("errors", report.errors),
        ("before", ", ".join(f"{k} {v}" for k, v in report.before.items())),
        ("after", ", ".join(f"{k} {v}" for k, v in report.after.items())),
    ):
        summary.add_row(name, Text(str(value)))
    console.print(summary)
    matrix = Table(title="Lanes (rows: before, columns: after)")
    matrix.add_column("before \\ after")
    for lane in report.confusion:
        matrix.add_column(lane, justify="right")
    for lane, row in report.confusion.items():
        cells = [
            f"[green]{n}" if other == lane else f"[red]{n}" if n else "[dim]0"
            for other, n in row.items()
        ]
        matrix.add_row(lane, *cells)
    console.print(matrix)
    shown = report.changed_turns[:limit]
    changes = Table(title=f"Changed messages ({report.changed}; first {len(shown)} shown)")
    for name in ("received", "conversation", "lane", "intent", "text"):
        changes.add_column(name, overflow="fold")
    for t in shown:
        changes.add_row(
            t.received_at.strftime("%Y-%m-%d %H:%M"),
            t.thread,
            f"{t.before.lane} -> {t.after.lane}",
            f"{t.before.intent} -> {t.after.intent}",
            Text(t.text),
        )
    console.print(changes)
