"""The routing report: every metric of one run, as a JSON-ready model.

The JSON file is the contract for CI and for ``--compare``: top-level keys ``n``,
``accuracy``, ``macro_f1``, ``per_lane``, ``per_language`` and ``confusion``, plus the router
mode, the dataset's path and sha256, when and on which git commit it ran, the misrouted rows
and every prediction (so two reports can be compared row by row).
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from evals import familiarity, metrics
from evals.errors import ReportError
from evals.metrics import (
    IntentScore,
    LaneScore,
    LanguageScore,
    LatencySummary,
    Prediction,
    SubsetScore,
    TokenUsage,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


class DatasetInfo(BaseModel):
    path: str
    sha256: str
    rows: int


class Familiarity(BaseModel):
    """How "unfamiliar" was measured and how the router did on those rows."""

    measure: str = familiarity.MEASURE
    unfamiliar_below: float = familiarity.UNFAMILIAR_BELOW
    train: str
    """The training file the rows were compared with."""
    unfamiliar: SubsetScore
    familiar: SubsetScore


class RoutingReport(BaseModel):
    kind: Literal["routing"] = "routing"
    router: str
    router_config: dict[str, Any] = Field(default_factory=dict)
    """The router's knobs for this run (thresholds, stickiness, LLM method)."""
    n: int
    accuracy: float
    answered_accuracy: float
    """Accuracy over the rows the router answered (clarifications left out)."""
    clarification_rate: float
    clarified: int
    macro_f1: float
    per_lane: dict[str, LaneScore]
    per_language: dict[str, LanguageScore]
    per_intent: dict[str, LanguageScore]
    """Lane accuracy per dataset intent (``lane/intent``), for rows that have one."""
    confusion: dict[str, dict[str, int]]
    intents: IntentScore | None = None
    """Intent accuracy per language and confusions, for rows labeled with an intent."""
    familiarity: Familiarity | None = None
    """Accuracy on rows unlike any training row (None when not measured)."""
    methods: dict[str, int]
    """How many decisions each router method made (offline, llm, fallback, clarify...)."""
    fallback_reasons: dict[str, int]
    """Why the LLM was not used, when the router fell back offline (timeout, malformed...)."""
    latency_ms: LatencySummary | None
    latency_ms_by_method: dict[str, LatencySummary]
    tokens: TokenUsage | None
    dataset: DatasetInfo
    created_at: str
    git_commit: str | None
    misrouted: list[Prediction]
    predictions: list[Prediction]


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5, check=True
    ).stdout.strip()


def git_commit() -> str | None:
    """The checked-out commit (``+dirty`` when the tree has changes), or ``None`` outside git."""
    try:
        head = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head


def _latency_by_method(predictions: Sequence[Prediction]) -> dict[str, LatencySummary]:
    result: dict[str, LatencySummary] = {}
    for method in sorted({p.method for p in predictions}):
        summary = metrics.latency_summary([p.latency_ms for p in predictions if p.method == method])
        if summary is not None:
            result[method] = summary
    return result


def build_routing_report(
    predictions: Sequence[Prediction],
    *,
    router: str,
    dataset: DatasetInfo,
    router_config: dict[str, Any] | None = None,
    train: str | None = None,
) -> RoutingReport:
    """``train``: the file the predictions' ``train_similarity`` was measured against."""
    per_lane = metrics.lane_scores(predictions)
    ordered = sorted(predictions, key=lambda p: p.line)
    return RoutingReport(
        router=router,
        router_config=router_config or {},
        n=len(predictions),
        accuracy=metrics.accuracy(predictions),
        answered_accuracy=metrics.answered_accuracy(predictions),
        clarification_rate=metrics.clarification_rate(predictions),
        clarified=sum(p.clarified for p in predictions),
        macro_f1=metrics.macro_f1(per_lane),
        per_lane=per_lane,
        per_language=metrics.per_language(predictions),
        per_intent=metrics.per_intent(predictions),
        confusion=metrics.confusion(predictions),
        intents=metrics.intent_scores(predictions),
        familiarity=familiarity_of(predictions, train),
        methods=dict(Counter(p.method for p in predictions).most_common()),
        fallback_reasons=dict(
            Counter(p.fallback_reason for p in predictions if p.fallback_reason).most_common()
        ),
        latency_ms=metrics.latency_summary([p.latency_ms for p in predictions]),
        latency_ms_by_method=_latency_by_method(predictions),
        tokens=metrics.token_usage(predictions),
        dataset=dataset,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        git_commit=git_commit(),
        misrouted=[p for p in ordered if not p.correct],
        predictions=ordered,
    )


def familiarity_of(predictions: Sequence[Prediction], train: str | None) -> Familiarity | None:
    measured = [p for p in predictions if p.train_similarity is not None]
    if train is None or not measured:
        return None
    unfamiliar = [p for p in measured if familiarity.is_unfamiliar(p.train_similarity)]
    familiar = [p for p in measured if not familiarity.is_unfamiliar(p.train_similarity)]
    return Familiarity(
        train=train,
        unfamiliar=metrics.subset_score(unfamiliar, len(predictions)),
        familiar=metrics.subset_score(familiar, len(predictions)),
    )


def write_json(report: BaseModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")


def load_routing_report(path: Path) -> RoutingReport:
    """A report written by ``convo eval routing --report-json``."""
    try:
        return RoutingReport.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"{path}: cannot read the report ({exc.strerror})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise ReportError(
            f"{path}: not a routing report from `convo eval routing --report-json` "
            f"({where}: {first['msg']})"
        ) from exc
