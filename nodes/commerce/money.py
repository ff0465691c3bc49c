"""Money: integer minor units in storage, formatted per the tenant's locale and currency.

Amounts travel as integers of the currency's minor unit (cents, centavos), never as
floats: `to_minor(Decimal("12.5"), "USD") == 1250`. `format_money(1200, "USD", "en-US")`
is "USD 12.00", `format_money(1200, "EUR", "es-ES")` is "12,00 €", `format_money(1200,
"BRL", "pt-BR")` is "R$ 12,00".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
                          "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"})  # fmt: skip
"""ISO 4217 currencies without a minor unit (the same list payment providers use)."""
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

SEPARATORS: dict[str, tuple[str, str]] = {
    "en": (",", "."),
    "es": (".", ","),
    "es-MX": (",", "."),
    "es-US": (",", "."),
    "pt": (".", ","),
}
"""(thousands, decimal) per locale, falling back to the language."""

SUFFIX_LANGUAGES = frozenset({"es", "pt", "fr", "de", "it"})
"""Languages that write the euro sign after the amount ("12,00 €")."""


def exponent(currency: str) -> int:
    """Digits of the minor unit: 2 for USD, 0 for CLP/JPY, 3 for KWD."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def to_minor(amount: Decimal | int | float | str, currency: str) -> int:
    """Major units (12.5) to minor units (1250), rounding half up; floats via their repr."""
    value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    scaled = value.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    """Minor units (1250) to major units (Decimal("12.50"))."""
    digits = exponent(currency)
    return Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def _separators(locale: str) -> tuple[str, str]:
    normalized = locale.replace("_", "-")
    language = normalized.split("-", 1)[0].lower()
    return SEPARATORS.get(normalized) or SEPARATORS.get(language) or SEPARATORS["en"]


def _number(minor: int, currency: str, locale: str) -> str:
    thousands, decimal = _separators(locale)
    digits = exponent(currency)
    whole, _, fraction = f"{abs(to_major(minor, currency)):,.{digits}f}".partition(".")
    text = whole.replace(",", thousands) + (decimal + fraction if digits else "")
    return f"-{text}" if minor < 0 else text


def format_money(minor: int, currency: str, locale: str = "en-US") -> str:
    """The amount as a customer of `locale` reads it, unambiguous about the currency."""
    code = currency.upper()
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    number = _number(minor, code, locale)
    if code == "BRL":
        return f"R$ {number}"
    if code == "EUR":
        return f"{number} €" if language in SUFFIX_LANGUAGES else f"€{number}"
    if code == "GBP":
        return f"£{number}"
    return f"{code} {number}"
