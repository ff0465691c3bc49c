"""The ``convo eval`` commands: load, build the router, run with a progress bar, report, gate.

Imported only when ``convo eval`` runs (it pulls in the router, the graph and rich).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console
from rich.markup import escape

from evals import familiarity, routers
from evals.cli import EXIT_ERROR, EXIT_OK, EXIT_THRESHOLD, router_config
from evals.compare import compare_reports
from evals.conversation_views import print_conversation_report, render_conversations
from evals.conversations import build_conversation_report, run_conversations
from evals.dataset import (
    DEFAULT_CONVERSATION_SETS,
    DEFAULT_ROUTING_DATASET,
    load_conversations,
    load_routing_dataset,
)
from evals.gate import Thresholds, failed_thresholds
from evals.html import render_routing, write_html
from evals.metrics import LaneScore, Prediction
from evals.report import DatasetInfo, build_routing_report, load_routing_report, write_json
from evals.runner import errors_of, run_routing
from evals.terminal import print_comparison, print_routing_report, progress_bar
from graph.graph import build_graph
from nodes.router import Router
from server.settings import Settings


def build_router_with_status(
    args: argparse.Namespace, settings: Settings, console: Console
) -> Router:
    """The router to score (through ``evals.routers``, which tests replace), with a spinner."""
    with console.status(f"building the {args.router} router (the offline model trains once)"):
        return routers.build_eval_router(args.router, settings, **router_config(args))


def compare(args: argparse.Namespace, console: Console) -> int:
    """``eval routing --compare BEFORE AFTER``: deltas and changed rows, optional drop gate."""
    before_path, after_path = args.compare
    comparison = compare_reports(
        load_routing_report(before_path),
        load_routing_report(after_path),
        before_name=str(before_path),
        after_name=str(after_path),
    )
    print_comparison(console, comparison)
    if args.report_json:
        write_json(comparison, args.report_json)
    drop, allowed = -comparison.accuracy.delta, args.max_accuracy_drop
    if allowed is not None and drop > allowed:
        console.print(
            f"[red bold]FAIL[/] accuracy fell {drop * 100:.1f} pts, more than "
            f"--max-accuracy-drop {allowed} ({allowed * 100:.1f} pts)"
        )
        return EXIT_THRESHOLD
    return EXIT_OK


def routing(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """``eval routing``: every row through the router, then report and gate."""
    dataset = load_routing_dataset(
        args.dataset or DEFAULT_ROUTING_DATASET, limit=args.limit, sample=args.sample
    )
    router = build_router_with_status(args, settings, console)
    with progress_bar(console, f"routing ({args.router})", len(dataset.rows)) as progress:
        task = progress.task_ids[0]
        predictions = asyncio.run(
            run_routing(
                router,
                dataset.rows,
                concurrency=args.concurrency,
                on_result=lambda _: progress.advance(task),
            )
        )
    skip = args.train is not None and str(args.train).lower() == "none"
    train = None if skip else (args.train or familiarity.DEFAULT_TRAIN)
    if train is not None:
        with console.status("measuring each row's similarity to the training rows"):
            predictions = with_train_similarity(predictions, train)
    info = DatasetInfo(path=dataset.path, sha256=dataset.sha256, rows=len(dataset.rows))
    report = build_routing_report(
        predictions,
        router=args.router,
        dataset=info,
        router_config=asdict(router.config),
        train=None if train is None else str(train),
    )
    print_routing_report(console, report)
    write_reports(args, report, render_routing)
    thresholds = Thresholds(
        min_accuracy=args.min_accuracy,
        min_lane_recall=dict(args.min_lane_recall),
        min_unfamiliar_accuracy=args.min_unfamiliar_accuracy,
    )
    unfamiliar = report.familiarity.unfamiliar if report.familiarity else None
    return verdict(
        console,
        report.per_lane,
        report.accuracy,
        thresholds,
        report.predictions,
        unfamiliar_accuracy=unfamiliar.accuracy if unfamiliar and unfamiliar.n else None,
    )


def with_train_similarity(predictions: Sequence[Prediction], train: Path) -> list[Prediction]:
    """Each prediction with its row's similarity to the nearest training row."""
    train_rows = load_routing_dataset(train).rows
    similarity = familiarity.nearest_similarity(
        [p.text for p in predictions], [r.text for r in train_rows]
    )
    return [
        p.model_copy(update={"train_similarity": s})
        for p, s in zip(predictions, similarity, strict=True)
    ]


def write_reports(args: argparse.Namespace, report: Any, render_html: Callable[[Any], str]) -> None:
    """Write the JSON and HTML reports the command line asked for."""
    if args.report_json:
        write_json(report, args.report_json)
    if args.report_html:
        write_html(render_html(report), args.report_html)


def verdict(
    console: Console,
    per_lane: Mapping[str, LaneScore],
    accuracy: float,
    thresholds: Thresholds,
    rows: Sequence[Prediction],
    unfamiliar_accuracy: float | None = None,
) -> int:
    """Print router failures and threshold results; the exit status."""
    errors = errors_of(rows)
    if errors and len(errors) == len(rows):
        console.print(f"[red]every row failed; first error: {escape(errors[0].error or '')}")
        return EXIT_ERROR
    if errors:
        console.print(f"[yellow]{len(errors)} rows failed in the router (counted as misrouted)")
    failures = failed_thresholds(
        thresholds, accuracy=accuracy, per_lane=per_lane, unfamiliar_accuracy=unfamiliar_accuracy
    )
    for failure in failures:
        console.print(f"[red bold]FAIL[/] {escape(failure)}")
    if failures:
        return EXIT_THRESHOLD
    if (
        thresholds.min_accuracy is not None
        or thresholds.min_lane_recall
        or thresholds.min_unfamiliar_accuracy is not None
    ):
        console.print("[green bold]PASS[/] all thresholds met")
    return EXIT_OK


def conversations(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """``eval conversations``: every conversation through the graph, then report and gate.

    Without ``--dataset`` both the dev set and the frozen test set run, each with its own
    tables and report files (``NAME-dev.json`` / ``NAME-test.json``); the thresholds apply to
    the frozen test set, the dev set is reported only."""
    if args.dataset is not None:
        return _conversation_set(args, settings, console, args.dataset, None, gate=True)
    status = EXIT_OK
    for name, path in DEFAULT_CONVERSATION_SETS.items():
        console.rule(f"conversations: {name} set ({path.name})")
        result = _conversation_set(args, settings, console, path, name, gate=name == "test")
        status = max(status, result)
    return status


def _conversation_set(
    args: argparse.Namespace,
    settings: Settings,
    console: Console,
    path: Path,
    name: str | None,
    *,
    gate: bool,
) -> int:
    dataset = load_conversations(path, limit=args.limit, sample=args.sample)
    router = build_router_with_status(args, settings, console)
    graph = in_memory_graph()
    total = sum(len(c.turns) for c in dataset.rows)
    with progress_bar(console, f"conversations ({args.router})", total) as progress:
        task = progress.task_ids[0]
        results = asyncio.run(
            run_conversations(
                graph,
                router,
                dataset.rows,
                concurrency=args.concurrency,
                on_turn=lambda _: progress.advance(task),
            )
        )
    info = DatasetInfo(path=dataset.path, sha256=dataset.sha256, rows=len(dataset.rows))
    report = build_conversation_report(
        results, router=args.router, dataset=info, router_config=asdict(router.config)
    )
    print_conversation_report(console, report)
    _write_named_reports(args, report, name)
    turns = [t for r in report.conversations for t in r.turns]
    if not gate:
        return verdict(console, report.per_lane, report.accuracy, Thresholds(), turns)
    thresholds = Thresholds(min_accuracy=args.min_accuracy)
    status = verdict(console, report.per_lane, report.accuracy, thresholds, turns)
    limit = args.max_needless_switch_rate
    if limit is not None and report.needless_switch_rate > limit:
        console.print(
            f"[red bold]FAIL[/] needless lane switches {report.needless_switch_rate:.3f} of "
            f"follow-up turns exceed --max-needless-switch-rate {limit:.3f}"
        )
        return max(status, EXIT_THRESHOLD)
    if limit is not None:
        console.print(
            f"[green bold]PASS[/] needless lane switches {report.needless_switch_rate:.3f} "
            f"<= {limit:.3f}"
        )
    return status


def _write_named_reports(args: argparse.Namespace, report: Any, name: str | None) -> None:
    """Report files as asked; with a set name, ``eval-conversations.json`` becomes
    ``eval-conversations-dev.json`` (one file per set)."""

    def named(path: Path | None) -> Path | None:
        if path is None or name is None:
            return path
        return path.with_name(f"{path.stem}-{name}{path.suffix}")

    if args.report_json:
        write_json(report, named(args.report_json))  # type: ignore[arg-type]
    if args.report_html:
        write_html(render_conversations(report), named(args.report_html))  # type: ignore[arg-type]


def in_memory_graph() -> Any:
    """The production graph on an in-memory checkpointer: one thread per conversation."""
    return build_graph(InMemorySaver())
