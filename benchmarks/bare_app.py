"""The baseline of the webhook benchmarks: a bare FastAPI app with the same two routes.

`POST /webhooks/whatsapp` reads the body and answers the same JSON shape as the real
webhook, doing nothing else; `GET /healthz` answers `{"status": "ok"}`. Served by the
same uvicorn, with the same flags, as the project's app:

    uvicorn --factory benchmarks.bare_app:app_factory --port 8801
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def app_factory() -> FastAPI:
    app = FastAPI()

    @app.post("/webhooks/whatsapp")
    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse({"received": 1 if body else 0, "statuses": 0})

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app
