"""A Brazilian tenant that sells through WhatsApp Payments (BRL, Pix key, pickup), for tests.

(Lives at tests/ so lane and server tests can both import it.)
"""

from __future__ import annotations

from pathlib import Path

import yaml

PHONE_NUMBER_ID = "100200300400500"

PROFILE = {
    "tenant_id": "padaria",
    "default": True,
    "name": "Padaria Sol",
    "phone_number_ids": [PHONE_NUMBER_ID],
    "timezone": "America/Sao_Paulo",
    "catalog": "padaria_catalog.yaml",
    "hours": {day: [["07:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}
    | {"sun": []},
    "locations": [{"name": "Padaria Sol Centro", "address": "Rua Direita 10, São Paulo"}],
    "commerce": {
        "currency": "BRL",
        "locale": "pt-BR",
        "order_prefix": "P",
        "first_order_number": 501,
        "fulfilment": {"pickup": {"enabled": True}},
        "payment_methods": ["pix", "pay_in_store"],
        "pix": {"key": "12345678000199", "key_type": "CNPJ", "merchant_name": "Padaria Sol",
                "merchant_city": "SAO PAULO"},
        "whatsapp_payments": {"enabled": True, "pay_with": "pix"},
    },
}  # fmt: skip

CATALOG = {
    "currency": "BRL",
    "products": [
        {"sku": "PAO-QUEIJO", "name": {"en": "Cheese bread", "es": "Pan de queso",
                                       "pt": "Pão de queijo"},
         "description": {}, "price": 4.5, "stock": 50, "keywords": ["pao", "queijo"]},
        {"sku": "BOLO-FUBA", "name": {"en": "Cornmeal cake", "es": "Bizcocho de maíz",
                                      "pt": "Bolo de fubá"},
         "description": {}, "price": 22.0, "stock": 5, "keywords": ["bolo", "fuba"]},
    ],
}  # fmt: skip


def write_br_tenant(folder: Path) -> str:
    """Write the tenant's profile and catalog into `folder`; the folder, for tenants_dir."""
    (folder / "padaria.yaml").write_text(yaml.safe_dump(PROFILE, allow_unicode=True), "utf-8")
    (folder / "padaria_catalog.yaml").write_text(
        yaml.safe_dump(CATALOG, allow_unicode=True), "utf-8"
    )
    return str(folder)
