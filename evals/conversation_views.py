"""The multi-turn report for people: terminal tables and the self-contained HTML page."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from evals import html
from evals.conversations import ConversationReport, ConversationResult, Share
from evals.metrics import CLARIFY
from evals.terminal import confusion_table, knobs, pct

FAILED_SHOWN = 12


def _share(s: Share) -> str:
    return f"{pct(s.accuracy)} ({s.correct}/{s.n})"


def summary_rows(report: ConversationReport) -> list[tuple[str, str]]:
    rows = [
        ("conversations", str(report.n_conversations)),
        ("turns", str(report.n)),
        ("per-turn accuracy", pct(report.accuracy)),
        ("first turns", _share(report.first_turns)),
        ("follow-up turns", _share(report.follow_up_turns)),
        ("conversations fully right", pct(report.conversations_all_correct)),
        (
            "needless lane switches (ping-pong)",
            f"{report.needless_switches} ({pct(report.needless_switch_rate)} of follow-ups)",
        ),
        ("conversations with ping-pong", str(report.conversations_with_ping_pong)),
        ("router lane alone (before handoffs)", pct(report.routed_accuracy)),
        (
            "turns handed on (fixed / broke)",
            f"{report.handoffs.turns} ({report.handoffs.fixed} / {report.handoffs.broke})",
        ),
        ("handoff loops", str(report.handoff_loops)),
        ("clarification rate", pct(report.clarification_rate)),
        ("macro-F1", f"{report.macro_f1:.3f}"),
    ]
    if report.latency_ms is not None:
        rows.append(
            (
                "turn latency p50 / p95",
                f"{report.latency_ms.p50:.1f} / {report.latency_ms.p95:.1f} ms",
            )
        )
    if report.tokens is not None:
        rows.append(("LLM tokens", str(report.tokens.total_tokens)))
    return rows


def _failed_turns(results: list[ConversationResult]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for result in results:
        for t in result.turns:
            if not t.correct:
                got = CLARIFY if t.clarified else t.predicted
                route = " → ".join([t.routed, *t.handoffs])
                rows.append(
                    (result.id, str(t.turn), t.expected, got, route, t.method, t.error or t.text)
                )
    return rows


def print_conversation_report(console: Console, report: ConversationReport) -> None:
    summary = Table(
        title=escape(f"Conversation eval · router={report.router} · {report.dataset.path}"),
        caption=escape(f"router knobs: {knobs(report.router_config)}"),
    )
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    for name, value in summary_rows(report):
        summary.add_row(name, value)
    console.print(summary)
    if report.per_tag:
        tags = Table(title="Per tag (turn accuracy)")
        tags.add_column("tag")
        tags.add_column("turns", justify="right")
        tags.add_column("accuracy", justify="right")
        for tag, s in report.per_tag.items():
            tags.add_row(Text(tag), str(s.n), pct(s.accuracy))
        console.print(tags)
    console.print(confusion_table(report.confusion))
    failed = _failed_turns(report.conversations)
    if failed:
        table = Table(
            title=f"Wrong turns ({len(failed)}; first {min(len(failed), FAILED_SHOWN)} shown)"
        )
        for name in ("conversation", "turn", "expected", "got", "route", "method", "text"):
            table.add_column(name, overflow="fold")
        for row in failed[:FAILED_SHOWN]:
            table.add_row(*(Text(cell) for cell in row))
        console.print(table)


def _transcript(result: ConversationResult) -> str:
    rows = [
        (
            t.turn,
            t.expected,
            CLARIFY if t.clarified else t.predicted,
            t.method,
            " → ".join(t.handoffs) or "",
            "✓" if t.correct else "✗",
            t.error or t.text,
        )
        for t in result.turns
    ]
    title = f"{result.id} ({result.lang}; {', '.join(result.tags) or 'no tags'})"
    switches = (
        f" · {result.needless_switches} needless switch(es)" if result.needless_switches else ""
    )
    return f"<h3>{html.esc(title + switches)}</h3>" + html.table(
        ("turn", "expected", "got", "method", "handoffs", "ok", "text"), rows, text_column=6
    )


def render_conversations(report: ConversationReport) -> str:
    tags = [(tag, s.n, s.correct, pct(s.accuracy)) for tag, s in report.per_tag.items()]
    lanes = [
        (lane, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", s.support)
        for lane, s in report.per_lane.items()
    ]
    wrong = [r for r in report.conversations if not r.all_correct]
    body = [
        html.cards(summary_rows(report)[2:11]),
        "<h2>Confusion matrix (turns)</h2>",
        html.heatmap(report.confusion),
        "<h2>Per lane</h2>",
        html.table(("lane", "precision", "recall", "F1", "support"), lanes),
        "<h2>Per tag</h2>",
        html.table(("tag", "turns", "correct", "accuracy"), tags),
        f"<h2>Conversations with a wrong turn ({len(wrong)})</h2>",
        *(_transcript(r) for r in wrong),
    ]
    meta = (
        f"router {report.router} · dataset {report.dataset.path} "
        f"(sha256 {report.dataset.sha256[:12]}) · {report.created_at} · "
        f"commit {report.git_commit or 'n/a'} · router knobs: {knobs(report.router_config)}"
    )
    return html.page("Conversation eval", meta, body)
