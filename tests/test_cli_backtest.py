"""``quantkit backtest`` and ``quantkit sweep``: output formats, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from quantkit.cli.main import main
from quantkit.data.api import load_prices
from conftest import MINIMAL_STRATEGY as MINIMAL, run_cli as run

ROOT = Path(__file__).resolve().parents[1]
MA = str(ROOT / "strategies" / "ma_timing.toml")
QUANTKIT = ROOT / ".venv" / "bin" / "quantkit"


def one_line_error(code: int, err: str) -> str:
    assert code != 0
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("quantkit: error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def backtest_json(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("bt") / "r.json"
    assert main(["backtest", MA, "--json", str(path)]) == 0
    return json.loads(path.read_text(encoding="utf-8"))


def test_backtest_prints_a_metrics_table(capsys):
    code, out, err = run(capsys, "backtest", MA, "--start", "2024-01-02")
    assert code == 0
    assert "buy & hold 562800" in out
    for label in ("Total return", "Annual return (CAGR", "Sharpe ratio", "Max drawdown", "Alpha vs benchmark", "Beta vs benchmark"):
        assert label in out
    assert "2024-01-02" in out


def test_backtest_json_has_the_documented_keys(backtest_json):
    d = backtest_json
    assert d["strategy"] == "ma_timing" and d["symbols"] == ["562800"]
    first_decision = load_prices("562800").index[119]  # MA120 needs 120 closes: the window opens there
    assert d["start"] == str(first_decision.date()) and d["end"] == "2026-09-24"
    assert len(d["data_fingerprint"]) == 64 and d["version"]
    for key in ("total_return", "annual_return", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
                "trades", "turnover", "exposure", "alpha", "beta"):
        assert key in d["metrics"], key
    for key in ("total_return", "annual_return", "volatility", "sharpe", "sortino", "max_drawdown", "calmar"):
        assert key in d["benchmark"], key
    assert d["metrics"]["max_drawdown"] < 0 and d["benchmark"]["max_drawdown"] < 0
    assert d["params"]["strategy"]["kind"] == "timing"


def test_backtest_json_to_stdout_and_set_override(capsys, backtest_json):
    code, out, _ = run(capsys, "backtest", MA, "--json", "-", "--set", "costs.commission=0",
                       "--set", "costs.min_commission=0")
    assert code == 0
    d = json.loads(out)  # nothing but JSON on stdout
    assert d["params"]["costs"]["commission"] == 0.0
    assert d["metrics"]["total_return"] > backtest_json["metrics"]["total_return"]  # no fees


def test_backtest_html_is_written_and_escaped(capsys, tmp_path):
    toml = tmp_path / "x.toml"
    toml.write_text(MINIMAL.replace('name = "t"', 'name = "<script>alert(1)</script>"'), encoding="utf-8")
    page = tmp_path / "r.html"
    code, out, _ = run(capsys, "backtest", str(toml), "--start", "2024-01-02", "--html", str(page))
    assert code == 0 and "report written" in out
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<table" in html and "Sharpe" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_sweep_json_and_html(capsys, tmp_path):
    page = tmp_path / "s.html"
    code, out, err = run(capsys, "sweep", MA, "--etf", "562800", "--grid", "short=10:20:10",
                         "--grid", "long=20,60,120", "--grid", "band=0,0.03", "--walk-forward", "2",
                         "--json", "-", "--html", str(page))
    assert code == 0
    d = json.loads(out)
    assert d["combos"] == 12 and d["skipped"] == 2  # (20, 20) for both bands: short ≥ long
    assert len(d["results"]) == 10
    sharpe = [r["sharpe"] for r in d["results"]]
    assert sharpe == sorted(sharpe, reverse=True)
    assert len(d["walk_forward"]) == 2 and {"is_sharpe", "oos_sharpe"} <= set(d["walk_forward"][0])
    assert "12 combinations, 2 skipped" in err
    html = page.read_text(encoding="utf-8")
    assert "Heatmap" in html or "heatmap" in html
    assert "plotly" in html


def test_sweep_grid_ranges_include_the_stop():
    from quantkit.backtest.sweep import parse_grid_values

    assert parse_grid_values("short", "5:60:5") == list(range(5, 61, 5))
    assert parse_grid_values("long", "60:250:10") == list(range(60, 251, 10))
    assert parse_grid_values("long", "60:255:10")[-1] == 250
    assert parse_grid_values("band", "0,0.01,0.02,0.03,0.05") == [0.0, 0.01, 0.02, 0.03, 0.05]
    assert parse_grid_values("band", "0:0.05:0.01") == [0.0, 0.01, 0.02, 0.03, 0.04, 0.05]


# --------------------------------------------------------------------------------------------
# bad input: one clear line, non-zero exit
# --------------------------------------------------------------------------------------------

def test_unknown_key_in_toml(capsys, tmp_path):
    toml = tmp_path / "bad.toml"
    toml.write_text(MINIMAL + "[signal]\nshrot = 5\n", encoding="utf-8")
    line = one_line_error(*run(capsys, "backtest", str(toml))[::2])
    assert "unknown key [signal] shrot" in line


def test_wrong_type_in_toml(capsys, tmp_path):
    toml = tmp_path / "bad.toml"
    toml.write_text(MINIMAL + "[costs]\ncommission = \"low\"\n", encoding="utf-8")
    line = one_line_error(*run(capsys, "backtest", str(toml))[::2])
    assert "[costs] commission must be a number" in line


def test_set_with_a_nonexistent_key(capsys):
    line = one_line_error(*run(capsys, "backtest", MA, "--set", "costs.comission=0")[::2])
    assert "costs.comission: no such key" in line


def test_window_without_data_is_an_error_and_an_early_start_a_note(capsys):
    line = one_line_error(*run(capsys, "backtest", MA, "--start", "2010-01-04", "--end", "2012-01-04")[::2])
    assert "window ends 2012-01-04, before the data" in line and "2021-09-27" in line
    code, out, err = run(capsys, "backtest", MA, "--start", "2010-01-04")
    assert code == 0 and err.strip().splitlines() == [
        "window starts 2010-01-04, before the data (562800 data covers 2021-09-27 to 2026-09-24): starting at 2021-09-27"]
    assert "2021-09-27 to 2026-09-24" in out


def test_empty_universe(capsys, tmp_path):
    toml = tmp_path / "empty.toml"
    toml.write_text(MINIMAL.replace('["562800"]', "[]"), encoding="utf-8")
    line = one_line_error(*run(capsys, "backtest", str(toml))[::2])
    assert "universe is empty" in line


def test_missing_strategy_file_and_bad_sweep_input(capsys, tmp_path):
    assert "not found" in one_line_error(*run(capsys, "backtest", str(tmp_path / "nope.toml"))[::2])
    pos = str(ROOT / "strategies" / "valuation_position.toml")
    assert "sweep runs timing strategies" in one_line_error(*run(capsys, "sweep", pos, "--grid", "short=10")[::2])
    assert "unknown parameter" in one_line_error(*run(capsys, "sweep", MA, "--grid", "shrt=10")[::2])
    assert "short ≥ long" in one_line_error(*run(capsys, "sweep", MA, "--grid", "short=130", "--quiet")[::2])


def test_console_script_reports_bad_input_in_one_line(tmp_path):
    toml = tmp_path / "bad.toml"
    toml.write_text(MINIMAL + "[signal]\nshort = \"20\"\n", encoding="utf-8")
    env = {**os.environ, "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))}
    exe = [str(QUANTKIT)] if QUANTKIT.exists() else [sys.executable, "-m", "quantkit"]
    proc = subprocess.run([*exe, "backtest", str(toml)], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith("quantkit: error: ") and "[signal] short must be an integer" in proc.stderr


def test_console_script_writes_whole_outputs_before_its_fast_exit(tmp_path):
    """The console script freezes the collector before exiting: files and stdout still arrive whole."""
    env = {**os.environ, "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))}
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "quantkit", "backtest", MA, "--json", str(out)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["metrics"]["days"] > 200
    assert proc.stdout.rstrip().splitlines()[-1].startswith("Exposure, quantstats definition")  # the last table row


def test_review_edge_cases_each_get_one_line(capsys):
    cases = [
        (["backtest", "strategies/ma_timing.toml", "--etf", "000985"], "is an index, not an ETF"),
        (["sweep", "strategies/ma_timing.toml", "--grid", "short=5:1:1"], "need start ≤ stop and step > 0"),
        (["sweep", "strategies/ma_timing.toml", "--grid", "short=1:1e9:1"], "at most 1,000 per parameter"),
        (["sweep", "strategies/ma_timing.toml", "--walk-forward", "0"], "whole number ≥ 1"),
        (["weekly", "--out", "/dev/null"], "quantkit: error:"),
    ]
    for argv, words in cases:
        code = main(argv)
        err = capsys.readouterr().err
        assert code != 0 and words in err and len(err.strip().splitlines()) == 1, (argv, err)


def test_set_accepts_bare_codes_for_string_keys():
    from quantkit.backtest.strategy_file import apply_overrides, parse_strategy

    raw = apply_overrides({"strategy": {"name": "x", "kind": "timing"}},
                          ["benchmark.symbol=510300", "universe.symbols=[560860]"])
    assert raw["benchmark"]["symbol"] == "510300" and raw["universe"]["symbols"] == ["560860"]
    parse_strategy(raw)


def test_rotation_window_may_end_before_late_listings():
    from quantkit.backtest import run_strategy

    result = run_strategy("strategies/quadrant_rotation.toml", start="2022-06-01", end="2022-12-31")
    assert "560860" not in result.symbols and result.end == pd.Timestamp("2022-12-30")  # listed 2023-03


def test_sweep_of_one_combination_equals_the_backtest():
    from quantkit.backtest import run_strategy, sweep_strategy

    single = sweep_strategy("strategies/ma_timing.toml", {"short": [20], "long": [120], "band": [0.03]}).table.iloc[0]
    result = run_strategy("strategies/ma_timing.toml")
    assert single["sharpe"] == pytest.approx(result.metrics["sharpe"], abs=1e-12)
    assert single["annual_return"] == pytest.approx(result.metrics["annual_return"], abs=1e-12)
