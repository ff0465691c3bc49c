"""`convo replay`: stored conversations through a changed router, in shadow (see
`evals.replay`). This module is the glue: it reads the inbound messages from the SQL
store (or a JSONL export), builds the two routers from the settings and the command
line, and writes the reports.

Exit status: 0, 1 when more than `--max-changed` of the turns would change, 2 when the
replay cannot run (a bad file or option).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.cli import MODES, _fraction, _positive
from server.logging import mask_thread_id
from server.settings import Settings

if TYPE_CHECKING:
    from graph.messages import InboundTurn
    from nodes.router import Router

EXIT_OK, EXIT_CHANGED, EXIT_ERROR = 0, 1, 2


class ReplayError(ValueError):
    """The replay cannot run; the message says why."""


def _when(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_replay_parser(commands: Any) -> None:
    replay = commands.add_parser(
        "replay",
        help="replay stored messages through a changed router, in shadow; report what changes",
        description="Stored inbound messages (by tenant and time, or a JSONL export) run "
        "through the service's router and through a changed one; nothing is sent and no "
        "session is written. Reports the turns whose lane or intent would change.",
    )
    source = replay.add_argument_group("which messages")
    source.add_argument("--tenant", help="a tenant's phone_number_id (default: all)")
    source.add_argument("--since", type=_when, metavar="ISO", help="received at or after")
    source.add_argument("--until", type=_when, metavar="ISO", help="received before")
    source.add_argument("--limit", type=_positive, metavar="N", help="at most N messages")
    source.add_argument(
        "--jsonl", type=Path, metavar="FILE", help="replay this export instead of the store"
    )
    source.add_argument(
        "--export-jsonl",
        type=Path,
        metavar="FILE",
        help="write the selected messages as JSONL (one turn per line) and stop",
    )
    after = replay.add_argument_group("the changed router (unset: as the service runs)")
    after.add_argument("--router", choices=MODES, help="mode")
    after.add_argument("--router-model", metavar="NAME", help="the LLM (ROUTER_MODEL)")
    for knob in ("min-confidence", "min-margin", "sticky-margin"):
        after.add_argument(f"--router-{knob}", type=_fraction, metavar="X")
    after.add_argument("--llm-method", choices=("json_schema", "function_calling"))
    after.add_argument(
        "--train-dataset",
        type=Path,
        metavar="FILE",
        help="train the offline classifier on this JSONL (text, lane, intent)",
    )
    out = replay.add_argument_group("output")
    out.add_argument("--report-json", type=Path, metavar="FILE")
    out.add_argument("--report-html", type=Path, metavar="FILE")
    out.add_argument(
        "--max-changed",
        type=_fraction,
        metavar="X",
        help="fail (exit 1) when more than this share of turns changes (0.05 = 5%%)",
    )
    out.add_argument("--show-numbers", action="store_true", help="print phone numbers unmasked")
    out.add_argument("--concurrency", type=_positive, default=4, metavar="N")


async def load_stored_turns(
    settings: Settings,
    *,
    tenant: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[InboundTurn]:
    """The inbound messages that start a turn, oldest first."""
    from sqlalchemy import select

    from server.jobs.orchestrate import build_turn
    from server.store import create_engine, session_factory
    from server.store.models import WaMessage
    from server.whatsapp.updates import Message

    query = select(WaMessage).where(WaMessage.direction == "inbound")
    if tenant:
        query = query.where(WaMessage.tenant_id == tenant)
    if since:
        query = query.where(WaMessage.created_at >= since)
    if until:
        query = query.where(WaMessage.created_at < until)
    query = query.order_by(WaMessage.created_at, WaMessage.id)
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with session_factory(engine)() as session:
            rows = (await session.scalars(query)).all()
    finally:
        await engine.dispose()
    turns = []
    for row in rows:
        turn = build_turn(Message.from_envelope(row.payload))
        if turn is not None:
            turns.append(turn)
        if limit and len(turns) >= limit:
            break
    return turns


def read_jsonl(path: Path) -> list[InboundTurn]:
    from pydantic import ValidationError

    from graph.messages import InboundTurn

    turns = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ReplayError(f"cannot read {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            turns.append(InboundTurn.model_validate_json(line))
        except ValidationError as exc:
            raise ReplayError(f"{path}:{number}: not a turn: {exc.errors()[0]['msg']}") from None
    return turns


def write_jsonl(turns: list[InboundTurn], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for turn in turns:
            handle.write(turn.model_dump_json(exclude_none=True) + "\n")


def _knobs(args: argparse.Namespace) -> dict[str, Any]:
    given = {
        "min_confidence": args.router_min_confidence,
        "min_margin": args.router_min_margin,
        "sticky_margin": args.router_sticky_margin,
        "llm_method": args.llm_method,
    }
    return {name: value for name, value in given.items() if value is not None}


def build_routers(
    args: argparse.Namespace, settings: Settings
) -> tuple[Router, Router, dict[str, Any], dict[str, Any]]:
    """(before, after, what each is): the service's router, and the changed one."""
    from nodes.router import RouterConfig, build_router
    from nodes.router.offline import OfflineClassifier, load_examples
    from server.llm import build_chat_model

    mode = settings.effective_router_mode
    before = build_router(mode, chat_model=build_chat_model(settings), config=RouterConfig())
    described_before = {"mode": mode, **asdict(RouterConfig())}
    if mode != "offline":
        described_before["model"] = settings.router_model

    after_settings = settings
    if args.router_model:
        after_settings = settings.model_copy(update={"router_model": args.router_model})
    after_mode = args.router or mode
    if after_mode != "offline" and not after_settings.llm_configured:
        raise ReplayError(
            f"--router {after_mode} needs an LLM: set OPENAI_API_KEY or OPENAI_BASE_URL"
        )
    classifier = None
    if args.train_dataset:
        try:
            classifier = OfflineClassifier.train(load_examples(args.train_dataset))
        except (OSError, ValueError) as exc:
            raise ReplayError(f"cannot train on {args.train_dataset}: {exc}") from None
    config = RouterConfig(**_knobs(args))
    after = build_router(
        after_mode,
        chat_model=build_chat_model(after_settings) if after_mode != "offline" else None,
        config=config,
        classifier=classifier,
    )
    described_after = {"mode": after_mode, **asdict(config)}
    if after_mode != "offline":
        described_after["model"] = after_settings.router_model
    if args.train_dataset:
        described_after["train_dataset"] = str(args.train_dataset)
    return before, after, described_before, described_after


def run_replay(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point from `server.cli`."""
    try:
        return asyncio.run(_run(args, settings))
    except ReplayError as exc:
        print(f"convo replay: {exc}", file=sys.stderr)
        return EXIT_ERROR


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console

    from evals.cli import _quiet_logs
    from evals.html import write_html
    from evals.replay import build_replay_report, print_replay_report, render_replay_html, replay
    from evals.report import write_json
    from graph.context import Context
    from nodes.commerce.memory import MemoryCommerceStore

    if args.jsonl:
        turns, source = read_jsonl(args.jsonl), str(args.jsonl)
    else:
        turns = await load_stored_turns(
            settings, tenant=args.tenant, since=args.since, until=args.until, limit=args.limit
        )
        source = "store" + "".join(
            f" {name}={value.isoformat() if isinstance(value, datetime) else value}"
            for name, value in (("tenant", args.tenant), ("since", args.since),
                                ("until", args.until))
            if value
        )  # fmt: skip
    if args.export_jsonl:
        write_jsonl(turns, args.export_jsonl)
        print(f"{len(turns)} turns written to {args.export_jsonl}")
        return EXIT_OK
    if not turns:
        raise ReplayError(f"no inbound messages to replay ({source})")
    console = Console(highlight=False)
    with _quiet_logs():
        before, after, described_before, described_after = build_routers(args, settings)
        stores: dict[int, MemoryCommerceStore] = {}

        def make_context(router: Router, now: datetime) -> Context:
            store = stores.setdefault(id(router), MemoryCommerceStore(settings.tenants_dir))
            return Context(router=router, now=now, tenants_dir=settings.tenants_dir, commerce=store)

        replayed = await replay(
            turns,
            before=before,
            after=after,
            make_context=make_context,
            mask=(lambda thread: thread) if args.show_numbers else mask_thread_id,
            concurrency=args.concurrency,
        )
    report = build_replay_report(
        replayed, source=source, before=described_before, after=described_after
    )
    print_replay_report(console, report)
    if args.report_json:
        write_json(report, args.report_json)
    if args.report_html:
        write_html(render_replay_html(report), args.report_html)
    if args.max_changed is not None and report.changed_share > args.max_changed:
        console.print(
            f"[red bold]FAIL[/] {report.changed} of {report.n} turns change "
            f"({report.changed_share:.1%}), more than --max-changed {args.max_changed:.1%}"
        )
        return EXIT_CHANGED
    return EXIT_OK
