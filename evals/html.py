"""Self-contained HTML reports: one file, inline CSS, no scripts or external assets.

Every piece of dataset or router text goes through :func:`esc`; markup is only ever built
from our own constants, so a message like ``<script>`` shows up as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from evals.metrics import CLARIFY, Prediction, top_confusions
from evals.report import RoutingReport

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;padding:0 1rem;color:#1d2330;background:#fafbfc}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem}
.meta{color:#5b6475;font-size:.85rem} .cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{background:#fff;border:1px solid #e3e6eb;border-radius:8px;padding:.7rem 1rem;min-width:130px}
.card b{display:block;font-size:1.4rem} .card span{color:#5b6475;font-size:.8rem}
table{border-collapse:collapse;background:#fff;margin:.5rem 0}
th,td{border:1px solid #e3e6eb;padding:.35rem .6rem;text-align:right;vertical-align:top}
th{background:#f1f3f6} td.l,th.l{text-align:left}
table.heatmap td{min-width:70px;text-align:center;font-weight:600}
.text{white-space:pre-wrap;word-break:break-word;text-align:left;max-width:560px}
.good{color:#137333} .bad{color:#b3261e}
"""


def knobs(config: dict[str, object]) -> str:
    shown = ("min_confidence", "min_margin", "sticky_margin", "llm_method")
    return ", ".join(f"{k} {config[k]}" for k in shown if k in config) or "n/a"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def page(title: str, meta: str, body: Iterable[str]) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{esc(title)}</h1><p class="meta">{esc(meta)}</p>{"".join(body)}</body></html>\n'
    )


def cards(items: Sequence[tuple[str, str]]) -> str:
    inner = "".join(
        f'<div class="card"><b>{esc(v)}</b><span>{esc(k)}</span></div>' for k, v in items
    )
    return f'<div class="cards">{inner}</div>'


def table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], text_column: int | None = None
) -> str:
    """A table whose first column is left-aligned; ``text_column`` wraps long text."""
    head = "".join(
        f'<th class="{"l" if i == 0 else ""}">{esc(h)}</th>' for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            css = "text" if i == text_column else "l" if i == 0 else ""
            cells.append(f'<td class="{css}">{esc(cell)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


SATURATE_CONFUSION = 0.25
"""An off-diagonal cell is fully red when a quarter of the row went to that column."""


def _cell_style(count: int, row_total: int, diagonal: bool) -> str:
    """Shade by the share of the row: green on the diagonal, red off it (small errors show)."""
    if not count:
        return ""
    share = count / row_total if row_total else 0.0
    strength = share if diagonal else min(1.0, share / SATURATE_CONFUSION)
    rgb = "19,115,51" if diagonal else "179,38,30"
    ink = "#fff" if strength > 0.55 else "#1d2330"
    return f"background:rgba({rgb},{0.1 + 0.9 * strength:.3f});color:{ink}"


def heatmap(matrix: dict[str, dict[str, int]], corner: str = "expected \\ predicted") -> str:
    """The confusion matrix as a heat map (rows: expected lane, columns: predicted)."""
    columns = list(next(iter(matrix.values()), {}))
    if not any(row.get(CLARIFY, 0) for row in matrix.values()):
        columns = [c for c in columns if c != CLARIFY]
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    rows = []
    for expected, row in matrix.items():
        total = sum(row.values())
        cells = "".join(
            f'<td style="{_cell_style(row[c], total, c == expected)}" '
            f'title="{esc(f"{expected} → {c}: {row[c]} of {total}")}">{row[c]}</td>'
            for c in columns
        )
        rows.append(f'<tr><th class="l">{esc(expected)}</th>{cells}</tr>')
    return (
        f'<table class="heatmap"><thead><tr><th class="l">{esc(corner)}</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def misrouted_rows(predictions: Sequence[Prediction]) -> list[tuple[object, ...]]:
    return [
        (
            p.line,
            p.lang,
            p.expected,
            CLARIFY if p.clarified else p.predicted,
            p.method,
            f"{p.confidence:.2f}",
            p.error or p.text,
        )
        for p in predictions
    ]


def _methods(report: RoutingReport) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for method, count in report.methods.items():
        latency = report.latency_ms_by_method.get(method)
        p50, p95 = (f"{latency.p50:.1f}", f"{latency.p95:.1f}") if latency else ("", "")
        rows.append((method, count, p50, p95))
    return rows


def _intents(report: RoutingReport) -> list[str]:
    if not report.per_intent:
        return []
    ranked = sorted(report.per_intent.items(), key=lambda item: (item[1].accuracy, -item[1].n))
    rows = [(name, s.n, s.correct, pct(s.accuracy)) for name, s in ranked]
    return [
        "<h2>Per intent (worst first)</h2>",
        table(("lane/intent", "rows", "correct", "accuracy"), rows),
    ]


def _fallbacks(report: RoutingReport) -> list[str]:
    if not report.fallback_reasons:
        return []
    reasons = list(report.fallback_reasons.items())
    return ["<h2>Why the LLM was not used</h2>", table(("reason", "rows"), reasons)]


def _intent_scores(report: RoutingReport) -> list[str]:
    score = report.intents
    if score is None:
        return []
    langs = [(lang, s.n, s.correct, pct(s.accuracy)) for lang, s in score.per_language.items()]
    return [
        f"<h2>Intents ({pct(score.accuracy)} of {score.n} labeled rows)</h2>",
        table(("language", "rows", "correct", "intent accuracy"), langs),
        "<h3>Most frequent intent confusions</h3>",
        table(("expected intent", "said", "rows"), top_confusions(score, 20)),
    ]


def _familiarity(report: RoutingReport) -> list[str]:
    fam = report.familiarity
    if fam is None:
        return []
    rows = [
        (
            name,
            part.n,
            pct(part.share),
            pct(part.accuracy),
            *(pct(part.recall.get(lane, 0.0)) for lane in ("info", "commerce", "support")),
        )
        for name, part in (("unfamiliar", fam.unfamiliar), ("familiar", fam.familiar))
    ]
    langs = [(lang, s.n, pct(s.accuracy)) for lang, s in fam.unfamiliar.per_language.items()]
    return [
        "<h2>Unfamiliar rows</h2>",
        f"<p>A row is unfamiliar when its {esc(fam.measure)} is below "
        f"{esc(fam.unfamiliar_below)} (train: {esc(fam.train)}).</p>",
        table(
            ("rows", "n", "share", "accuracy", "recall info", "recall commerce", "recall support"),
            rows,
        ),
        table(("language", "unfamiliar rows", "accuracy"), langs),
    ]


def render_routing(report: RoutingReport) -> str:
    summary = [("accuracy", pct(report.accuracy))]
    fam = report.familiarity
    if fam is not None:
        summary.append(
            (
                f"accuracy on {fam.unfamiliar.n} unfamiliar rows",
                pct(fam.unfamiliar.accuracy),
            )
        )
    summary += [
        ("macro-F1", f"{report.macro_f1:.3f}"),
        ("rows", str(report.n)),
        ("clarification rate", pct(report.clarification_rate)),
        ("accuracy on answered", pct(report.answered_accuracy)),
    ]
    if report.latency_ms is not None:
        summary.append(
            ("latency p50 / p95 ms", f"{report.latency_ms.p50:.1f} / {report.latency_ms.p95:.1f}")
        )
    if report.tokens is not None:
        summary.append(("LLM tokens", str(report.tokens.total_tokens)))
    lanes = [
        (lane, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", s.support)
        for lane, s in report.per_lane.items()
    ]
    langs = [(lang, s.n, s.correct, pct(s.accuracy)) for lang, s in report.per_language.items()]
    body = [
        cards(summary),
        "<h2>Confusion matrix</h2>",
        heatmap(report.confusion),
        "<h2>Per lane</h2>",
        table(("lane", "precision", "recall", "F1", "support"), lanes),
        "<h2>Per language</h2>",
        table(("language", "rows", "correct", "accuracy"), langs),
        *_familiarity(report),
        *_intent_scores(report),
        *_intents(report),
        "<h2>Decisions by method</h2>",
        table(("method", "rows", "p50 ms", "p95 ms"), _methods(report)),
        *_fallbacks(report),
        f"<h2>Misrouted examples ({len(report.misrouted)})</h2>",
        table(
            ("line", "lang", "expected", "got", "method", "confidence", "text"),
            misrouted_rows(report.misrouted),
            text_column=6,
        ),
    ]
    meta = (
        f"router {report.router} · dataset {report.dataset.path} "
        f"(sha256 {report.dataset.sha256[:12]}) · {report.created_at} · "
        f"commit {report.git_commit or 'n/a'} · router knobs: {knobs(report.router_config)}"
    )
    return page("Routing eval", meta, body)


def write_html(document: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
