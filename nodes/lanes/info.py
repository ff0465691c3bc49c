"""The info lane: the business profile - open now, hours, locations, FAQs, greetings.

Answers come only from the tenant's YAML profile, in the customer's language. Shopping or
a problem that reaches this lane (a sticky follow-up) is handed to commerce or support.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from graph.context import Context, context_from
from graph.messages import Button, ButtonsMessage, TextMessage
from graph.session.contract import Language
from graph.state import State
from nodes.i18n import WEEKDAY_NAMES, WEEKDAY_ON, say
from nodes.lanes.common import lane_buttons, lane_subgraph, may_hand_off, reply, tenant_of
from nodes.lanes.cues import (
    acknowledgement_key,
    best_faq,
    has_problem,
    info_topic,
    small_talk,
    wants_shopping,
)
from nodes.lanes.info_llm import grounded_answer, info_prompt
from nodes.registry import LaneSpec
from nodes.router.followups import is_acknowledgement
from nodes.tenants import TenantProfile, load_catalog, open_status
from nodes.tenants.hours import intervals_on
from nodes.tenants.profile import WEEKDAYS


def _zone_name(profile: TenantProfile) -> str:
    return profile.timezone.rsplit("/", 1)[-1].replace("_", " ")


def _day_name(day: datetime, today: datetime, language: Language) -> str:
    delta = (day.date() - today.date()).days
    if delta == 0:
        return say("open.today", language)
    if delta == 1:
        return say("open.tomorrow", language)
    return WEEKDAY_ON[language][day.weekday()]


def open_now_text(profile: TenantProfile, now: datetime, language: Language) -> str:
    status = open_status(profile, now)
    zone = _zone_name(profile)
    if status.is_open and status.closes_at is not None:
        return say("open.yes", language, time=status.closes_at.strftime("%H:%M"), zone=zone)
    if status.opens_at is None:
        return say("info.unknown", language)
    day = _day_name(status.opens_at, status.local_now, language)
    return say("open.no", language, day=day, time=status.opens_at.strftime("%H:%M"), zone=zone)


def hours_text(profile: TenantProfile, now: datetime, language: Language) -> str:
    lines = [say("hours.title", language)]
    for index, key in enumerate(WEEKDAYS):
        spans = profile.hours.get(key, [])
        shown = ", ".join(f"{a}-{b}" for a, b in spans) or say("hours.closed", language)
        lines.append(f"• {WEEKDAY_NAMES[language][index]}: {shown}")
    local_today = now.astimezone(profile.zone).date()
    for exception in profile.exceptions:
        if local_today <= exception.date <= local_today + timedelta(days=30):
            spans = intervals_on(profile, exception.date)
            shown = ", ".join(f"{a}-{b}" for a, b in spans) or say("hours.closed", language)
            note = exception.note.get(language) or exception.note.get("en", "")
            lines.append(f"• {exception.date.isoformat()} ({note}): {shown}")
    return "\n".join(lines)


def locations_text(profile: TenantProfile, language: Language) -> str:
    lines = [say("locations.title", language)]
    for place in profile.locations:
        link = f" {place.maps_url}" if place.maps_url else ""
        lines.append(f"• {place.name}: {place.address}{link}")
    return "\n".join(lines)


def greeting(state: State, profile: TenantProfile) -> ButtonsMessage:
    language = state.language
    name = f", {state.turn.profile_name}" if state.turn.profile_name else ""
    body = say("greeting", language, name=name, business=profile.name)
    hours = Button(id="info:hours", title=say("hours.title", language).rstrip(":")[:20])
    offer = lane_buttons(language, ("commerce", "support"), body)
    return ButtonsMessage(body=body, buttons=(hours, *offer.buttons))


def _answer_text(state: State, profile: TenantProfile, now: datetime) -> str | None:
    language, text = state.language, state.turn.text
    topic = "hours" if state.turn.choice_id == "info:hours" else info_topic(text)
    if topic == "open_now":
        return open_now_text(profile, now, language)
    if topic == "hours":
        return hours_text(profile, now, language)
    if topic == "location":
        return locations_text(profile, language)
    faq = best_faq(text, profile)
    if faq is not None:
        return faq.answer.get(language) or faq.answer["en"]
    if small_talk(text) == "thanks" or is_acknowledgement(text):
        return say(acknowledgement_key(text), language)
    return None


async def _llm_answer(
    state: State, runtime: Runtime[Context], profile: TenantProfile, now: datetime
) -> str | None:
    """With an LLM (not in offline mode): an answer grounded only in the profile, or None."""
    ctx = context_from(runtime.context)
    if ctx.chat_model is None or ctx.router_mode == "offline":
        return None
    prompt = info_prompt(
        profile, state.language, hours_text(profile, now, "en"), open_now_text(profile, now, "en")
    )
    return await grounded_answer(ctx.chat_model, prompt, state.turn.text)


async def gate(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Hand shopping to commerce and problems to support, unless it is an info question."""
    profile = tenant_of(state, runtime)
    text = state.turn.text
    if state.turn.choice_id or info_topic(text) or best_faq(text, profile) or small_talk(text):
        return {}
    if has_problem(text) and may_hand_off(state, "support"):
        return {"handoff_to": "support"}
    if wants_shopping(text, load_catalog(profile)) and may_hand_off(state, "commerce"):
        return {"handoff_to": "commerce"}
    return {}


async def answer(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    profile = tenant_of(state, runtime)
    now = context_from(runtime.context).clock()
    text = _answer_text(state, profile, now)
    if text is not None:
        return reply(state, TextMessage(body=text))
    if small_talk(state.turn.text) == "greeting" or state.turn.choice_id == "lane:info":
        return reply(state, greeting(state, profile))
    grounded = await _llm_answer(state, runtime, profile, now)
    if grounded is not None:
        return reply(state, TextMessage(body=grounded))
    body = say("info.unknown", state.language)
    return reply(state, lane_buttons(state.language, ("commerce", "support"), body))


def build_subgraph() -> CompiledStateGraph[Any, Any, Any, Any]:
    return lane_subgraph("info", gate, answer)


SPEC = LaneSpec(
    name="info",
    build=build_subgraph,
    description=(
        "General information and small talk: greetings, opening hours ('are you open now?'), "
        "locations, FAQs and policies (shipping options, payment methods, returns policy), "
        "how to contact the business."
    ),
    labels={"en": "Information", "es": "Información", "pt": "Informações"},
    examples={
        "en": ("hi there", "what time do you close", "do you ship to Lima?"),
        "es": ("hola", "¿aceptan tarjeta?", "¿dónde están ubicados?"),
        "pt": ("oi, tudo bem?", "vocês abrem domingo?", "qual a política de troca?"),
    },
)
