"""Research statistics of a real backtest (ma_timing on 562800): the JSON values agree with
quantstats 0.0.86 and empyrical, the risk-free rate enters Sharpe, Sortino, alpha and PSR, the
open trip's unrealised P&L is marked to the last close, and the bootstrap intervals are seeded
percentile intervals of the resampled statistics.

Expected values come from the other libraries or from formulas written out here.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantkit.backtest import metrics as M

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PERIODS = 243
RF = 0.02


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="module")
def runs():
    from quantkit.backtest import run_strategy

    toml = ROOT / "strategies" / "ma_timing.toml"
    return {0.0: run_strategy(toml), RF: run_strategy(toml, rf=RF)}


@pytest.fixture(scope="module")
def result(runs):
    return runs[0.0]


def test_distribution_values_match_quantstats(result):
    import quantstats as qs

    out = result.to_dict()["metrics"]
    for r, m in ((result.returns, out), (result.benchmark_returns, result.benchmark_metrics)):
        expected = {
            "skew": qs.stats.skew(r), "kurtosis": qs.stats.kurtosis(r), "var_95": qs.stats.value_at_risk(r),
            "cvar_95": qs.stats.conditional_value_at_risk(r), "tail_ratio": qs.stats.tail_ratio(r),
            "best_day": qs.stats.best(r), "worst_day": qs.stats.worst(r),
            "best_month": qs.stats.best(r, aggregate="ME"), "worst_month": qs.stats.worst(r, aggregate="ME"),
            "best_year": qs.stats.best(r, aggregate="YE"), "worst_year": qs.stats.worst(r, aggregate="YE"),
            "positive_months": qs.stats.win_rate(r, aggregate="ME"),
            "max_win_streak": qs.stats.consecutive_wins(r), "max_loss_streak": qs.stats.consecutive_losses(r),
            "qs_win_rate": qs.stats.win_rate(r), "qs_exposure": qs.stats.exposure(r),
        }
        for key, value in expected.items():
            assert m[key] == pytest.approx(float(value), rel=1e-10, abs=1e-14), key
    # the project's own definitions differ from quantstats' on a strategy that is often in cash
    assert out["qs_exposure"] != pytest.approx(out["exposure"], abs=0.02)
    assert out["qs_win_rate"] != pytest.approx(out["win_rate"], abs=1e-3)


def test_risk_free_rate_enters_every_ratio(runs):
    import empyrical as ep
    import quantstats as qs
    from scipy.stats import kurtosis, norm, skew

    base, res = runs[0.0], runs[RF]
    m, b = res.to_dict()["metrics"], res.benchmark_metrics
    r, rb = res.returns, res.benchmark_returns
    assert m["rf"] == RF and b["rf"] == RF and base.metrics["rf"] == 0.0
    assert m["sharpe"] == pytest.approx(qs.stats.sharpe(r, rf=RF, periods=PERIODS), rel=1e-10)
    assert b["sharpe"] == pytest.approx(qs.stats.sharpe(rb, rf=RF, periods=PERIODS), rel=1e-10)
    assert m["sortino"] == pytest.approx(qs.stats.sortino(r, rf=RF, periods=PERIODS), rel=1e-10)
    rf_day = (1 + RF) ** (1 / PERIODS) - 1
    alpha, beta = ep.alpha_beta(r, rb, risk_free=rf_day, annualization=PERIODS)
    assert m["alpha"] == pytest.approx(alpha, rel=1e-8) and m["beta"] == pytest.approx(beta, rel=1e-8)
    # PSR (Bailey & López de Prado 2012) written out: per-session Sharpe, plain skewness, non-excess kurtosis
    x = r.to_numpy() - rf_day
    sr, g3, g4, n = x.mean() / x.std(ddof=1), skew(x), kurtosis(x, fisher=False), len(x)
    psr = norm.cdf(sr * math.sqrt(n - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2))
    assert m["psr"] == pytest.approx(psr, rel=1e-10)
    # a positive rate lowers the ratios and leaves the returns alone
    assert m["sharpe"] < base.metrics["sharpe"] and m["psr"] < base.metrics["psr"]
    assert m["total_return"] == base.metrics["total_return"]


def test_open_trip_is_marked_to_the_last_close(result):
    m = result.metrics
    assert m["round_trips"] >= 1 and m["open_trips"] == 1
    (sym,) = result.symbols
    shares = float(result.positions[sym].iloc[-1])
    assert shares > 0
    trades = result.trades
    last_flat = trades.index[(trades["side"] == "sell")
                             & np.isclose(trades["shares"].where(trades["side"] == "buy", -trades["shares"])
                                          .cumsum(), 0)]
    trip = trades.loc[last_flat[-1] + 1:] if len(last_flat) else trades
    bought = float(trip.loc[trip["side"] == "buy", "value"].sum())
    sold = float(trip.loc[trip["side"] == "sell", "value"].sum())
    value = shares * float(result.prices[sym]["close"].iloc[-1])
    pnl = value + sold - bought - float(trip["fee"].sum())
    assert m["open_pnl"] == pytest.approx(pnl, rel=1e-9)
    assert m["open_return"] == pytest.approx(pnl / bought, rel=1e-9)
    assert m["open_return"] > 0.5  # the trip still open carries the gain; closed trips all lost


def test_open_trips_hand_example():
    trades = pd.DataFrame({"date": pd.to_datetime(["2024-01-02", "2024-01-05", "2024-02-01", "2024-03-01"]),
                           "symbol": ["A", "A", "A", "A"], "side": ["buy", "sell", "buy", "sell"],
                           "shares": [1000.0, 1000.0, 2000.0, 500.0], "value": [1000.0, 1100.0, 2000.0, 600.0],
                           "fee": [5.0, 5.0, 5.0, 5.0]})
    weights = pd.DataFrame({"A": [0.0, 0.9]}, index=pd.to_datetime(["2024-03-01", "2024-03-04"]))
    equity = pd.Series([2000.0, 2100.0], index=weights.index)
    # 1,500 shares open worth 0.9 × 2,100 = 1,890; bought 2,000, sold 600, fees 10 since the trip began
    row = M.open_trips(trades, weights, equity).iloc[0]
    assert row["shares"] == 1500 and row["value"] == pytest.approx(1890.0)
    assert row["pnl"] == pytest.approx(1890 + 600 - 2000 - 10) and row["ret"] == pytest.approx(480 / 2000)
    assert M.trade_win_rate(trades) == 1.0 and len(M.round_trips(trades)) == 1
    m = M.summarize(equity.pct_change().fillna(0.0), trades=trades, exposure=weights, equity=equity)
    assert m["open_pnl"] == pytest.approx(480.0) and m["open_trips"] == 1


def test_bootstrap_intervals_are_percentiles_of_resampled_statistics(result):
    from quantkit.backtest.inference import stationary_indices

    boot = result.to_dict()["bootstrap"]
    assert (boot["method"], boot["confidence"], boot["n_samples"], boot["seed"]) == ("stationary", 0.95, 1000, 0)
    r = result.returns.to_numpy()
    b = result.benchmark_returns.to_numpy()
    n = len(r)
    idx = stationary_indices(n, 1000, n ** (1 / 3), seed=0)
    sample, bench = r[idx], b[idx]                       # samples × sessions
    sd = sample.std(axis=1, ddof=1)
    sharpe = sample.mean(axis=1) / sd * math.sqrt(PERIODS)
    cagr = np.prod(1 + sample, axis=1) ** (PERIODS / n) - 1
    wealth = np.cumprod(1 + sample, axis=1)
    mdd = np.minimum((wealth / np.maximum.accumulate(np.maximum(wealth, 1.0), axis=1) - 1).min(axis=1), 0.0)
    diff = sharpe - bench.mean(axis=1) / bench.std(axis=1, ddof=1) * math.sqrt(PERIODS)
    for key, draws, estimate in (("sharpe", sharpe, result.metrics["sharpe"]),
                                 ("cagr", cagr, result.metrics["annual_return"]),
                                 ("max_drawdown", mdd, result.metrics["max_drawdown"]),
                                 ("sharpe_difference", diff,
                                  result.metrics["sharpe"] - result.benchmark_metrics["sharpe"])):
        lo, hi = np.quantile(draws, [0.025, 0.975])
        got = boot[key]
        assert got["estimate"] == pytest.approx(estimate, rel=1e-12), key
        assert (got["lower"], got["upper"]) == (pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9)), key
        assert got["std_error"] == pytest.approx(draws.std(ddof=1), rel=1e-9), key
        assert got["lower"] < got["estimate"] < got["upper"], key


def test_bootstrap_is_fast():
    import time

    from quantkit.backtest.inference import backtest_intervals
    from quantkit.data.api import load_prices

    close = load_prices("562800")["close"]
    r = close.pct_change().fillna(0.0)
    started = time.perf_counter()
    backtest_intervals(r, r.shift(1, fill_value=0.0))
    assert time.perf_counter() - started < 1.0


def test_bad_risk_free_rate_is_refused(capsys):
    from conftest import run_cli

    code, _, err = run_cli(capsys, "backtest", "strategies/ma_timing.toml", "--rf", "2")
    assert code != 0 and "rf" in err and "0.02" in err
