"""The Grafana dashboard (`ops/grafana/convo.json`) and the README's PromQL only use metric
names and labels the service exports: renaming a metric without them fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client.metrics import MetricWrapperBase

from server import metrics

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "ops" / "grafana" / "convo.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
NAME = re.compile(r"\bconvo_[a-z_]+\b")
SELECTOR = re.compile(r"\b(convo_[a-z_]+)\{([^}]*)\}")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


def exported() -> dict[str, set[str]]:
    """Every series name the service exports -> its label names (histograms add `le`)."""
    series: dict[str, set[str]] = {"convo_queue_jobs": {"state"}}  # read at scrape time
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            labels = set(value._labelnames)
            for suffix in SUFFIXES[value._type]:
                extra = {"le"} if suffix == "_bucket" else set()
                series[value._name + suffix] = labels | extra
    return series


def dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def readme_queries() -> list[str]:
    """The PromQL blocks of the README's "Key metrics" section."""
    text = (REPO / "README.md").read_text()
    section = text.split("### Key metrics", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```promql\n(.*?)```", section, re.S)


def problems(query: str, series: dict[str, set[str]]) -> list[str]:
    found = []
    names = set(NAME.findall(query))
    for name in names - series.keys():
        found.append(f"unknown metric {name}")
    for name, matchers in SELECTOR.findall(query):
        for label in re.findall(r"([a-z_]+)\s*(?:=~|!~|!=|=)", matchers):
            if name in series and label not in series[name]:
                found.append(f"{name} has no label {label}")
    known_labels = set().union(*(series.get(name, set()) for name in names))
    for group in GROUPING.findall(query):
        for label in filter(None, (part.strip() for part in group.split(","))):
            if label not in known_labels:
                found.append(f"no metric of this query has the label {label}")
    return found


def test_the_dashboard_is_valid_json_with_queries() -> None:
    queries = dashboard_queries()
    assert len(queries) >= 20
    assert all(NAME.search(query) for query in queries)


@pytest.mark.parametrize("source", ["dashboard", "readme"])
def test_every_metric_and_label_a_query_uses_exists(source: str) -> None:
    queries = dashboard_queries() if source == "dashboard" else readme_queries()
    assert queries, f"no queries found in the {source}"
    series = exported()
    wrong = {query: found for query in queries if (found := problems(query, series))}
    assert not wrong, wrong


def test_the_check_catches_a_renamed_metric_or_label() -> None:
    series = exported()
    assert problems("sum(rate(convo_turns_total[5m]))", series) == []
    assert problems("sum(rate(convo_turn_total[5m]))", series) == [
        "unknown metric convo_turn_total"
    ]
    assert problems('sum(rate(convo_turns_total{lane_name="info"}[5m]))', series) == [
        "convo_turns_total has no label lane_name"
    ]
    assert problems("sum by (route) (rate(convo_turns_total[5m]))", series) == [
        "no metric of this query has the label route"
    ]


def test_every_exported_metric_is_on_the_dashboard() -> None:
    """A new metric gets a panel (or is deliberately left off here)."""
    used = {name for query in dashboard_queries() for name in NAME.findall(query)}
    families = {
        value._name: {value._name + suffix for suffix in SUFFIXES[value._type]}
        for value in vars(metrics).values()
        if isinstance(value, MetricWrapperBase)
    } | {"convo_queue_jobs": {"convo_queue_jobs"}}
    missing = sorted(family for family, names in families.items() if not names & used)
    assert not missing, f"metrics without a dashboard panel: {missing}"
