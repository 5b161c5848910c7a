"""Timing model: published figures, snapshot figures, boundaries, NaN gaps, validation, no look-ahead."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import quantkit
from quantkit.errors import ConfigError
from quantkit.models import TimingParams, classify_regime, effective_regime, profit_effect, timing_regime

REF = tomllib.loads((Path(__file__).resolve().parents[1] / "seeds" / "reference_figures.toml").read_text("utf-8"))


@pytest.fixture(scope="module")
def csi_all() -> pd.Series:
    return quantkit.load_prices("000985")["close"]


@pytest.fixture(scope="module")
def timing_full(csi_all) -> pd.DataFrame:
    return timing_regime(csi_all)


@pytest.mark.parametrize("case", REF["timing"]["published"], ids=lambda c: f"{c['ma_short']}/{c['ma_long']}")
def test_published_distances_within_rounding(case):
    half = 0.5 * 10 ** -case["ma_decimals"]
    lowest = (case["ma_short"] - half) / (case["ma_long"] + half) - 1
    highest = (case["ma_short"] + half) / (case["ma_long"] - half) - 1
    printed_half = 0.5 * 10 ** -case["distance_decimals"]
    # the printed distance is consistent with the printed (rounded) moving averages
    assert lowest <= case["distance"] + printed_half and case["distance"] - printed_half <= highest
    assert classify_regime(case["distance"], REF["timing"]["band"]) == case["regime"]
    assert classify_regime(case["ma_short"] / case["ma_long"] - 1, REF["timing"]["band"]) == case["regime"]


@pytest.mark.parametrize("case", REF["timing"]["snapshot"], ids=lambda c: c["date"])
def test_snapshot_figures(case, timing_full, csi_all):
    day = pd.Timestamp(case["date"])
    row = timing_full.loc[day]
    assert csi_all.loc[day] == case["close"]
    assert round(row["ma_short"], case["ma_decimals"]) == case["ma_short"]
    assert round(row["ma_long"], case["ma_decimals"]) == case["ma_long"]
    assert round(row["distance"], case["distance_decimals"]) == case["distance"]
    assert row["regime"] == case["regime"]


def test_hand_computed_2026_01_23(csi_all, timing_full):
    upto = csi_all.loc[:"2026-01-23"]
    ma20, ma120 = upto.iloc[-20:].mean(), upto.iloc[-120:].mean()
    assert ma20 == pytest.approx(6154.35, abs=0.005)
    assert ma120 == pytest.approx(5776.39, abs=0.005)
    assert timing_full.loc["2026-01-23", "distance"] == pytest.approx(ma20 / ma120 - 1, rel=1e-12)
    assert round(ma20 / ma120 - 1, 4) == 0.0654
    assert timing_full.loc["2026-01-23", "regime"] == "up"


@pytest.mark.parametrize("point", REF["profit_effect"]["points"], ids=lambda p: p["date"])
def test_profit_effect_reference_points(point, csi_all):
    cfg = REF["profit_effect"]
    effect = profit_effect(csi_all, cfg["trend_line"])
    value = effect.loc[point["date"]]
    assert round(value, cfg["decimals"]) == point["computed_000985"]
    assert np.sign(value) == np.sign(point["published_wind_all_a"])
    assert abs(value - point["published_wind_all_a"]) < 0.005  # the proxy stays within half a point


def test_profit_effect_trend_line_forms_agree(csi_all):
    by_window = profit_effect(csi_all, 30)
    by_callable = profit_effect(csi_all, lambda c: c.rolling(30).mean())
    by_series = profit_effect(csi_all, csi_all.rolling(30).mean().iloc[::-1])  # aligned by date, not position
    pd.testing.assert_series_equal(by_window, by_callable)
    pd.testing.assert_series_equal(by_window, by_series)
    assert by_window.iloc[:29].isna().all() and by_window.iloc[29:].notna().all()
    with pytest.raises(ConfigError, match="trend_line"):
        profit_effect(csi_all, 0)
    with pytest.raises(ConfigError, match="trend_line"):
        profit_effect(csi_all, "30")


@pytest.mark.parametrize("inclusive, expected", [(False, ["range", "range", "up", "down", "range", None]),
                                                 (True, ["up", "down", "up", "down", "range", None])])
def test_classifier_boundaries(inclusive, expected):
    distance = pd.Series([0.03, -0.03, 0.0300001, -0.0300001, 0.0, np.nan])
    assert classify_regime(distance, 0.03, inclusive).tolist() == expected


@pytest.mark.parametrize("inclusive, expected", [(False, ("range", "range")), (True, ("up", "down"))])
def test_series_with_distance_exactly_at_band(inclusive, expected):
    # 100 bars at 99.4 then 20 bars at a: MA120 = 100 exactly when a = 103 (or 97 with 100.6 before)
    up = pd.Series([99.4] * 100 + [103.0] * 20, index=pd.bdate_range("2024-01-01", periods=120))
    down = pd.Series([100.6] * 100 + [97.0] * 20, index=up.index)
    res_up, res_down = timing_regime(up, inclusive=inclusive), timing_regime(down, inclusive=inclusive)
    assert res_up["ma_long"].iloc[-1] == pytest.approx(100.0) and res_down["ma_long"].iloc[-1] == pytest.approx(100.0)
    assert res_up["distance"].iloc[-1] == pytest.approx(0.03) and res_down["distance"].iloc[-1] == pytest.approx(-0.03)
    assert (res_up["regime"].iloc[-1], res_down["regime"].iloc[-1]) == expected


def test_insufficient_history_has_no_regime(csi_all):
    short = timing_regime(csi_all.iloc[:119])
    assert short["regime"].isna().all() and short["ma_long"].isna().all()
    assert short["ma_short"].iloc[19:].notna().all()
    exact = timing_regime(csi_all.iloc[:120])
    assert exact["regime"].iloc[:119].isna().all()
    assert exact["regime"].iloc[119] in ("up", "range", "down")
    assert exact["regime"].dtype == object


def test_nan_gap_skips_the_bar(csi_all, timing_full):
    gappy = csi_all.copy()
    gap_days = gappy.index[[1000, 1001, 2000]]
    gappy.loc[gap_days] = np.nan
    res = timing_regime(gappy)
    assert res.loc[gap_days, "regime"].isna().all() and res.loc[gap_days, "ma_long"].isna().all()
    # on the other days the averages equal those of the series with the gap rows removed
    dropped = timing_regime(csi_all.drop(gap_days))
    pd.testing.assert_frame_equal(res.drop(gap_days), dropped)
    # the gap blanks only its own days: the day after has a regime
    assert res["regime"].iloc[1002] is not None
    after = res.index[1002]
    assert res.loc[after, "ma_short"] == pytest.approx(csi_all.drop(gap_days).loc[:after].iloc[-20:].mean())


def test_effective_regime_demotes_only_up():
    idx = pd.bdate_range("2025-01-01", periods=5)
    regime = pd.Series(["up", "up", "down", None, "up"], index=idx, dtype=object)
    effect = pd.Series([-0.01, 0.02, -0.05, -0.01, np.nan], index=idx)
    assert effective_regime(regime, effect).tolist() == ["range", "up", "down", None, "up"]


@pytest.mark.parametrize("kwargs, name", [({"short": -5}, "short"), ({"long": 0}, "long"), ({"short": 120}, "short"),
                                          ({"short": 20, "long": 10}, "short"), ({"band": -0.01}, "band"),
                                          ({"band": float("nan")}, "band"), ({"short": 2.5}, "short"),
                                          ({"inclusive": "yes"}, "inclusive")])
def test_parameter_validation_names_the_parameter(kwargs, name, csi_all):
    with pytest.raises(ConfigError, match=name):
        TimingParams(**kwargs)
    with pytest.raises(ConfigError, match=name):
        timing_regime(csi_all, **kwargs)


def test_params_object_is_frozen_and_used(csi_all):
    params = TimingParams(short=10, long=60, band=0.02, inclusive=True)
    with pytest.raises(Exception):
        params.short = 5  # type: ignore[misc]
    pd.testing.assert_frame_equal(timing_regime(csi_all, params=params), timing_regime(csi_all, 10, 60, 0.02, True))


def test_no_look_ahead_on_real_data(csi_all, timing_full):
    rng = np.random.default_rng(20260125)
    effect_full = profit_effect(csi_all, 30)
    for cut in rng.choice(np.arange(50, len(csi_all) - 1), size=5, replace=False):
        part = csi_all.iloc[:cut + 1]
        pd.testing.assert_frame_equal(timing_regime(part), timing_full.iloc[:cut + 1])
        pd.testing.assert_series_equal(profit_effect(part, 30), effect_full.iloc[:cut + 1])
