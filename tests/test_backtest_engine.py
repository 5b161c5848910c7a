"""The backtest engine against an independent re-implementation, and its A-share execution rules.

Simulations share module-scoped fixtures: the numba kernels compile (or load from
``.numba_cache``) once per session.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantkit.backtest import CostParams, ExecutionParams, run_backtest, run_strategy
from quantkit.data.api import load_prices
from quantkit.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
MA_TIMING = ROOT / "strategies" / "ma_timing.toml"
ALL_IN_OUT = ["weights.range=0.0"]  # up → 100 %, range/down → 0 %
ZERO_COSTS = ["costs.commission=0", "costs.min_commission=0"]


# --------------------------------------------------------------------------------------------
# independent reference: all-in/all-out MA timing, plain numpy loop over days
# --------------------------------------------------------------------------------------------

def reference_all_in_out(bars: pd.DataFrame, short: int = 20, long: int = 120, band: float = 0.03,
                         threshold: float = 0.05, lot: int = 100, rate: float = 0.0, minimum: float = 0.0,
                         cash0: float = 1_000_000.0) -> pd.Series:
    """Equity at each close of: 100 % when MA_short / MA_long − 1 > band at a close, else 0 %,
    traded at the next open in whole lots, commission max(rate × value, minimum)."""
    o, c = bars["open"].to_numpy(), bars["close"].to_numpy()
    n = len(c)

    def fee(value: float) -> float:
        return max(rate * value, minimum) if value > 0 else 0.0

    cash, pos, pending = cash0, 0.0, None
    equity = np.empty(n)
    for t in range(n):
        if pending is not None:  # decided at the previous close, executed at this open
            px = o[t]
            if pending == 1.0:
                shares = math.floor(cash / px / lot) * lot
                while shares > 0 and shares * px + fee(shares * px) > cash:
                    shares -= lot
                if shares > 0:
                    cash -= shares * px + fee(shares * px)
                    pos += shares
            elif pos > 0:
                cash += pos * px - fee(pos * px)
                pos = 0.0
            pending = None
        equity[t] = cash + pos * c[t]
        if t >= long - 1:
            ma_s = c[t - short + 1:t + 1].mean()
            ma_l = c[t - long + 1:t + 1].mean()
            target = 1.0 if round(ma_s / ma_l - 1.0, 12) > band else 0.0
            weight = pos * c[t] / equity[t]
            if abs(target - weight) > threshold:
                pending = target
    return pd.Series(equity, index=bars.index)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return load_prices("562800")


@pytest.fixture(scope="module")
def zero_cost_lots(bars):
    return run_strategy(MA_TIMING, overrides=ALL_IN_OUT + ZERO_COSTS)


@pytest.fixture(scope="module")
def with_costs(bars):
    return run_strategy(MA_TIMING, overrides=ALL_IN_OUT)


def test_engine_matches_numpy_loop_at_zero_cost(bars, zero_cost_lots):
    ref = reference_all_in_out(bars)
    res = zero_cost_lots
    assert res.metrics["trades"] >= 4  # the strategy actually trades
    assert res.metrics["fees"] == 0.0
    assert res.equity.index[0] == bars.index[119]  # the window opens at the first decision (120 bars)
    assert (ref.iloc[:120] == 1e6).all()  # the reference holds cash until then too
    assert res.metrics["total_return"] == pytest.approx(ref.iloc[-1] / 1e6 - 1.0, abs=1e-6)
    np.testing.assert_allclose(res.equity.to_numpy(), ref.loc[res.equity.index].to_numpy(), rtol=1e-9)


def test_engine_matches_numpy_loop_with_lot_size_one(bars):
    res = run_strategy(MA_TIMING, overrides=ALL_IN_OUT + ZERO_COSTS + ["execution.lot_size=1"])
    ref = reference_all_in_out(bars, lot=1)
    assert res.metrics["total_return"] == pytest.approx(ref.iloc[-1] / 1e6 - 1.0, abs=1e-6)
    assert (res.trades["shares"] % 1 == 0).all()


def test_engine_matches_numpy_loop_with_costs(bars, with_costs):
    ref = reference_all_in_out(bars, rate=0.0002, minimum=5.0)
    assert with_costs.metrics["total_return"] == pytest.approx(ref.iloc[-1] / 1e6 - 1.0, abs=1e-6)
    np.testing.assert_allclose(with_costs.equity.to_numpy(), ref.loc[with_costs.equity.index].to_numpy(), rtol=1e-9)


def test_costs_difference_is_the_fees_paid(bars, with_costs, zero_cost_lots):
    """Final equity = cash in − buys + sells − fees + holdings: fees are the only leak."""
    res = with_costs
    tr = res.trades
    buys = tr.loc[tr["side"] == "buy", "value"].sum()
    sells = tr.loc[tr["side"] == "sell", "value"].sum()
    holdings = (res.positions.iloc[-1] * bars["close"].reindex(res.positions.index).iloc[-1]).sum()
    fees = tr["fee"].sum()
    assert fees > 0
    assert res.equity.iloc[-1] == pytest.approx(1e6 - buys + sells - fees + holdings, abs=1e-6)
    gross = 1e6 - buys + sells + holdings
    assert gross - res.equity.iloc[-1] == pytest.approx(fees, abs=1e-6)
    # every order pays max(rate × value, minimum)
    np.testing.assert_allclose(tr["fee"], np.maximum(0.0002 * tr["value"], 5.0), rtol=1e-12)
    assert res.equity.iloc[-1] < zero_cost_lots.equity.iloc[-1]


# --------------------------------------------------------------------------------------------
# execution rules on hand-made decisions
# --------------------------------------------------------------------------------------------

def decisions(index: pd.DatetimeIndex, **at: float) -> pd.DataFrame:
    """Target weights of 562800: NaN everywhere except at session numbers ``d<i>=weight``."""
    tw = pd.DataFrame({"562800": np.nan}, index=index)
    for key, w in at.items():
        tw.iloc[int(key[1:]), 0] = w
    return tw


@pytest.fixture(scope="module")
def small_orders(bars):
    """2 % order (20,000 CNY: below the 5 CNY minimum), then 100 %, a sub-threshold change, then 50 %."""
    window = bars.iloc[:60]
    tw = decisions(window.index, d5=0.02, d10=1.0, d20=0.995, d30=0.5)
    return run_backtest(tw, {"562800": bars}, execution=ExecutionParams(threshold=0.01), costs=CostParams())


def test_signal_on_day_t_trades_on_the_next_session_open(bars, small_orders):
    idx = small_orders.equity.index
    assert list(small_orders.trades["date"]) == [idx[6], idx[11], idx[31]]
    for row in small_orders.trades.itertuples():
        assert row.price == bars.loc[row.date, "open"]
    assert small_orders.positions.iloc[:6].eq(0).all().all()  # nothing held before the first execution


def test_next_close_execution_uses_the_next_close(bars):
    tw = decisions(bars.index[:20], d3=1.0, d8=0.0)
    res = run_backtest(tw, {"562800": bars}, execution=ExecutionParams(execution="next_close"))
    assert list(res.trades["date"]) == [bars.index[4], bars.index[9]]
    assert list(res.trades["price"]) == [bars["close"].iloc[4], bars["close"].iloc[9]]
    assert res.weights.iloc[3, 0] == 0.0 and res.weights.iloc[4, 0] > 0.99


def test_share_counts_are_whole_lots(small_orders, with_costs):
    for res in (small_orders, with_costs):
        assert (res.trades["shares"] % 100 == 0).all()
        assert (res.trades["shares"] > 0).all()
        assert (res.positions.to_numpy() % 100 == 0).all()


def test_order_below_minimum_commission_pays_exactly_the_minimum(small_orders):
    first, second = small_orders.trades.iloc[0], small_orders.trades.iloc[1]
    assert 0.0002 * first["value"] < 5.0
    assert first["fee"] == 5.0
    assert second["fee"] == pytest.approx(0.0002 * second["value"], rel=1e-12)
    assert second["fee"] > 5.0


def test_weight_change_below_threshold_trades_nothing(small_orders):
    idx = small_orders.equity.index
    assert idx[21] not in set(small_orders.trades["date"])  # 0.995 vs ≈ 1.0: |Δ| ≤ 0.01
    assert len(small_orders.trades) == 3
    w = small_orders.weights.iloc[:, 0]
    assert abs(w.iloc[20] - 0.995) <= 0.01  # the reason: the weight was already close


def test_t_plus_one_one_order_per_symbol_per_day(bars):
    """Alternating 100 % / 0 % decisions: a buy and the next sell always fall on different days."""
    window = bars.iloc[:40]
    tw = pd.DataFrame({"562800": np.tile([1.0, 0.0], 20)}, index=window.index)
    res = run_backtest(tw, {"562800": bars}, costs=CostParams(commission=0.0, min_commission=0.0))
    tr = res.trades
    assert not tr.duplicated(["date", "symbol"]).any()
    assert list(tr["side"]) == ["buy", "sell"] * (len(tr) // 2) + ["buy"] * (len(tr) % 2)
    buys, sells = tr[tr["side"] == "buy"]["date"].to_numpy(), tr[tr["side"] == "sell"]["date"].to_numpy()
    assert (sells > buys[:len(sells)]).all()


def test_slippage_moves_the_fill_against_the_order(bars):
    tw = decisions(bars.index[:20], d3=1.0, d8=0.0)
    res = run_backtest(tw, {"562800": bars}, costs=CostParams(commission=0.0, min_commission=0.0, slippage_bps=10))
    buy, sell = res.trades.iloc[0], res.trades.iloc[1]
    assert buy["price"] == pytest.approx(bars["open"].iloc[4] * 1.001, rel=1e-12)
    assert sell["price"] == pytest.approx(bars["open"].iloc[9] * 0.999, rel=1e-12)


def test_cash_earns_nothing_unless_cash_rate(bars):
    tw = pd.DataFrame({"562800": 0.0}, index=bars.index[:300])
    flat = run_backtest(tw, {"562800": bars})
    assert (flat.equity == 1e6).all() and len(flat.trades) == 0
    paid = run_backtest(tw, {"562800": bars}, execution=ExecutionParams(cash_rate=0.02))
    growth = 1.02 ** (np.arange(300) / 243)
    assert paid.equity.iloc[-1] == pytest.approx(1e6 * growth[-1] / growth[1], rel=1e-12)
    assert len(paid.trades) == 0 and paid.metrics["exposure"] == 0.0


def test_buy_that_cannot_afford_a_lot_is_not_filled_and_pays_no_fee(bars):
    tw = decisions(bars.index[:10], d2=1.0)
    cash = bars["open"].iloc[3] * 100 + 2.0  # one lot + 2 CNY: the 5 CNY minimum does not fit
    res = run_backtest(tw, {"562800": bars}, execution=ExecutionParams(initial_cash=float(cash)))
    assert len(res.trades) == 0
    assert (res.equity == cash).all()


def test_default_benchmark_is_buy_and_hold(bars, with_costs):
    close = bars["close"].reindex(with_costs.benchmark_equity.index)
    np.testing.assert_allclose(with_costs.benchmark_equity.to_numpy(), 1e6 * (close / close.iloc[0]).to_numpy(),
                               rtol=1e-12)
    assert with_costs.benchmark_metrics["total_return"] == pytest.approx(close.iloc[-1] / close.iloc[0] - 1, rel=1e-12)


def test_two_symbols_share_cash_and_sell_before_buying():
    a, b = load_prices("562800"), load_prices("560860")
    idx = b.index[:80]
    tw = pd.DataFrame({"562800": np.nan, "560860": np.nan}, index=idx)
    tw.iloc[5] = [0.5, 0.5]
    tw.iloc[20] = [1.0, 0.0]  # switch: the 560860 sale must fund the 562800 purchase on the same open
    res = run_backtest(tw, {"562800": a, "560860": b})
    day = res.equity.index[21]
    same_day = res.trades[res.trades["date"] == day]
    assert set(same_day["side"]) == {"buy", "sell"}
    assert res.weights.loc[day, "562800"] > 0.99
    assert res.benchmark_name.startswith("equal weight")
    tr = res.trades
    holdings = (res.positions.iloc[-1] * pd.Series({"562800": a["close"].loc[idx[-1]],
                                                    "560860": b["close"].loc[idx[-1]]})).sum()
    flows = tr.apply(lambda t: -t.value - t.fee if t.side == "buy" else t.value - t.fee, axis=1).sum()
    assert res.equity.iloc[-1] == pytest.approx(1e6 + flows + holdings, abs=1e-6)


def test_fingerprint_is_stable_and_detects_changed_prices(bars, small_orders):
    window = bars.iloc[:60]
    tw = decisions(window.index, d5=0.02, d10=1.0, d20=0.995, d30=0.5)
    again = run_backtest(tw, {"562800": bars}, execution=ExecutionParams(threshold=0.01))
    assert again.data_fingerprint == small_orders.data_fingerprint
    changed = bars.copy()
    changed.iloc[40, changed.columns.get_loc("close")] *= 1.0001
    other = run_backtest(tw, {"562800": changed}, execution=ExecutionParams(threshold=0.01))
    assert other.data_fingerprint != small_orders.data_fingerprint
    assert len(small_orders.data_fingerprint) == 64


@pytest.mark.parametrize("weights, message", [
    ([0.7, 0.6], "more than 1"),
    ([-0.1, 0.5], "≥ 0"),
])
def test_bad_target_weights_are_config_errors(weights, message):
    a, b = load_prices("562800"), load_prices("560860")
    tw = pd.DataFrame({"562800": np.nan, "560860": np.nan}, index=b.index[:10])
    tw.iloc[3] = weights
    with pytest.raises(ConfigError, match=message):
        run_backtest(tw, {"562800": a, "560860": b})


def test_params_are_validated_with_the_field_name():
    with pytest.raises(ConfigError, match="execution.threshold"):
        ExecutionParams(threshold=-0.1)
    with pytest.raises(ConfigError, match="execution.lot_size"):
        ExecutionParams(lot_size=0)
    with pytest.raises(ConfigError, match="next_open"):
        ExecutionParams(execution="same_close")
    with pytest.raises(ConfigError, match="costs.commission"):
        CostParams(commission=0.5)
    with pytest.raises(ConfigError, match="costs.min_commission"):
        CostParams(min_commission=-1)


def test_result_to_dict_has_the_json_keys(with_costs):
    import json

    d = with_costs.to_dict()
    assert set(d) >= {"strategy", "symbols", "start", "end", "params", "metrics", "benchmark", "data_fingerprint",
                      "version"}
    for key in ("total_return", "annual_return", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
                "trades", "turnover", "exposure", "alpha", "beta"):
        assert key in d["metrics"]
    assert d["metrics"]["max_drawdown"] < 0
    json.dumps(d, allow_nan=True)
    assert d["params"]["costs"]["commission"] == 0.0002


# --------------------------------------------------------------------------------------------
# the vectorised sweep agrees with single backtests
# --------------------------------------------------------------------------------------------

def test_sweep_columns_equal_single_backtests(bars):
    from quantkit.backtest import load_strategy
    from quantkit.backtest.sweep import sweep_timing

    s = load_strategy(MA_TIMING)
    res = sweep_timing(bars, {"short": [10, 20], "long": [20, 60, 120], "band": [0.0, 0.03]}, weights=s.params["weights"],
                       execution=s.execution, costs=s.costs)
    assert res.combos == 12 and res.skipped == 2 and len(res.table) == 10
    table = res.table.set_index(["short", "long", "band"])
    for short, long, band in [(20, 120, 0.03), (10, 60, 0.0)]:
        single = run_strategy(MA_TIMING, start=res.start, overrides=[
            f"signal.short={short}", f"signal.long={long}", f"signal.band={band}"])  # the sweep's window
        row = table.loc[(short, long, band)]
        assert row["total_return"] == pytest.approx(single.metrics["total_return"], abs=1e-9)
        assert row["sharpe"] == pytest.approx(single.metrics["sharpe"], rel=1e-9)
        assert row["max_drawdown"] == pytest.approx(single.metrics["max_drawdown"], rel=1e-9)
        assert row["trades"] == single.metrics["trades"]
        assert row["fees"] == pytest.approx(single.metrics["fees"], rel=1e-9)


def test_walk_forward_picks_the_in_sample_best(bars):
    from quantkit.backtest.sweep import sweep_timing

    res = sweep_timing(bars, {"short": [10, 20, 30], "long": [60, 120], "band": [0.0, 0.03]}, n_splits=3)
    wf = res.walk_forward
    assert list(wf["split"]) == [1, 2, 3]
    assert (wf["is_end"] < wf["oos_start"]).all() and (wf["is_start"] == res.start).all()
    assert wf["oos_end"].iloc[-1] == res.end
    assert np.isfinite(wf["is_sharpe"]).all()


def test_next_open_needs_open_prices():
    from quantkit.backtest import run_backtest
    from quantkit.errors import ConfigError

    bars = load_prices("562800").copy()
    bars["open"] = float("nan")
    weights = pd.DataFrame({"562800": 1.0}, index=bars.index[:50])
    with pytest.raises(ConfigError, match="no open prices for 562800"):
        run_backtest(weights, {"562800": bars})


# --------------------------------------------------------------------------------------------
# the order solver's first guess
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("want, cash, adj, expected", [
    (4_728_400, 1_766_078.34, 0.3735, 4_727_500),  # all in: 4,727,500 × 0.3735 × 1.0002 = 1,766,074.39 ≤ cash
    (100, 36.92, 0.365, 0),       # one lot fits at the rate (36.51) but the fill pays the 5 CNY minimum: 41.50
    (10_000, 100.0, 0.365, 200),  # minimum regime: 200 × 0.365 + 5 = 78.00 ≤ 100; 300 lots would be 114.50
    (500, 1_000_000.0, 2.0, 500),  # affordable: all of it
])
def test_buy_size_of_a_cash_limited_order(want, cash, adj, expected):
    from quantkit.backtest.engine import import_vectorbt

    import_vectorbt()
    from quantkit.backtest.presolve_nb import buy_size

    assert buy_size(float(want), cash, adj, 100.0, 0.0002, 5.0) == expected


def test_first_guess_is_the_solution_for_cheap_etfs_bought_all_in():
    """512010 trades at 0.3–0.8 CNY: every all-in buy is cash-limited at the rate, and a leftover of
    under a lot with the 5 CNY minimum must stay unfilled. The first guess gets both right, so the
    solver confirms it in one pass (the guess used to be off by a lot at each all-in buy: 135 passes)."""
    from quantkit.backtest.sweep import sweep_timing

    res = sweep_timing(load_prices("512010"), {"short": [5, 10, 20], "long": [60, 120], "band": [0.0, 0.03]},
                       robust=False)
    assert res.passes == 1
