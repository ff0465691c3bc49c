"""The README works for someone who has never seen the project: its commands run as written
on Linux, its example tenant files load, and it speaks of the service, not of its history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nodes.tenants import load_catalog, load_profiles
from server.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def code_blocks(language: str | None = None, text: str = README) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if language is None or lang == language]


def section(title: str) -> str:
    start = README.index(f"\n## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def command_lines() -> list[str]:
    lines = []
    for block in code_blocks():
        for line in block.splitlines():
            lines.append(line.removeprefix("$ ").strip())
    return lines


def test_commands_name_the_installed_program_not_a_bare_convo() -> None:
    bare = [line for line in command_lines() if re.match(r"convo (?!listening|:)", line)]
    assert not bare, f"`convo` is not on PATH after make install; write .venv/bin/convo: {bare}"
    in_tables = re.findall(r"^\| `convo [a-z-]+", README, re.M)
    assert not in_tables, in_tables


def test_no_macos_only_commands() -> None:
    assert not [line for line in command_lines() if re.match(r"open\s", line)]


def test_every_convo_command_shown_exists() -> None:
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    shown = set(re.findall(r"\.venv/bin/convo ([a-z][a-z-]*)", README))
    assert shown - commands == set(), shown - commands


@pytest.mark.parametrize(
    "history",
    [r"\bPhase \d", r"original system", r"\b[Ii]ssue \d+", r"the issue asks", r"later issue"],
)
def test_no_vocabulary_from_the_projects_history(history: str) -> None:
    found = [m.group(0) for m in re.finditer(rf".{{0,40}}{history}.{{0,40}}", README)]
    assert not found, found


def test_the_example_tenant_files_load(tmp_path: Path) -> None:
    """The minimal profile and the catalog of *Tenant files*, as a newcomer would copy them."""
    profile, catalog = code_blocks("yaml", section("Tenant files"))
    (tmp_path / "shop.yaml").write_text(profile + "catalog: shop_catalog.yaml\n")
    (tmp_path / "shop_catalog.yaml").write_text(catalog)
    (loaded,) = load_profiles(tmp_path)
    assert loaded.tenant_id == "shop" and loaded.phone_number_ids == ["106540352242922"]
    assert loaded.hours["mon"] == [("09:00", "13:00"), ("16:00", "20:00")]
    assert [p.sku for p in load_catalog(loaded).products] == ["MUG-BLUE"]


def test_every_profile_key_is_documented() -> None:
    """A new key of the profile gets a row in the table of *Tenant files*."""
    from nodes.tenants.profile import HandoffProfile, TenantProfile

    table = section("Tenant files")
    keys = set(TenantProfile.model_fields) - {"source_dir"}
    keys |= {f"handoff.{key}" for key in HandoffProfile.model_fields}
    missing = sorted(key for key in keys if key.split(".")[-1] not in table)
    assert not missing, missing
