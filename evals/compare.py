"""What changed between two routing reports: the check to run before switching prompts or models.

Rows are matched by ``(text, lang, expected lane)``, so two runs over the same dataset line up
even when rows were reordered; a row present in only one report is neither "newly misrouted"
nor "newly fixed" (it is counted in ``only_before`` / ``only_after``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from evals.metrics import CLARIFY, Prediction
from evals.report import RoutingReport

RowKey = tuple[str, str, str]


class Delta(BaseModel):
    before: float
    after: float
    delta: float


class RowChange(BaseModel):
    line: int
    text: str
    lang: str
    expected: str
    before: str
    """What the first report's router said (``clarify`` for a question asked back)."""
    after: str


class Comparison(BaseModel):
    before: str
    after: str
    router_before: str
    router_after: str
    router_config_before: dict[str, Any]
    router_config_after: dict[str, Any]
    same_dataset: bool
    n_before: int
    n_after: int
    accuracy: Delta
    macro_f1: Delta
    clarification_rate: Delta
    answered_accuracy: Delta
    latency_p50_ms: Delta | None
    latency_p95_ms: Delta | None
    llm_tokens: Delta | None
    """Total LLM tokens (None unless both runs called an LLM)."""
    per_lane_recall: dict[str, Delta]
    per_lane_f1: dict[str, Delta]
    per_language: dict[str, Delta]
    newly_misrouted: list[RowChange]
    newly_fixed: list[RowChange]
    only_before: int
    only_after: int


def delta(before: float, after: float) -> Delta:
    return Delta(before=before, after=after, delta=after - before)


def _deltas(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, Delta]:
    keys = [*before, *(k for k in after if k not in before)]
    return {k: delta(before.get(k, 0.0), after.get(k, 0.0)) for k in keys}


def _latency(before: RoutingReport, after: RoutingReport, which: str) -> Delta | None:
    if before.latency_ms is None or after.latency_ms is None:
        return None
    return delta(getattr(before.latency_ms, which), getattr(after.latency_ms, which))


def _key(p: Prediction) -> RowKey:
    return (p.text, p.lang, p.expected)


def _said(p: Prediction) -> str:
    return CLARIFY if p.clarified else p.predicted


def _changes(
    before: RoutingReport, after: RoutingReport
) -> tuple[list[RowChange], list[RowChange]]:
    earlier = {_key(p): p for p in before.predictions}
    broken: list[RowChange] = []
    fixed: list[RowChange] = []
    for now in after.predictions:
        then = earlier.get(_key(now))
        if then is None or then.correct == now.correct:
            continue
        change = RowChange(
            line=now.line,
            text=now.text,
            lang=now.lang,
            expected=now.expected,
            before=_said(then),
            after=_said(now),
        )
        (fixed if now.correct else broken).append(change)
    return broken, fixed


def compare_reports(
    before: RoutingReport, after: RoutingReport, *, before_name: str, after_name: str
) -> Comparison:
    broken, fixed = _changes(before, after)
    keys_before = {_key(p) for p in before.predictions}
    keys_after = {_key(p) for p in after.predictions}
    return Comparison(
        before=before_name,
        after=after_name,
        router_before=before.router,
        router_after=after.router,
        router_config_before=before.router_config,
        router_config_after=after.router_config,
        same_dataset=before.dataset.sha256 == after.dataset.sha256,
        n_before=before.n,
        n_after=after.n,
        accuracy=delta(before.accuracy, after.accuracy),
        macro_f1=delta(before.macro_f1, after.macro_f1),
        clarification_rate=delta(before.clarification_rate, after.clarification_rate),
        answered_accuracy=delta(before.answered_accuracy, after.answered_accuracy),
        latency_p50_ms=_latency(before, after, "p50"),
        latency_p95_ms=_latency(before, after, "p95"),
        llm_tokens=(
            delta(before.tokens.total_tokens, after.tokens.total_tokens)
            if before.tokens and after.tokens
            else None
        ),
        per_lane_recall=_deltas(
            {k: v.recall for k, v in before.per_lane.items()},
            {k: v.recall for k, v in after.per_lane.items()},
        ),
        per_lane_f1=_deltas(
            {k: v.f1 for k, v in before.per_lane.items()},
            {k: v.f1 for k, v in after.per_lane.items()},
        ),
        per_language=_deltas(
            {k: v.accuracy for k, v in before.per_language.items()},
            {k: v.accuracy for k, v in after.per_language.items()},
        ),
        newly_misrouted=broken,
        newly_fixed=fixed,
        only_before=len(keys_before - keys_after),
        only_after=len(keys_after - keys_before),
    )
