"""Metrics agree with empyrical and quantstats on real return series (243-session years)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantkit.backtest import metrics as M
from quantkit.data.api import load_prices

PERIODS = 243


@pytest.fixture(scope="module")
def series() -> dict[str, pd.Series]:
    """Real daily returns: 562800 buy-and-hold, 000985, and a timed (partly flat) 562800 series."""
    close = load_prices("562800")["close"]
    etf = close.pct_change().fillna(0.0).rename("etf")
    index = load_prices("000985")["close"].pct_change().reindex(etf.index).fillna(0.0).rename("index")
    # in the market only while the close is above its 60-day mean of the previous day (independent of quantkit)
    held = (close > close.rolling(60).mean()).shift(1, fill_value=False)
    timed = etf.where(held, 0.0).rename("timed")
    return {"etf": etf, "index": index, "timed": timed}


@pytest.mark.parametrize("name", ["etf", "index", "timed"])
def test_agrees_with_empyrical(series, name):
    import empyrical as ep

    r = series[name]
    assert M.sharpe(r) == pytest.approx(ep.sharpe_ratio(r, annualization=PERIODS), rel=1e-10)
    assert M.sortino(r) == pytest.approx(ep.sortino_ratio(r, annualization=PERIODS), rel=1e-10)
    assert M.max_drawdown(r) == pytest.approx(ep.max_drawdown(r), rel=1e-10)
    assert M.annual_volatility(r) == pytest.approx(ep.annual_volatility(r, annualization=PERIODS), rel=1e-10)
    assert M.annual_return(r) == pytest.approx(ep.annual_return(r, annualization=PERIODS), rel=1e-10)
    assert M.calmar(r) == pytest.approx(ep.calmar_ratio(r, annualization=PERIODS), rel=1e-10)
    assert M.total_return(r) == pytest.approx(ep.cum_returns_final(r), rel=1e-10)


@pytest.mark.parametrize("name", ["etf", "index", "timed"])
def test_agrees_with_quantstats(series, name):
    import quantstats as qs

    r = series[name]
    assert M.sharpe(r) == pytest.approx(qs.stats.sharpe(r, periods=PERIODS), rel=1e-10)
    assert M.sortino(r) == pytest.approx(qs.stats.sortino(r, periods=PERIODS), rel=1e-10)
    assert M.max_drawdown(r) == pytest.approx(qs.stats.max_drawdown(r), rel=1e-10)
    assert M.annual_volatility(r) == pytest.approx(qs.stats.volatility(r, periods=PERIODS), rel=1e-10)
    assert M.annual_return(r) == pytest.approx(qs.stats.cagr(r, periods=PERIODS), rel=1e-10)


def test_frame_input_gives_one_value_per_column(series):
    frame = pd.DataFrame(series)
    for fn in (M.sharpe, M.sortino, M.max_drawdown, M.annual_return, M.annual_volatility, M.total_return, M.calmar):
        out = fn(frame)
        assert list(out.index) == list(frame.columns)
        for col in frame.columns:
            assert out[col] == pytest.approx(fn(frame[col]), rel=1e-12, nan_ok=True)


def test_alpha_beta_point_estimates_match_empyrical(series):
    import empyrical as ep

    ab = M.alpha_beta(series["timed"], series["index"])
    alpha, beta = ep.alpha_beta(series["timed"], series["index"], annualization=PERIODS)
    assert ab["beta"] == pytest.approx(beta, rel=1e-8)
    assert ab["alpha"] == pytest.approx(alpha, rel=1e-6)
    assert ab["n"] == len(series["timed"])


def test_alpha_beta_t_stats_are_newey_west(series):
    """t-statistics equal a hand-made Bartlett-kernel HAC covariance with the same lags."""
    r, b = series["timed"].to_numpy(), series["index"].to_numpy()
    ab = M.alpha_beta(series["timed"], series["index"])
    lags = ab["lags"]
    assert lags == int(np.floor(4 * (len(r) / 100) ** (2 / 9)))
    x = np.column_stack([np.ones(len(b)), b])
    coef = np.linalg.lstsq(x, r, rcond=None)[0]
    u = x * (r - x @ coef)[:, None]
    s = u.T @ u
    for lag in range(1, lags + 1):
        g = u[lag:].T @ u[:-lag]
        s += (1 - lag / (lags + 1)) * (g + g.T)
    xtx = np.linalg.inv(x.T @ x)
    t = coef / np.sqrt(np.diag(xtx @ s @ xtx))
    assert ab["alpha_t"] == pytest.approx(t[0], rel=1e-8)
    assert ab["beta_t"] == pytest.approx(t[1], rel=1e-8)
    ols_t = coef[1] / np.sqrt(np.diag(xtx)[1] * ((r - x @ coef) ** 2).sum() / (len(r) - 2))
    assert ab["beta_t"] != pytest.approx(ols_t, rel=1e-3)  # HAC, not the plain OLS standard error


def test_alpha_beta_matches_statsmodels_ols_hac(series):
    from statsmodels.regression.linear_model import OLS

    ab = M.alpha_beta(series["timed"], series["index"], rf=0.02)
    rf_day = 1.02 ** (1 / PERIODS) - 1
    y, x = series["timed"].to_numpy() - rf_day, series["index"].to_numpy() - rf_day
    fit = OLS(y, np.column_stack([np.ones(len(x)), x])).fit(cov_type="HAC", cov_kwds={"maxlags": ab["lags"]})
    assert [ab["alpha_daily"], ab["beta"]] == pytest.approx(list(fit.params), rel=1e-10)
    assert [ab["alpha_t"], ab["beta_t"]] == pytest.approx(list(fit.tvalues), rel=1e-10)


def test_drawdown_table_is_consistent(series):
    r = series["etf"]
    table = M.drawdown_table(r, top=5)
    assert len(table) == 5
    assert table["depth"].iloc[0] == pytest.approx(M.max_drawdown(r), rel=1e-12)
    assert table["depth"].is_monotonic_increasing  # worst first
    wealth = (1 + r).cumprod()
    for row in table.itertuples():
        if pd.notna(row.peak):
            assert row.peak < row.trough
            assert wealth[row.trough] / wealth[row.peak] - 1 == pytest.approx(row.depth, rel=1e-10)
        if pd.notna(row.recovery):
            assert row.recovery > row.trough
            assert wealth[row.recovery] >= wealth[row.peak] * (1 - 1e-12)


def test_win_rate_counts_days_with_a_position():
    idx = pd.bdate_range("2024-01-01", periods=6)
    r = pd.Series([0.0, 0.01, -0.02, 0.0, 0.03, 0.0], index=idx)
    exposure = pd.Series([0.0, 1.0, 1.0, 0.0, 0.0, 0.0], index=idx)
    # days held: 1, 2 (exposure) and 3 (position sold that day) → returns 0.01, -0.02, 0.0 → 1 win of 3
    assert M.win_rate(r, exposure) == pytest.approx(1 / 3)
    assert M.win_rate(r) == pytest.approx(2 / 3)  # without exposure: non-zero days


def test_round_trips_turnover_and_trade_win_rate():
    d = pd.to_datetime(["2024-01-02", "2024-01-05", "2024-02-01", "2024-02-02", "2024-03-01"])
    trades = pd.DataFrame({"date": d, "symbol": ["A", "A", "A", "A", "A"],
                           "side": ["buy", "buy", "sell", "buy", "sell"],
                           "shares": [100.0, 100.0, 200.0, 100.0, 100.0],
                           "value": [1000.0, 1100.0, 2400.0, 1000.0, 900.0],
                           "fee": [5.0, 5.0, 5.0, 5.0, 5.0]})
    trips = M.round_trips(trades)
    assert len(trips) == 2
    assert trips["pnl"].tolist() == pytest.approx([2400 - 2100 - 15, 900 - 1000 - 10])
    assert M.trade_win_rate(trades) == pytest.approx(0.5)
    equity = pd.Series(10_000.0, index=pd.bdate_range("2024-01-01", periods=243))
    assert M.annual_turnover(trades, equity) == pytest.approx(trades["value"].sum() / 10_000.0)
    assert M.n_trades(trades) == 5


def test_summarize_has_the_headline_keys(series):
    out = M.summarize(series["timed"], series["index"], exposure=(series["timed"] != 0).astype(float))
    for key in ("total_return", "annual_return", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
                "win_rate", "exposure", "alpha", "beta", "alpha_t", "beta_t", "max_drawdown_peak"):
        assert key in out
    assert out["max_drawdown"] < 0
    assert 0 < out["exposure"] < 1
