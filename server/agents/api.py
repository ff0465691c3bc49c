"""The agent API (JSON under `/agent/api`), every route behind a bearer token.

- `GET /agent/api/me`: the signed-in agent
- `GET /agent/api/conversations?state=waiting,in_progress`: the queue (also `mine`, `bot`)
- `GET /agent/api/conversations/{id}`: the transcript both ways with delivery status, the
  bot's context, tickets, notes, the handoff history, and whether a reply must be a template
- `POST .../{id}/claim`: take a waiting conversation
- `POST .../{id}/reply`: `{"text": ...}` or `{"template": {...}}`, with an optional
  `request_id` so a retried request sends one message
- `POST .../{id}/notes`: a private note (never sent to the customer)
- `POST .../{id}/release`: back to the bot, optionally `{"lane": "commerce"}`
- `POST .../{id}/tickets/{number}/solve` (or `/close`): the ticket's status
- `GET /agent/api/events`: server-sent events (see `server.agents.stream`)

Errors: 401 (no, unknown, revoked or expired token), 404 (no such conversation *for this
agent's business*: another tenant's looks exactly like a missing one), 409 (the state
does not allow it: not claimed, claimed by someone else, 24-hour window closed), 422
(empty or oversized text, unknown template or lane).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph.messages import TextMessage
from server.agents.auth import AgentDep, ResourcesDep
from server.agents.views import detail, queue
from server.support import actions
from server.support.desk import profile_of
from server.support.models import BOT, REQUESTED, TICKET_CLOSED, TICKET_SOLVED, WITH_AGENT, Agent
from server.support.models import Conversation as ConversationRow
from server.whatsapp.limits import TEXT_BODY_MAX
from server.whatsapp.templates import TemplateComponent, TemplateMessage, TemplateParameter

router = APIRouter(prefix="/agent/api", tags=["agents"])

LANES = ("info", "commerce", "support")
QUEUES = {
    "waiting": [REQUESTED],
    "in_progress": [WITH_AGENT],
    "mine": [WITH_AGENT],
    "bot": [BOT],
}
NOTE_MAX = 4000


def _actor(agent: Agent) -> actions.Actor:
    return actions.Actor(key=f"agent:{agent.handle}", name=agent.display_name, agent_id=agent.id)


def _not_found() -> HTTPException:
    return HTTPException(404, detail={"error": "not_found", "message": "no such conversation"})


def _conflict(error: actions.NotAllowed) -> HTTPException:
    return HTTPException(
        409, detail={"error": error.code, "message": str(error), "state": error.state}
    )


def _invalid(error: str, message: str) -> HTTPException:
    return HTTPException(422, detail={"error": error, "message": message})


async def _conversation(
    resources: ResourcesDep, agent: Agent, conversation_id: int
) -> ConversationRow:
    """The conversation if it belongs to the agent's business; 404 otherwise (whoever's it is)."""
    async with resources.sessions() as session:
        row = await session.get(ConversationRow, conversation_id)
    if row is None or row.tenant != agent.tenant:
        raise _not_found()
    return row


@router.get("/me")
async def me(agent: AgentDep) -> dict[str, Any]:
    return {"handle": agent.handle, "name": agent.display_name, "tenant": agent.tenant}


@router.get("/conversations")
async def conversations(
    agent: AgentDep, resources: ResourcesDep, state: str = "waiting,in_progress"
) -> dict[str, Any]:
    names = [name.strip() for name in state.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if unknown or not names:
        raise _invalid("unknown_state", f"state must be among {sorted(QUEUES)}")
    states = sorted({s for name in names for s in QUEUES[name]})
    async with resources.sessions() as session:
        items = await queue(session, agent, states)
    if names == ["mine"]:
        items = [item for item in items if item["claimed_by_me"]]
    return {"conversations": items}


@router.get("/conversations/{conversation_id}")
async def conversation(
    conversation_id: int, agent: AgentDep, resources: ResourcesDep
) -> dict[str, Any]:
    row = await _conversation(resources, agent, conversation_id)
    return await detail(resources, row, agent)


@router.post("/conversations/{conversation_id}/claim")
async def claim(conversation_id: int, agent: AgentDep, resources: ResourcesDep) -> dict[str, Any]:
    await _conversation(resources, agent, conversation_id)
    try:
        row = await actions.claim(resources, conversation_id, _actor(agent))
    except actions.NotAllowed as error:
        raise _conflict(error) from error
    return await detail(resources, row, agent)


class TemplateReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=512)
    language: str | None = None
    parameters: list[str] = Field(default_factory=list, max_length=20)


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    template: TemplateReply | None = None
    request_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\w.-]+$")
    """A client-chosen id: the same request sent twice sends one message."""

    @field_validator("text")
    @classmethod
    def _text_fits(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("the reply is empty")
        if len(value) > TEXT_BODY_MAX:
            raise ValueError(f"the reply is longer than WhatsApp's {TEXT_BODY_MAX} characters")
        return value.strip()


def _template(
    resources: ResourcesDep, row: ConversationRow, wanted: TemplateReply
) -> TemplateMessage:
    allowed = profile_of(resources, row.phone_number_id).handoff.templates
    match = next(
        (t for t in allowed if t.name == wanted.name and wanted.language in (None, t.language)),
        None,
    )
    if match is None:
        raise _invalid("unknown_template", "not one of this business's reply templates")
    if len(wanted.parameters) != match.parameters:
        raise _invalid("template_parameters", f"{match.name} takes {match.parameters} parameters")
    components: tuple[TemplateComponent, ...] = ()
    if wanted.parameters:
        values = tuple(TemplateParameter(text=value) for value in wanted.parameters)
        components = (TemplateComponent(type="body", parameters=values),)
    return TemplateMessage(name=match.name, language=match.language, components=components)


@router.post("/conversations/{conversation_id}/reply", status_code=201)
async def reply(
    conversation_id: int, body: Reply, agent: AgentDep, resources: ResourcesDep
) -> dict[str, Any]:
    row = await _conversation(resources, agent, conversation_id)
    if (body.text is None) == (body.template is None):
        raise _invalid("text_or_template", "send either 'text' or 'template'")

    message = (
        TextMessage(body=body.text)
        if body.text is not None
        else _template(resources, row, body.template)  # type: ignore[arg-type]
    )
    try:
        _, sent = await actions.reply(
            resources, conversation_id, _actor(agent), message, request_id=body.request_id
        )
    except actions.NotAllowed as error:
        raise _conflict(error) from error
    return {"message": {"id": sent.id, "status": sent.status, "kind": sent.message_type}}


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=NOTE_MAX)

    @field_validator("text")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the note is empty")
        return value.strip()


@router.post("/conversations/{conversation_id}/notes", status_code=201)
async def note(
    conversation_id: int, body: Note, agent: AgentDep, resources: ResourcesDep
) -> dict[str, Any]:
    await _conversation(resources, agent, conversation_id)
    created = await actions.add_note(resources, conversation_id, _actor(agent), body.text)
    return {"note": {"id": created.id}}


class Release(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lane: Literal["info", "commerce", "support"] | None = None
    """The lane the bot resumes with (default: the one it had before the handoff)."""


@router.post("/conversations/{conversation_id}/release")
async def release(
    conversation_id: int, agent: AgentDep, resources: ResourcesDep, body: Release | None = None
) -> dict[str, Any]:
    await _conversation(resources, agent, conversation_id)
    lane = body.lane if body else None
    try:
        row = await actions.release(resources, conversation_id, _actor(agent), lane=lane)
    except actions.NotAllowed as error:
        raise _conflict(error) from error
    return await detail(resources, row, agent)


@router.post("/conversations/{conversation_id}/tickets/{number}/{verb}")
async def ticket(
    conversation_id: int, number: str, verb: str, agent: AgentDep, resources: ResourcesDep
) -> dict[str, Any]:
    statuses = {"solve": TICKET_SOLVED, "close": TICKET_CLOSED}
    if verb not in statuses:
        raise HTTPException(404, detail={"error": "not_found", "message": "solve or close"})
    row = await _conversation(resources, agent, conversation_id)
    try:
        changed = await actions.set_ticket(
            resources, conversation_id, number, statuses[verb], _actor(agent)
        )
    except LookupError as error:
        raise HTTPException(
            404, detail={"error": "not_found", "message": "no such ticket"}
        ) from error
    except actions.NotAllowed as error:
        raise _conflict(error) from error
    return {"ticket": {"number": changed.number, "status": changed.status}, "conversation": row.id}
