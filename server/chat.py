"""`convo chat`: talk to the running service as a WhatsApp user would, in the terminal.

What you type is POSTed to the real webhook as a Meta-shaped, signed payload; the bot's
replies are read back from the outbox (`GET /dev/outbox`, development only) and printed,
buttons and lists numbered: type a number to tap that button or list row.

A human handoff shows as the customer sees it: while a person is asked for or has the
chat, the bot stays quiet (said so instead of "no reply"), and what the agent writes from
the inbox page or Chatwoot is printed when it arrives, under the agent's name. So is order
news (paid on `convo fake-provider`'s page, shipped through the admin API).
`/location LAT,LON [name]` shares a location, as WhatsApp's attach menu does.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.console import Console
from rich.text import Text

from graph.messages import ButtonsMessage, ListMessage, OutboundMessage, TextMessage
from server.chat_payloads import (
    ChatUser,
    location_payload,
    new_wamid,
    reply_payload,
    signed_request,
    text_payload,
)

OUTBOUND = TypeAdapter(OutboundMessage)


class OutboxRow(BaseModel):
    id: int
    wamid: str | None = None
    kind: str
    text: str | None = None
    payload: dict[str, object]
    author: str | None = None
    """None: the bot; `system`: a notice (who joined or left); `agent:` / `chatwoot:`: a person."""


class HandoffInfo(BaseModel):
    state: str = "bot"
    """bot | requested (waiting for a person) | with_agent."""
    agent_name: str | None = None

    @property
    def muted(self) -> bool:
        return self.state in ("requested", "with_agent")


class OutboxPage(BaseModel):
    """The answer of `GET /dev/outbox`."""

    messages: list[OutboxRow]
    inbound_status: str | None = None
    turn_done: bool = False
    orchestration: bool = True
    handoff: HandoffInfo = HandoffInfo()


class ChatError(Exception):
    """Something the user must fix (server down, wrong secret, not in development)."""


@dataclass(frozen=True)
class Choice:
    kind: Literal["button", "list"]
    id: str
    title: str
    replying_to: str
    """The id of the bot message that offered the choice (sent as `context.id`)."""


@dataclass(frozen=True)
class BotReply:
    ref: str
    message: OutboundMessage
    speaker: str = "bot"
    """"bot", or the name of the person who wrote it."""


class ChatSession:
    """One user's conversation with the service at `http.base_url`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        app_secret: str,
        user: ChatUser,
        timeout_s: float = 60.0,
        poll_s: float = 0.2,
    ) -> None:
        self.http = http
        self.app_secret = app_secret
        self.user = user
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.after_id = 0
        self.choices: list[Choice] = []
        self.handoff = HandoffInfo()
        self._turn = asyncio.Lock()
        """Held by a turn (post + wait) and by each background poll: each row printed once."""

    async def start(self) -> None:
        """Skip replies of earlier sessions, so only this conversation is printed."""
        while True:
            page = await self._outbox(None)
            self.handoff = page.handoff
            if not page.messages:
                return
            self.after_id = max(row.id for row in page.messages)

    def resolve(self, line: str) -> Choice | None:
        """The button/list row a typed number stands for, if any."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.choices):
            return self.choices[int(text) - 1]
        return None

    async def say(self, line: str) -> list[BotReply]:
        async with self._turn:
            return await self._say(line)

    async def say_together(self, lines: list[str]) -> list[BotReply]:
        """Send every line as a text at once, as someone typing a burst, then wait for all
        their turns; the replies (one for a burst the tenant answers as one turn)."""
        async with self._turn:
            wamids = []
            for line in lines:
                wamids.append(new_wamid())
                await self._post(text_payload(self.user, wamids[-1], line))
            replies = [reply for wamid in wamids for reply in await self._wait(wamid)]
        self._remember_choices(replies)
        return replies

    async def arrivals(self) -> list[BotReply]:
        """Messages that came without a turn of ours (a person's replies, notices)."""
        async with self._turn:
            page = await self._outbox(None)
            self.handoff = page.handoff
            replies = [self._reply(row) for row in page.messages]
            for row in page.messages:
                self.after_id = max(self.after_id, row.id)
        self._remember_choices(replies)
        return replies

    def _reply(self, row: OutboxRow) -> BotReply:
        reply = _bot_reply(row)
        if (row.author or "").startswith(("agent:", "chatwoot:")):
            name = self.handoff.agent_name or "agent"
            return BotReply(reply.ref, reply.message, speaker=name)
        return reply

    async def _say(self, line: str) -> list[BotReply]:
        choice = self.resolve(line)
        wamid = new_wamid()
        location = _location(line)
        if location is not None:
            payload = location_payload(self.user, wamid, *location)
        elif choice is None:
            payload = text_payload(self.user, wamid, line)
        else:
            payload = reply_payload(
                self.user,
                wamid,
                kind=choice.kind,
                choice_id=choice.id,
                title=choice.title,
                replying_to=choice.replying_to,
            )
        await self._post(payload)
        replies = await self._wait(wamid)
        self._remember_choices(replies)
        return replies

    async def _post(self, payload: dict[str, object]) -> None:
        body, headers = signed_request(payload, self.app_secret)
        try:
            response = await self.http.post("/webhooks/whatsapp", content=body, headers=headers)
        except httpx.TransportError as exc:
            raise ChatError(
                f"cannot reach {self.http.base_url} ({exc}); is `make run` up?"
            ) from exc
        if response.status_code in {401, 403}:
            raise ChatError(
                "the webhook refused the signature: WHATSAPP_APP_SECRET differs between "
                "this terminal and the server"
            )
        if response.status_code != 200:
            raise ChatError(f"the webhook answered {response.status_code}: {response.text}")

    async def _outbox(self, wamid: str | None) -> OutboxPage:
        params: dict[str, str | int] = {
            "tenant_id": self.user.phone_number_id,
            "wa_id": self.user.wa_id,
            "after_id": self.after_id,
        }
        if wamid:
            params["wamid"] = wamid
        try:
            response = await self.http.get("/dev/outbox", params=params)
        except httpx.TimeoutException:
            return OutboxPage(messages=[])  # the server is busy (a turn runs): ask again
        except httpx.TransportError as exc:
            raise ChatError(f"cannot reach {self.http.base_url} ({exc!r})") from exc
        if response.status_code == 404:
            raise ChatError(
                "the server is not in development mode: run it with CONVO_ENV=development"
            )
        if response.status_code == 403:
            raise ChatError(
                "the server wants its development token: run `convo chat` with the same "
                "CONVO_DATA_DIR as the server (it writes dev-token there), or set "
                "CONVO_DEV_TOKEN to the token it printed"
            )
        response.raise_for_status()
        return OutboxPage.model_validate(response.json())

    async def _wait(self, wamid: str) -> list[BotReply]:
        """Poll the outbox until the turn of `wamid` is done; its replies."""
        replies: list[BotReply] = []
        deadline = time.monotonic() + self.timeout_s
        while True:
            page = await self._outbox(wamid)
            self.handoff = page.handoff
            for row in page.messages:
                self.after_id = max(self.after_id, row.id)
                replies.append(self._reply(row))
            if page.turn_done:
                return replies
            if time.monotonic() > deadline:
                hint = "" if page.orchestration else " (the server has ENABLE_ORCHESTRATION off)"
                raise ChatError(f"no answer within {self.timeout_s:.0f} s{hint}")
            await asyncio.sleep(self.poll_s)

    def _remember_choices(self, replies: list[BotReply]) -> None:
        choices: list[Choice] = []
        for reply in replies:
            message = reply.message
            if isinstance(message, ButtonsMessage):
                choices = [Choice("button", b.id, b.title, reply.ref) for b in message.buttons]
            elif isinstance(message, ListMessage):
                rows = [row for section in message.sections for row in section.rows]
                choices = [Choice("list", r.id, r.title, reply.ref) for r in rows]
        if replies:
            self.choices = choices


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _location(line: str) -> tuple[float, float, str | None] | None:
    """`/location -23.56,-46.66 Home` -> (-23.56, -46.66, "Home"); None for other lines."""
    if not line.strip().startswith("/location "):
        return None
    rest = line.strip()[len("/location ") :].strip()
    coordinates, _, name = rest.partition(" ")
    latitude, _, longitude = coordinates.partition(",")
    if not (_is_number(latitude) and _is_number(longitude)):
        return None
    return float(latitude), float(longitude), name.strip() or None


def _bot_reply(row: OutboxRow) -> BotReply:
    ref = row.wamid or f"outbox.{row.id}"
    try:
        return BotReply(ref, OUTBOUND.validate_python(row.payload))
    except ValidationError:  # a row written by something else (e.g. a template): its text
        return BotReply(ref, TextMessage(body=row.text or ""))


def render(console: Console, replies: list[BotReply], handoff: HandoffInfo | None = None) -> None:
    """Print the replies; the choices of a buttons/list message are numbered. No reply
    while a person is asked for or has the chat is said as such."""
    for reply in replies:
        _render_message(console, reply.message, reply.speaker)
    if replies:
        return
    if handoff is not None and handoff.state == "with_agent":
        note = f"bot › (quiet: {handoff.agent_name or 'a person'} has this chat)"
    elif handoff is not None and handoff.state == "requested":
        note = "bot › (quiet: waiting for a person from the team)"
    else:
        note = "bot › (no reply)"
    console.print(Text(note, style="dim"))


def _render_message(console: Console, message: OutboundMessage, speaker: str = "bot") -> None:
    if getattr(message, "header", None):
        console.print(Text(str(message.header), style="bold"))  # type: ignore[union-attr]
    label = Text("bot › ", style="bold green")
    if speaker != "bot":
        label = Text(f"{speaker} › ", style="bold magenta")
    console.print(label + Text(message.body))
    if isinstance(message, ButtonsMessage):
        for number, button in enumerate(message.buttons, start=1):
            console.print(Text(f"   [{number}] ", style="cyan") + Text(button.title))
    elif isinstance(message, ListMessage):
        console.print(Text(f"   ☰ {message.button}", style="cyan"))
        rows = [(section.title, row) for section in message.sections for row in section.rows]
        previous = None
        for number, (section_title, row) in enumerate(rows, start=1):
            if section_title != previous:
                console.print(Text(f"   {section_title}", style="dim"))
                previous = section_title
            line = Text(f"   [{number}] ", style="cyan") + Text(row.title)
            if row.description:
                line += Text(f" — {row.description}", style="dim")
            console.print(line)
    if getattr(message, "footer", None):
        console.print(Text(f"   {message.footer}", style="dim italic"))  # type: ignore[union-attr]


async def run_script(
    session: ChatSession,
    lines: list[str],
    console: Console,
    *,
    listen_s: float = 0.0,
    together: bool = False,
) -> int:
    """`convo chat --say ...`: say each line, print the replies; 1 if a turn got none
    (a turn the bot stays quiet on because a person has the chat is not missing one).
    `together` (`--burst`): send all lines at once, then print the replies to them all.
    With `listen_s`, then print what arrives (a person's replies) for that long, or until
    the chat is back with the bot."""
    await session.start()
    missing = 0
    if together:
        for line in lines:
            console.print(Text("you › ", style="bold cyan") + Text(line))
        replies = await session.say_together(lines)
        render(console, replies, session.handoff)
        missing += not replies and not session.handoff.muted
        lines = []
    for line in lines:
        console.print(Text("you › ", style="bold cyan") + Text(line))
        replies = await session.say(line)
        render(console, replies, session.handoff)
        missing += not replies and not session.handoff.muted
    if listen_s > 0:
        await listen(session, console, until=time.monotonic() + listen_s)
    return 1 if missing else 0


async def listen(session: ChatSession, console: Console, *, until: float | None = None) -> None:
    """Print messages as they arrive; stop at `until` or when the chat returns to the bot."""
    was_muted = session.handoff.muted
    while until is None or time.monotonic() < until:
        for reply in await session.arrivals():
            _render_message(console, reply.message, reply.speaker)
        if was_muted and not session.handoff.muted and until is not None:
            return
        was_muted = was_muted or session.handoff.muted
        await asyncio.sleep(max(session.poll_s, 0.5))


async def run_interactive(session: ChatSession, console: Console) -> int:
    await session.start()
    console.print(
        Text(f"Chatting with {session.http.base_url} as {session.user.name} ", style="bold")
        + Text(
            "(type a number to pick a button or list row; /location LAT,LON [name] shares a "
            "location; /quit or Ctrl-D to leave)",
            style="dim",
        )
    )
    background = asyncio.create_task(listen(session, console), name="chat-arrivals")
    try:
        while True:
            try:
                line = await asyncio.to_thread(console.input, "[bold cyan]you › [/]")
            except (EOFError, KeyboardInterrupt):
                return 0
            if line.strip() in {"/quit", "/exit"}:
                return 0
            if line.strip():
                render(console, await session.say(line), session.handoff)
    finally:
        background.cancel()


async def chat(
    url: str,
    *,
    app_secret: str,
    user: ChatUser,
    say: list[str] | None,
    timeout_s: float,
    dev_token: str | None = None,
    listen_s: float = 0.0,
    together: bool = False,
) -> int:
    """The `convo chat` command; the exit code."""
    from server.dev import DEV_TOKEN_HEADER

    console = Console(highlight=False)
    headers = {DEV_TOKEN_HEADER: dev_token} if dev_token else {}
    async with httpx.AsyncClient(base_url=url, timeout=30.0, headers=headers) as http:
        session = ChatSession(http, app_secret=app_secret, user=user, timeout_s=timeout_s)
        try:
            if say:
                return await run_script(session, say, console, listen_s=listen_s, together=together)
            return await run_interactive(session, console)
        except ChatError as exc:
            Console(stderr=True).print(Text(f"convo chat: {exc}", style="bold red"))
            return 1
