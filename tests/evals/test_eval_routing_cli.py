"""`convo eval routing` end to end with a scripted router: reports, gates, compare, HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nodes.router import RouterConfig
from server.cli import main

SCRIPT_TEXT = '<b>refund</b> & "now" <script>alert(1)</script>'


def run(*args: str | Path) -> int:
    return main(["eval", "routing", *map(str, args)])


def test_run_writes_json_with_the_agreed_keys(
    routing_dataset: Path, scripted_router: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    assert run("--dataset", routing_dataset, "--report-json", out) == 0
    report = json.loads(out.read_text())
    # 6 rows: right on lines 1, 3, 5; line 2 misrouted, 4 clarified, 6 misrouted.
    assert report["n"] == 6
    assert report["accuracy"] == 0.5
    assert report["clarified"] == 1
    assert report["answered_accuracy"] == pytest.approx(3 / 5)
    assert report["per_lane"]["support"]["recall"] == 0.5
    assert report["per_language"]["es"] == {"n": 2, "correct": 1, "accuracy": 0.5}
    assert report["confusion"]["commerce"]["clarify"] == 1
    assert report["per_intent"] == {"info/hours": {"n": 1, "correct": 1, "accuracy": 1.0}}
    assert report["macro_f1"] > 0
    assert [row["line"] for row in report["misrouted"]] == [2, 4, 6]
    assert report["router"] == "offline"
    assert report["dataset"]["path"] == str(routing_dataset)
    assert len(report["dataset"]["sha256"]) == 64
    assert report["created_at"]
    assert "git_commit" in report
    assert report["latency_ms"]["p95"] >= report["latency_ms"]["p50"] >= 0
    assert report["tokens"] is None
    printed = capsys.readouterr().out
    assert "accuracy" in printed
    assert "50.0%" in printed
    assert "Misrouted (3" in printed


def test_min_accuracy_gate_fails_with_exit_1(
    routing_dataset: Path, scripted_router: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--dataset", routing_dataset, "--min-accuracy", "0.6") == 1
    assert "accuracy 0.500 is below --min-accuracy 0.600" in capsys.readouterr().out


def test_lane_recall_gate_names_the_lane(
    routing_dataset: Path, scripted_router: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        "--dataset",
        routing_dataset,
        "--min-lane-recall",
        "info=0.5",
        "--min-lane-recall",
        "support=0.9",
    )
    printed = capsys.readouterr().out
    assert code == 1
    assert "lane 'support' recall 0.500 is below --min-lane-recall support=0.900" in printed
    assert "'info'" not in printed


def test_met_thresholds_pass(
    routing_dataset: Path, scripted_router: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run("--dataset", routing_dataset, "--min-accuracy", "0.5", "--min-lane-recall", "info=0.5")
        == 0
    )
    assert "PASS" in capsys.readouterr().out


def test_bad_lane_minimum_is_a_usage_error(routing_dataset: Path, scripted_router: Any) -> None:
    with pytest.raises(SystemExit) as caught:
        run("--dataset", routing_dataset, "--min-lane-recall", "support")
    assert caught.value.code == 2


def test_bad_dataset_exits_2_naming_the_line(
    write_jsonl: Any, scripted_router: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl("bad.jsonl", [{"text": "hi", "lane": "info", "lang": "en"}, {"text": "x"}])
    assert run("--dataset", path) == 2
    assert ":2: missing required key 'lane'" in capsys.readouterr().err


def test_llm_mode_without_a_key_is_refused(
    routing_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--dataset", routing_dataset, "--router", "llm") == 2
    err = capsys.readouterr().err
    assert "needs an LLM" in err
    assert "OPENAI_API_KEY" in err


def test_a_failing_row_is_counted_as_misrouted(
    write_jsonl: Any, scripted_router: Any, tmp_path: Path
) -> None:
    rows = [
        {"text": "what time do you close?", "lane": "info", "lang": "en"},
        {"text": "unknown to the router", "lane": "info", "lang": "en"},
    ]
    out = tmp_path / "r.json"
    assert run("--dataset", write_jsonl("rows.jsonl", rows), "--report-json", out) == 0
    report = json.loads(out.read_text())
    assert report["accuracy"] == 0.5
    assert report["methods"]["error"] == 1
    assert report["misrouted"][0]["error"].startswith("KeyError")


def test_every_row_failing_exits_2(write_jsonl: Any, scripted_router: Any) -> None:
    path = write_jsonl("rows.jsonl", [{"text": "nobody knows", "lane": "info", "lang": "en"}])
    assert run("--dataset", path) == 2


def test_html_has_the_heat_map_and_escaped_text(
    routing_dataset: Path, scripted_router: Any, tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    assert run("--dataset", routing_dataset, "--report-html", out) == 0
    page = out.read_text()
    assert '<table class="heatmap">' in page
    assert "background:rgba(" in page  # shaded cells
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page
    assert "&lt;b&gt;refund&lt;/b&gt; &amp; &quot;now&quot;" in page
    assert "http" not in page.lower().replace("http-equiv", "")  # no external assets


def test_compare_shows_deltas_and_changed_rows(
    routing_dataset: Path,
    scripted_router: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before, after, diff = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "diff.json"
    run("--dataset", routing_dataset, "--report-json", before)
    # The new "router" fixes the shipping question and breaks the pizza order.
    scripted_router.answers["do you ship to Lima?"] = ("info", "llm")
    scripted_router.answers["quiero 2 pizzas"] = ("support", "llm")
    scripted_router.answers["cancela mi pedido"] = ("commerce", "llm")
    run("--dataset", routing_dataset, "--report-json", after)
    capsys.readouterr()
    assert run("--compare", before, after, "--report-json", diff) == 0
    printed = capsys.readouterr().out
    comparison = json.loads(diff.read_text())
    assert comparison["accuracy"]["delta"] == pytest.approx(1 / 6)
    assert comparison["per_lane_recall"]["commerce"]["before"] == 0.5
    assert comparison["per_lane_recall"]["commerce"]["after"] == 0.5
    assert comparison["per_lane_recall"]["info"]["delta"] == 0.5
    assert [r["text"] for r in comparison["newly_misrouted"]] == ["quiero 2 pizzas"]
    assert [(r["text"], r["before"]) for r in comparison["newly_fixed"]] == [
        ("do you ship to Lima?", "commerce"),
        ("cancela mi pedido", "clarify"),
    ]
    assert comparison["same_dataset"] is True
    assert comparison["latency_p50_ms"]["before"] >= 0
    assert comparison["llm_tokens"] is None  # no LLM in either run
    assert "+16.7 pts" in printed
    assert "Newly misrouted (1)" in printed
    assert "quiero 2 pizzas" in printed


def test_compare_refuses_a_file_that_is_not_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text('{"hello": 1}')
    assert run("--compare", bogus, bogus) == 2
    assert "not a routing report" in capsys.readouterr().err


def test_router_knobs_reach_the_real_router(
    routing_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The offline router, asked to be sure of everything, asks a question on every row."""
    out = tmp_path / "r.json"
    assert (
        run("--dataset", routing_dataset, "--report-json", out, "--router-min-confidence", "1.0")
        == 0
    )
    report = json.loads(out.read_text())
    assert report["router_config"]["min_confidence"] == 1.0
    # untouched knobs keep the service's default
    assert report["router_config"]["sticky_margin"] == RouterConfig().sticky_margin
    assert report["clarification_rate"] == 1.0
    assert report["accuracy"] == 0.0
    assert "min_confidence 1.0" in capsys.readouterr().out


def test_compare_gate_on_an_accuracy_drop(
    routing_dataset: Path,
    scripted_router: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before, after = tmp_path / "a.json", tmp_path / "b.json"
    run("--dataset", routing_dataset, "--report-json", before)
    scripted_router.answers["quiero 2 pizzas"] = ("info", "llm")  # 3/6 right -> 2/6
    run("--dataset", routing_dataset, "--report-json", after)
    capsys.readouterr()
    assert run("--compare", before, after, "--max-accuracy-drop", "0.2") == 0
    assert run("--compare", before, after, "--max-accuracy-drop", "0.1") == 1
    assert "accuracy fell 16.7 pts, more than --max-accuracy-drop 0.1" in capsys.readouterr().out
    assert run("--compare", after, before, "--max-accuracy-drop", "0") == 0  # an improvement


def test_unfamiliar_rows_are_scored_apart(
    routing_dataset: Path,
    scripted_router: Any,
    write_jsonl: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Train holds copies of lines 1 and 2: the other four rows are unfamiliar.
    train = write_jsonl(
        "train.jsonl",
        [
            {"text": "what time do you close?", "lane": "info", "lang": "en"},
            {"text": "do you ship to Lima??", "lane": "info", "lang": "en"},
        ],
    )
    out, page = tmp_path / "r.json", tmp_path / "r.html"
    args = ("--dataset", routing_dataset, "--train", train, "--report-json", out)
    assert run(*args, "--report-html", page, "--min-unfamiliar-accuracy", "0.5") == 0
    familiarity = json.loads(out.read_text())["familiarity"]
    assert familiarity["unfamiliar_below"] == 0.8
    assert familiarity["train"] == str(train)
    # Unfamiliar: lines 3 (right), 4 (clarified), 5 (right), 6 (misrouted).
    assert familiarity["unfamiliar"]["n"] == 4
    assert familiarity["unfamiliar"]["accuracy"] == 0.5
    assert familiarity["unfamiliar"]["per_language"]["es"]["accuracy"] == 0.5
    assert familiarity["familiar"]["n"] == 2
    assert familiarity["familiar"]["accuracy"] == 0.5
    assert "accuracy on unfamiliar" in capsys.readouterr().out
    assert "Unfamiliar rows" in page.read_text()
    assert run(*args, "--min-unfamiliar-accuracy", "0.6") == 1
    assert "accuracy on unfamiliar rows 0.500 is below" in capsys.readouterr().out


def test_familiarity_can_be_skipped(
    routing_dataset: Path, scripted_router: Any, tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    assert run("--dataset", routing_dataset, "--train", "none", "--report-json", out) == 0
    assert json.loads(out.read_text())["familiarity"] is None
