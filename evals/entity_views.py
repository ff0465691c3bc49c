"""The entity eval on the terminal (rich tables) and as a self-contained HTML page."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals import html
from evals.entities import KINDS, EntityReport, KindScore
from evals.terminal import pct

ERRORS_SHOWN = 25


def _kind_row(name: str, score: KindScore) -> list[str]:
    return [name, str(score.support), str(score.tp), str(score.fp), str(score.fn),
            pct(score.precision), pct(score.recall), pct(score.f1)]  # fmt: skip


HEADERS = ("kind", "labelled", "tp", "fp", "fn", "precision", "recall", "F1")


def print_entity_report(console: Console, report: EntityReport, title: str) -> None:
    """Per-kind and per-language tables, then the rows that went wrong (first few)."""
    kinds = Table(title=f"{title} · {report.n} messages · exact rows {pct(report.exact)}")
    for header in HEADERS:
        kinds.add_column(header, justify="left" if header == "kind" else "right")
    for kind in KINDS:
        if kind in report.per_kind:
            kinds.add_row(*_kind_row(kind, report.per_kind[kind]))
    kinds.add_row(*_kind_row("all (micro)", report.micro), style="bold")
    console.print(kinds)
    languages = Table(title="per language (micro over kinds)")
    for header in ("lang", "messages", "exact rows", "precision", "recall", "F1", "worst kind"):
        languages.add_column(
            header, justify="left" if header in ("lang", "worst kind") else "right"
        )
    for lang, score in report.per_language.items():
        worst = min(score.per_kind.items(), key=lambda item: item[1].f1, default=None)
        languages.add_row(
            lang, str(score.n), pct(score.exact), pct(score.micro.precision),
            pct(score.micro.recall), pct(score.micro.f1),
            f"{worst[0]} {pct(worst[1].f1)}" if worst else "",
        )  # fmt: skip
    console.print(languages)
    if report.errors:
        errors = Table(title=f"Rows with a missed or extra entity ({len(report.errors)})")
        for header in ("line", "lang", "text", "missed", "extra"):
            errors.add_column(header)
        for row in report.errors[:ERRORS_SHOWN]:
            errors.add_row(str(row.line), row.lang, escape(row.text), ", ".join(row.missed),
                           ", ".join(row.extra))  # fmt: skip
        console.print(errors)


def render_entities(report: EntityReport, title: str) -> str:
    """The report as one HTML page (every text escaped)."""
    kinds = [_kind_row(kind, report.per_kind[kind]) for kind in KINDS if kind in report.per_kind]
    languages = [
        (lang, s.n, html.pct(s.exact), html.pct(s.micro.precision), html.pct(s.micro.recall),
         html.pct(s.micro.f1))
        for lang, s in report.per_language.items()
    ]  # fmt: skip
    per_language_kinds = [
        (lang, kind, k.support, html.pct(k.precision), html.pct(k.recall), html.pct(k.f1))
        for lang, s in report.per_language.items()
        for kind, k in s.per_kind.items()
    ]
    errors = [
        (row.line, row.lang, row.text, " ".join(row.shown), ", ".join(row.missed),
         ", ".join(row.extra))
        for row in report.errors
    ]  # fmt: skip
    body = [
        html.cards(
            [
                ("messages", str(report.n)),
                ("F1 (micro)", html.pct(report.micro.f1)),
                ("precision", html.pct(report.micro.precision)),
                ("recall", html.pct(report.micro.recall)),
                ("exact rows", html.pct(report.exact)),
            ]
        ),
        "<h2>Per entity kind</h2>",
        html.table(HEADERS, [*kinds, _kind_row("all (micro)", report.micro)]),
        "<h2>Per language</h2>",
        html.table(("lang", "messages", "exact rows", "precision", "recall", "F1"), languages),
        html.table(("lang", "kind", "labelled", "precision", "recall", "F1"), per_language_kinds),
        f"<h2>Rows with a missed or extra entity ({len(errors)})</h2>",
        html.table(("line", "lang", "text", "shown", "missed", "extra"), errors, text_column=2),
    ]
    meta = (
        f"{report.dataset.path} (sha256 {report.dataset.sha256[:12]}) · {report.created_at} · "
        f"commit {report.git_commit or 'n/a'} · catalog {', '.join(report.catalog)}"
    )
    return html.page(title, meta, body)
