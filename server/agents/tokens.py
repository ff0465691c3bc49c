"""Agent tokens: 32 random bytes shown once, stored as their SHA-256.

A token is as strong as a random key, so a fast hash is enough (nothing to brute-force)
and lookup by hash needs no per-row salt. `convo agent add` creates one; creating one
again for the same agent replaces it (the old one stops working).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.store.models import utcnow
from server.support.models import Agent
from server.support.timeutil import aware

PREFIX = "cva_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    agent: Agent
    token: str


async def issue(
    session: AsyncSession,
    *,
    tenant: str,
    handle: str,
    display_name: str,
    valid_for: timedelta | None = None,
) -> IssuedToken:
    """Create the agent (or update its name) and give it a new token."""
    token = new_token()
    result = await session.execute(
        select(Agent).where(Agent.tenant == tenant, Agent.handle == handle)
    )
    agent = result.scalar_one_or_none()
    expires = utcnow() + valid_for if valid_for else None
    if agent is None:
        agent = Agent(tenant=tenant, handle=handle, created_at=utcnow())
        session.add(agent)
    agent.display_name = display_name
    agent.token_hash = hash_token(token)
    agent.expires_at = expires
    agent.revoked_at = None
    await session.flush()
    return IssuedToken(agent, token)


async def agent_for(session: AsyncSession, token: str, now: datetime | None = None) -> Agent | None:
    """The agent a token belongs to, unless it is unknown, revoked or expired."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    result = await session.execute(select(Agent).where(Agent.token_hash == hash_token(token)))
    agent = result.scalar_one_or_none()
    if agent is None or agent.revoked_at is not None:
        return None
    expires = aware(agent.expires_at)
    if expires is not None and expires <= (now or utcnow()):
        return None
    return agent


async def revoke(session: AsyncSession, *, tenant: str, handle: str) -> bool:
    result = await session.execute(
        select(Agent).where(Agent.tenant == tenant, Agent.handle == handle)
    )
    agent = result.scalar_one_or_none()
    if agent is None:
        return False
    agent.revoked_at = utcnow()
    return True
