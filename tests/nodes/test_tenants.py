"""Tenant data is checked when it is loaded, not when a customer's turn trips over it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from nodes.tenants import DEFAULT_TENANTS_DIR, load_catalog, load_profile
from nodes.tenants.catalog import Catalog
from nodes.tenants.profile import Faq, TenantsError

MUG = {"sku": "MUG", "name": {"en": "Mug", "es": "Taza"}, "price": 12.0, "stock": 3}


def test_the_shipped_demo_data_is_valid() -> None:
    catalog = load_catalog(load_profile("100200300400500"))
    assert len({p.sku for p in catalog.products}) == len(catalog.products) > 1


def test_repeated_skus_are_refused_because_they_become_list_row_ids() -> None:
    with pytest.raises(ValidationError, match="SKUs must be unique; repeated: MUG"):
        Catalog.model_validate({"products": [MUG, {**MUG, "price": 9.0}]})


def test_english_is_required_as_the_fallback_text() -> None:
    with pytest.raises(ValidationError, match="English"):
        Catalog.model_validate({"products": [{**MUG, "name": {"es": "Taza"}}]})
    with pytest.raises(ValidationError, match="English"):
        Faq(id="returns", keywords=["devolucion"], answer={"es": "30 días"})
    assert Catalog.model_validate({"products": [MUG]}).products[0].label("pt") == "Mug"


def test_a_bad_catalog_file_is_a_tenants_error(tmp_path: Path) -> None:
    profile = yaml.safe_load((DEFAULT_TENANTS_DIR / "demo.yaml").read_text())
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(profile))
    (tmp_path / profile["catalog"]).write_text(yaml.safe_dump({"products": [MUG, MUG]}))
    with pytest.raises(TenantsError, match="SKUs must be unique"):
        load_catalog(load_profile("100200300400500", str(tmp_path)))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "between 0 \\(off\\) and 10000 milliseconds, got -1"),
        (60_000, "between 0 \\(off\\) and 10000 milliseconds, got 60000"),
        ("1500ms", "a whole number of milliseconds, got '1500ms'"),
        (1.5, "a whole number of milliseconds, got 1.5"),
    ],
)
def test_a_bad_burst_window_is_refused_naming_the_file_and_field(
    tmp_path: Path, value: object, message: str
) -> None:
    profile = yaml.safe_load((DEFAULT_TENANTS_DIR / "demo.yaml").read_text(encoding="utf-8"))
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump({**profile, "burst_window_ms": value}))
    with pytest.raises(TenantsError, match=f"demo.yaml(.|\\n)*burst_window_ms(.|\\n)*{message}"):
        load_profile("demo", tmp_path)


def test_the_burst_window_defaults_to_off() -> None:
    assert load_profile("demo").burst_window_ms == 0
