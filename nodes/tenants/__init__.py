"""Tenant data: the business profile (hours, locations, FAQs) and the catalog, from YAML."""

from nodes.tenants.catalog import Catalog, Product, load_catalog
from nodes.tenants.hours import OpenStatus, open_status
from nodes.tenants.profile import (
    DEFAULT_TENANTS_DIR,
    TenantProfile,
    TenantsError,
    load_profile,
    load_profiles,
)

__all__ = [
    "DEFAULT_TENANTS_DIR",
    "Catalog",
    "OpenStatus",
    "Product",
    "TenantProfile",
    "TenantsError",
    "load_catalog",
    "load_profile",
    "load_profiles",
    "open_status",
]
