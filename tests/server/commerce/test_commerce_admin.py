"""The merchant's admin API on the real app: tokens, orders and their moves, catalog files."""

from __future__ import annotations

import pytest
from commerce_support import CUSTOMER, app_resources, customer_wrote, place
from sqlalchemy import select
from webhook_support import running_app, stored_rows

from server.chat_payloads import ChatUser
from server.commerce.models import AdminToken, Product
from server.commerce.tokens import create_token, revoke


async def _token(app, tenant: str = "demo", label: str = "ops") -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with app_resources(app).sessions.begin() as session:
        token = await create_token(session, tenant, label)
    return {"Authorization": f"Bearer {token}"}


async def test_no_valid_token_no_data(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    async with running_app(monkeypatch, redis_url) as (client, app):
        await place(app_resources(app), method="pay_in_store")
        headers = await _token(app)
        async with app_resources(app).sessions.begin() as session:
            stored = list((await session.execute(select(AdminToken))).scalars())
            await revoke(session, "demo", "ops")
        answers = [
            await client.get("/admin/v1/orders"),
            await client.get("/admin/v1/orders", headers={"Authorization": "Bearer cvo_wrong"}),
            await client.get("/admin/v1/orders/A-1001", headers=headers),  # revoked
        ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert all("5511987650001" not in a.text for a in answers)
    assert stored[0].token_hash != headers["Authorization"].split()[1]  # only the hash is kept


async def test_a_token_sees_only_its_tenants_orders(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    async with running_app(monkeypatch, redis_url) as (client, app):
        await place(app_resources(app), method="pay_in_store")
        other = await _token(app, tenant="another-shop")
        listing = await client.get("/admin/v1/orders", headers=other)
        one = await client.get("/admin/v1/orders/A-1001", headers=other)
    assert listing.json()["orders"] == [] and one.status_code == 404


async def test_list_filter_read_and_ship_an_order_telling_the_customer_once(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    second = ChatUser(wa_id="5511987650002", name="Bea")
    async with running_app(monkeypatch, redis_url) as (client, app):
        resources = app_resources(app)
        await customer_wrote(resources)
        await place(resources, "k1", method="cash_on_delivery")
        await place(resources, "k2", method="cash_on_delivery", user=second)
        headers = await _token(app)
        page = (await client.get("/admin/v1/orders?limit=1", headers=headers)).json()
        rest = (
            await client.get(f"/admin/v1/orders?before={page['next_cursor']}", headers=headers)
        ).json()
        mine = (
            await client.get(f"/admin/v1/orders?wa_id={CUSTOMER.wa_id}", headers=headers)
        ).json()
        prepared = await client.post(
            "/admin/v1/orders/1001/actions", json={"action": "prepare"}, headers=headers
        )
        shipped = [
            await client.post(
                "/admin/v1/orders/A-1001/actions",
                headers=headers,
                json={"action": "ship", "tracking": "BR123"},
            )
            for _ in range(2)
        ]
        too_late = await client.post(
            "/admin/v1/orders/A-1001/actions",
            json={"action": "cancel", "reason": "x"},
            headers=headers,
        )
        read = (await client.get("/admin/v1/orders/A-1001", headers=headers)).json()
        outbound = await stored_rows(app, "outbound")
    assert [o["number"] for o in page["orders"]] == ["A-1002"]
    assert [o["number"] for o in rest["orders"]] == ["A-1001"] and rest["next_cursor"] is None
    assert [o["number"] for o in mine["orders"]] == ["A-1001"]
    assert prepared.status_code == 200 and prepared.json()["customer_notified"] == "session"
    assert [s.json()["changed"] for s in shipped] == [True, False]
    assert too_late.status_code == 409 and "shipped" in too_late.json()["detail"]
    assert [e["to_status"] for e in read["history"]] == ["pending_payment", "preparing", "shipped"]
    assert read["history"][2]["actor"] == "merchant:ops"
    assert read["total"]["display"] == "USD 28.00"
    assert [row.text for row in outbound] == [
        "El pedido A-1001 se está preparando.",
        "¡El pedido A-1001 va en camino!\nSeguimiento: BR123",
    ]


async def test_outside_the_window_the_tenants_template_is_used(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    async with running_app(monkeypatch, redis_url) as (client, app):
        await place(app_resources(app), method="pay_in_store")  # no message from them in 24 h
        headers = await _token(app)
        cancelled = await client.post(
            "/admin/v1/orders/A-1001/actions",
            json={"action": "cancel", "reason": "sin stock"},
            headers=headers,
        )
        no_reason = await client.post(
            "/admin/v1/orders/A-1001/actions", json={"action": "cancel"}, headers=headers
        )
        outbound = await stored_rows(app, "outbound")
    assert cancelled.json()["customer_notified"] == "template"
    assert no_reason.status_code == 422
    assert outbound[0].message_type == "template"
    assert outbound[0].payload["name"] == "order_update"
    params = outbound[0].payload["components"][0]["parameters"]
    assert [p["text"] for p in params] == ["A-1001", "cancelado"]


async def test_catalog_import_is_all_or_nothing_with_row_errors(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    bad = "sku,name_en,price,stock\nMUG-GREEN,Green mug,12.00,4\n,No sku,1,1\nX-1,,abc,-2\n"
    good = (
        "sku,name_en,name_es,price,stock,keywords\n"
        "MUG-GREEN,Green mug,Taza verde,13.5,4,mug|verde\n"
    )
    async with running_app(monkeypatch, redis_url) as (client, app):
        headers = await _token(app) | {"Content-Type": "text/csv"}
        refused = await client.post("/admin/v1/catalog/import", content=bad, headers=headers)
        accepted = await client.post("/admin/v1/catalog/import", content=good, headers=headers)
        stock = await client.post(
            "/admin/v1/catalog/stock",
            json=[{"sku": "MUG-BLUE", "stock": 3}],
            headers=headers | {"Content-Type": "application/json"},
        )
        unknown = await client.post(
            "/admin/v1/catalog/stock", content="sku,stock\nNOPE,1\n", headers=headers
        )
        catalog = (await client.get("/admin/v1/catalog", headers=headers)).json()
    assert refused.status_code == 422
    problems = {(e["row"], e["field"]) for e in refused.json()["errors"]}
    assert problems == {(2, "sku"), (3, "name_en"), (3, "price"), (3, "stock")}
    assert accepted.json() == {"created": 1, "updated": 0, "deactivated": 0}
    assert stock.json() == {"updated": 1} and unknown.status_code == 422
    by_sku = {p["sku"]: p for p in catalog}
    assert by_sku["MUG-GREEN"]["price"]["display"] == "USD 13.50"
    assert by_sku["MUG-BLUE"]["stock"] == 3
    assert len(by_sku) == 6  # the five seeded from the YAML + the new one


async def test_the_admin_api_is_in_the_openapi_schema(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    async with running_app(monkeypatch, redis_url) as (client, _app):
        schema = (await client.get("/openapi.json")).json()
    paths = set(schema["paths"])
    assert {
        "/admin/v1/orders",
        "/admin/v1/orders/{number}",
        "/admin/v1/orders/{number}/actions",
        "/admin/v1/catalog/import",
        "/admin/v1/catalog/stock",
    } <= paths
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


async def test_products_table_is_untouched_by_a_refused_stock_file(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    async with running_app(monkeypatch, redis_url) as (client, app):
        headers = await _token(app) | {"Content-Type": "text/csv"}
        await client.post(
            "/admin/v1/catalog/stock", content="sku,stock\nMUG-BLUE,1\nNOPE,2\n", headers=headers
        )
        async with app_resources(app).sessions() as session:
            blue = (
                await session.execute(select(Product.stock).where(Product.sku == "MUG-BLUE"))
            ).scalar_one()
    assert blue == 8
