"""`GET /agent`: the agents' inbox page. Plain HTML with one small script, no build step.

The page itself holds no customer data, so it needs no auth: the script signs in with a
token (kept in the tab's sessionStorage), reads everything through the agent API and
follows the event stream, so new messages appear without reloading.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(tags=["agents"])

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@router.get("/agent", response_class=HTMLResponse, include_in_schema=False)
async def inbox_page() -> HTMLResponse:
    html = (STATIC / "inbox.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers=SECURITY_HEADERS)


@router.get("/agent/static/{name}", include_in_schema=False)
async def inbox_asset(name: str) -> FileResponse:
    assets = {"inbox.js": "text/javascript", "inbox.css": "text/css"}
    if name not in assets:
        from fastapi import HTTPException

        raise HTTPException(404)
    return FileResponse(STATIC / name, media_type=assets[name], headers=SECURITY_HEADERS)
