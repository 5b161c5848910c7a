"""Position model: published outputs, valuation percentiles and states, market_state on the snapshot."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import quantkit
from quantkit.errors import ConfigError
from quantkit.models import (
    POSITION_MATRIX,
    MarketParams,
    market_state,
    position_weight,
    position_weights,
    valuation_percentile,
    valuation_state,
)

REF = tomllib.loads((Path(__file__).resolve().parents[1] / "seeds" / "reference_figures.toml").read_text("utf-8"))
STATE_COLUMNS = ["close", "ma_short", "ma_long", "distance", "regime", "profit_effect", "effective_regime",
                 "pe_percentile", "pb_percentile", "valuation", "position"]


@pytest.fixture(scope="module")
def csi_all() -> pd.Series:
    return quantkit.load_prices("000985")["close"]


@pytest.fixture(scope="module")
def hs300_val() -> pd.DataFrame:
    return quantkit.load_valuation("000300")


@pytest.fixture(scope="module")
def state(csi_all, hs300_val) -> pd.DataFrame:
    return market_state(csi_all, hs300_val)


def test_position_matrix():
    expected = {"up": (0.9, 0.8, 0.7), "range": (0.6, 0.5, 0.4), "down": (0.3, 0.2, 0.1)}
    for trend, weights in expected.items():
        assert tuple(POSITION_MATRIX[(trend, v)] for v in ("low", "normal", "high")) == weights
    assert len(POSITION_MATRIX) == 9
    with pytest.raises(TypeError):
        POSITION_MATRIX[("up", "low")] = 1.0  # type: ignore[index]


@pytest.mark.parametrize("case", REF["position"]["published"], ids=lambda c: f"{c['trend']}-{c['pe_pct']}-{c['pb_pct']}")
def test_published_position_outputs(case):
    low, high, decimals = REF["position"]["low"], REF["position"]["high"], REF["position"]["decimals"]
    assert valuation_state(case["pe_pct"], case["pb_pct"], low, high) == case["valuation"]
    weight = position_weight(case["trend"], case["pe_pct"], case["pb_pct"], case.get("profit_effect"), low=low, high=high)
    assert round(weight, decimals) == case["weight"]
    if "effective_trend" in case:
        assert weight == position_weight(case["effective_trend"], case["pe_pct"], case["pb_pct"])


@pytest.mark.parametrize("pe, pb, state", [
    (0.30, 0.39, "low"),        # mean 0.345 < 0.35
    (0.30, 0.40, "normal"),     # mean 0.35 is not < 0.35
    (0.81, 0.95, "high"),       # min 0.81 > 0.80
    (0.80, 0.95, "normal"),     # min 0.80 is not > 0.80
    (0.10, 0.95, "normal"),
    (0.20, None, "low"), (0.85, float("nan"), "high"), (None, 0.50, "normal"),
    (None, None, None),
])
def test_valuation_state_rules(pe, pb, state):
    assert valuation_state(pe, pb) == state


def test_percentile_given_as_percent_is_rejected_clearly():
    with pytest.raises(ConfigError, match=r"pe_pct.*fraction.*0\.40.*got 40"):
        position_weight("range", 40, 0.2)
    with pytest.raises(ConfigError, match="pb_pct"):
        valuation_state(0.4, -0.1)
    with pytest.raises(ConfigError, match="trend"):
        position_weight("bull", 0.4, 0.2)
    with pytest.raises(ConfigError, match="high"):
        valuation_state(0.4, 0.2, low=0.35, high=80)
    with pytest.raises(ConfigError, match="low"):
        valuation_state(0.4, 0.2, low=0.9, high=0.8)


def test_position_weight_missing_inputs():
    assert math.isnan(position_weight(None, 0.4, 0.2))
    assert math.isnan(position_weight("up", None, None))
    assert position_weight("up", 0.9, 0.5, profit_effect=float("nan")) == 0.8
    assert position_weight("down", 0.9, 0.9) == 0.1


def test_position_weights_vectorised_matches_scalar():
    idx = pd.bdate_range("2025-01-01", periods=6)
    regime = pd.Series(["up", "up", "range", "down", None, "up"], index=idx, dtype=object)
    pe = pd.Series([0.9, 0.85, 0.40, 0.2, 0.5, 0.95], index=idx)
    pb = pd.Series([0.5, 0.50, 0.20, np.nan, 0.5, 0.90], index=idx)
    effect = pd.Series([0.01, -0.0435, 0.0, 0.0, 0.0, 0.02], index=idx)
    weights = position_weights(regime, pe, pb, effect)
    assert weights.iloc[:4].tolist() == [0.8, 0.5, 0.6, 0.3]
    assert math.isnan(weights.iloc[4]) and weights.iloc[5] == 0.7
    for i in (0, 1, 2, 3, 5):
        assert weights.iloc[i] == position_weight(regime.iloc[i], pe.iloc[i], pb.iloc[i], effect.iloc[i])
    with pytest.raises(ConfigError, match=rf"pe_pct.*got 85.*{idx[1].date()}"):
        position_weights(regime, pe.where(pe != 0.85, 85), pb)
    with pytest.raises(ConfigError, match="regime"):
        position_weights(pd.Series(["sideways"], index=idx[:1]), pe, pb)


def test_valuation_percentile_start_and_methods(hs300_val):
    pe = hs300_val["pe"]
    pct = valuation_percentile(pe)
    assert pct.loc[:"2014-10-16"].isna().all()
    first = pct.loc["2014-10-17":].first_valid_index()
    assert first == pe.loc["2014-10-17":].index[0] and pct.loc[first] == 1.0
    window = pe.loc["2014-10-17":"2026-01-23"]
    assert pct.loc["2026-01-23"] == pytest.approx((window <= window.iloc[-1]).mean())
    mm = valuation_percentile(pe, "minmax")
    assert mm.loc["2026-01-23"] == pytest.approx((window.iloc[-1] - window.min()) / (window.max() - window.min()))
    valid = pct.dropna()
    assert ((valid > 0) & (valid <= 1)).all()
    whole = valuation_percentile(pe, start=None)
    assert whole.notna().sum() == pe.notna().sum()


@pytest.mark.parametrize("case", REF["market_state"], ids=lambda c: c["date"])
def test_market_state_reference_dates(case, state):
    row = state.loc[case["date"]]
    assert row["regime"] == case["regime"] and row["effective_regime"] == case["effective_regime"]
    assert round(row["pe_percentile"], 2) == case["pe_percentile"]
    assert round(row["pb_percentile"], 2) == case["pb_percentile"]
    assert row["valuation"] == case["valuation"]
    assert row["position"] == case["position"]


def test_market_state_columns_and_consistency(state, csi_all, hs300_val):
    assert list(state.columns) == STATE_COLUMNS
    assert state.index.equals(csi_all.index)
    row = state.loc["2026-03-20"]
    assert round(row["profit_effect"], 4) == -0.0425  # up by distance, demoted by the profit effect
    placed = state.dropna(subset=["position"])
    assert set(placed["position"].round(2)) <= set(POSITION_MATRIX.values())
    # the 000300 valuation ends on 2026-05-28: ten sessions later the position stops, not silently stale
    last_val = hs300_val.index[-1]
    after = state.loc[state.index > last_val]
    assert after["position"].iloc[:10].notna().all() and after["position"].iloc[10:].isna().all()
    assert after["pe_percentile"].iloc[:10].eq(state.loc[last_val, "pe_percentile"]).all()
    unlimited = market_state(csi_all, hs300_val, MarketParams(valuation_max_age=None))
    assert unlimited["position"].iloc[-1] == POSITION_MATRIX[(unlimited["effective_regime"].iloc[-1],
                                                              unlimited["valuation"].iloc[-1])]


def test_valuation_carried_forward_never_backward():
    idx = pd.bdate_range("2025-01-01", periods=6)
    close = pd.Series(np.linspace(100, 105, 6), index=idx)
    val = pd.DataFrame({"pe": [10.0, 12.0, 11.0]}, index=idx[[0, 2, 5]])
    params = MarketParams(short=1, long=2, trend_line=2, percentile_start=None, valuation_max_age=2)
    out = market_state(close, val, params)
    # pe pct on its own dates: 1, 1, 2/3; day 2 (no obs) keeps day 1's; day 4 is 2 sessions after obs → kept;
    assert out["pe_percentile"].iloc[:5].tolist() == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert out["pe_percentile"].iloc[5] == pytest.approx(2 / 3)
    assert out["pb_percentile"].isna().all()          # no PB: PE decides alone
    assert out["valuation"].iloc[5] == "normal" and out["valuation"].iloc[0] == "high"
    stale = market_state(close, val, MarketParams(short=1, long=2, trend_line=2,
                                                  percentile_start=None, valuation_max_age=1))
    assert math.isnan(stale["pe_percentile"].iloc[4])  # obs of day 3 is 2 sessions old on day 5


def test_pe_only_valuation_index(csi_all):
    pe_only = quantkit.load_valuation("000985")
    out = market_state(csi_all, pe_only, MarketParams(valuation_index="000985"))
    assert out["pb_percentile"].isna().all()
    day = out.loc["2026-01-23"]
    expected = valuation_state(day["pe_percentile"], None)
    assert day["valuation"] == expected and not math.isnan(day["position"])


@pytest.mark.parametrize("kwargs, name", [({"trend_line": 0}, "trend_line"), ({"method": "zscore"}, "method"),
                                          ({"low": 0.9}, "low"), ({"high": 1.5}, "high"),
                                          ({"percentile_start": "someday"}, "percentile_start"),
                                          ({"valuation_max_age": -1}, "valuation_max_age"),
                                          ({"short": 120, "long": 20}, "short")])
def test_market_params_validation(kwargs, name):
    with pytest.raises(ConfigError, match=name):
        MarketParams(**kwargs)


def test_no_look_ahead_on_real_data(csi_all, hs300_val, state):
    rng = np.random.default_rng(7)
    pct_full = valuation_percentile(hs300_val["pb"])
    for cut in np.sort(rng.choice(pd.DatetimeIndex(csi_all.index[300:-1]), size=4, replace=False)):
        cut = pd.Timestamp(cut)
        part_close, part_val = csi_all.loc[:cut], hs300_val.loc[:cut]
        pd.testing.assert_frame_equal(market_state(part_close, part_val), state.loc[:cut])
        pd.testing.assert_series_equal(valuation_percentile(part_val["pb"]), pct_full.loc[:cut])
