"""`convo catalog ...`, `convo admin token ...` and `convo fake-provider`: the merchant's
commands. They need only the database (`DATABASE_URL`, else the SQLite file in
`CONVO_DATA_DIR`), migrated on the way like at start-up."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from nodes.tenants import TenantsError, load_catalog, load_profile
from server.commerce.catalog import ensure_seeded, import_products, known_skus, set_stock
from server.commerce.catalog_import import (
    ImportRejected,
    detect_format,
    parse_products,
    parse_stock,
)
from server.commerce.tokens import create_token, list_tokens, revoke
from server.settings import Settings
from server.store import create_engine, migrate, session_factory


def add_commerce_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    catalog = commands.add_parser("catalog", help="import a tenant's catalog or stock file")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True)
    importer = catalog_commands.add_parser("import", help="create/update products (CSV or JSON)")
    importer.add_argument("file", type=Path)
    importer.add_argument("--tenant", required=True, help="the tenant profile id (e.g. demo)")
    importer.add_argument(
        "--replace", action="store_true", help="deactivate products missing from the file"
    )
    stock = catalog_commands.add_parser("stock", help="set stock from a CSV/JSON sku,stock file")
    stock.add_argument("file", type=Path)
    stock.add_argument("--tenant", required=True)

    admin = commands.add_parser("admin", help="admin API tokens")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    token = admin_commands.add_parser("token", help="create, list or revoke tokens")
    token.add_argument("action", choices=("create", "list", "revoke"))
    token.add_argument("--tenant", help="the tenant profile id (required to create/revoke)")
    token.add_argument("--label", default="admin", help="who uses it (shown in order history)")

    fake = commands.add_parser(
        "fake-provider", help="a local stand-in for Stripe Checkout, to try payments offline"
    )
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=8390)
    fake.add_argument(
        "--webhook-url",
        default="http://127.0.0.1:8000/payments/stripe/webhook",
        help="where `convo serve` receives Stripe's webhooks",
    )


@contextlib.asynccontextmanager
async def _store(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await migrate(settings.sqlalchemy_url)
    engine = create_engine(settings.sqlalchemy_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def run_commerce_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "fake-provider":
        from server.commerce.payments.fake import serve_fake_provider

        return serve_fake_provider(args.host, args.port, args.webhook_url, settings)
    if args.command == "catalog":
        return asyncio.run(_catalog(args, settings))
    return asyncio.run(_tokens(args, settings))


async def _catalog(args: argparse.Namespace, settings: Settings) -> int:
    try:
        profile = load_profile(args.tenant, settings.tenants_dir)
    except TenantsError as exc:
        print(f"convo catalog: {exc}", file=sys.stderr)
        return 2
    if profile.tenant_id != args.tenant:
        print(f"convo catalog: no tenant profile {args.tenant!r}", file=sys.stderr)
        return 2
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"convo catalog: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    fmt = detect_format(args.file.name, None, data)
    currency = profile.commerce.currency
    async with _store(settings) as sessions, sessions.begin() as session:
        await ensure_seeded(session, profile.tenant_id, load_catalog(profile))
        try:
            if args.catalog_command == "import":
                rows = parse_products(data, fmt, currency)
                counts = await import_products(
                    session, profile.tenant_id, currency, rows, replace=args.replace
                )
                print(", ".join(f"{count} {what}" for what, count in counts.items()))
            else:
                pairs = parse_stock(data, fmt, await known_skus(session, profile.tenant_id))
                print(f"{await set_stock(session, profile.tenant_id, pairs)} products updated")
        except ImportRejected as exc:
            print(f"convo catalog: {args.file} refused, nothing changed:", file=sys.stderr)
            for error in exc.errors:
                print(f"  {error}", file=sys.stderr)
            return 1
    return 0


async def _tokens(args: argparse.Namespace, settings: Settings) -> int:
    if args.action in {"create", "revoke"} and not args.tenant:
        print(f"convo admin token {args.action}: --tenant is required", file=sys.stderr)
        return 2
    async with _store(settings) as sessions, sessions.begin() as session:
        if args.action == "create":
            token = await create_token(session, args.tenant, args.label)
            print(token)
            print(
                f"(admin token for tenant {args.tenant!r}, label {args.label!r}: shown once, "
                "only its hash is stored)",
                file=sys.stderr,
            )
        elif args.action == "revoke":
            print(f"{await revoke(session, args.tenant, args.label)} token(s) revoked")
        else:
            for row in await list_tokens(session, args.tenant):
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
                used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
                print(
                    f"{row.tenant}\t{row.label}\t{state}\tcreated {row.created_at:%Y-%m-%d}"
                    f"\tlast used {used}"
                )
    return 0
