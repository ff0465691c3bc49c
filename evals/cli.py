"""``convo eval``: score the router on a dataset, gate on thresholds, compare two reports.

Exit status: 0 all thresholds met, 1 a threshold failed (the message says which), 2 the eval
could not run (bad dataset, unreadable report, LLM mode without a key). This module imports
only argparse at load time, so ``convo --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rich.console import Console

    from evals.gate import Thresholds
    from evals.metrics import LaneScore, Prediction
    from server.settings import Settings

EXIT_OK, EXIT_THRESHOLD, EXIT_ERROR = 0, 1, 2
MODES = ("offline", "llm", "hybrid")


def _lane_minimum(value: str) -> tuple[str, float]:
    from evals.gate import parse_lane_minimum

    try:
        return parse_lane_minimum(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fraction(value: str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is outside 0..1")
    return number


def _common(parser: argparse.ArgumentParser, dataset_help: str) -> None:
    parser.add_argument("--dataset", type=Path, help=dataset_help)
    parser.add_argument("--router", choices=MODES, default="offline", help="default: offline")
    parser.add_argument("--report-json", type=Path, metavar="FILE")
    parser.add_argument("--report-html", type=Path, metavar="FILE")
    parser.add_argument("--min-accuracy", type=_fraction, metavar="X", help="fail (exit 1) below X")
    parser.add_argument("--limit", type=int, metavar="N", help="score only the first N rows")
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="score N rows drawn at random (seeded: same rows every run)",
    )
    parser.add_argument("--concurrency", type=int, default=4, metavar="N", help="default: 4")
    knobs = parser.add_argument_group("router knobs (default: the service's RouterConfig)")
    for knob, meaning in (
        ("min-confidence", "ask a clarifying question below this confidence"),
        ("min-margin", "...or when the top two lanes are closer than this"),
        ("sticky-margin", "while sticky, another lane must lead by this much"),
    ):
        knobs.add_argument(f"--router-{knob}", type=_fraction, metavar="X", help=meaning)
    knobs.add_argument("--llm-method", choices=("json_schema", "function_calling"))


def add_eval_parser(commands: Any) -> None:
    """Register ``eval routing`` and ``eval conversations`` on the ``convo`` subparsers."""
    evaluate = commands.add_parser("eval", help="score routing accuracy on a labeled dataset")
    kinds = evaluate.add_subparsers(dest="eval_kind", required=True)
    routing = kinds.add_parser("routing", help="single-turn rows {text, lane, lang}")
    _common(routing, "JSONL rows with text, lane, lang (default: the test split)")
    routing.add_argument(
        "--min-lane-recall",
        type=_lane_minimum,
        action="append",
        default=[],
        metavar="LANE=X",
        help="fail (exit 1) when a lane's recall is below X; repeatable",
    )
    routing.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("BEFORE.json", "AFTER.json"),
        help="show what changed between two --report-json files (runs nothing)",
    )
    routing.add_argument(
        "--max-accuracy-drop",
        type=_fraction,
        metavar="X",
        help="with --compare: fail (exit 1) when accuracy fell by more than X (0.01 = 1 point)",
    )
    conversations = kinds.add_parser(
        "conversations", help="multi-turn conversations through the graph"
    )
    _common(conversations, "JSONL conversations (default: evals/datasets/conversations.jsonl)")


def router_config(args: argparse.Namespace) -> dict[str, Any]:
    """The RouterConfig fields set on the command line (the rest keep their defaults)."""
    given = {
        "min_confidence": args.router_min_confidence,
        "min_margin": args.router_min_margin,
        "sticky_margin": args.router_sticky_margin,
        "llm_method": args.llm_method,
    }
    return {name: value for name, value in given.items() if value is not None}


def progress_bar(console: Console, label: str, total: int) -> Any:
    from evals.terminal import progress_bar as bar

    return bar(console, label, total)


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """The report is the output: info logs (and LLM fallbacks, which the report counts) would
    break through the progress bar and the tables. Levels are restored afterwards."""
    root, router = logging.getLogger(), logging.getLogger("nodes.router")
    levels = root.level, router.level
    root.setLevel(max(root.level, logging.WARNING))
    router.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(levels[0])
        router.setLevel(levels[1])


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point from ``server.cli``; returns the process exit status."""
    from rich.console import Console

    from evals.errors import EvalError

    console = Console(highlight=False)
    try:
        with _quiet_logs():
            if args.eval_kind == "conversations":
                return _conversations(args, settings, console)
            if args.compare:
                return _compare(args, console)
            return _routing(args, settings, console)
    except EvalError as exc:
        print(f"convo eval: {exc}", file=sys.stderr)  # plain: one unwrapped line for CI logs
        return EXIT_ERROR


def _compare(args: argparse.Namespace, console: Console) -> int:
    from evals.compare import compare_reports
    from evals.report import load_routing_report, write_json
    from evals.terminal import print_comparison

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


def _routing(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    import asyncio
    from dataclasses import asdict

    from evals.dataset import DEFAULT_ROUTING_DATASET, load_routing_dataset
    from evals.gate import Thresholds
    from evals.html import render_routing, write_html
    from evals.report import DatasetInfo, build_routing_report, write_json
    from evals.routers import build_eval_router
    from evals.runner import run_routing
    from evals.terminal import print_routing_report

    dataset = load_routing_dataset(
        args.dataset or DEFAULT_ROUTING_DATASET, limit=args.limit, sample=args.sample
    )
    with console.status(f"building the {args.router} router (the offline model trains once)"):
        router = build_eval_router(args.router, settings, **router_config(args))
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
    info = DatasetInfo(path=dataset.path, sha256=dataset.sha256, rows=len(dataset.rows))
    report = build_routing_report(
        predictions, router=args.router, dataset=info, router_config=asdict(router.config)
    )
    print_routing_report(console, report)
    if args.report_json:
        write_json(report, args.report_json)
    if args.report_html:
        write_html(render_routing(report), args.report_html)
    thresholds = Thresholds(
        min_accuracy=args.min_accuracy, min_lane_recall=dict(args.min_lane_recall)
    )
    return _verdict(console, report.per_lane, report.accuracy, thresholds, report.predictions)


def _verdict(
    console: Console,
    per_lane: Mapping[str, LaneScore],
    accuracy: float,
    thresholds: Thresholds,
    rows: Sequence[Prediction],
) -> int:
    """Print router failures and threshold results; the exit status."""
    from rich.markup import escape

    from evals.gate import failed_thresholds
    from evals.runner import errors_of

    errors = errors_of(rows)
    if errors and len(errors) == len(rows):
        console.print(f"[red]every row failed; first error: {escape(errors[0].error or '')}")
        return EXIT_ERROR
    if errors:
        console.print(f"[yellow]{len(errors)} rows failed in the router (counted as misrouted)")
    failures = failed_thresholds(thresholds, accuracy=accuracy, per_lane=per_lane)
    for failure in failures:
        console.print(f"[red bold]FAIL[/] {escape(failure)}")
    if failures:
        return EXIT_THRESHOLD
    if thresholds.min_accuracy is not None or thresholds.min_lane_recall:
        console.print("[green bold]PASS[/] all thresholds met")
    return EXIT_OK


def _conversations(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    import asyncio
    from dataclasses import asdict

    from evals.conversation_views import print_conversation_report, render_conversations
    from evals.conversations import build_conversation_report, run_conversations
    from evals.dataset import DEFAULT_CONVERSATIONS_DATASET, load_conversations
    from evals.gate import Thresholds
    from evals.html import write_html
    from evals.report import DatasetInfo, write_json
    from evals.routers import build_eval_router

    dataset = load_conversations(
        args.dataset or DEFAULT_CONVERSATIONS_DATASET, limit=args.limit, sample=args.sample
    )
    with console.status(f"building the {args.router} router (the offline model trains once)"):
        router = build_eval_router(args.router, settings, **router_config(args))
    graph = _in_memory_graph()
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
    if args.report_json:
        write_json(report, args.report_json)
    if args.report_html:
        write_html(render_conversations(report), args.report_html)
    turns = [t for r in report.conversations for t in r.turns]
    thresholds = Thresholds(min_accuracy=args.min_accuracy)
    return _verdict(console, report.per_lane, report.accuracy, thresholds, turns)


def _in_memory_graph() -> Any:
    """The production graph on an in-memory checkpointer: one thread per conversation."""
    from langgraph.checkpoint.memory import InMemorySaver

    from graph.graph import build_graph

    return build_graph(InMemorySaver())
