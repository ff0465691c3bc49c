"""The router prompt: a file in prompts/, rendered from the registry, identified by its hash."""

from __future__ import annotations

import pytest

from nodes.registry import default_registry
from nodes.router.llm import render_router_prompt
from prompts import Prompt, load_prompt


def test_the_router_prompt_lists_every_lane_with_examples_in_three_languages() -> None:
    rendered = render_router_prompt(list(default_registry()))
    for lane in ("info", "commerce", "support"):
        assert f"- `{lane}`:" in rendered.text
    assert "¿aceptan tarjeta?" in rendered.text and "quanto custa o café?" in rendered.text
    assert "$" not in rendered.text.replace("USD", "")  # every placeholder filled


def test_the_hash_identifies_the_exact_text() -> None:
    lanes = list(default_registry())
    assert render_router_prompt(lanes).short_hash == render_router_prompt(lanes).short_hash
    assert render_router_prompt(lanes[:2]).short_hash != render_router_prompt(lanes).short_hash
    assert len(render_router_prompt(lanes).short_hash) == 12


def test_a_missing_placeholder_is_a_prompt_bug() -> None:
    with pytest.raises(KeyError):
        load_prompt("router").render()
    assert Prompt("x", "hello $name").render(name="Ana").text == "hello Ana"
