"""A Pix "copia e cola" code (BR Code, EMV merchant-presented), built from a static key.

WhatsApp Payments' `pix_dynamic_code` needs the code the customer pastes in their bank
app. Without a payment service provider issuing one per charge, the tenant's own key
makes a valid code with the amount and our reference (`txid`) in it; the merchant
confirms the payment (admin API `mark_paid`) as for any Pix transfer.

Layout (Banco Central do Brasil, "Manual de Padrões para Iniciação do Pix"): ID-length-
value fields, the key under the GUI `br.gov.bcb.pix`, then CRC16-CCITT (0xFFFF) of
everything before it, field `63`.
"""

from __future__ import annotations

import re
import unicodedata

from nodes.commerce.money import to_major

GUI = "br.gov.bcb.pix"
MAX_NAME, MAX_CITY, MAX_TXID = 25, 15, 25


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"Pix field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def _plain(text: str, limit: int) -> str:
    """ASCII letters, digits and spaces (what every bank app reads), cut to `limit`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9 ]", "", ascii_text).strip()[:limit]


def crc16(payload: str) -> str:
    """CRC16-CCITT-FALSE (polynomial 0x1021, initial 0xFFFF), four uppercase hex digits."""
    crc = 0xFFFF
    for byte in payload.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def static_code(
    key: str, merchant_name: str, merchant_city: str, *, amount_minor: int | None, txid: str
) -> str:
    """The BR Code for paying `amount_minor` centavos to `key`, quoting `txid`."""
    fields = [
        _field("00", "01"),
        _field("26", _field("00", GUI) + _field("01", key)),
        _field("52", "0000"),
        _field("53", "986"),
    ]
    if amount_minor is not None:
        fields.append(_field("54", str(to_major(amount_minor, "BRL"))))
    reference = re.sub(r"[^A-Za-z0-9]", "", txid)[:MAX_TXID] or "***"
    fields += [
        _field("58", "BR"),
        _field("59", _plain(merchant_name, MAX_NAME)),
        _field("60", _plain(merchant_city, MAX_CITY)),
        _field("62", _field("05", reference)),
    ]
    payload = "".join(fields) + "6304"
    return payload + crc16(payload)
