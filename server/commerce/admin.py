"""The merchant's admin API: orders (list, read, move along) and the catalog (import, stock).

Every route needs `Authorization: Bearer <token>`; a token belongs to one tenant and only
sees that tenant's data (`convo admin token create --tenant T` makes one; only its hash
is stored). No token, an unknown or a revoked one: 401, and no customer data.

Every status change made here is told to the customer on WhatsApp through the outbox
(see `notify`); the answer says how (`customer_notified`). The schema is served at
`/openapi.json` (and `/docs`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nodes.commerce.statuses import ACTIONS, OrderStatus
from nodes.tenants import TenantProfile, TenantsError, load_catalog
from server.commerce import orders
from server.commerce.admin_models import (
    ActionIn,
    ActionOut,
    ImportOut,
    ImportRejectedOut,
    OrderOut,
    OrderPage,
    ProductOut,
    RowErrorOut,
    detail,
    product_out,
    summary,
)
from server.commerce.catalog import ensure_seeded, import_products, known_skus, set_stock
from server.commerce.catalog_import import (
    ImportRejected,
    detect_format,
    parse_products,
    parse_stock,
)
from server.commerce.models import Order, Payment, Product
from server.commerce.runtime import Commerce
from server.commerce.tokens import tenant_of_token
from server.commerce.webhooks import commerce_of
from server.logging import get_logger
from server.store.models import utcnow

log = get_logger(__name__)
router = APIRouter(prefix="/admin/v1", tags=["admin"])
bearer = HTTPBearer(auto_error=False, description="A tenant's admin token (`cvo_...`)")
MAX_IMPORT_BYTES = 5 * 1024 * 1024
FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}


class Merchant:
    """The caller: a tenant (and its profile) and the token's label, for the history."""

    def __init__(self, commerce: Commerce, tenant: str, label: str) -> None:
        self.commerce = commerce
        self.tenant = tenant
        self.label = label

    @property
    def actor(self) -> str:
        return f"merchant:{self.label}"[:64]

    @property
    def profile(self) -> TenantProfile:
        return self.commerce.profile(self.tenant)

    @property
    def locale(self) -> str:
        return self.profile.commerce.locale


async def merchant(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Merchant:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    commerce = commerce_of(request)
    async with commerce.resources.sessions.begin() as session:
        token = await tenant_of_token(session, credentials.credentials)
    if token is None:
        log.warning("admin.token_refused")
        raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
    return Merchant(commerce, token.tenant, token.label)


MerchantDep = Annotated[Merchant, Depends(merchant)]


@router.get("/orders", response_model=OrderPage, summary="List and filter orders, newest first")
async def list_orders(
    who: MerchantDep,
    status: Annotated[list[OrderStatus] | None, Query()] = None,
    wa_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Annotated[int | None, Query(description="cursor from the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OrderPage:
    query = select(Order).where(Order.tenant == who.tenant)
    if status:
        query = query.where(Order.status.in_(status))
    if wa_id:
        query = query.where(Order.wa_id == wa_id)
    if since:
        query = query.where(Order.created_at >= since)
    if until:
        query = query.where(Order.created_at < until)
    if before:
        query = query.where(Order.id < before)
    async with who.commerce.resources.sessions() as session:
        rows = list(
            (await session.execute(query.order_by(Order.id.desc()).limit(limit + 1))).scalars()
        )
    page = rows[:limit]
    return OrderPage(
        orders=[summary(order, who.locale) for order in page],
        next_cursor=page[-1].id if len(rows) > limit else None,
    )


async def _detail(who: Merchant, order: Order) -> OrderOut:
    async with who.commerce.resources.sessions() as session:
        payments = list(
            (
                await session.execute(
                    select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)
                )
            ).scalars()
        )
        events = await orders.events_of(session, order)
    return detail(order, payments, events, who.locale)


async def _order(who: Merchant, number: str) -> Order:
    wanted = orders.normalize_number(number, who.profile.commerce.order_prefix)
    async with who.commerce.resources.sessions() as session:
        order = await orders.find(session, who.tenant, wanted) if wanted else None
    if order is None:
        raise HTTPException(404, f"no order {number}")
    return order


@router.get("/orders/{number}", response_model=OrderOut, summary="One order with its history")
async def read_order(who: MerchantDep, number: str) -> OrderOut:
    return await _detail(who, await _order(who, number))


@router.post(
    "/orders/{number}/actions",
    response_model=ActionOut,
    summary="Move an order along (mark_paid, prepare, ship, ready, deliver, cancel)",
    responses={404: {"description": "no such order"}, 409: {"description": "not allowed now"}},
)
async def act_on_order(who: MerchantDep, number: str, body: ActionIn) -> ActionOut:
    order = await _order(who, number)
    to = ACTIONS[body.action]
    if to == "cancelled" and not (body.reason or "").strip():
        raise HTTPException(422, "cancel needs a reason (it is told to the customer)")
    if body.action == "mark_paid" and order.payment_method == "card_link":
        raise HTTPException(409, "card payments are confirmed by the provider's webhook")
    details: dict[str, object] = {"tracking": body.tracking} if body.tracking else {}
    async with who.commerce.resources.sessions.begin() as session:
        current = await orders.find(session, who.tenant, order.number)
        assert current is not None
        payments = await session.execute(select(Payment).where(Payment.order_id == current.id))
        if to == "cancelled" and any(p.status == "paid" for p in payments.scalars()):
            details["refund_due"] = True
        try:
            moved = await orders.move(
                session, current, to, actor=who.actor, reason=body.reason, details=details
            )
        except orders.InvalidTransition as exc:
            raise HTTPException(409, str(exc)) from exc
        if to == "paid" and moved.changed:
            await _settle_offline(session, current)
    notified = await who.commerce.tell(moved.order, moved.event) if moved.event else None
    log.info(
        "admin.order_moved",
        order=order.number,
        action=body.action,
        changed=moved.changed,
        actor=who.actor,
        customer_notified=notified,
    )
    return ActionOut(
        order=await _detail(who, await _order(who, order.number)),
        changed=moved.changed,
        customer_notified=notified,
        refund_due=bool(details.get("refund_due")) and moved.changed,
    )


async def _settle_offline(session: AsyncSession, order: Order) -> None:
    """`mark_paid` for an offline method: its pending payment (if any) is paid too."""
    await session.execute(
        update(Payment)
        .where(Payment.order_id == order.id, Payment.status == "pending")
        .values(status="paid", paid_at=utcnow(), updated_at=utcnow())
    )


async def _seeded(who: Merchant) -> None:
    """A tenant's catalog is seeded from its YAML file before anything reads or changes it."""
    try:
        fallback = load_catalog(who.profile)
    except TenantsError:
        log.exception("admin.catalog_file_unreadable", tenant=who.tenant)
        return
    async with who.commerce.resources.sessions.begin() as session:
        await ensure_seeded(session, who.tenant, fallback)


@router.get("/catalog", response_model=list[ProductOut], summary="The catalog with live stock")
async def read_catalog(who: MerchantDep) -> list[ProductOut]:
    await _seeded(who)
    async with who.commerce.resources.sessions() as session:
        result = await session.execute(
            select(Product).where(Product.tenant == who.tenant).order_by(Product.position)
        )
        return [product_out(row, who.locale) for row in result.scalars()]


async def _file(request: Request) -> bytes:
    data = await request.body()
    if len(data) > MAX_IMPORT_BYTES:
        raise HTTPException(413, f"files up to {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    return data


def _rejected(exc: ImportRejected) -> JSONResponse:
    body = ImportRejectedOut(
        error=str(exc),
        errors=[RowErrorOut(row=e.row, field=e.field, message=e.message) for e in exc.errors],
    )
    return JSONResponse(body.model_dump(), 422)


@router.post(
    "/catalog/import",
    response_model=ImportOut,
    summary="Create or update products from a CSV or JSON file (all rows or none)",
    openapi_extra=FILE_BODY,
    responses={
        422: {"model": ImportRejectedOut, "description": "row-level errors; nothing changed"}
    },
)
async def import_catalog(
    who: MerchantDep, request: Request, replace: bool = False
) -> ImportOut | JSONResponse:
    data = await _file(request)
    fmt = detect_format(None, request.headers.get("content-type"), data)
    currency = who.profile.commerce.currency
    try:
        rows = parse_products(data, fmt, currency)
    except ImportRejected as exc:
        return _rejected(exc)
    await _seeded(who)
    async with who.commerce.resources.sessions.begin() as session:
        counts = await import_products(session, who.tenant, currency, rows, replace=replace)
    log.info("admin.catalog_imported", tenant=who.tenant, actor=who.actor, **counts)
    return ImportOut(**counts)


@router.post(
    "/catalog/stock",
    summary="Set the stock of existing products from a CSV (sku,stock) or JSON file",
    openapi_extra=FILE_BODY,
    responses={
        422: {"model": ImportRejectedOut, "description": "row-level errors; nothing changed"}
    },
)
async def update_stock(who: MerchantDep, request: Request) -> JSONResponse:
    data = await _file(request)
    fmt = detect_format(None, request.headers.get("content-type"), data)
    await _seeded(who)
    async with who.commerce.resources.sessions.begin() as session:
        try:
            pairs = parse_stock(data, fmt, await known_skus(session, who.tenant))
        except ImportRejected as exc:
            return _rejected(exc)
        updated = await set_stock(session, who.tenant, pairs)
    log.info("admin.stock_updated", tenant=who.tenant, actor=who.actor, products=updated)
    return JSONResponse({"updated": updated})
