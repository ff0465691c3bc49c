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


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return number


def _common(parser: argparse.ArgumentParser, dataset_help: str) -> None:
    parser.add_argument("--dataset", type=Path, help=dataset_help)
    parser.add_argument("--router", choices=MODES, default="offline", help="default: offline")
    parser.add_argument("--report-json", type=Path, metavar="FILE")
    parser.add_argument("--report-html", type=Path, metavar="FILE")
    parser.add_argument("--min-accuracy", type=_fraction, metavar="X", help="fail (exit 1) below X")
    parser.add_argument("--limit", type=_positive, metavar="N", help="score only the first N rows")
    parser.add_argument(
        "--sample",
        type=_positive,
        metavar="N",
        help="score N rows drawn at random (seeded: same rows every run)",
    )
    parser.add_argument("--concurrency", type=_positive, default=4, metavar="N", help="default: 4")
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
        "--train",
        type=Path,
        metavar="FILE",
        help="the router's training rows: test rows unlike all of them are scored apart as "
        "'unfamiliar' (default: evals/datasets/routing_train.jsonl; 'none' to skip)",
    )
    routing.add_argument(
        "--min-unfamiliar-accuracy",
        type=_fraction,
        metavar="X",
        help="fail (exit 1) when accuracy on the unfamiliar rows is below X",
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
    _add_entities_parser(kinds)
    conversations = kinds.add_parser(
        "conversations", help="multi-turn conversations through the graph"
    )
    _common(
        conversations,
        "JSONL conversations (default: both evals/datasets/conversations_dev.jsonl and the "
        "frozen conversations_test.jsonl; gates apply to the frozen set only)",
    )
    conversations.add_argument(
        "--max-needless-switch-rate",
        type=_fraction,
        metavar="X",
        help="fail (exit 1) when needless lane switches exceed X of the follow-up turns",
    )


def _add_entities_parser(kinds: Any) -> None:
    entities = kinds.add_parser(
        "entities", help="entities found in messages vs labels: precision/recall per kind"
    )
    entities.add_argument(
        "--dataset",
        type=Path,
        help="JSONL rows {text, lang, shown?, entities} (default: both "
        "evals/datasets/entities_dev.jsonl and the frozen entities_test.jsonl; gates apply "
        "to the frozen set only)",
    )
    entities.add_argument("--tenant", default="demo", help="whose catalog (default: demo)")
    entities.add_argument("--report-json", type=Path, metavar="FILE")
    entities.add_argument("--report-html", type=Path, metavar="FILE")
    entities.add_argument(
        "--limit", type=_positive, metavar="N", help="score only the first N rows"
    )
    entities.add_argument(
        "--min-f1",
        type=_fraction,
        metavar="X",
        help="fail (exit 1) when F1 over all kinds is below X",
    )
    entities.add_argument(
        "--min-language-f1",
        type=_fraction,
        metavar="X",
        help="fail (exit 1) when a language's F1 over all kinds is below X",
    )


def router_config(args: argparse.Namespace) -> dict[str, Any]:
    """The RouterConfig fields set on the command line (the rest keep their defaults)."""
    given = {
        "min_confidence": args.router_min_confidence,
        "min_margin": args.router_min_margin,
        "sticky_margin": args.router_sticky_margin,
        "llm_method": args.llm_method,
    }
    return {name: value for name, value in given.items() if value is not None}


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

    from evals import commands
    from evals.errors import EvalError

    console = Console(highlight=False)
    try:
        with _quiet_logs():
            if args.eval_kind == "entities":
                from evals.entity_command import entities

                return entities(args, console)
            if args.eval_kind == "conversations":
                return commands.conversations(args, settings, console)
            if args.compare:
                return commands.compare(args, console)
            return commands.routing(args, settings, console)
    except EvalError as exc:
        print(f"convo eval: {exc}", file=sys.stderr)  # plain: one unwrapped line for CI logs
        return EXIT_ERROR
