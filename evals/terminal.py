"""What a person sees in the terminal: a progress bar while rows run, then tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from evals import metrics
from evals.compare import Comparison, Delta, RowChange
from evals.html import knobs
from evals.metrics import CLARIFY, Prediction
from evals.report import RoutingReport

MISROUTED_SHOWN = 15


@contextmanager
def progress_bar(console: Console, label: str, total: int) -> Iterator[Progress]:
    """A bar that advances once per finished row; disappears when done."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        progress.add_task(label, total=total)
        yield progress


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _color(value: float) -> str:
    return "green" if value >= 0.9 else "yellow" if value >= 0.75 else "red"


def summary_table(report: RoutingReport) -> Table:
    table = Table(
        title=escape(f"Routing eval · router={report.router} · {report.dataset.path}"),
        caption=escape(f"router knobs: {knobs(report.router_config)}"),
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("rows", str(report.n))
    table.add_row("accuracy", f"[{_color(report.accuracy)}]{pct(report.accuracy)}")
    if report.familiarity is not None:
        fam = report.familiarity
        unfamiliar, familiar = fam.unfamiliar, fam.familiar
        table.add_row(
            f"accuracy on unfamiliar (sim < {fam.unfamiliar_below})",
            f"[{_color(unfamiliar.accuracy)}]{pct(unfamiliar.accuracy)}[/] ({unfamiliar.n} rows)",
        )
        table.add_row("accuracy on familiar rows", f"{pct(familiar.accuracy)} ({familiar.n} rows)")
    table.add_row("macro-F1", f"{report.macro_f1:.3f}")
    table.add_row("clarification rate", f"{pct(report.clarification_rate)} ({report.clarified})")
    table.add_row("accuracy on answered", pct(report.answered_accuracy))
    if report.latency_ms is not None:
        table.add_row(
            "latency p50 / p95", f"{report.latency_ms.p50:.2f} / {report.latency_ms.p95:.2f} ms"
        )
    if report.tokens is not None:
        tokens = report.tokens
        table.add_row(
            "LLM tokens (prompt + completion)",
            f"{tokens.prompt_tokens} + {tokens.completion_tokens} in {tokens.calls} calls",
        )
    table.add_row("decisions by method", ", ".join(f"{m} {n}" for m, n in report.methods.items()))
    if report.fallback_reasons:
        reasons = ", ".join(f"{r} {n}" for r, n in report.fallback_reasons.items())
        table.add_row("LLM fallbacks (why)", escape(reasons))
    return table


def lanes_table(report: RoutingReport) -> Table:
    table = Table(title="Per lane")
    for name in ("lane", "precision", "recall", "F1", "support"):
        table.add_column(name, justify="left" if name == "lane" else "right")
    for lane, score in report.per_lane.items():
        table.add_row(
            lane,
            f"{score.precision:.3f}",
            f"[{_color(score.recall)}]{score.recall:.3f}",
            f"{score.f1:.3f}",
            str(score.support),
        )
    return table


def languages_table(report: RoutingReport) -> Table:
    table = Table(title="Per language")
    unfamiliar = report.familiarity.unfamiliar.per_language if report.familiarity else None
    columns = ["lang", "rows", "correct", "accuracy"]
    if unfamiliar is not None:
        columns += ["unfamiliar rows", "accuracy unfamiliar"]
    for name in columns:
        table.add_column(name, justify="left" if name == "lang" else "right")
    for lang, score in report.per_language.items():
        cells = [
            lang,
            str(score.n),
            str(score.correct),
            f"[{_color(score.accuracy)}]{pct(score.accuracy)}",
        ]
        if unfamiliar is not None:
            own = unfamiliar.get(lang)
            cells += (
                [str(own.n), f"[{_color(own.accuracy)}]{pct(own.accuracy)}"] if own else ["0", "-"]
            )
        table.add_row(*cells)
    return table


def weakest_intents(report: RoutingReport, limit: int = 8) -> Table | None:
    """The labeled intents routed worst (ties: more rows first), or None without intents."""
    ranked = sorted(report.per_intent.items(), key=lambda item: (item[1].accuracy, -item[1].n))
    weak = [(name, s) for name, s in ranked if s.accuracy < 1.0][:limit]
    if not weak:
        return None
    table = Table(title=f"Weakest intents (of {len(report.per_intent)})")
    for name in ("lane/intent", "rows", "accuracy"):
        table.add_column(name, justify="left" if name == "lane/intent" else "right")
    for name, score in weak:
        table.add_row(Text(name), str(score.n), f"[{_color(score.accuracy)}]{pct(score.accuracy)}")
    return table


def intents_table(report: RoutingReport, limit: int = 10) -> Table | None:
    """Intent accuracy per language and the most frequent intent confusions."""
    score = report.intents
    if score is None:
        return None
    per_lang = ", ".join(f"{lang} {pct(s.accuracy)}" for lang, s in score.per_language.items())
    table = Table(
        title=escape(
            f"Intents: {pct(score.accuracy)} of {score.n} labeled rows ({per_lang}); "
            "most frequent confusions"
        )
    )
    for name in ("expected intent", "said", "rows"):
        table.add_column(name, justify="right" if name == "rows" else "left")
    for expected, said, n in metrics.top_confusions(score, limit):
        table.add_row(Text(expected), Text(said), str(n))
    return table


def confusion_table(matrix: dict[str, dict[str, int]]) -> Table:
    columns = [c for c in next(iter(matrix.values()), {}) if c != CLARIFY or _any_clarify(matrix)]
    table = Table(title="Confusion (rows: expected, columns: predicted)")
    table.add_column("expected \\ predicted")
    for column in columns:
        table.add_column(column, justify="right")
    for expected, row in matrix.items():
        cells = [f"[bold green]{row[c]}" if c == expected else _off(row[c]) for c in columns]
        table.add_row(expected, *cells)
    return table


def _any_clarify(matrix: dict[str, dict[str, int]]) -> bool:
    return any(row.get(CLARIFY, 0) for row in matrix.values())


def _off(count: int) -> str:
    return f"[red]{count}" if count else "[dim]0"


def misrouted_table(rows: list[Prediction], limit: int = MISROUTED_SHOWN) -> Table:
    table = Table(title=f"Misrouted ({len(rows)}; first {min(limit, len(rows))} shown)")
    for name in ("line", "lang", "expected", "got", "conf", "text"):
        table.add_column(name, overflow="fold")
    for row in rows[:limit]:
        got = CLARIFY if row.clarified else row.predicted
        cells = (str(row.line), row.lang, row.expected, got, f"{row.confidence:.2f}", row.text)
        table.add_row(*(Text(cell) for cell in cells))  # Text: dataset text is not rich markup
    return table


def print_routing_report(console: Console, report: RoutingReport) -> None:
    console.print(summary_table(report))
    if report.familiarity is not None:
        console.print(
            escape(
                f"unfamiliar = {report.familiarity.measure} below "
                f"{report.familiarity.unfamiliar_below} (train: {report.familiarity.train})"
            ),
            style="dim",
        )
    console.print(lanes_table(report))
    console.print(languages_table(report))
    console.print(confusion_table(report.confusion))
    intent_scores = intents_table(report)
    if intent_scores is not None:
        console.print(intent_scores)
    intents = weakest_intents(report)
    if intents is not None:
        console.print(intents)
    if report.misrouted:
        console.print(misrouted_table(report.misrouted))


def _signed(d: Delta, as_pct: bool = True, neutral: bool = False) -> str:
    """The change, green when better, red when worse (``neutral``: neither is better)."""
    text = f"{d.delta * 100:+.1f} pts" if as_pct else f"{d.delta:+.3f}"
    color = "green" if d.delta > 0 else "red" if d.delta < 0 else "dim"
    color = "yellow" if neutral and d.delta else color
    return f"[{color}]{text}"


def _delta_rows(table: Table, label: str, deltas: dict[str, Delta]) -> None:
    for key, d in deltas.items():
        table.add_row(escape(f"{label} {key}"), pct(d.before), pct(d.after), _signed(d))


def comparison_table(c: Comparison) -> Table:
    table = Table(title=escape(f"{c.before} ({c.router_before}) → {c.after} ({c.router_after})"))
    for name in ("metric", "before", "after", "change"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    table.add_row("accuracy", pct(c.accuracy.before), pct(c.accuracy.after), _signed(c.accuracy))
    table.add_row(
        "macro-F1",
        f"{c.macro_f1.before:.3f}",
        f"{c.macro_f1.after:.3f}",
        _signed(c.macro_f1, False),
    )
    for name, d in (
        ("clarification rate", c.clarification_rate),
        ("accuracy on answered", c.answered_accuracy),
    ):
        table.add_row(
            name, pct(d.before), pct(d.after), _signed(d, neutral=name.startswith("clar"))
        )
    for name, ms in (("latency p50 ms", c.latency_p50_ms), ("latency p95 ms", c.latency_p95_ms)):
        if ms is not None:
            table.add_row(name, f"{ms.before:.2f}", f"{ms.after:.2f}", f"[yellow]{ms.delta:+.2f}")
    if c.llm_tokens is not None:
        t = c.llm_tokens
        table.add_row("LLM tokens", f"{t.before:.0f}", f"{t.after:.0f}", f"[yellow]{t.delta:+.0f}")
    _delta_rows(table, "recall", c.per_lane_recall)
    _delta_rows(table, "accuracy", c.per_language)
    return table


def changes_table(title: str, rows: list[RowChange], limit: int = 30) -> Table:
    table = Table(title=f"{title} ({len(rows)}{'' if len(rows) <= limit else f'; first {limit}'})")
    for name in ("line", "lang", "expected", "before", "after", "text"):
        table.add_column(name, overflow="fold")
    for row in rows[:limit]:
        cells = (str(row.line), row.lang, row.expected, row.before, row.after, row.text)
        table.add_row(*(Text(cell) for cell in cells))
    return table


def print_comparison(console: Console, c: Comparison) -> None:
    if not c.same_dataset:
        console.print(
            "[yellow]The two reports scored different datasets (sha256 differs): "
            f"only rows in both are compared ({c.only_before} only before, "
            f"{c.only_after} only after)."
        )
    if c.router_config_before != c.router_config_after:
        before, after = knobs(c.router_config_before), knobs(c.router_config_after)
        console.print(escape(f"router knobs: {before} → {after}"))
    console.print(comparison_table(c))
    console.print(changes_table("Newly misrouted", c.newly_misrouted))
    console.print(changes_table("Newly fixed", c.newly_fixed))
