"""``convo eval entities``: score `extract_entities` on entity-labelled messages, report, gate.

Imported only when that command runs. No router and no graph: the extractor is pure, so the
run takes about a second.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from evals.cli import EXIT_OK, EXIT_THRESHOLD
from evals.dataset import DEFAULT_ENTITY_SETS, load_entity_dataset
from evals.entities import EntityReport, build_entity_report
from evals.entity_views import print_entity_report, render_entities
from evals.html import write_html
from evals.report import DatasetInfo, write_json
from nodes.tenants import load_catalog, load_profile


def entities(args: argparse.Namespace, console: Console) -> int:
    """Without ``--dataset`` the dev set and the frozen test set both run, each with its own
    tables and report files (``NAME-dev.json`` / ``NAME-test.json``); the thresholds apply to
    the frozen test set only."""
    if args.dataset is not None:
        return _entity_set(args, console, args.dataset, None, gate=True)
    status = EXIT_OK
    for name, path in DEFAULT_ENTITY_SETS.items():
        console.rule(f"entities: {name} set ({path.name})")
        status = max(status, _entity_set(args, console, path, name, gate=name == "test"))
    return status


def _entity_set(
    args: argparse.Namespace, console: Console, path: Path, name: str | None, *, gate: bool
) -> int:
    dataset = load_entity_dataset(path, limit=args.limit)
    catalog = load_catalog(load_profile(args.tenant))
    info = DatasetInfo(path=dataset.path, sha256=dataset.sha256, rows=len(dataset.rows))
    report = build_entity_report(dataset.rows, catalog, info)
    title = f"Entity eval · {path.name}"
    print_entity_report(console, report, title)
    if args.report_json:
        write_json(report, _named(args.report_json, name))
    if args.report_html:
        write_html(render_entities(report, title), _named(args.report_html, name))
    return verdict(console, report, args) if gate else EXIT_OK


def _named(path: Path, name: str | None) -> Path:
    """``eval-entities.json`` becomes ``eval-entities-dev.json`` for the dev set."""
    return path if name is None else path.with_name(f"{path.stem}-{name}{path.suffix}")


def failed_thresholds(report: EntityReport, args: argparse.Namespace) -> list[str]:
    """One readable line per threshold not met (empty when all pass)."""
    failures = []
    if args.min_f1 is not None and report.micro.f1 < args.min_f1:
        failures.append(f"entity F1 {report.micro.f1:.3f} is below --min-f1 {args.min_f1:.3f}")
    minimum = args.min_language_f1
    for lang, score in report.per_language.items():
        if minimum is not None and score.micro.f1 < minimum:
            failures.append(
                f"entity F1 in {lang!r} {score.micro.f1:.3f} is below --min-language-f1 "
                f"{minimum:.3f}"
            )
    return failures


def verdict(console: Console, report: EntityReport, args: argparse.Namespace) -> int:
    failures = failed_thresholds(report, args)
    for failure in failures:
        console.print(f"[red bold]FAIL[/] {failure}")
    if failures:
        return EXIT_THRESHOLD
    if args.min_f1 is not None or args.min_language_f1 is not None:
        console.print("[green bold]PASS[/] all thresholds met")
    return EXIT_OK
