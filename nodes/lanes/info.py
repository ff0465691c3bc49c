"""The info lane: the business profile - open now, hours, locations, FAQs, greetings.

Answers come only from the tenant's YAML profile, in the customer's language. The lane
answers its intents through `HANDLERS`; shopping or a problem that reaches it because the
conversation was here (stickiness) is passed on by `SPEC.handoffs`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from, lanes_of
from graph.messages import Button, ButtonsMessage, TextMessage
from graph.state import State
from nodes.i18n import say
from nodes.lanes.common import entities_of, reply, tenant_of, understanding_of
from nodes.lanes.dispatch import Handler, Handlers
from nodes.lanes.info_llm import grounded_answer, info_prompt
from nodes.lanes.info_texts import (
    day_hours_text,
    hours_text,
    locations_text,
    open_now_text,
)
from nodes.lanes.info_vocabulary import VOCABULARY
from nodes.lanes.menu import lane_options
from nodes.registry import LaneSpec, pass_to
from nodes.taxonomy import COMMERCE_INTENTS, INFO_INTENTS, SUPPORT_INTENTS
from nodes.tenants import TenantProfile
from nodes.tenants.profile import WEEKDAYS, Faq
from nodes.text import tokens

__all__ = ["HANDLERS", "SPEC", "open_now_text"]


def _now(runtime: Runtime[Context]) -> datetime:
    return context_from(runtime.context).clock()


def _text(body: str) -> Handler:
    """A handler that answers with one sentence of `nodes/i18n.py`."""

    async def answer(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        return reply(state, TextMessage(body=say(body, state.language)))

    return answer


async def open_now(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    text = open_now_text(tenant_of(state, runtime), _now(runtime), state.language)
    return reply(state, TextMessage(body=text))


async def hours(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    text = hours_text(tenant_of(state, runtime), _now(runtime), state.language)
    return reply(state, TextMessage(body=text))


def asked_day(state: State, profile: TenantProfile, now: datetime) -> date | None:
    """The date an hours question is about: today, tomorrow, or the next such weekday."""
    entities = entities_of(state)
    today = now.astimezone(profile.zone).date()
    if entities.relative_day is not None:
        return today + timedelta(days=0 if entities.relative_day == "today" else 1)
    if entities.weekday is not None:
        ahead = (WEEKDAYS.index(entities.weekday) - today.weekday()) % 7
        return today + timedelta(days=ahead)
    return None


async def hours_on_day(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    profile, now = tenant_of(state, runtime), _now(runtime)
    day = asked_day(state, profile, now)
    if day is None:
        return await hours(state, runtime)
    text = day_hours_text(profile, day, now, state.language)
    return reply(state, TextMessage(body=text))


async def location(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    text = locations_text(tenant_of(state, runtime), state.language)
    return reply(state, TextMessage(body=text))


def tenant_faq(state: State, profile: TenantProfile) -> Faq | None:
    """The profile's FAQ entry for the intent (`faq_shipping` -> id `shipping`); for
    `faq_other`, the entry whose keywords the message shares most (tenant data lookup)."""
    wanted = understanding_of(state).intent.removeprefix("faq_")
    named = next((faq for faq in profile.faqs if faq.id == wanted), None)
    if named is not None:
        return named
    words = set(tokens(state.turn.text))
    scored = [(len(words & {w for k in f.keywords for w in tokens(k)}), f) for f in profile.faqs]
    score, faq = max(scored, key=lambda item: item[0], default=(0, None))
    return faq if score > 0 else None


async def faq(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    entry = tenant_faq(state, tenant_of(state, runtime))
    if entry is None:
        return await unknown(state, runtime)
    return reply(state, TextMessage(body=entry.answer.get(state.language) or entry.answer["en"]))


async def greeting(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Welcome, with the hours and the other lanes as buttons."""
    language, profile = state.language, tenant_of(state, runtime)
    name = f", {state.turn.profile_name}" if state.turn.profile_name else ""
    body = say("greeting", language, name=name, business=profile.name)
    hours_button = Button(id="info:hours", title=say("hours.title", language).rstrip(":")[:20])
    others = [s for s in lanes_of(context_from(runtime.context)) if s.name != SPEC.name][:2]
    offer = lane_options(others, language, body)
    buttons = offer.buttons if isinstance(offer, ButtonsMessage) else ()
    return reply(state, ButtonsMessage(body=body, buttons=(hours_button, *buttons)))


async def _llm_answer(state: State, runtime: Runtime[Context]) -> str | None:
    """With an LLM (not in offline mode): an answer grounded only in the profile, or None."""
    ctx = context_from(runtime.context)
    if ctx.chat_model is None or ctx.router_mode == "offline":
        return None
    profile, now = tenant_of(state, runtime), ctx.clock()
    prompt = info_prompt(
        profile, state.language, hours_text(profile, now, "en"), open_now_text(profile, now, "en")
    )
    return await grounded_answer(ctx.chat_model, prompt, state.turn.text)


async def unknown(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """No profile answer: the LLM from the profile's facts when there is one, else say so
    and offer the other lanes."""
    grounded = await _llm_answer(state, runtime)
    if grounded is not None:
        return reply(state, TextMessage(body=grounded))
    body = say("info.unknown", state.language)
    others = [s for s in lanes_of(context_from(runtime.context)) if s.name != SPEC.name]
    return reply(state, lane_options(others, state.language, body))


FAQ_TOPICS = ("faq_shipping", "faq_payment", "faq_returns", "faq_contact")
HANDLERS = Handlers(
    table={
        "open_now": open_now,
        "hours": hours,
        "hours_on_day": hours_on_day,
        "location": location,
        "faq_other": faq,
        "greeting": greeting,
        "select": greeting,
        "thanks": _text("thanks"),
        "affirm": _text("thanks"),
        "deny": _text("declined"),
        "unknown": unknown,
    },
    aliases=dict.fromkeys(FAQ_TOPICS, "faq_other"),
    fallback=unknown,
)

SPEC = LaneSpec(
    name="info",
    handlers=HANDLERS,
    description=(
        "General information and small talk: greetings, opening hours ('are you open now?'), "
        "locations, FAQs and policies (shipping options, payment methods, returns policy), "
        "how to contact the business."
    ),
    labels={"en": "Information", "es": "Información", "pt": "Informações"},
    offer={
        "en": "information (hours, locations, FAQs)",
        "es": "información (horarios, locales, preguntas frecuentes)",
        "pt": "informações (horários, lojas, dúvidas)",
    },
    intents=INFO_INTENTS,
    default_intent="unknown",
    handoffs={**pass_to("commerce", COMMERCE_INTENTS), **pass_to("support", SUPPORT_INTENTS)},
    vocabulary=VOCABULARY,
    choices={"hours": "hours"},
    examples={
        "en": ("hi there", "what time do you close", "do you ship to Lima?"),
        "es": ("hola", "¿aceptan tarjeta?", "¿dónde están ubicados?"),
        "pt": ("oi, tudo bem?", "vocês abrem domingo?", "qual a política de troca?"),
    },
)
