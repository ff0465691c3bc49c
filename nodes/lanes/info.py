"""The info lane: the business profile - open now, hours, locations, FAQs - and the
conversation around it: greetings, goodbyes, thanks, small talk, "are you a bot?", "what
can you do?".

Answers come only from the tenant's YAML profile, in the customer's language. The lane
answers its intents through `HANDLERS`; shopping or a problem that reaches it because the
conversation was here (stickiness) is passed on by `SPEC.handoffs`. A reply that asks a
yes/no question records what the answers stand for (`asking`), so a later "yes" follows
the question that was asked.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, context_from, lanes_of
from graph.messages import Button, ButtonsMessage, OutboundMessage, TextMessage
from graph.state import State
from nodes.human.texts import team_available
from nodes.i18n import say
from nodes.lanes.common import (
    ANYTHING_ELSE,
    asking,
    entities_of,
    farewell,
    reply,
    tenant_of,
    understanding_of,
)
from nodes.lanes.dispatch import Handler, Handlers
from nodes.lanes.info_llm import grounded_answer, info_prompt
from nodes.lanes.info_texts import (
    day_hours_text,
    hours_text,
    locations_text,
    open_now_text,
)
from nodes.lanes.info_vocabulary import (
    BOT_IDENTITY,
    CLAIMS,
    LOCATION_DETAILS,
    SMALL_TALK_REPLIES,
    VOCABULARY,
)
from nodes.lanes.menu import lane_options, offers
from nodes.registry import LaneSpec, pass_to
from nodes.taxonomy import COMMERCE_INTENTS, INFO_INTENTS, SUPPORT_INTENTS
from nodes.tenants import TenantProfile
from nodes.tenants.profile import WEEKDAYS, Faq
from nodes.text import has_phrase, tokens

__all__ = ["HANDLERS", "SPEC", "open_now_text"]


def _now(runtime: Runtime[Context]) -> datetime:
    return context_from(runtime.context).clock()


def _anything_else(body: str) -> Handler:
    """A handler that answers with one sentence ending in "Anything else ...?"."""

    async def answer(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        return reply(state, TextMessage(body=say(body, state.language)), patch=ANYTHING_ELSE)

    return answer


def _with_lanes(state: State, runtime: Runtime[Context], body: str) -> OutboundMessage:
    """`body` with every lane as a button (or list row), so the next step is one tap."""
    return lane_options(lanes_of(context_from(runtime.context)), state.language, body)


def _offers(state: State, runtime: Runtime[Context]) -> str:
    return offers(lanes_of(context_from(runtime.context)), state.language)


async def open_now(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    text = open_now_text(tenant_of(state, runtime), _now(runtime), state.language)
    return reply(state, TextMessage(body=text))


async def hours(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    text = hours_text(tenant_of(state, runtime), _now(runtime), state.language)
    return reply(state, TextMessage(body=text))


def asked_day(state: State, profile: TenantProfile, now: datetime) -> date | None:
    """The date an hours question is about: today, tomorrow, or the next such weekday (a
    closing time asked without a day: today)."""
    entities = entities_of(state)
    today = now.astimezone(profile.zone).date()
    if entities.relative_day is not None:
        return today + timedelta(days=0 if entities.relative_day == "today" else 1)
    if entities.weekday is not None:
        ahead = (WEEKDAYS.index(entities.weekday) - today.weekday()) % 7
        return today + timedelta(days=ahead)
    return today if entities.hours_edge == "closing" else None


async def hours_on_day(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    profile, now = tenant_of(state, runtime), _now(runtime)
    day = asked_day(state, profile, now)
    if day is None:
        return await hours(state, runtime)
    entities = entities_of(state)
    named = entities.weekday is not None and entities.relative_day is None
    closing = entities.hours_edge == "closing"
    text = day_hours_text(profile, day, now, state.language, named=named, closing=closing)
    return reply(state, TextMessage(body=text))


async def location(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The addresses. Asked about parking or access: the tenant's FAQ on it when there is
    one, else the LLM's answer from the profile's facts (when there is an LLM), else an
    honest "I don't have that" before the addresses."""
    profile = tenant_of(state, runtime)
    text = locations_text(profile, state.language)
    if has_phrase(state.turn.text, LOCATION_DETAILS):
        entry = tenant_faq(state, profile)
        if entry is not None:
            return reply(state, TextMessage(body=entry.answer.get(state.language)
                                            or entry.answer["en"]))  # fmt: skip
        grounded = await _llm_answer(state, runtime)  # with an LLM: from the profile's facts
        if grounded is not None:
            return reply(state, TextMessage(body=grounded))
        text = f"{say('locations.no_detail', state.language)}\n{text}"
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


async def goodbye(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return farewell(state, runtime)


async def small_talk(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Pleasantries, "I'm back", compliments: a friendly word and what the bot can do."""
    wording = next(
        (
            key
            for key, phrases in SMALL_TALK_REPLIES.items()
            if has_phrase(state.turn.text, phrases)
        ),
        "small_talk",
    )  # the sentence only: the intent was decided in `route`
    body = say(wording, state.language, offers=_offers(state, runtime))
    return reply(state, _with_lanes(state, runtime, body))


async def capabilities(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """ "What can you do?", "help", "I have a question": what the bot can do, as options."""
    profile = tenant_of(state, runtime)
    body = say("capabilities", state.language, business=profile.name,
               offers=_offers(state, runtime))  # fmt: skip
    return reply(state, _with_lanes(state, runtime, body))


async def bot_identity(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Honest: an automated assistant, not a person; a person is offered only when this
    deployment can bring one in (a desk that hands chats to a team that has hours and that
    someone of the business would hear from)."""
    ctx, language = context_from(runtime.context), state.language
    profile = tenant_of(state, runtime)
    body = say("bot_identity", language, business=profile.name)
    can_bring = (
        ctx.desk is not None
        and team_available(profile, ctx.clock())
        and await ctx.desk.reachable(state.turn.tenant_id)
    )
    if not can_bring or "support" not in lanes_of(ctx):
        alone = say("bot_identity.alone", language, offers=_offers(state, runtime))
        return reply(state, TextMessage(body=f"{body} {alone}"))
    buttons = (
        Button(id="support:human", title=say("button.human", language)),
        Button(id="info:declined", title=say("button.no_thanks", language)),
    )
    offer = ButtonsMessage(body=f"{body} {say('bot_identity.offer', language)}", buttons=buttons)
    return reply(state, offer, patch=asking(yes="support:human", no="info:declined"))


async def affirm(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """A yes to no question the bot asked (a question's yes is routed as its choice):
    acknowledged, never thanked for."""
    return reply(state, TextMessage(body=say("ack", state.language)), patch=ANYTHING_ELSE)


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
    and offer the other lanes. A message without a word (an emoji, a sticker's text) asked
    nothing to look up: say it was not understood and what the bot can do."""
    if not tokens(state.turn.text):
        body = say("info.unclear", state.language, offers=_offers(state, runtime))
        return reply(state, _with_lanes(state, runtime, body))
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
        "goodbye": goodbye,
        "thanks": _anything_else("thanks"),
        "small_talk": small_talk,
        "bot_identity": bot_identity,
        "capabilities": capabilities,
        "affirm": affirm,
        "deny": _anything_else("declined"),
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
    claims=CLAIMS,
    keywords=BOT_IDENTITY,
    choices={
        "hours": "hours",
        "capabilities": "capabilities",
        "goodbye": "goodbye",
        "declined": "deny",
    },
    examples={
        "en": ("hi there", "what time do you close", "do you ship to Lima?"),
        "es": ("hola", "¿aceptan tarjeta?", "¿dónde están ubicados?"),
        "pt": (
            "oi, tudo bem?",
            "vocês abrem domingo?",
            "posso trocar um presente sem nota fiscal?",
        ),
    },
)
