"""Prompt files and their loader.

Prompts are Markdown files next to this module (`prompts/<name>.md`) with `$placeholders`
(`string.Template`). A rendered prompt carries the SHA-256 of its exact text, which is logged
with every LLM decision so a routing change can be traced to a prompt change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class RenderedPrompt:
    name: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def short_hash(self) -> str:
        """First 12 hex digits of the SHA-256: enough to tell versions apart in logs."""
        return self.sha256[:12]


@dataclass(frozen=True)
class Prompt:
    name: str
    template: str

    def render(self, **values: str) -> RenderedPrompt:
        """Fill `$placeholders`; a missing value raises `KeyError` (a prompt bug)."""
        return RenderedPrompt(self.name, Template(self.template).substitute(values))


@lru_cache(maxsize=32)
def load_prompt(name: str) -> Prompt:
    """The prompt `prompts/<name>.md` (read once per process)."""
    return Prompt(name, (PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8"))


__all__ = ["PROMPTS_DIR", "Prompt", "RenderedPrompt", "load_prompt"]
