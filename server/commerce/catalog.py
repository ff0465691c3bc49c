"""The catalog of record in SQL: seeded from the tenant's YAML once, then changed by imports.

The first time a tenant's catalog is read, the products of its YAML catalog file are
copied into `products` (stock included). From then on SQL is the source of truth: stock
goes down as orders are placed and comes back when they are cancelled, and a merchant
changes products and stock with `convo catalog import` or the admin API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nodes.commerce.money import to_major, to_minor
from nodes.tenants.catalog import Catalog
from nodes.tenants.catalog import Product as CatalogProduct
from server.commerce.models import CatalogState, Product
from server.commerce.sql import dialect_insert, insert_or_ignore, rowcount
from server.store.models import utcnow


@dataclass(frozen=True, slots=True)
class ProductRow:
    """One validated product of an import (prices in minor units)."""

    sku: str
    name: dict[str, str]
    price_minor: int
    stock: int
    description: dict[str, str]
    keywords: tuple[str, ...] = ()
    active: bool = True


async def ensure_seeded(session: AsyncSession, tenant: str, fallback: Catalog) -> bool:
    """Copy the YAML catalog into SQL the first time this tenant is seen; True if it was."""
    claimed = await insert_or_ignore(
        session,
        CatalogState,
        {"tenant": tenant, "version": 1, "source": "yaml", "updated_at": utcnow()},
    )
    if not claimed:
        return False
    rows = [
        ProductRow(
            sku=product.sku,
            name={str(k): v for k, v in product.name.items()},
            description={str(k): v for k, v in product.description.items()},
            keywords=tuple(product.keywords),
            price_minor=to_minor(product.price, fallback.currency),
            stock=product.stock,
        )
        for product in fallback.products
    ]
    await _upsert(session, tenant, fallback.currency, rows)
    return True


async def read_catalog(session: AsyncSession, tenant: str, currency: str) -> Catalog:
    """The tenant's active products with live stock, in display order."""
    result = await session.execute(
        select(Product)
        .where(Product.tenant == tenant, Product.active.is_(True))
        .order_by(Product.position, Product.id)
    )
    products = [
        CatalogProduct(
            sku=row.sku,
            name=row.name,  # type: ignore[arg-type]
            description=row.description,  # type: ignore[arg-type]
            price=float(to_major(row.price_minor, row.currency)),
            stock=row.stock,
            keywords=list(row.keywords),
        )
        for row in result.scalars()
    ]
    return Catalog(currency=currency, products=products)


async def catalog_version(session: AsyncSession, tenant: str) -> int | None:
    result = await session.execute(
        select(CatalogState.version).where(CatalogState.tenant == tenant)
    )
    return result.scalar_one_or_none()


async def _bump(session: AsyncSession, tenant: str, source: str) -> None:
    statement = dialect_insert(session, CatalogState).values(
        tenant=tenant, version=1, source=source, updated_at=utcnow()
    )
    statement = statement.on_conflict_do_update(
        index_elements=["tenant"],
        set_={"version": CatalogState.version + 1, "source": source, "updated_at": utcnow()},
    )
    await session.execute(statement)


async def _upsert(
    session: AsyncSession, tenant: str, currency: str, rows: Sequence[ProductRow]
) -> None:
    start = await _next_position(session, tenant)
    for offset, row in enumerate(rows):
        values = {
            "tenant": tenant,
            "sku": row.sku,
            "name": row.name,
            "description": row.description,
            "keywords": list(row.keywords),
            "price_minor": row.price_minor,
            "currency": currency,
            "stock": row.stock,
            "active": row.active,
            "position": start + offset,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        statement = dialect_insert(session, Product).values(**values)
        changed = {
            k: values[k]
            for k in (
                "name",
                "description",
                "keywords",
                "price_minor",
                "currency",
                "stock",
                "active",
                "updated_at",
            )
        }
        await session.execute(
            statement.on_conflict_do_update(index_elements=["tenant", "sku"], set_=changed)
        )


async def _next_position(session: AsyncSession, tenant: str) -> int:
    result = await session.execute(select(Product.position).where(Product.tenant == tenant))
    positions = list(result.scalars())
    return max(positions, default=-1) + 1


async def import_products(
    session: AsyncSession,
    tenant: str,
    currency: str,
    rows: Sequence[ProductRow],
    *,
    replace: bool = False,
) -> dict[str, int]:
    """Create or update products; with `replace`, products missing from `rows` are
    deactivated (kept for the orders that name them). Counts of what happened."""
    existing = {
        sku
        for sku in (
            await session.execute(select(Product.sku).where(Product.tenant == tenant))
        ).scalars()
    }
    await _upsert(session, tenant, currency, rows)
    deactivated = 0
    if replace:
        keep = [row.sku for row in rows]
        result = await session.execute(
            update(Product)
            .where(Product.tenant == tenant, Product.sku.not_in(keep), Product.active.is_(True))
            .values(active=False, updated_at=utcnow())
        )
        deactivated = rowcount(result)
    await _bump(session, tenant, "import")
    created = sum(row.sku not in existing for row in rows)
    return {"created": created, "updated": len(rows) - created, "deactivated": deactivated}


async def set_stock(session: AsyncSession, tenant: str, stock: Sequence[tuple[str, int]]) -> int:
    """Set the stock of existing products; how many changed."""
    changed = 0
    for sku, units in stock:
        result = await session.execute(
            update(Product)
            .where(Product.tenant == tenant, Product.sku == sku)
            .values(stock=units, updated_at=utcnow())
        )
        changed += rowcount(result)
    await _bump(session, tenant, "api")
    return changed


async def known_skus(session: AsyncSession, tenant: str) -> set[str]:
    result = await session.execute(select(Product.sku).where(Product.tenant == tenant))
    return set(result.scalars())
