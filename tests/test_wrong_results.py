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
