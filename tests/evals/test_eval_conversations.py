"""`convo eval conversations`: scripted conversations through the compiled graph."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from server.cli import main

Writer = Callable[[str, Iterable[Any]], Path]

FOLLOW_UPS = [
    {
        "id": "en-coffee",
        "lang": "en",
        "tags": ["follow-up", "switch"],
        "turns": [
            {"text": "hi, are you open today?", "lane": "info"},
            {"text": "i want to buy 2 bags of coffee beans", "lane": "commerce"},
            {"text": "ok", "lane": "commerce"},
        ],
    },
    {
        "id": "es-broken",
        "lang": "es",
        "tags": ["follow-up"],
        "extra": "ignored",
        "turns": [
            {"text": "mi pedido llegó roto", "lane": "support"},
            {"text": "sí", "lane": "support"},
        ],
    },
]

# Every turn should stay in support; the scripted router jumps to commerce once and back.
PING_PONG = [
    {
        "id": "ping-pong",
        "lang": "en",
        "turns": [
            {"text": "hello", "lane": "support"},
            {"text": "tell me <b>more</b> & more", "lane": "support"},
            {"text": "and then?", "lane": "support"},
        ],
    }
]


def run(*args: str | Path) -> int:
    return main(["eval", "conversations", *map(str, args)])


def test_follow_ups_stay_in_the_lane_through_the_real_graph(
    write_jsonl: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out, page = tmp_path / "c.json", tmp_path / "c.html"
    dataset = write_jsonl("convs.jsonl", FOLLOW_UPS)
    assert run("--dataset", dataset, "--report-json", out, "--report-html", page) in (0, 1)
    report = json.loads(out.read_text())
    assert (report["n"], report["n_conversations"]) == (5, 2)
    turns = {(c["id"], t["turn"]): t for c in report["conversations"] for t in c["turns"]}
    # "ok" and "sí" carry no lane of their own: the sticky lane answers them.
    assert (turns[("en-coffee", 3)]["method"], turns[("en-coffee", 3)]["predicted"]) == (
        "sticky",
        "commerce",
    )
    assert turns[("es-broken", 2)]["method"] == "sticky"
    # Conversations run on separate threads: the second starts without a sticky lane.
    assert turns[("es-broken", 1)]["method"] != "sticky"
    assert report["follow_up_turns"]["n"] == 3
    assert set(report["per_tag"]) == {"follow-up", "switch"}
    assert "heatmap" in page.read_text()


def test_ping_pong_is_counted_and_gated(
    write_jsonl: Writer,
    make_router: Callable[[Mapping[str, tuple[str, str]]], Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    router = make_router(
        {
            "hello": ("support", "offline"),
            "tell me <b>more</b> & more": ("commerce", "offline"),
            "and then?": ("support", "offline"),
        }
    )
    monkeypatch.setattr("evals.routers.build_eval_router", lambda mode, settings, **knobs: router)
    out, page = tmp_path / "c.json", tmp_path / "c.html"
    code = run(
        "--report-html",
        page,
        "--dataset",
        write_jsonl("convs.jsonl", PING_PONG),
        "--report-json",
        out,
        "--min-accuracy",
        "0.9",
    )
    report = json.loads(out.read_text())
    assert code == 1
    assert "accuracy 0.667 is below --min-accuracy 0.900" in capsys.readouterr().out
    assert router.calls == ["hello", "tell me <b>more</b> & more", "and then?"]
    assert report["accuracy"] == pytest.approx(2 / 3)
    assert report["needless_switches"] == 2  # support -> commerce -> support
    assert report["conversations_with_ping_pong"] == 1
    assert report["conversations_all_correct"] == 0.0
    assert report["conversations"][0]["turns"][1]["predicted"] == "commerce"
    transcript = page.read_text()
    assert "ping-pong (en; no tags) · 2 needless switch(es)" in transcript
    assert "tell me &lt;b&gt;more&lt;/b&gt; &amp; more" in transcript
    assert "<b>more" not in transcript


def test_bad_conversation_row_exits_2(
    write_jsonl: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = write_jsonl("convs.jsonl", [{"id": "x", "lang": "en", "turns": []}])
    assert run("--dataset", dataset) == 2
    assert ":1: turns:" in capsys.readouterr().err


def test_needless_switch_rate_is_gated(
    write_jsonl: Writer,
    make_router: Callable[[Mapping[str, tuple[str, str]]], Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    router = make_router(
        {
            "hello": ("support", "offline"),
            "tell me <b>more</b> & more": ("commerce", "offline"),
            "and then?": ("support", "offline"),
        }
    )
    monkeypatch.setattr("evals.routers.build_eval_router", lambda mode, settings, **knobs: router)
    out = tmp_path / "c.json"
    dataset = write_jsonl("convs.jsonl", PING_PONG)
    code = run("--dataset", dataset, "--report-json", out, "--max-needless-switch-rate", "0.5")
    assert code == 1
    assert json.loads(out.read_text())["needless_switch_rate"] == 1.0  # 2 of 2 follow-ups
    assert "--max-needless-switch-rate 0.500" in capsys.readouterr().out
    assert run("--dataset", dataset, "--max-needless-switch-rate", "1.0") == 0


def test_without_a_dataset_the_dev_and_frozen_sets_run_and_only_the_frozen_one_gates(
    write_jsonl: Writer,
    make_router: Callable[[Mapping[str, tuple[str, str]]], Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    dev = write_jsonl("dev.jsonl", PING_PONG)  # 2 of 3 turns right
    test = write_jsonl("test.jsonl", [{**PING_PONG[0], "turns": PING_PONG[0]["turns"][:1]}])
    monkeypatch.setattr("evals.commands.DEFAULT_CONVERSATION_SETS", {"dev": dev, "test": test})
    router = make_router(
        {
            "hello": ("support", "offline"),
            "tell me <b>more</b> & more": ("commerce", "offline"),
            "and then?": ("support", "offline"),
        }
    )
    monkeypatch.setattr("evals.routers.build_eval_router", lambda mode, settings, **knobs: router)
    out = tmp_path / "c.json"
    assert run("--report-json", out, "--min-accuracy", "0.9") == 0  # the frozen set: 1/1
    assert json.loads((tmp_path / "c-dev.json").read_text())["accuracy"] == pytest.approx(2 / 3)
    assert json.loads((tmp_path / "c-test.json").read_text())["accuracy"] == 1.0
    test.write_text(dev.read_text(), encoding="utf-8")
    assert run("--report-json", out, "--min-accuracy", "0.9") == 1
