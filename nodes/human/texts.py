# ruff: noqa: E501  (a table of sentences reads better unwrapped)
"""What the customer is told about people joining and leaving, in their language.

Every sentence states only what happened: the request was passed to the team (and when
the team is on duty), a named person joined, the person left, the request timed out.
"""

from __future__ import annotations

from datetime import datetime

from graph.messages import Button, ButtonsMessage, TextMessage
from graph.session.contract import Language
from nodes.human.team import team_status
from nodes.i18n import WEEKDAY_ON, say
from nodes.tenants import TenantProfile

CANCEL_CHOICE = "handoff:cancel"
"""The reply-button id that takes a waiting customer back to the assistant."""

TEXTS: dict[str, dict[Language, str]] = {
    "requested.open": {
        "en": "I've passed this chat to our team. Someone is on duty until {time} ({zone} time) and will reply right here. Until then I'll stay quiet: everything you write here reaches them.",
        "es": "Pasé este chat a nuestro equipo. Hay alguien atendiendo hasta las {time} (hora de {zone}) y te responderá aquí mismo. Mientras tanto no responderé: todo lo que escribas aquí les llega.",
        "pt": "Passei esta conversa para a nossa equipe. Tem alguém de plantão até as {time} (horário de {zone}) e vai responder aqui mesmo. Enquanto isso eu fico quieto: tudo o que você escrever aqui chega até eles.",
    },
    "requested.closed": {
        "en": "I've passed this chat to our team. Nobody is on duty right now: they're back {day} at {time} ({zone} time) and will reply right here. Everything you write here reaches them.",
        "es": "Pasé este chat a nuestro equipo. Ahora no hay nadie atendiendo: vuelven {day} a las {time} (hora de {zone}) y te responderán aquí mismo. Todo lo que escribas aquí les llega.",
        "pt": "Passei esta conversa para a nossa equipe. Não tem ninguém de plantão agora: eles voltam {day} às {time} (horário de {zone}) e vão responder aqui mesmo. Tudo o que você escrever aqui chega até eles.",
    },
    "requested.never": {
        "en": "I'm sorry, our team doesn't answer chats here. {contact}",
        "es": "Lo siento, nuestro equipo no atiende chats por aquí. {contact}",
        "pt": "Sinto muito, nossa equipe não atende conversas por aqui. {contact}",
    },
    "unavailable": {
        "en": "I'm sorry, I can't bring a person into this chat right now. {contact}",
        "es": "Lo siento, ahora no puedo traer a una persona a este chat. {contact}",
        "pt": "Sinto muito, agora não consigo chamar uma pessoa para esta conversa. {contact}",
    },
    "ticket.alone": {
        "en": "I'm sorry about that. I've recorded it as ticket {number}. I can't bring a person into this chat right now. {contact}",
        "es": "Lamento lo ocurrido. Lo registré como ticket {number}. Ahora no puedo traer a una persona a este chat. {contact}",
        "pt": "Sinto muito. Registrei isso como chamado {number}. Agora não consigo chamar uma pessoa para esta conversa. {contact}",
    },
    "joined": {
        "en": "{agent} from {business} joined the chat.",
        "es": "{agent} de {business} se unió al chat.",
        "pt": "{agent} da {business} entrou na conversa.",
    },
    "released": {
        "en": "{agent} has left the chat. You're back with {business}'s assistant: ask me anything, or ask for a person again at any time.",
        "es": "{agent} salió del chat. Vuelves a hablar con el asistente de {business}: pregúntame lo que quieras o pide una persona otra vez cuando quieras.",
        "pt": "{agent} saiu da conversa. Você voltou a falar com o assistente da {business}: pergunte o que quiser ou peça uma pessoa de novo quando quiser.",
    },
    "released.unclaimed": {
        "en": "Our team handed this chat back to {business}'s assistant. Ask me anything, or ask for a person again at any time.",
        "es": "Nuestro equipo devolvió este chat al asistente de {business}. Pregúntame lo que quieras o pide una persona otra vez cuando quieras.",
        "pt": "Nossa equipe devolveu esta conversa para o assistente da {business}. Pergunte o que quiser ou peça uma pessoa de novo quando quiser.",
    },
    "timeout.queue": {
        "en": "Nobody from our team could take this chat in time, so you're back with {business}'s assistant. You can ask for a person again at any time.",
        "es": "Nadie de nuestro equipo pudo atender este chat a tiempo, así que vuelves con el asistente de {business}. Puedes pedir una persona otra vez cuando quieras.",
        "pt": "Ninguém da nossa equipe conseguiu atender esta conversa a tempo, então você voltou para o assistente da {business}. Pode pedir uma pessoa de novo quando quiser.",
    },
    "timeout.idle": {
        "en": "This chat with {agent} ended after a while without messages. You're back with {business}'s assistant; ask for a person again at any time.",
        "es": "Este chat con {agent} terminó tras un rato sin mensajes. Vuelves con el asistente de {business}; puedes pedir una persona otra vez cuando quieras.",
        "pt": "Esta conversa com {agent} terminou depois de um tempo sem mensagens. Você voltou para o assistente da {business}; pode pedir uma pessoa de novo quando quiser.",
    },
    "cancelled": {
        "en": "Okay, I've withdrawn the request: you're back with the assistant. What can I do for you?",
        "es": "Listo, retiré la solicitud: vuelves con el asistente. ¿En qué te ayudo?",
        "pt": "Pronto, cancelei o pedido: você voltou para o assistente. Como posso ajudar?",
    },
    "button.cancel": {
        "en": "Back to assistant",
        "es": "Volver al asistente",
        "pt": "Voltar ao assistente",
    },
}


def text(key: str, language: Language, **values: object) -> str:
    variants = TEXTS[key]
    return (variants.get(language) or variants["en"]).format(**values)


def _zone_name(profile: TenantProfile) -> str:
    return profile.timezone.rsplit("/", 1)[-1].replace("_", " ")


def _day(when: datetime, local_now: datetime, language: Language) -> str:
    delta = (when.date() - local_now.date()).days
    if delta == 0:
        return say("open.today", language)
    if delta == 1:
        return say("open.tomorrow", language)
    return WEEKDAY_ON[language][when.weekday()]


def contact_line(profile: TenantProfile, language: Language) -> str:
    """The business's own contact FAQ, if it has one (how else to reach a person)."""
    faq = next((f for f in profile.faqs if f.id == "contact"), None)
    return (faq.answer.get(language) or faq.answer["en"]) if faq else ""


def requested_message(profile: TenantProfile, now: datetime, language: Language) -> ButtonsMessage:
    """The request was stored and the team notified: when they are on duty, and a way back."""
    status = team_status(profile, now)
    zone = _zone_name(profile)
    if status.is_open and status.closes_at is not None:
        body = text("requested.open", language, time=status.closes_at.strftime("%H:%M"), zone=zone)
    else:
        assert status.opens_at is not None, "callers check team_available() first"
        day = _day(status.opens_at, status.local_now, language)
        body = text(
            "requested.closed", language, day=day, time=status.opens_at.strftime("%H:%M"), zone=zone
        )
    cancel = Button(id=CANCEL_CHOICE, title=text("button.cancel", language))
    return ButtonsMessage(body=body, buttons=(cancel,))


def team_available(profile: TenantProfile, now: datetime) -> bool:
    """False when the team has no hours at all in the coming week (nobody would come)."""
    status = team_status(profile, now)
    return status.is_open or status.opens_at is not None


def no_team_message(profile: TenantProfile, language: Language) -> TextMessage:
    body = text("requested.never", language, contact=contact_line(profile, language))
    return TextMessage(body=body.strip())


def ticket_alone_message(profile: TenantProfile, number: str, language: Language) -> TextMessage:
    """A ticket was stored, and no person can be offered (nobody would see the request)."""
    body = text("ticket.alone", language, number=number, contact=contact_line(profile, language))
    return TextMessage(body=body.strip())


def unavailable_message(profile: TenantProfile, language: Language) -> TextMessage:
    body = text("unavailable", language, contact=contact_line(profile, language))
    return TextMessage(body=body.strip())
