"""The checkout's rules, without messages: which step comes next and what an answer means.

The checkout asks, in this order, only what is still missing: fulfilment (delivery or
pickup), the delivery zone or the pickup shop, the delivery address, the name, the payment
method; then the summary. A step with one possible answer (one zone, one method) is filled
in without asking. Changing a step clears it (and what depends on it), so the same rule
asks it again and comes back to the summary.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from graph.session.contract import CartLine, CheckoutState, CheckoutStep
from graph.understanding import Entities
from nodes.commerce.money import to_minor
from nodes.tenants import Catalog, TenantProfile
from nodes.tenants.commerce import (
    DELIVERY_ONLY_METHODS,
    PICKUP_ONLY_METHODS,
    CommerceSettings,
    DeliveryZone,
    PaymentMethod,
)
from nodes.text import has_phrase, tokens

IDLE = timedelta(hours=6)
"""A checkout untouched this long is forgotten: "pay" then starts a new one."""
MIN_ADDRESS_CHARS = 5

DELIVERY_WORDS = ("delivery", "deliver", "delivered", "ship", "send it", "home", "envio",
                  "domicilio", "enviar", "envien", "entrega", "entregar", "entregue",
                  "em casa", "a casa")  # fmt: skip
PICKUP_WORDS = ("pickup", "pick up", "pick it up", "collect", "in store", "recoger", "retirar",
                "retiro", "retirada", "buscar", "en tienda", "na loja", "busco")  # fmt: skip
CANCEL_WORDS = ("cancel", "cancelar", "cancela", "cancele", "cancelo", "forget it", "olvidalo",
                "esquece", "deixa pra la")  # fmt: skip
CHANGE_WORDS = ("change", "edit", "modify", "cambiar", "cambia", "cambio", "modificar",
                "alterar", "altera", "mudar", "muda", "trocar")  # fmt: skip
STEP_WORDS: dict[str, tuple[str, ...]] = {
    "address": ("address", "direccion", "domicilio", "endereco"),
    "name": ("name", "nombre", "nome"),
    "payment": ("payment", "payment method", "forma de pago", "metodo de pago", "pagamento",
                "forma de pagamento"),
}  # fmt: skip
"""A step named with a change word at the summary ("change my address") is asked again."""
CONFIRM_WORDS = ("confirm", "confirmed", "confirmar", "confirmo", "confirma", "confirmado",
                 "place the order", "place order")  # fmt: skip
RESUME_WORDS = ("continue", "continuar", "continua", "continuemos", "sigamos", "seguir",
                "sigue", "segue", "seguimos", "prosseguir", "proceed", "go on", "resume",
                "retomar", "back to checkout", "checkout")  # fmt: skip
METHOD_WORDS: dict[PaymentMethod, tuple[str, ...]] = {
    "card_link": ("card", "credit", "debit", "link", "tarjeta", "credito", "debito", "enlace",
                  "cartao"),
    "pix": ("pix",),
    "bank_transfer": ("transfer", "bank", "transferencia", "banco", "deposito"),
    "cash_on_delivery": ("cash", "efectivo", "dinheiro", "contra entrega", "on delivery"),
    "pay_in_store": ("in store", "at the store", "en tienda", "en la tienda", "na loja",
                     "in the shop"),
}  # fmt: skip


def said(text: str, phrases: tuple[str, ...]) -> bool:
    return has_phrase(text, phrases)


@dataclass(frozen=True)
class Shop:
    """What the checkout needs to know about the tenant for one turn."""

    profile: TenantProfile
    catalog: Catalog
    """The catalog of record (live stock and prices)."""
    card_links: bool
    """A payment provider is set up (else `card_link` is not offered)."""

    @property
    def settings(self) -> CommerceSettings:
        return self.profile.commerce

    @property
    def currency(self) -> str:
        return self.catalog.currency

    def pickup_locations(self) -> list[str]:
        named = self.settings.fulfilment.pickup.locations
        return list(named) or [location.name for location in self.profile.locations]

    def zone(self, zone_id: str | None) -> DeliveryZone | None:
        zones = self.settings.fulfilment.delivery.zones
        return next((zone for zone in zones if zone.id == zone_id), None)

    def fulfilments(self) -> list[Literal["delivery", "pickup"]]:
        ways = self.settings.fulfilment
        found: list[Literal["delivery", "pickup"]] = []
        if ways.delivery.enabled:
            found.append("delivery")
        if ways.pickup.enabled:
            found.append("pickup")
        return found

    def methods(self, fulfilment: str | None) -> list[PaymentMethod]:
        """The payment methods offered for this way of getting the order."""
        offered = []
        for method in self.settings.payment_methods:
            if method == "card_link" and not self.card_links:
                continue
            if method in DELIVERY_ONLY_METHODS and fulfilment != "delivery":
                continue
            if method in PICKUP_ONLY_METHODS and fulfilment != "pickup":
                continue
            offered.append(method)
        return offered


@dataclass(frozen=True)
class Totals:
    subtotal: int
    shipping: int

    @property
    def total(self) -> int:
        return self.subtotal + self.shipping


def totals(cart: list[CartLine], checkout: CheckoutState, shop: Shop) -> Totals:
    """Minor units, priced from the catalog of record (a line no longer sold counts 0)."""
    subtotal = 0
    for line in cart:
        product = shop.catalog.get(line.sku)
        if product is not None:
            subtotal += to_minor(product.price, shop.currency) * line.quantity
    shipping = 0
    zone = shop.zone(checkout.zone) if checkout.fulfilment == "delivery" else None
    if zone is not None:
        free_over = shop.settings.fulfilment.delivery.free_over
        free = free_over is not None and subtotal >= to_minor(free_over, shop.currency)
        shipping = 0 if free else to_minor(zone.fee, shop.currency)
    return Totals(subtotal, shipping)


def fingerprint(cart: list[CartLine], checkout: CheckoutState, shop: Shop) -> str:
    """What a summary shows, hashed: a Confirm tap is honoured only while it still holds."""
    shown = {
        "cart": [(line.sku, line.quantity) for line in cart],
        "answers": checkout.model_dump(
            mode="json",
            exclude={
                "asked",
                "summary_key",
                "summary_fingerprint",
                "updated_at",
                "ask_name",
                "reminded",
            },
        ),
        "total": totals(cart, checkout, shop).total,
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


def is_active(checkout: CheckoutState | None, now: datetime) -> bool:
    return checkout is not None and now - checkout.updated_at < IDLE


def with_defaults(checkout: CheckoutState, shop: Shop) -> CheckoutState:
    """Fill in every step that has one possible answer; drop answers that no longer fit."""
    update: dict[str, object] = {}
    ways = shop.fulfilments()
    fulfilment = checkout.fulfilment if checkout.fulfilment in ways else None
    if fulfilment is None and len(ways) == 1:
        fulfilment = ways[0]
    update["fulfilment"] = fulfilment
    zones = shop.settings.fulfilment.delivery.zones
    if fulfilment == "delivery" and checkout.zone is None and len(zones) == 1:
        update["zone"] = zones[0].id
    locations = shop.pickup_locations()
    if fulfilment == "pickup" and checkout.pickup_location is None and len(locations) == 1:
        update["pickup_location"] = locations[0]
    methods = shop.methods(fulfilment)
    method = checkout.payment_method if checkout.payment_method in methods else None
    if method is None and len(methods) == 1 and fulfilment is not None:
        method = methods[0]
    update["payment_method"] = method
    return checkout.model_copy(update=update)


def next_step(checkout: CheckoutState, shop: Shop) -> CheckoutStep:
    """The first step still missing an answer (the summary when none is)."""
    if checkout.fulfilment is None:
        return "fulfilment"
    if checkout.fulfilment == "delivery":
        if shop.zone(checkout.zone) is None:
            return "zone"
        if not checkout.address:
            return "address"
    elif checkout.pickup_location is None and shop.pickup_locations():
        return "pickup"
    if not checkout.name:
        return "name"
    if checkout.payment_method is None:
        return "payment"
    return "summary"


CLEARS: dict[str, tuple[str, ...]] = {
    "fulfilment": ("fulfilment", "zone", "pickup_location", "address", "latitude", "longitude",
                   "payment_method"),
    "zone": ("zone",),
    "pickup": ("pickup_location",),
    "address": ("address", "latitude", "longitude"),
    "name": ("name",),
    "payment": ("payment_method",),
}  # fmt: skip
"""What changing a step clears (the step asks again, then the summary comes back)."""


def cleared(checkout: CheckoutState, step: str) -> CheckoutState:
    fields = CLEARS.get(step, ())
    extra = {"ask_name": True} if step == "name" else {}
    return checkout.model_copy(update={**dict.fromkeys(fields), **extra})


def _pick(text: str, entities: Entities, options: list[str], names: list[str]) -> str | None:
    """An option by its position ("2", "the second") or by the words that set its name
    apart from the others ("centro", "pinheiros"); None when not exactly one fits."""
    position = entities.position
    if position is not None:
        index = len(options) - 1 if position == -1 else position - 1
        return options[index] if 0 <= index < len(options) else None
    if not names:
        return None
    words = set(tokens(text))
    name_words = [set(tokens(name)) for name in names]
    common = set.intersection(*name_words)
    scores = [len(words & (own - common)) for own in name_words]
    best = max(scores)
    return options[scores.index(best)] if best and scores.count(best) == 1 else None


Answer = CheckoutState | Literal["cancel", "change", "confirm"] | None


def typed_answer(
    checkout: CheckoutState,
    text: str,
    entities: Entities,
    shop: Shop,
    language: str,
    profile_name: str | None,
) -> Answer:
    """What a typed message answers to the step asked last (None: it answers nothing)."""
    step = checkout.asked
    if said(text, CANCEL_WORDS):
        return "cancel"
    if step == "summary":
        if said(text, CHANGE_WORDS):
            again = next((s for s, words in STEP_WORDS.items() if said(text, words)), None)
            return cleared(checkout, again) if again else "change"
        if said(text, CONFIRM_WORDS) or entities.affirmation == "yes":
            return "confirm"
        return None
    if step == "fulfilment":
        delivery, pickup = said(text, DELIVERY_WORDS), said(text, PICKUP_WORDS)
        ways = shop.fulfilments()
        if delivery != pickup:
            way = "delivery" if delivery else "pickup"
            return checkout.model_copy(update={"fulfilment": way}) if way in ways else None
        picked = _pick(text, entities, list(ways), [])
        return checkout.model_copy(update={"fulfilment": picked}) if picked else None
    if step == "zone":
        zones = shop.settings.fulfilment.delivery.zones
        names = [" ".join(zone.name.values()) for zone in zones]
        zone = _pick(text, entities, [zone.id for zone in zones], names)
        return checkout.model_copy(update={"zone": zone}) if zone else None
    if step == "pickup":
        locations = shop.pickup_locations()
        location = _pick(text, entities, locations, locations)
        return checkout.model_copy(update={"pickup_location": location}) if location else None
    if step == "address":
        address = text.strip()
        if len(address) < MIN_ADDRESS_CHARS:
            return None
        return checkout.model_copy(update={"address": address[:300], "latitude": None,
                                           "longitude": None})  # fmt: skip
    if step == "name":
        if entities.affirmation == "yes" and profile_name and not checkout.ask_name:
            return checkout.model_copy(update={"name": profile_name[:100]})
        if entities.affirmation == "no":
            return checkout.model_copy(update={"ask_name": True})
        if entities.affirmation is not None:
            return None  # "yes" to "what name?" is not a name
        name = " ".join(text.split())
        if not any(ch.isalpha() for ch in name) or len(name) > 100 or len(name.split()) > 6:
            return None
        return checkout.model_copy(update={"name": name})
    if step == "payment":
        methods = shop.methods(checkout.fulfilment)
        named = [m for m in methods if said(text, METHOD_WORDS.get(m, ()))]
        if len(named) == 1:
            return checkout.model_copy(update={"payment_method": named[0]})
        picked = _pick(text, entities, list(methods), [])
        return checkout.model_copy(update={"payment_method": picked}) if picked else None
    return None


def answers_step(checkout: CheckoutState, text: str, entities: Entities, shop: Shop) -> bool:
    """The message reads as an answer to a step with fixed options (not free text)."""
    if checkout.asked in {None, "address", "name"}:
        return said(text, CANCEL_WORDS)
    answer = typed_answer(checkout, text, entities, shop, "en", None)
    return answer is not None
