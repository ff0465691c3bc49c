"""Order statuses and the transitions allowed between them.

    pending_payment ──> paid ──> preparing ──> shipped ──────────> delivered
          │               │          │     └─> ready_for_pickup ──┘
          │               └──────────┴──> shipped / ready_for_pickup (skip "preparing")
          └─> preparing  (pay on delivery / in store: the merchant accepts it unpaid)
    any status before shipped / ready_for_pickup ──> cancelled

`delivered` and `cancelled` are final. The order service enforces this table with a
compare-and-set UPDATE, so two writers can never both move an order.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, get_args

OrderStatus = Literal[
    "pending_payment",
    "paid",
    "preparing",
    "ready_for_pickup",
    "shipped",
    "delivered",
    "cancelled",
]
ORDER_STATUSES: tuple[OrderStatus, ...] = get_args(OrderStatus)

ALLOWED_FROM: Mapping[OrderStatus, frozenset[OrderStatus]] = MappingProxyType(
    {
        "pending_payment": frozenset(),
        "paid": frozenset({"pending_payment"}),
        "preparing": frozenset({"pending_payment", "paid"}),
        "shipped": frozenset({"paid", "preparing"}),
        "ready_for_pickup": frozenset({"paid", "preparing"}),
        "delivered": frozenset({"shipped", "ready_for_pickup"}),
        "cancelled": frozenset({"pending_payment", "paid", "preparing", "ready_for_pickup"}),
    }
)
"""`ALLOWED_FROM[to]`: the statuses an order may be in to move to `to`."""

FINAL: frozenset[OrderStatus] = frozenset({"delivered", "cancelled"})

ACTIONS: Mapping[str, OrderStatus] = MappingProxyType(
    {
        "mark_paid": "paid",
        "prepare": "preparing",
        "ship": "shipped",
        "ready": "ready_for_pickup",
        "deliver": "delivered",
        "cancel": "cancelled",
    }
)
"""The merchant's verbs (admin API) and the status each one moves an order to."""


def can_move(current: OrderStatus, to: OrderStatus) -> bool:
    return current in ALLOWED_FROM[to]
