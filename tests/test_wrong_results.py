"""Results that used to be wrong: stale inputs used as current, backtests without a decision,
foresight at a series' end, the benchmark's win rate, signal and weekly quadrants disagreeing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantkit.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
MA = ROOT / "strategies" / "ma_timing.toml"


def test_an_observation_from_before_the_calendar_is_not_fresh():
    from quantkit.indicators import asof_rows

    src = pd.DatetimeIndex(["2020-04-20", "2020-04-21"])         # a series that stopped in 2020
    dates = pd.bdate_range("2021-09-27", periods=10)               # the traded calendar starts later
    assert (asof_rows(src, dates, max_age=5) == -1).all()
    assert (asof_rows(src, dates) == 1).all()                      # without a maximum age it is carried
    # a normal one-week holiday keeps the last value usable on the first session after it
    src = pd.DatetimeIndex(["2024-02-08"])
    dates = pd.DatetimeIndex(["2024-02-08", "2024-02-19"])         # Spring Festival: closed Feb 9–16
    assert asof_rows(src, dates, max_age=5).tolist() == [0, 0]


@pytest.mark.parametrize("overrides, path", [
    (["signal.index=000905"], MA),                                 # 000905 ends 2020-04-21, 562800 starts 2021
    (["signal.long=100000", "signal.short=20"], MA),               # more history than the data holds
    (["signal.percentile_start=2026-10-30"], ROOT / "strategies" / "valuation_position.toml"),
    (["rotation.lookback=5000"], ROOT / "strategies" / "quadrant_rotation.toml"),
])
def test_a_backtest_without_any_decision_is_refused(overrides, path):
    from quantkit import run_strategy

    with pytest.raises(ConfigError, match="takes no decision from .* nothing to backtest"):
        run_strategy(path, overrides=overrides)


def test_cli_exits_non_zero_when_nothing_is_decided(capsys):
    from conftest import run_cli

    code, out, err = run_cli(capsys, "backtest", str(MA), "--set", "signal.index=000905")
    assert code == 2 and out == "" and "signal 000905 2007-01-04..2020-04-21" in err and len(err.splitlines()) == 1


def _two_symbols(end_a: str) -> dict[str, pd.DataFrame]:
    from quantkit import load_prices

    a = load_prices("562800").loc["2025-01-02":end_a]
    b = load_prices("560860").loc["2025-01-02":"2025-06-30"]
    return {"562800": a, "560860": b}


def test_a_series_that_ends_is_sold_the_next_session_at_its_last_close_and_the_past_never_changes():
    from quantkit.backtest import run_backtest
    from quantkit.backtest.params import CostParams

    prices = _two_symbols("2025-03-31")
    calendar = prices["560860"].index
    weights = pd.DataFrame({"562800": 0.5, "560860": 0.5}, index=calendar[:1]).reindex(calendar)
    costs = CostParams(commission=0.0, min_commission=0.0)
    full = run_backtest(weights, prices, costs=costs)
    last_bar = pd.Timestamp("2025-03-31")
    cut = run_backtest(weights.loc[:last_bar], {s: f.loc[:last_bar] for s, f in prices.items()}, costs=costs)
    pd.testing.assert_series_equal(cut.equity, full.equity.loc[:last_bar], check_exact=True)
    sale = full.trades[(full.trades["symbol"] == "562800") & (full.trades["side"] == "sell")].iloc[0]
    assert sale["date"] == calendar[calendar > last_bar][0]        # the first session without a bar
    assert sale["price"] == prices["562800"].loc[last_bar, "close"]  # at its last close
    assert sale["note"] == "data ends 2025-03-31: sold at its last close"
    assert full.positions.loc[sale["date"]:, "562800"].eq(0).all()


def test_benchmark_win_rate_counts_the_days_it_was_held():
    from quantkit import run_strategy

    result = run_strategy(MA)
    r = result.benchmark_returns
    held = r.iloc[1:]                                               # held from the first close on
    assert result.benchmark_metrics["win_rate"] == pytest.approx((held > 0).sum() / len(held), abs=1e-15)
    assert (r == 0).sum() > 1                                       # zero-return days exist and now count


def test_signal_and_weekly_place_an_etf_in_the_same_quadrant_for_any_watchlist(tmp_path):
    from quantkit.app.signal import signal
    from quantkit.app.weekly import build_weekly

    watch = ("512480", "515790", "510300")                         # two theme ETFs and a broad one
    report = build_weekly(as_of="2026-01-23", universe=watch)
    for row in report["watchlist"]:
        sig = signal(row["symbol"], as_of="2026-01-23")
        assert (row["quadrant"], row["rise"], row["crowding"]) == (sig.quadrant, sig.rise, sig.crowding), row["symbol"]
    theme = build_weekly(as_of="2026-01-23")
    assert report["rise_median"] == theme["rise_median"]
    assert not np.isnan(report["rise_median"])


# --------------------------------------------------------------------------------------------
# bad input gives one line, outputs are never partial
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("grid, words", [
    (["short=nan,5"], "finite"), (["short=inf"], "finite"), (["long=1e400"], "finite"), (["short=5:inf:5"], "finite"),
    (["short=5", "short=10"], "given twice"), (["band=-0.01"], "band must be ≥ 0"), (["short=5.5"], "whole numbers"),
])
def test_bad_grids_are_one_line_errors(capsys, grid, words):
    from conftest import run_cli

    argv = ["sweep", str(MA)] + [a for g in grid for a in ("--grid", g)] + ["--quiet"]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_top_must_be_positive(capsys):
    from conftest import run_cli

    code, _, err = run_cli(capsys, "sweep", str(MA), "--grid", "short=10", "--top", "-5")
    assert code == 2 and "give at least 1" in err


@pytest.mark.parametrize("index", [
    pd.DatetimeIndex(["2024-01-03", "2024-01-02", "2024-01-04"]),
    pd.DatetimeIndex(["2024-01-02", "2024-01-02", "2024-01-03"]),
])
def test_model_entry_points_refuse_unsorted_or_duplicate_dates(index):
    from quantkit.models import profit_effect, timing_regime

    close = pd.Series([1.0, 1.1, 1.2], index=index)
    for f in (lambda: timing_regime(close, short=1, long=2), lambda: profit_effect(close, 2)):
        with pytest.raises(ConfigError, match="sorted|twice"):
            f()


def test_weekly_markdown_escapes_names():
    from quantkit.report.weekly import _md

    assert _md("</script><script>alert(1)</script>") == "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert _md("a|b*c_[d]") == "a\\|b\\*c\\_\\[d\\]"


def test_json_output_onto_a_directory_names_the_directory(capsys, tmp_path):
    from conftest import run_cli

    code, out, err = run_cli(capsys, "backtest", str(MA), "--json", str(tmp_path))
    assert code == 1 and err.strip() == f"quantkit: error: is a directory: give a file name ({tmp_path})"


def test_json_output_is_replaced_atomically(capsys, tmp_path, monkeypatch):
    import os

    from conftest import run_cli

    target = tmp_path / "r.json"
    target.write_text('{"valid": true}\n', encoding="utf-8")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    code, _, err = run_cli(capsys, "backtest", str(MA), "--json", str(target))
    assert code == 1 and "No space left on device" in err
    assert target.read_text(encoding="utf-8") == '{"valid": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]   # the temporary file is gone too


def _weekly_report():
    from quantkit.app.weekly import build_weekly

    return build_weekly(as_of="2026-01-23", universe=("562800", "560860"))


def test_a_weekly_set_interrupted_after_its_commit_is_finished_by_the_next_run(tmp_path, monkeypatch):
    import os

    from quantkit.app import weekly

    report = _weekly_report()
    real = os.replace
    calls = []

    def dies_after_one(src, dst):
        if str(dst).startswith(str(tmp_path / "weekly-")) and calls:
            raise KeyboardInterrupt  # the process is stopped between two renames
        calls.append(dst)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        weekly.write_weekly(report, tmp_path)
    monkeypatch.setattr(os, "replace", real)
    assert (tmp_path / weekly.JOURNAL).exists()               # committed but not finished
    weekly.recover_sets(tmp_path)                              # what the next run does first, under the lock
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock"))
    assert names == ["weekly-2026-01-23.html", "weekly-2026-01-23.json", "weekly-2026-01-23.md"]


def test_a_weekly_set_interrupted_before_its_commit_leaves_nothing(tmp_path, monkeypatch):
    from quantkit.app import weekly
    from quantkit.data import store

    report = _weekly_report()

    def dies(path, data):
        raise KeyboardInterrupt  # stopped while writing the journal

    monkeypatch.setattr(store, "atomic_write_bytes", dies)
    with pytest.raises(KeyboardInterrupt):
        weekly.write_weekly(report, tmp_path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.glob(".weekly-*.new")) != []   # temporaries of the unfinished set
    out = weekly.write_weekly(report, tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock"))
    assert names == ["weekly-2026-01-23.html", "weekly-2026-01-23.json", "weekly-2026-01-23.md"]
    assert out.json.read_text(encoding="utf-8").startswith("{")


def test_a_backtest_result_prints_as_one_line():
    from quantkit import run_strategy

    text = repr(run_strategy(MA))
    assert text.startswith("<BacktestResult ma_timing: 562800, 2022-03-28..2026-09-24") and "\n" not in text


def test_coverage_of_a_universe_by_hand():
    from quantkit.models.rotation import universe_coverage

    days = pd.bdate_range("2024-01-01", periods=6)
    bars = {"A": pd.DataFrame({"close": 1.0}, index=days),            # every day
            "B": pd.DataFrame({"close": 1.0}, index=days[:3]),        # ends after day 3
            "C": pd.DataFrame({"close": 1.0}, index=days[2:])}        # listed on day 3
    # listed: 2, 2, 3, 3, 3, 3 ; with a bar: 2, 2, 3, 2, 2, 2
    assert universe_coverage(bars).tolist() == pytest.approx([1.0, 1.0, 1.0, 2 / 3, 2 / 3, 2 / 3], abs=1e-15)


def test_an_open_rotation_window_ends_where_the_universe_thins_out(caplog):
    from quantkit import load_prices, run_strategy
    from quantkit.data.universe import THEME_ETFS

    last_bars = pd.Series({s: load_prices(s).index[-1] for s in THEME_ETFS})
    with caplog.at_level("WARNING", logger="quantkit"):
        result = run_strategy(ROOT / "strategies" / "quadrant_rotation.toml", start="2025-06-02")
    # 32 of the 35 theme ETFs have bars to 2026-05-07; after it fewer than 80 % do
    assert (last_bars >= pd.Timestamp("2026-05-07")).sum() == 32 and last_bars.max() > pd.Timestamp("2026-05-07")
    assert result.end == pd.Timestamp("2026-05-07")
    assert "the window ends 2026-05-07, where the universe's data thins out" in caplog.text
    later = run_strategy(ROOT / "strategies" / "quadrant_rotation.toml", start="2025-06-02", end="2026-06-30")
    assert later.end == pd.Timestamp("2026-06-30")  # an explicit end is kept
