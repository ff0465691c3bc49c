"""`Authorization: Bearer <token>` for every agent endpoint; 401 otherwise.

There is no cookie: the inbox page keeps the token in the tab's sessionStorage and sends
it as a header, so no other site can make a signed-in browser act (no CSRF surface).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from server.agents.tokens import agent_for
from server.resources import Resources
from server.support.models import Agent


def _resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=401,
        detail={"error": "unauthorized", "message": message},
        headers={"WWW-Authenticate": 'Bearer realm="agents"'},
    )


async def current_agent(request: Request) -> Agent:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("send the agent token as 'Authorization: Bearer <token>'")
    async with _resources(request).sessions() as session:
        agent = await agent_for(session, token.strip())
    if agent is None:
        raise _unauthorized("unknown, revoked or expired token")
    return agent


AgentDep = Annotated[Agent, Depends(current_agent)]
ResourcesDep = Annotated[Resources, Depends(_resources)]
