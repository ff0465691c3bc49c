"""The lanes: each module exposes a handler table and a `SPEC` for the registry."""
