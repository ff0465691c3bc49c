"""`make bench`'s one table: every target row, computed from the benchmarks' JSON, and the
README's bench block replaced from it (no benchmark runs here: the JSON is written by hand)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.summary import (
    MET,
    MISSING,
    NOT_MET,
    README_HEADER,
    TABLE_END,
    TABLE_START,
    main,
    replace_readme_block,
    summary_of,
    table,
)


def runs(**values: list[float]) -> dict[str, list[float]]:
    return values


RESULTS = {
    "webhook_throughput": {
        "load_average": 2.0,
        "rate": 320.0,
        "targets": {
            "bare FastAPI": runs(
                max_rps=[1000, 1100],
                rate_p50=[1.5, 1.7],
                rate_p99=[8, 9],
                rate_over_1s=[0, 0],
                rate_errors=[0, 0],
                serial_p50=[0.5, 0.6],
                cpu_ms=[0.5, 0.5],
            ),
            "convo, SQLite": runs(
                max_rps=[400, 420],
                rate_p50=[3, 4],
                rate_p99=[50, 60],
                rate_over_1s=[0, 0],
                rate_errors=[0, 0],
                serial_p50=[2, 2.2],
                cpu_ms=[1.5, 1.6],
            ),
        },
    },
    "turn_cpu": {"load_average": 2.0, "bare": [4.0], "memory": [14.0], "full": [21.0]},
    "understanding": {
        "load_average": 2.0,
        "models": {
            "baseline": {"predict": {"cpu_p50_ms": 7.0}, "route": {"cpu_p50_ms": 8.0}},
            "current": {"predict": {"cpu_p50_ms": 5.0}, "route": {"cpu_p50_ms": 6.0}},
        },
    },
    "state_cost": {
        "load_average": 2.0,
        "turns": 100,
        "snapshot_at": 20,
        "configurations": {
            "minimal Redis turn": {"commands_max": 10, "round_trips_max": 5},
            "chosen, real conversation graph: full controller turn": {
                "commands_max": 17,
                "round_trips_max": 2,
                "bytes_at_snapshot": 8000,
                "bytes": 8100,
                "state_json": 4000,
            },
        },
    },
    "worker_llm": {
        "load_average": 2.0,
        "llm_seconds": 0.5,
        "rows": [
            {
                "max_jobs": 10,
                "answered": 120,
                "customers": 120,
                "rate": 17.0,
                "ideal": 20.0,
                "cpu_ms": 40.0,
            }
        ],
    },
    "startup": {
        "load_average": 2.0,
        "bare": [1.0, 1.2],
        "web": [1.8, 2.0],
        "serve_warm": {"healthz": [2.5, 2.6], "turn": [5.0, 5.5], "readyz": [4.0, None]},
        "serve_cold": {"healthz": 2.7, "turn": 12.0, "readyz": None},
    },
}


def row_of(text: str, start: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if line.startswith(f"| {start}")]
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_each_target_is_judged_from_the_numbers() -> None:
    text = table(RESULTS)
    assert row_of(text, "webhook max req/s (32 connections), SQLite")[3:] == [
        "0.39×",
        "≥ 0.3× bare",
        MET,
    ]
    assert row_of(text, "webhook max req/s (32 connections), PostgreSQL")[-1] == MISSING
    assert row_of(text, "webhook at 320 req/s offered, SQLite")[-1] == MET
    assert row_of(text, "full turn")[3] == "1.50× / 5.25×"
    assert row_of(text, "full turn")[-1] == NOT_MET  # 21 / 14 > 1.3
    assert row_of(text, "Redis per controller turn")[1:2] == ["17 / 2"]
    assert row_of(text, "Redis per controller turn")[-1] == MET
    assert row_of(text, "bytes kept per session")[-1] == MET  # 2.0×, +1.2%
    assert row_of(text, "one worker")[-1] == MET  # 17 / 20 = 0.85
    assert row_of(text, "start to /healthz 200, web app")[-1] == MET  # 1.9 / 1.1
    assert row_of(text, "start to /healthz 200, `convo serve`")[-1] == NOT_MET  # 2.55 / 1.1
    assert row_of(text, "start to the first answered turn")[-1] == MET
    assert "8 of 10 targets met" in text


def test_a_missing_benchmark_is_reported_and_fails_the_run(tmp_path: Path) -> None:
    folder = tmp_path / "json"
    folder.mkdir()
    for name, data in RESULTS.items():
        if name != "turn_cpu":
            (folder / f"{name}.json").write_text(json.dumps(data))
    readme = tmp_path / "README.md"
    original = "intro\n<!-- bench:start (old) -->\nold table\n<!-- bench:end -->\nrest\n"
    readme.write_text(original)
    out = tmp_path / "bench.md"
    assert main(["--results", str(folder), "--out", str(out), "--readme", str(readme)]) == 1
    assert row_of(out.read_text(), "full turn")[-1] == MISSING
    assert readme.read_text() == original


def test_the_readme_block_is_replaced_from_the_report(tmp_path: Path) -> None:
    folder = tmp_path / "json"
    folder.mkdir()
    for name, data in RESULTS.items():
        (folder / f"{name}.json").write_text(json.dumps(data))
    details = tmp_path / "details.md"
    details.write_text("### Start-up\n\n| a | b |\n")
    out = tmp_path / "bench.md"
    assert main(["--results", str(folder), "--out", str(out), "--details", str(details)]) == 0
    report = out.read_text()
    assert report.index(TABLE_START) < report.index(TABLE_END) < report.index("### Start-up")
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- bench:start (old) -->\nold table\n<!-- bench:end -->\nrest\n")
    assert main(["--from", str(out), "--readme", str(readme)]) == 0
    updated = readme.read_text()
    assert updated.startswith(f"intro\n{README_HEADER}\n**Against the performance targets**")
    assert "old table" not in updated and updated.endswith("<!-- bench:end -->\nrest\n")
    assert summary_of(report) in updated
    assert replace_readme_block(updated, summary_of(report)) == updated
