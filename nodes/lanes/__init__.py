"""The lanes: each module exposes `build_subgraph()` and a `SPEC` for the registry."""
