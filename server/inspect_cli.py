"""`convo inspect`: look inside a session or follow one message, for the people who run
the service.

- `convo inspect session --tenant T --wa-id W`: the session's current state, its stored
  versions (time, session version, lane, and the message that produced each) and, with
  `--diff A B`, what changed between session versions A and B.
- `convo inspect message WAMID`: a message's life: the stored webhook row, its jobs in the
  queue, the turn's marker, the replies in the outbox and their delivery statuses.

It reads Redis and the SQL store directly with the service's settings, so only someone
who holds those credentials can run it: there is no HTTP endpoint that shows phone
numbers or messages. Phone numbers (and digit runs in texts) are masked unless
`--show-numbers` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from server.logging import PHONE_FIELDS, mask_digit_runs, mask_phone
from server.settings import Settings


class InspectError(ValueError):
    """Nothing to show; the message says what was looked for."""


def add_inspect_parser(commands: Any) -> None:
    inspect = commands.add_parser(
        "inspect", help="a session's state, versions and diffs; a message's life by wamid"
    )
    what = inspect.add_subparsers(dest="what", required=True)
    session = what.add_parser("session", help="current state, stored versions, a diff")
    session.add_argument("--tenant", required=True, help="the business phone_number_id")
    session.add_argument("--wa-id", required=True, help="the customer's WhatsApp id")
    session.add_argument(
        "--diff", nargs=2, type=int, metavar=("A", "B"), help="session versions to compare"
    )
    message = what.add_parser("message", help="webhook row, jobs, turn, replies, statuses")
    message.add_argument("wamid", help="the inbound message id (wamid....)")
    for sub in (session, message):
        sub.add_argument("--show-numbers", action="store_true", help="do not mask numbers")
        sub.add_argument("--json", action="store_true", help="print JSON instead of text")


# --- masking ------------------------------------------------------------------------------


def masked(value: Any, key: str | None = None) -> Any:
    """`value` with phone numbers masked: fields that hold one, and digit runs in texts."""
    if isinstance(value, dict):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    if isinstance(value, str):
        if key in PHONE_FIELDS:
            return mask_phone(value)
        if key is not None and _is_identifier(key):
            return value  # message and checkpoint ids are hex and digits, not numbers to dial
        return mask_digit_runs(value)
    return value


def _is_identifier(key: str) -> bool:
    return key.endswith(("id", "_key")) or "wamid" in key


# --- sessions -------------------------------------------------------------------------------


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """`{"a": {"b": 1}, "c": [2]}` -> `("a.b", 1), ("c[0]", 2)`; empty containers kept."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "(absent)"})()
"""The side of a diff where a path does not exist (an empty list that got items, a key
added or removed), told apart from a value that is None."""


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(path, old value, new value) for every leaf that differs; a missing side is ABSENT."""
    before, after = dict(flatten(old)), dict(flatten(new))
    return [
        (path, before.get(path, ABSENT), after.get(path, ABSENT))
        for path in sorted(before.keys() | after.keys())
        if before.get(path, ABSENT) != after.get(path, ABSENT)
    ]


def _change(path: str, old: Any, new: Any) -> dict[str, Any]:
    """A diff entry for JSON: an absent side is null, and `change` says which it was."""
    kind = "added" if old is ABSENT else "removed" if new is ABSENT else "changed"
    return {
        "path": path,
        "old": None if old is ABSENT else old,
        "new": None if new is ABSENT else new,
        "change": kind,
    }


async def session_versions(settings: Settings, tenant: str, wa_id: str) -> list[dict[str, Any]]:
    """The stored checkpoints of the thread, newest first: session, time, producing turn."""
    from graph.checkpointer import redis_checkpointer
    from graph.graph import build_graph
    from server.redis_connect import connect
    from server.resources import reach_redis
    from server.shards import session_url

    thread = f"{tenant}:{wa_id}"
    async with reach_redis(settings) as main_url:
        url = session_url(main_url, settings.session_redis_urls, tenant, wa_id)
        client = connect(url)
        try:
            async with redis_checkpointer(client=client) as saver:
                versions = await _versions(build_graph(saver), thread)
        finally:
            await client.aclose()
    return versions


async def _versions(graph: Any, thread: str) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = []
    config: Any = {"configurable": {"thread_id": thread}}
    async for snapshot in graph.aget_state_history(config):
        values = snapshot.values or {}
        session = values.get("session")
        if not isinstance(session, dict):
            continue
        meta, dialogue = session.get("meta") or {}, session.get("dialogue") or {}
        msg_id = dialogue.get("last_user_msg_id")
        said = [
            t.get("text")
            for t in dialogue.get("turns") or []
            if t.get("role") == "user" and t.get("msg_id") == msg_id
        ]
        versions.append(
            {
                "version": session.get("version"),
                "checkpoint_id": snapshot.config["configurable"].get("checkpoint_id"),
                "created_at": snapshot.created_at,
                "lane": meta.get("current_lane"),
                "intent": meta.get("last_intent"),
                "msg_id": msg_id,
                "text": said[-1] if said else None,
                "session": session,
            }
        )
    return versions


def _print_session(versions: list[dict[str, Any]], report: dict[str, Any]) -> None:
    current = versions[0]
    print(f"session {report['thread']}: version {current['version']}, {len(versions)} stored")
    print(json.dumps(current["session"], indent=2, ensure_ascii=False, default=str))
    print("\nversions (newest first):")
    print(f"  {'version':>7}  {'stored at':<32}  {'lane':<9}  message")
    for item in versions:
        said = f"{item['msg_id']}  {item['text']!r}" if item["msg_id"] else "-"
        print(f"  {item['version']!s:>7}  {item['created_at']!s:<32}  {item['lane']!s:<9}  {said}")
    if "diff" in report:
        a, b = report["diff"]["from"], report["diff"]["to"]
        print(f"\ndiff version {a} -> {b}:")
        for change in report["diff"]["changes"]:
            old = ABSENT if change["change"] == "added" else change["old"]
            new = ABSENT if change["change"] == "removed" else change["new"]
            print(f"  {change['path']}: {old!r} -> {new!r}")


async def inspect_session(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    versions = await session_versions(settings, args.tenant, args.wa_id)
    if not versions:
        raise InspectError(f"no stored session for tenant {args.tenant} and that wa_id")
    if not args.show_numbers:
        versions = masked(versions)
    thread = f"{args.tenant}:{args.wa_id if args.show_numbers else mask_phone(args.wa_id)}"
    report: dict[str, Any] = {"thread": thread, "current": versions[0], "versions": versions}
    if args.diff:
        by_version = {item["version"]: item["session"] for item in versions}
        missing = [v for v in args.diff if v not in by_version]
        if missing:
            kept = ", ".join(str(v) for v in by_version)
            raise InspectError(f"version {missing[0]} is not stored (stored: {kept})")
        a, b = args.diff
        report["diff"] = {
            "from": a,
            "to": b,
            "changes": [_change(p, o, n) for p, o, n in diff(by_version[a], by_version[b])],
        }
    return report


# --- a message's life ------------------------------------------------------------------------


def _row(row: Any, *fields: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields}


async def message_life(settings: Settings, wamid: str) -> dict[str, Any]:
    """Everything stored about one inbound message and the replies it got."""
    from sqlalchemy import or_, select

    from server.controller import turn_committed
    from server.redis_connect import connect
    from server.resources import reach_redis
    from server.shards import session_url
    from server.store import create_engine, migrate, session_factory
    from server.store.models import WaMessage, WaStatusEvent

    await migrate(settings.sqlalchemy_url)
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with session_factory(engine)() as session:
            inbound = await session.scalar(select(WaMessage).where(WaMessage.wamid == wamid))
            if inbound is None:
                raise InspectError(f"no stored message {wamid}")
            replies = (
                await session.scalars(
                    select(WaMessage)
                    .where(WaMessage.idempotency_key.like(f"{wamid}:%"))
                    .order_by(WaMessage.id)
                )
            ).all()
            wamids = [wamid, *(r.wamid for r in replies if r.wamid)]
            statuses = (
                await session.scalars(
                    select(WaStatusEvent)
                    .where(or_(*(WaStatusEvent.wamid == w for w in wamids)))
                    .order_by(WaStatusEvent.id)
                )
            ).all()
    finally:
        await engine.dispose()
    life: dict[str, Any] = {
        "webhook": _row(
            inbound,
            "wamid",
            "tenant_id",
            "wa_id",
            "message_type",
            "text",
            "status",
            "provider_timestamp",
            "created_at",
            "updated_at",
        ),
        "replies": [
            _row(
                r,
                "idempotency_key",
                "wamid",
                "message_type",
                "text",
                "status",
                "author",
                "attempts",
                "error_code",
                "error_title",
                "created_at",
                "status_updated_at",
            )
            for r in replies
        ],
        "statuses": [
            _row(
                s,
                "wamid",
                "status",
                "error_code",
                "error_title",
                "provider_timestamp",
                "applied_at",
            )
            for s in statuses
        ],
    }
    async with reach_redis(settings) as url:
        client = connect(url)
        shard = connect(
            session_url(url, settings.session_redis_urls, inbound.tenant_id, inbound.wa_id)
        )
        try:
            jobs = {}
            for kind in ("process", "orchestrate"):
                job_id = f"{kind}:{wamid}"
                queued = await client.exists(f"arq:job:{job_id}")
                done = await client.exists(f"arq:result:{job_id}")
                running = await client.exists(f"arq:in-progress:{job_id}")
                jobs[job_id] = (
                    "running" if running else "queued" if queued else "done" if done else "none"
                )
            life["jobs"] = jobs
            life["turn_committed"] = await turn_committed(
                shard, (inbound.tenant_id, inbound.wa_id, wamid)
            )
        finally:
            await client.aclose()
            await shard.aclose()
    versions = await session_versions(settings, inbound.tenant_id, inbound.wa_id)
    produced = [v for v in versions if v["msg_id"] == wamid]
    life["turn"] = (
        {k: produced[0][k] for k in ("version", "lane", "intent", "created_at")}
        if produced
        else None  # no turn, or an older version than the session keeps
    )
    return life


def _print_message(life: dict[str, Any]) -> None:
    hook = life["webhook"]
    print(f"{hook['wamid']}  {hook['message_type']} from {hook['wa_id']} to {hook['tenant_id']}")
    print(f"  WhatsApp's time    {hook['provider_timestamp']}")
    print(f"  stored (webhook)   {hook['created_at']}  status {hook['status']}")
    print(f"  text               {hook['text']!r}")
    for job_id, state in life["jobs"].items():
        print(f"  job {job_id:<40} {state}")
    print(f"  turn committed     {'yes' if life['turn_committed'] else 'no (or expired)'}")
    turn = life["turn"]
    if turn:
        print(
            f"  session version    {turn['version']} at {turn['created_at']}: lane "
            f"{turn['lane']}, intent {turn['intent']}"
        )
    else:
        print("  session version    not among the stored versions")
    for reply in life["replies"]:
        print(
            f"  reply {reply['idempotency_key']}: {reply['status']} (attempts {reply['attempts']}"
            f"{', error ' + str(reply['error_code']) if reply['error_code'] else ''})"
            f" {reply['wamid'] or ''}\n      {reply['text']!r}"
        )
    for status in life["statuses"]:
        print(f"  status {status['wamid']}: {status['status']} at {status['provider_timestamp']}")


def run_inspect(args: argparse.Namespace, settings: Settings) -> int:
    import logging

    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        if args.what == "session":
            report = asyncio.run(inspect_session(args, settings))
        else:
            report = asyncio.run(message_life(settings, args.wamid))
            if not args.show_numbers:
                report = masked(report)
    except InspectError as exc:
        print(f"convo inspect: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False, default=_json_default))
    elif args.what == "session":
        _print_session(report["versions"], report)
    else:
        _print_message(report)
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
