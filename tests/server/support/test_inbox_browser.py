"""The agents' inbox in a real headless Chromium (Debian's `chromium`, driven by Playwright):
an agent signs in, sees the waiting conversation, claims it, replies, and the reply reaches
the stand-in Graph API; the customer's next message appears on the page without a reload.

The app runs for real (uvicorn on a free port, the worker in-process); Graph API calls are
answered by a respx stand-in. Skips, saying why, where Chromium or Playwright is missing
(`.ci/run` installs the `chromium` package).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import respx
import uvicorn
from support_helpers import SENDING_ENV, GraphStandIn, agent_token
from webhook_support import meta_bytes, signed_headers

from server.app import create_app
from server.chat_payloads import ChatUser, text_payload
from server.embedded_redis import free_port
from server.settings import get_settings

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOT_DIR = os.environ.get("INBOX_SCREENSHOT_DIR")
"""Set it to keep a PNG of the page at the end (for looking at it by eye)."""


def _require_browser() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's `chromium` package (see .ci/run)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the dev group installs it
        pytest.skip(f"playwright is not installed ({exc}); run `make install`")


@contextlib.asynccontextmanager
async def served_app(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> AsyncIterator[str]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    for name, value in SENDING_ENV.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    port = free_port()
    app = create_app(run_worker=True)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 45
) -> None:
    """Wait for the system to get there (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.1)


@pytest.mark.timeout(400)
async def test_an_agent_claims_and_replies_from_the_inbox_page(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, tmp_path: Path
) -> None:
    _require_browser()
    from playwright.async_api import async_playwright, expect

    user = ChatUser(wa_id="5511955556666", name="Marta")
    with respx.mock(assert_all_called=False) as router:
        graph = GraphStandIn(router)
        router.route(host="127.0.0.1").pass_through()
        async with (
            served_app(monkeypatch, redis_url) as base,
            httpx.AsyncClient(base_url=base) as client,
        ):

            async def customer(wamid: str, text: str) -> None:
                body = meta_bytes(text_payload(user, wamid, text))
                response = await client.post(
                    "/webhooks/whatsapp", content=body, headers=signed_headers(body)
                )
                assert response.status_code == 200

            token = await _token(redis_url)  # an agent exists: the request reaches someone
            await customer("wamid.b1", "quero falar com um atendente")

            async def acknowledged() -> bool:
                return any("Passei esta conversa" in t for t in graph.texts())

            # The first turn waits for the worker to load the router (slow on a busy machine).
            await eventually(acknowledged, "the request was acknowledged", timeout_s=240)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                try:
                    page = await browser.new_page()
                    await page.goto(f"{base}/agent")
                    await page.fill("#token", token)
                    await page.click("#sign-in button[type=submit]")
                    await expect(page.get_by_test_id("me")).to_contain_text("Ana")
                    await expect(page.locator("#sign-in")).to_be_hidden()
                    item = page.get_by_test_id("waiting").get_by_text("Marta")
                    await expect(item).to_be_visible()
                    await item.click()
                    transcript = page.get_by_test_id("transcript")
                    await expect(transcript).to_contain_text("quero falar com um atendente")
                    await page.get_by_test_id("claim").click()
                    await expect(page.get_by_test_id("state")).to_have_text("with Ana")
                    await expect(page.get_by_test_id("live")).to_have_text("live")
                    await page.get_by_test_id("reply").fill(
                        "Oi Marta, aqui é a Ana. Como posso ajudar?"
                    )
                    await page.get_by_test_id("send").click()

                    async def replied() -> bool:
                        return "Oi Marta, aqui é a Ana. Como posso ajudar?" in graph.texts()

                    await eventually(replied, "the agent's reply reached the Graph API")
                    await customer("wamid.b2", "meu pedido 1234 chegou quebrado")
                    await expect(transcript).to_contain_text("meu pedido 1234 chegou quebrado")
                    await expect(transcript).to_contain_text("entrou na conversa")
                    if SCREENSHOT_DIR:
                        await page.screenshot(
                            path=str(Path(SCREENSHOT_DIR) / "inbox.png"), full_page=True
                        )
                finally:
                    await browser.close()
    assert graph.texts().count("Oi Marta, aqui é a Ana. Como posso ajudar?") == 1


async def _token(redis_url: str) -> str:
    """An agent token, issued in the same SQLite store the served app uses."""
    from server.resources import open_resources

    async with open_resources(get_settings(), redis_url=redis_url) as resources:
        return await agent_token(resources)
