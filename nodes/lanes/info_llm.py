"""Optional LLM answers for the info lane, grounded only in the tenant's profile.

Used only when the deterministic lane has no answer (hours, locations, FAQs come first) and an
LLM is configured in a non-offline mode. The model sees the profile as plain facts and must say
UNKNOWN when they do not answer; any failure or UNKNOWN gives None (the canned "I don't know").
"""

from __future__ import annotations

import asyncio
import logging

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from graph.session.contract import Language
from nodes.router.llm import total_deadline_s
from nodes.tenants import TenantProfile
from prompts import RenderedPrompt, load_prompt

logger = logging.getLogger(__name__)
UNKNOWN = "UNKNOWN"
LANGUAGE_NAMES: dict[Language, str] = {"en": "English", "es": "Spanish", "pt": "Portuguese"}
MAX_ANSWER_CHARS = 1000


def facts(profile: TenantProfile, hours: str, open_now: str) -> str:
    """The profile as plain English facts (the only knowledge the model gets)."""
    lines = [
        f"Name: {profile.name}",
        f"Timezone: {profile.timezone}",
        f"Right now: {open_now}",
        hours,
    ]
    lines += [f"Location: {p.name}, {p.address}" for p in profile.locations]
    lines += [f"FAQ ({faq.id}): {faq.answer.get('en', '')}" for faq in profile.faqs]
    return "\n".join(lines)


def info_prompt(
    profile: TenantProfile, language: Language, hours: str, open_now: str
) -> RenderedPrompt:
    return load_prompt("info_answer").render(
        business=profile.name,
        language_name=LANGUAGE_NAMES[language],
        facts=facts(profile, hours, open_now),
    )


async def grounded_answer(
    chat_model: BaseChatModel, prompt: RenderedPrompt, question: str
) -> str | None:
    """The model's answer from the facts, or None (unknown, empty, or the call failed)."""
    try:
        async with asyncio.timeout(total_deadline_s(chat_model)):
            message = await chat_model.ainvoke([SystemMessage(prompt.text), HumanMessage(question)])
    except Exception as error:  # any client failure (or the total deadline): answer without it
        logger.warning(
            "info.llm.failed",
            extra={"fields": {"error": type(error).__name__, "prompt_hash": prompt.short_hash}},
        )
        return None
    text = str(message.text).strip()
    logger.info(
        "info.llm.answer",
        extra={
            "fields": {"prompt_hash": prompt.short_hash, "unknown": not text or UNKNOWN in text}
        },
    )
    if not text or UNKNOWN in text:
        return None
    return text[:MAX_ANSWER_CHARS]
