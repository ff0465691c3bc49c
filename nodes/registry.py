"""The lane registry: the one list of lanes that both the router and the graph read.

Adding a lane = one module exposing `build_subgraph()` + one `LaneSpec` here (or in a
registry you pass to `build_graph(registry=...)`). The graph adds a node per lane and the
edges to it; the LLM router's prompt lists each lane's description and examples; a lane's
`keywords` route to it directly, without a classifier retrain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graph.session.contract import Language
from nodes.text import has_phrase

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

SubgraphBuilder = Callable[[], "CompiledStateGraph[Any, Any, Any, Any]"]


@dataclass(frozen=True)
class LaneSpec:
    """One lane: its name, how to build its subgraph, and how to describe it to routers."""

    name: str
    build: SubgraphBuilder
    description: str
    """One or two sentences for the LLM router's prompt."""
    labels: Mapping[Language, str]
    """Button title per language (clarifying question, menu); at most 20 characters."""
    examples: Mapping[Language, tuple[str, ...]] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    """Folded phrases that send a message straight here (whole words), e.g. "reservation"."""

    def label(self, language: Language) -> str:
        return self.labels.get(language) or self.labels.get("en") or self.name

    def matches_keywords(self, text: str) -> bool:
        return bool(self.keywords) and has_phrase(text, self.keywords)


class LaneRegistry:
    """An ordered, immutable set of lanes; the first lanes are offered in menus."""

    def __init__(self, specs: Iterable[LaneSpec]):
        self._specs = {spec.name: spec for spec in specs}
        if not self._specs:
            raise ValueError("a registry needs at least one lane")

    def __iter__(self) -> Iterator[LaneSpec]:
        return iter(self._specs.values())

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def get(self, name: str) -> LaneSpec:
        return self._specs[name]

    def with_lane(self, spec: LaneSpec) -> LaneRegistry:
        """A new registry with `spec` added (or replacing the lane of the same name)."""
        return LaneRegistry([*(s for s in self if s.name != spec.name), spec])


def default_registry() -> LaneRegistry:
    """The shipped lanes: info, commerce, support (imported here to avoid import cycles)."""
    from nodes.lanes import commerce, info, support

    return LaneRegistry([info.SPEC, commerce.SPEC, support.SPEC])
