"""Development only: a sign-in link to the inbox, printed by `convo serve` at start-up.

Each start gives the development agent ("Ana", handle `dev`, of the default tenant) a
fresh token and prints `http://host:port/agent#token=...`. The token sits in the URL's
fragment, which browsers never send to the server, and the page moves it to the tab's
sessionStorage and out of the address bar. Nothing is written to the logs.
"""

from __future__ import annotations

from nodes.tenants import load_profile
from server.agents.tokens import issue
from server.resources import Resources

DEV_HANDLE = "dev"
DEV_NAME = "Ana"


async def dev_inbox_link(resources: Resources, base_url: str) -> str:
    profile = load_profile("", resources.settings.tenants_dir)  # the default tenant
    async with resources.sessions.begin() as session:
        issued = await issue(
            session, tenant=profile.tenant_id, handle=DEV_HANDLE, display_name=DEV_NAME
        )
    return f"{base_url.rstrip('/')}/agent#token={issued.token}"
