"""Admin API tokens: random bearer tokens per tenant, stored only as their SHA-256.

A token is shown once, when created (`convo admin token create --tenant T`). The tokens
are 256 random bits, so a plain SHA-256 is enough to make a stolen table useless (no
password-style stretching needed), and a lookup is one indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.commerce.models import AdminToken
from server.store.models import utcnow

PREFIX = "cvo_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(session: AsyncSession, tenant: str, label: str) -> str:
    """A new token for `tenant`; the only time its text exists."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(AdminToken(tenant=tenant, token_hash=token_hash(token), label=label[:100]))
    await session.flush()
    return token


async def tenant_of_token(session: AsyncSession, token: str) -> AdminToken | None:
    """The live token row for `token` (None when unknown or revoked); notes its use."""
    result = await session.execute(
        select(AdminToken).where(
            AdminToken.token_hash == token_hash(token), AdminToken.revoked_at.is_(None)
        )
    )
    row = result.scalar_one_or_none()
    if row is not None:
        row.last_used_at = utcnow()
    return row


async def revoke(session: AsyncSession, tenant: str, label: str) -> int:
    result = await session.execute(
        update(AdminToken)
        .where(
            AdminToken.tenant == tenant, AdminToken.label == label, AdminToken.revoked_at.is_(None)
        )
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def list_tokens(session: AsyncSession, tenant: str | None = None) -> list[AdminToken]:
    query = select(AdminToken).order_by(AdminToken.id)
    if tenant:
        query = query.where(AdminToken.tenant == tenant)
    return list((await session.execute(query)).scalars())
