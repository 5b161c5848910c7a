"""Indicators: hand-made series with known answers, NaN and start handling, no look-ahead on real data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import quantkit
from quantkit.errors import ConfigError
from quantkit.indicators import (
    carry_forward,
    ema,
    estimate_amount,
    expanding_percentile,
    latest_percentile,
    ma_distance,
    relative_distance,
    rolling_percentile,
    rolling_volatility,
    simple_returns,
    sma,
    turnover_share,
)

DATES = pd.bdate_range("2024-01-01", periods=8, name="date")
PI = pd.Series([3.0, 1, 4, 1, 5, 9, 2, 6], index=DATES)


@pytest.fixture(scope="module")
def csi_all() -> pd.Series:
    return quantkit.load_prices("000985")["close"]


def test_sma_and_distance_by_hand():
    close = pd.Series([1.0, 2, 3, 4, 5, 6], index=DATES[:6])
    assert sma(close, 3).tolist()[2:] == [2.0, 3.0, 4.0, 5.0]
    assert sma(close, 3).iloc[:2].isna().all()
    dist = ma_distance(close, 2, 4)
    # day 4: SMA2 = 3.5, SMA4 = 2.5 → 0.4; day 6: 5.5 / 4.5 − 1
    assert dist.iloc[3] == pytest.approx(0.4)
    assert dist.iloc[5] == pytest.approx(5.5 / 4.5 - 1)
    assert dist.iloc[:3].isna().all()


def test_sma_nan_policy():
    close = pd.Series([1.0, 2, np.nan, 4, 5, 6], index=DATES[:6])
    plain = sma(close, 2)
    assert plain.isna().tolist() == [True, False, True, True, False, False]
    skip = sma(close, 2, skipna=True)
    assert math.isnan(skip.iloc[2])               # own value missing → no average that day
    assert skip.iloc[3] == pytest.approx(3.0)     # last two valid closes: 2 and 4
    assert skip.iloc[4] == pytest.approx(4.5)


def test_ema_recursive():
    close = pd.Series([1.0, 2, 3, 4], index=DATES[:4])
    out = ema(close, 3)  # alpha = 0.5
    assert math.isnan(out.iloc[1])
    assert out.iloc[2] == pytest.approx(0.25 * 1 + 0.25 * 2 + 0.5 * 3)
    assert out.iloc[3] == pytest.approx(0.5 * out.iloc[2] + 0.5 * 4)


def test_relative_distance_aligns_on_dates():
    s = pd.Series([110.0, 90.0], index=DATES[:2])
    ref = pd.Series([100.0, 100.0], index=DATES[[1, 0]])
    assert relative_distance(s, ref).round(12).tolist() == [0.1, -0.1]


def test_expanding_percentile_rank_and_minmax_by_hand():
    rank = expanding_percentile(PI, "rank")
    assert rank.tolist() == pytest.approx([1, 0.5, 1, 0.5, 1, 1, 3 / 7, 7 / 8])
    minmax = expanding_percentile(PI, "minmax")
    assert math.isnan(minmax.iloc[0])  # max = min on the first day
    assert minmax.iloc[1:].tolist() == pytest.approx([0, 1, 0, 1, 1, 1 / 8, 5 / 8])


def test_expanding_percentile_start_date():
    out = expanding_percentile(PI, "rank", start=DATES[2])
    assert out.iloc[:2].isna().all()
    # window from the 3rd value: [4], [4,1], [4,1,5], [4,1,5,9], [..,2], [..,6]
    assert out.iloc[2:].tolist() == pytest.approx([1, 0.5, 1, 1, 2 / 5, 5 / 6])
    mm = expanding_percentile(PI, "minmax", start=str(DATES[2].date()))
    assert mm.iloc[3:].tolist() == pytest.approx([0, 1, 1, 1 / 8, 5 / 8])


def test_percentile_skips_nan_observations():
    s = PI.copy()
    s.iloc[2] = np.nan
    out = expanding_percentile(s, "rank")
    assert math.isnan(out.iloc[2])
    assert out.iloc[3] == pytest.approx(2 / 3)  # [3, 1, 1]: two of three ≤ 1


def test_rolling_percentile_by_hand():
    rank = rolling_percentile(PI, 3, "rank")
    assert rank.iloc[:2].isna().all()
    assert rank.iloc[2:].tolist() == pytest.approx([1, 2 / 3, 1, 1, 1 / 3, 2 / 3])
    mm = rolling_percentile(PI, 3, "minmax")
    assert mm.iloc[6:].tolist() == pytest.approx([0, 4 / 7])


def test_percentile_variants_agree_with_brute_force():
    rng = np.random.default_rng(3)
    s = pd.Series(rng.integers(0, 20, 700).astype(float), index=pd.bdate_range("2020-01-01", periods=700))
    s.iloc[[10, 300]] = np.nan
    brute = s.expanding().apply(lambda w: np.mean(w[~np.isnan(w)] <= w[-1]), raw=True).where(s.notna())
    pd.testing.assert_series_equal(expanding_percentile(s), brute, check_names=False)
    brute_mm = s.rolling(50, min_periods=1).apply(
        lambda w: (w[-1] - np.nanmin(w)) / (np.nanmax(w) - np.nanmin(w)), raw=True)
    valid = s.dropna()
    roll = rolling_percentile(valid, 50, "minmax")
    ref = valid.rolling(50).apply(lambda w: (w[-1] - w.min()) / (w.max() - w.min()) if w.max() > w.min() else np.nan,
                                  raw=True)
    pd.testing.assert_series_equal(roll, ref, check_names=False)
    assert brute_mm.notna().any()
    for method in ("rank", "minmax"):
        assert latest_percentile(s, method, start="2021-01-01") == expanding_percentile(
            s, method, start="2021-01-01").iloc[-1]


def test_percentile_parameter_errors_name_the_parameter():
    with pytest.raises(ConfigError, match="method"):
        expanding_percentile(PI, "quantile")
    with pytest.raises(ConfigError, match="window"):
        rolling_percentile(PI, -3)
    with pytest.raises(ConfigError, match="start"):
        expanding_percentile(PI, start="not a date")
    with pytest.raises(ConfigError, match="window"):
        sma(PI, 0)


def test_rolling_volatility():
    close = pd.Series([100.0, 101, 99, 102, 103], index=DATES[:5])
    r = close.pct_change()
    vol = rolling_volatility(close, 3)
    assert vol.iloc[:3].isna().all()
    assert vol.iloc[3] == pytest.approx(r.iloc[1:4].std(ddof=1))
    assert rolling_volatility(close, 3, annualize=243).iloc[4] == pytest.approx(r.iloc[2:5].std() * math.sqrt(243))
    gap = close.copy()
    gap.iloc[2] = np.nan
    assert simple_returns(gap).iloc[3] == pytest.approx(102 / 101 - 1)
    with pytest.raises(ConfigError, match="annualize"):
        rolling_volatility(close, 3, annualize=-1)


def test_turnover_share_alignment():
    amount = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, np.nan, 6.0]}, index=DATES[:3])
    market = pd.Series([10.0, 20.0, 100.0], index=DATES[[1, 0, 3]])  # DATES[2] unknown
    share = turnover_share(amount, market)
    assert share["a"].tolist()[:2] == [0.05, 0.2]
    assert np.isnan(share.iloc[2]).all()
    assert turnover_share(amount["b"], market).iloc[0] == pytest.approx(0.1)


def test_estimate_amount_keeps_known_and_calibrates():
    close = pd.Series([1.0, 1.0, 2.0, 2.0, 2.0], index=DATES[:5])
    volume = pd.Series([10.0, 20.0, 10.0, 10.0, 30.0], index=DATES[:5])
    amount = pd.Series([30.0, 60.0, np.nan, np.nan, np.nan], index=DATES[:5])  # 3× close·volume
    out = estimate_amount(close, volume, amount, calibration=20)
    assert out.tolist() == [30.0, 60.0, 60.0, 60.0, 180.0]
    assert estimate_amount(close, volume, amount, calibration=None).tolist() == [30.0, 60.0, 20.0, 20.0, 60.0]
    assert estimate_amount(close, volume).tolist() == (close * volume).tolist()


def test_indicators_have_no_look_ahead_on_real_data(csi_all):
    rng = np.random.default_rng(11)
    cuts = np.sort(rng.choice(np.arange(300, len(csi_all) - 1), size=4, replace=False))
    full = {
        "sma": sma(csi_all, 120, skipna=True), "ema": ema(csi_all, 30), "dist": ma_distance(csi_all, 20, 120),
        "pct": expanding_percentile(csi_all, "rank", "2016-01-01"), "mm": rolling_percentile(csi_all, 243, "minmax"),
        "vol": rolling_volatility(csi_all, 20),
    }
    for cut in cuts:
        part = csi_all.iloc[:cut + 1]
        trunc = {
            "sma": sma(part, 120, skipna=True), "ema": ema(part, 30), "dist": ma_distance(part, 20, 120),
            "pct": expanding_percentile(part, "rank", "2016-01-01"), "mm": rolling_percentile(part, 243, "minmax"),
            "vol": rolling_volatility(part, 20),
        }
        for key, series in trunc.items():
            pd.testing.assert_series_equal(series, full[key].iloc[:cut + 1], obj=f"{key} cut at {part.index[-1].date()}")


def test_carry_forward_never_uses_a_later_value_and_expires():
    src = pd.Series(["up", "down", "range"], index=pd.to_datetime(["2024-01-02", "2024-01-04", "2024-01-10"]),
                    dtype=object)
    dates = pd.bdate_range("2024-01-01", "2024-01-31")
    out = carry_forward(src, dates, max_age=5)
    assert out["2024-01-01"] is None
    assert out["2024-01-03"] == "up" and out["2024-01-04"] == "down" and out["2024-01-09"] == "down"
    assert out["2024-01-17"] == "range" and out["2024-01-18"] is None  # > 5 sessions old
