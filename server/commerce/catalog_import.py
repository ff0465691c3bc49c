"""Parse catalog and stock files (CSV or JSON) into validated rows, with row-level errors.

A file is accepted whole or not at all: every row is checked first and any error refuses
the import, listing each one as `row N: field: problem`, so a merchant fixes the file in
one pass and a half-applied catalog never reaches customers.

Catalog CSV columns: `sku, name_en, name_es, name_pt, description_en, description_es,
description_pt, price, stock, keywords, active` (`sku`, `name_en`, `price`, `stock`
required; `keywords` separated by `|`; `active` true/false, default true). JSON: a list of
objects `{"sku", "name": {"en": ...} or "text", "description", "price", "stock",
"keywords": [...], "active"}` (or `{"products": [...]}`).

Stock files: CSV `sku, stock`, or JSON `[{"sku": ..., "stock": ...}]` / `{"SKU": 5}`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from nodes.commerce.money import exponent, to_minor
from server.commerce.catalog import ProductRow

Format = Literal["csv", "json"]
LANGUAGES = ("en", "es", "pt")
MAX_ROWS = 10_000
MAX_STOCK = 1_000_000
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
TRUE = {"true", "1", "yes", "y", "sí", "si", "sim"}
FALSE = {"false", "0", "no", "n", "não", "nao"}


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    """1-based data row (CSV: the header is row 0) or list index + 1 (JSON)."""
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


class ImportRejected(Exception):
    """The file was refused; nothing was changed. `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "; ".join(str(error) for error in errors[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} problem(s): {shown}{more}")


def detect_format(filename: str | None, content_type: str | None, data: bytes) -> Format:
    """JSON or CSV, from the file name, the content type, or the first character."""
    hint = f"{filename or ''} {content_type or ''}".lower()
    if "json" in hint:
        return "json"
    if "csv" in hint:
        return "csv"
    return "json" if data.lstrip()[:1] in (b"[", b"{") else "csv"


def _records(data: bytes, fmt: Format, key: str) -> list[Mapping[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowError(0, "file", "is not UTF-8 text")]) from exc
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise ImportRejected([RowError(0, "file", "is empty (no header row)")])
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
        return [dict(row) for row in reader]
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected([RowError(0, "file", f"is not valid JSON ({exc.msg})")]) from exc
    if isinstance(parsed, dict) and isinstance(parsed.get(key), list):
        parsed = parsed[key]
    if isinstance(parsed, dict) and key == "stock":
        return [{"sku": sku, "stock": units} for sku, units in parsed.items()]
    if not isinstance(parsed, list) or not all(isinstance(item, dict) for item in parsed):
        raise ImportRejected(
            [RowError(0, "file", f"must be a list of objects (or {{{key!r}: [...]}})")]
        )
    return parsed


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _localized(record: Mapping[str, Any], field: str) -> dict[str, str]:
    value = record.get(field)
    if isinstance(value, Mapping):
        return {lang: _text(value.get(lang)) for lang in LANGUAGES if _text(value.get(lang))}
    if isinstance(value, str) and value.strip():
        return {"en": value.strip()}
    columns = {lang: _text(record.get(f"{field}_{lang}")) for lang in LANGUAGES}
    return {lang: text for lang, text in columns.items() if text}


def _price(value: Any, currency: str, errors: list[RowError], row: int) -> int | None:
    raw = _text(value).replace(",", ".") if isinstance(value, str) else value
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        errors.append(RowError(row, "price", f"{_text(value)!r} is not a number"))
        return None
    if not amount.is_finite() or amount < 0:
        errors.append(RowError(row, "price", "must be zero or more"))
        return None
    if -amount.as_tuple().exponent > exponent(currency):  # type: ignore[operator]
        errors.append(RowError(row, "price", f"{currency} has {exponent(currency)} decimals"))
        return None
    return to_minor(amount, currency)


def _stock(value: Any, errors: list[RowError], row: int) -> int | None:
    text = _text(value)
    if isinstance(value, bool) or not re.fullmatch(r"\d+", text):
        errors.append(RowError(row, "stock", f"{text!r} is not a whole number ≥ 0"))
        return None
    units = int(text)
    if units > MAX_STOCK:
        errors.append(RowError(row, "stock", f"{units} is more than {MAX_STOCK}"))
        return None
    return units


def _sku(value: Any, seen: set[str], errors: list[RowError], row: int) -> str | None:
    sku = _text(value)
    if not SKU.match(sku):
        errors.append(RowError(row, "sku", f"{sku!r}: letters, digits, '.', '_' or '-' (≤ 100)"))
        return None
    if sku in seen:
        errors.append(RowError(row, "sku", f"{sku!r} appears twice in the file"))
        return None
    seen.add(sku)
    return sku


def _active(value: Any, errors: list[RowError], row: int) -> bool:
    if value is None or value == "" or isinstance(value, bool):
        return value if isinstance(value, bool) else True
    text = _text(value).lower()
    if text in TRUE | FALSE:
        return text in TRUE
    errors.append(RowError(row, "active", f"{text!r} is not true/false"))
    return True


def _keywords(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(_text(item) for item in value if _text(item))
    return tuple(word.strip() for word in _text(value).split("|") if word.strip())


def _checked_count(records: list[Mapping[str, Any]]) -> None:
    if not records:
        raise ImportRejected([RowError(0, "file", "has no rows")])
    if len(records) > MAX_ROWS:
        raise ImportRejected([RowError(0, "file", f"has {len(records)} rows; at most {MAX_ROWS}")])


def parse_products(data: bytes, fmt: Format, currency: str) -> list[ProductRow]:
    """Validated product rows, or `ImportRejected` listing every problem."""
    records = _records(data, fmt, "products")
    _checked_count(records)
    errors: list[RowError] = []
    rows: list[ProductRow] = []
    seen: set[str] = set()
    for index, record in enumerate(records, start=1):
        before = len(errors)
        sku = _sku(record.get("sku"), seen, errors, index)
        name = _localized(record, "name")
        if not name.get("en"):
            errors.append(RowError(index, "name_en", "an English name is required"))
        for lang, text in name.items():
            if len(text) > 200:
                errors.append(RowError(index, f"name_{lang}", "longer than 200 characters"))
        price = _price(record.get("price"), currency, errors, index)
        stock = _stock(record.get("stock"), errors, index)
        active = _active(record.get("active"), errors, index)
        if len(errors) == before and sku and price is not None and stock is not None:
            rows.append(
                ProductRow(
                    sku=sku,
                    name=name,
                    price_minor=price,
                    stock=stock,
                    description=_localized(record, "description"),
                    keywords=_keywords(record.get("keywords")),
                    active=active,
                )
            )
    if errors:
        raise ImportRejected(errors)
    return rows


def parse_stock(data: bytes, fmt: Format, known: Iterable[str]) -> list[tuple[str, int]]:
    """Validated (sku, stock) pairs for existing products, or `ImportRejected`."""
    records = _records(data, fmt, "stock")
    _checked_count(records)
    skus = set(known)
    errors: list[RowError] = []
    pairs: list[tuple[str, int]] = []
    seen: set[str] = set()
    for index, record in enumerate(records, start=1):
        sku = _sku(record.get("sku"), seen, errors, index)
        if sku is not None and sku not in skus:
            errors.append(RowError(index, "sku", f"{sku!r} is not in the catalog"))
            sku = None
        stock = _stock(record.get("stock"), errors, index)
        if sku is not None and stock is not None:
            pairs.append((sku, stock))
    if errors:
        raise ImportRejected(errors)
    return pairs
