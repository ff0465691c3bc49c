"""`convo chat` against the real app and an in-process worker (the controller scripted)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from rich.console import Console
from webhook_support import FakeController, running_app

import server.jobs.orchestrate as orchestrate_module
from graph.messages import (
    Button,
    ButtonsMessage,
    InboundTurn,
    ListMessage,
    ListRow,
    ListSection,
    TextMessage,
)
from server.chat import ChatError, ChatSession, run_interactive, run_script
from server.chat_payloads import ChatUser, reply_payload, text_payload
from server.cli import build_parser
from server.dev import DEV_TOKEN_HEADER
from server.whatsapp import ButtonReply, ListReply, parse_webhook


class MenuController(FakeController):
    """ "menu" -> buttons, "list" -> a list, anything else -> an echo."""

    async def handle_turn(self, turn: InboundTurn, backlog: Any = None) -> Any:
        result = await super().handle_turn(turn)
        if turn.text == "menu":
            result.messages = [
                ButtonsMessage(
                    body="How can I help?",
                    buttons=(Button(id="hours", title="Hours"), Button(id="human", title="Agent")),
                )
            ]
        elif turn.text == "list":
            rows = (
                ListRow(id="r1", title="Pizza", description="large"),
                ListRow(id="r2", title="Soda"),
            )
            result.messages = [
                TextMessage(body="Our menu:"),
                ListMessage(
                    body="Pick one", button="Menu", sections=(ListSection(title="Food", rows=rows),)
                ),
            ]
        return result


@pytest.fixture
async def chat_app(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI, MenuController]]:
    controller = MenuController()

    async def make(resources: object) -> MenuController:
        return controller

    monkeypatch.setattr(orchestrate_module, "make_controller", make)
    env = {"CONVO_ENV": "development", "ENABLE_ORCHESTRATION": "true"}
    async with running_app(monkeypatch, redis_url, run_worker=True, **env) as (client, app):
        client.headers[DEV_TOKEN_HEADER] = app.state.dev_token
        yield client, app, controller


def _session(client: httpx.AsyncClient, **kwargs: Any) -> ChatSession:
    user = ChatUser(wa_id="15550001111", name="Tess")
    return ChatSession(client, app_secret="dev-app-secret", user=user, poll_s=0.05, **kwargs)


async def test_chat_says_text_and_prints_the_reply(chat_app) -> None:
    client, _, controller = chat_app
    console = Console(record=True, width=100)
    assert await run_script(_session(client), ["hola, ¿abren hoy?"], console) == 0
    output = console.export_text()
    assert "you › hola, ¿abren hoy?" in output
    assert "bot › echo: hola, ¿abren hoy?" in output
    (turn,) = controller.turns
    assert (turn.tenant_id, turn.wa_id, turn.profile_name) == (
        "100200300400500",
        "15550001111",
        "Tess",
    )


async def test_numbers_answer_buttons_and_list_rows(chat_app) -> None:
    client, _, controller = chat_app
    console = Console(record=True, width=100)
    session = _session(client)
    assert await run_script(session, ["menu", "2", "list", "1", "7"], console) == 0
    output = console.export_text()
    assert "[1] Hours" in output and "[2] Agent" in output
    assert "☰ Menu" in output and "[1] Pizza — large" in output and "[2] Soda" in output
    turns = controller.turns
    assert (turns[1].message_type, turns[1].text, turns[1].choice_id) == (
        "interactive",
        "Agent",
        "human",
    )
    assert (turns[3].message_type, turns[3].text, turns[3].choice_id) == (
        "interactive",
        "Pizza",
        "r1",
    )
    assert (turns[4].text, turns[4].choice_id) == ("7", None)  # no 7th choice: plain text


async def test_a_new_session_does_not_replay_old_replies(chat_app) -> None:
    client, _, _ = chat_app
    await run_script(_session(client), ["first"], Console(record=True))
    console = Console(record=True, width=100)
    await run_script(_session(client), ["second"], console)
    output = console.export_text()
    assert "echo: second" in output and "echo: first" not in output


async def test_wrong_secret_is_explained(chat_app) -> None:
    client, _, _ = chat_app
    session = ChatSession(client, app_secret="not-the-secret", user=ChatUser(), poll_s=0.05)
    with pytest.raises(ChatError, match="WHATSAPP_APP_SECRET"):
        await session.say("hola")


async def test_dev_outbox_is_refused_outside_development(monkeypatch, redis_url) -> None:
    async with running_app(monkeypatch, redis_url, CONVO_ENV="test") as (client, _):
        response = await client.get("/dev/outbox", params={"tenant_id": "1", "wa_id": "2"})
        assert response.status_code == 404
        with pytest.raises(ChatError, match="CONVO_ENV=development"):
            await _session(client).start()


def test_chat_payloads_parse_as_the_messages_they_imitate() -> None:
    user = ChatUser()
    (text,) = parse_webhook(text_payload(user, "wamid.x", "hello")).messages
    assert (text.metadata.phone_number_id, text.metadata.display_phone_number) == (
        "100200300400500",
        "15550001234",
    )
    assert text.text == "hello" and text.profile is not None
    kwargs = {"choice_id": "a", "title": "A", "replying_to": "wamid.bot"}
    (button,) = parse_webhook(reply_payload(user, "wamid.y", kind="button", **kwargs)).messages
    assert button.content == ButtonReply(id="a", title="A")
    assert button.context is not None and button.context.message_id == "wamid.bot"
    (row,) = parse_webhook(reply_payload(user, "wamid.z", kind="list", **kwargs)).messages
    assert row.content == ListReply(id="a", title="A")


def test_cli_chat_options() -> None:
    args = build_parser().parse_args(["chat", "--say", "hola", "--say", "1", "--wa-id", "5511999"])
    assert (args.command, args.say, args.wa_id, args.url) == (
        "chat",
        ["hola", "1"],
        "5511999",
        "http://127.0.0.1:8000",
    )


async def test_interactive_loop_until_quit(chat_app, monkeypatch) -> None:
    client, _, controller = chat_app
    lines = iter(["menu", "", "1", "/quit", "never sent"])
    monkeypatch.setattr(Console, "input", lambda self, prompt="": next(lines))
    console = Console(record=True, width=100)
    assert await run_interactive(_session(client), console) == 0
    assert [t.text for t in controller.turns] == ["menu", "Hours"]
    assert "[1] Hours" in console.export_text()


async def test_dev_outbox_needs_the_development_token(monkeypatch, redis_url) -> None:
    """CONVO_ENV defaults to development: a forgotten setting must not expose the outbox,
    not even to a client that looks local (a same-host proxy, a spoofed forwarded header)."""
    from server.dev import read_dev_token
    from server.settings import get_settings

    async with running_app(monkeypatch, redis_url, CONVO_ENV="development") as (client, app):
        params = {"tenant_id": "1", "wa_id": "2"}
        token = app.state.dev_token
        assert token and read_dev_token(get_settings()) == token  # what `convo chat` reads
        good = {DEV_TOKEN_HEADER: token}
        assert (await client.get("/dev/outbox", params=params, headers=good)).status_code == 200
        spoofed = {"X-Forwarded-For": "127.0.0.1"}
        for headers in ({}, spoofed, {DEV_TOKEN_HEADER: "guess", **spoofed}):
            response = await client.get("/dev/outbox", params=params, headers=headers)
            assert response.status_code == 403
        with pytest.raises(ChatError, match="development token"):
            await _session(client).start()


async def test_the_dev_token_file_is_private_and_the_env_token_wins(
    monkeypatch, redis_url, tmp_path
) -> None:
    import stat

    from server.dev import dev_token_path
    from server.settings import get_settings

    env = {"CONVO_ENV": "development", "CONVO_DEV_TOKEN": "chosen-token"}
    async with running_app(monkeypatch, redis_url, **env) as (client, app):
        assert app.state.dev_token == "chosen-token"
        path = dev_token_path(get_settings())
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        response = await client.get(
            "/dev/outbox",
            params={"tenant_id": "1", "wa_id": "2"},
            headers={DEV_TOKEN_HEADER: "chosen-token"},
        )
        assert response.status_code == 200


def test_cli_chat_listen_option() -> None:
    args = build_parser().parse_args(["chat", "--say", "I want a person", "--listen", "90"])
    assert args.listen == 90.0
    assert build_parser().parse_args(["chat"]).listen == 0.0


async def test_burst_sends_every_line_before_waiting(chat_app) -> None:
    client, _, controller = chat_app
    console = Console(record=True, width=100)
    lines = ["hi", "I want to return", "the blue mug"]
    assert await run_script(_session(client), lines, console, together=True) == 0
    output = console.export_text()
    assert output.index("you › the blue mug") < output.index("bot › echo: hi")
    assert sorted(turn.text for turn in controller.turns) == sorted(lines)  # no window: 3 turns
    assert build_parser().parse_args(["chat", "--burst", "--say", "hi"]).burst
