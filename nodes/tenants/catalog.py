"""The tenant's product catalog (a YAML file named by the profile)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from graph.session.contract import Language
from nodes.tenants.profile import TenantProfile, TenantsError, require_english
from nodes.text import tokens


class Product(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    name: dict[Language, str]
    description: dict[Language, str] = Field(default_factory=dict)
    price: float = Field(ge=0)
    stock: int = Field(ge=0)
    keywords: list[str] = Field(default_factory=list)

    _name_has_english = field_validator("name")(require_english)

    def label(self, language: Language) -> str:
        return self.name.get(language) or self.name["en"]

    def words(self) -> set[str]:
        found = {word for name in self.name.values() for word in tokens(name)}
        return found | {word for keyword in self.keywords for word in tokens(keyword)}


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    currency: str = "USD"
    products: list[Product]

    @field_validator("products")
    @classmethod
    def _unique_skus(cls, products: list[Product]) -> list[Product]:
        """A SKU is a list row id, and WhatsApp refuses a list with two equal row ids."""
        skus = [p.sku for p in products]
        repeated = sorted({sku for sku in skus if skus.count(sku) > 1})
        if repeated:
            raise ValueError(f"SKUs must be unique; repeated: {', '.join(repeated)}")
        return products

    def get(self, sku: str) -> Product | None:
        return next((p for p in self.products if p.sku == sku), None)

    def search(self, text: str) -> list[Product]:
        """Products named in `text`, best match first (shared distinctive words)."""
        words = {w for w in tokens(text) if len(w) > 2}
        scored = [(len(words & product.words()), product) for product in self.products]
        best = max((score for score, _ in scored), default=0)
        return [product for score, product in scored if score and score == best]


@lru_cache(maxsize=16)
def _read(path: Path) -> Catalog:
    try:
        return Catalog.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, ValidationError) as exc:
        raise TenantsError(f"catalog {path}: {exc}") from exc


def load_catalog(profile: TenantProfile) -> Catalog:
    """The profile's catalog; an empty one when the tenant sells nothing."""
    if profile.catalog is None or profile.source_dir is None:
        return Catalog(products=[])
    return _read((profile.source_dir / profile.catalog).resolve())
