"""Development: `convo chat` shows the handoff from the customer's side while the inbox
page, opened by the link the server prints at start-up, shows the agent's side.

The app runs as `convo serve` runs it (uvicorn on a free port, the worker in-process,
`CONVO_ENV=development`, sending off: replies are kept in the outbox, where `convo chat`
reads them). The customer is `convo chat`'s own `ChatSession`; the agent is a real headless
Chromium on the printed link (no token typed).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from rich.console import Console
from test_inbox_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, eventually

from server.app import create_app
from server.chat import ChatSession, listen, run_script
from server.chat_payloads import ChatUser
from server.embedded_redis import free_port
from server.settings import get_settings


@contextlib.asynccontextmanager
async def dev_server(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> AsyncIterator[str]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CONVO_ENV", "development")
    monkeypatch.setenv("ENABLE_ORCHESTRATION", "true")
    get_settings.cache_clear()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(run_worker=True, public_url=base)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
        await asyncio.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@pytest.mark.timeout(400)
async def test_convo_chat_and_the_printed_inbox_link_show_both_sides(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _require_browser()
    from playwright.async_api import async_playwright, expect

    async with dev_server(monkeypatch, redis_url) as base:
        printed = capsys.readouterr().out
        [link] = re.findall(r"agent inbox \(development, signed in as Ana\): (\S+)", printed)
        assert link.startswith(f"{base}/agent#token=cva_")
        console = Console(record=True, width=120)
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            user = ChatUser(wa_id="15550004444", name="Chat Tester")
            chat = ChatSession(
                http, app_secret="dev-app-secret", user=user, timeout_s=240, poll_s=0.1
            )
            said = ["I want to talk to a person", "hello? is anyone there?"]
            assert await run_script(chat, said, console) == 0
            customer_side = console.export_text(clear=False)
            assert "passed this chat to our team" in customer_side
            assert "bot › (quiet: waiting for a person from the team)" in customer_side

            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                try:
                    page = await browser.new_page()
                    await page.goto(link)
                    await expect(page.get_by_test_id("me")).to_contain_text("Ana")
                    assert "token" not in page.url, "the token leaves the address bar"
                    item = page.get_by_test_id("waiting").get_by_text("Chat Tester")
                    await item.click()
                    transcript = page.get_by_test_id("transcript")
                    await expect(transcript).to_contain_text("hello? is anyone there?")
                    await page.get_by_test_id("claim").click()
                    await expect(page.get_by_test_id("state")).to_have_text("with Ana")
                    await page.get_by_test_id("reply").fill("Hi, Ana here. How can I help?")
                    await page.get_by_test_id("send").click()

                    async def arrived() -> bool:
                        await listen(chat, console, until=time.monotonic() + 0.5)
                        return "Ana › Hi, Ana here. How can I help?" in console.export_text(
                            clear=False
                        )

                    await eventually(arrived, "the agent's reply reached convo chat")
                    await page.get_by_test_id("release").click()
                    await expect(page.get_by_test_id("state")).not_to_have_text("with Ana")
                    await listen(chat, console, until=time.monotonic() + 60)
                finally:
                    await browser.close()
            answer = await chat.say("what are your opening hours?")
    output = console.export_text()
    assert "bot › Ana from Casa Aurora joined the chat." in output
    assert "Ana has left the chat" in output
    assert output.count("Hi, Ana here. How can I help?") == 1
    assert answer, "the bot answers again"
