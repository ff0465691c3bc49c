"""Markers for the graph tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "studio: starts `langgraph dev` (LangGraph Studio's API server) as a subprocess"
    )
