"""Rotation model: published return, quadrant table on the snapshot, reasons, amount estimate, no look-ahead."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import quantkit
from quantkit.data.universe import THEME_ETFS
from quantkit.errors import ConfigError
from quantkit.indicators import latest_percentile
from quantkit.models import RotationParams, quadrants, select_rotation
from quantkit.app.signal import load_rotation_inputs

REF = tomllib.loads((Path(__file__).resolve().parents[1] / "seeds" / "reference_figures.toml").read_text("utf-8"))
UNIVERSE = (*THEME_ETFS, "563300")  # 563300 中证2000ETF: listed 2023-09-14


@pytest.fixture(scope="module")
def inputs() -> dict:
    return load_rotation_inputs(UNIVERSE)


@pytest.fixture(scope="module")
def table_2025(inputs) -> pd.DataFrame:
    return quadrants(**inputs, as_of="2025-12-31")


@pytest.mark.parametrize("case", REF["rotation"]["returns"], ids=lambda c: c["symbol"])
def test_published_rise(case, inputs):
    bars = quantkit.load_prices(case["symbol"])
    start, end = bars.loc[case["anchor"], "close"], bars.loc[case["as_of"], "close"]
    assert round(start, case["close_decimals"]) == case["start_close"]
    assert round(end, case["close_decimals"]) == case["end_close"]
    assert round(end / start - 1, case["rise_decimals"]) == case["rise"]
    table = quadrants(**inputs, as_of=case["as_of"], anchor=case["anchor"])
    assert round(table.loc[case["symbol"], "rise"], case["rise_decimals"]) == case["rise"]
    # "since the start of 2025": an anchor on the holiday gives the same base close
    table_jan1 = quadrants(**inputs, as_of=case["as_of"], anchor="2025-01-01")
    assert table_jan1.loc[case["symbol"], "rise"] == table.loc[case["symbol"], "rise"]


def test_table_shape_and_quadrant_rules(table_2025):
    assert list(table_2025.index) == list(UNIVERSE)
    assert table_2025.attrs["as_of"] == pd.Timestamp("2025-12-31")
    placed = table_2025[table_2025["reason"] == ""]
    assert len(placed) == len(UNIVERSE) - 1 and placed["quadrant"].notna().all()  # 159881 ends 2025-06-13
    assert placed["crowding"].between(0, 1).all()
    median = placed["rise"].median()
    assert table_2025.attrs["rise_median"] == median
    high_rise, high_crowd = placed["rise"] > median, placed["crowding"] > 0.5
    expected = np.select([high_rise & high_crowd, high_rise & ~high_crowd, ~high_rise & ~high_crowd], [1, 2, 3], 4)
    assert placed["quadrant"].astype(int).tolist() == expected.tolist()
    assert set(placed["quadrant"]) == {1, 2, 3, 4}
    # turnover rates stop in 2025-07: crowding is the mean of the two other components
    assert placed["turnover_rate_pct"].isna().all()
    both = placed[["amount_share_pct", "volatility_pct"]].mean(axis=1)
    pd.testing.assert_series_equal(placed["crowding"], both, check_names=False)


def test_rows_with_reasons_never_crash(table_2025):
    row = table_2025.loc["159881"]
    assert pd.isna(row["quadrant"]) and np.isnan(row["rise"])
    assert row["reason"] == "no price at as-of; last 2025-06-13"
    early = quadrants(**load_rotation_inputs(UNIVERSE, end="2025-08-29"), as_of="2025-08-29")
    assert early.loc["159881", "reason"] == "no price at as-of; last 2025-06-13" and pd.isna(early.loc["159881", "rise"])


def test_recently_listed_etf_gets_a_reason(inputs):
    table = quadrants(**inputs, as_of="2024-03-01")
    bars = int(inputs["close"]["563300"].loc[:"2024-03-01"].notna().sum())
    assert table.loc["563300", "reason"] == f"listed 2023-09-14: {bars} bars < 244 for a 243-day rise"
    assert table.loc["563300", "bars"] == bars and pd.isna(table.loc["563300", "quadrant"])
    assert table["quadrant"].notna().sum() >= 25
    anchored = quadrants(**inputs, as_of="2024-06-28", anchor="2023-06-30")
    assert anchored.loc["563300", "reason"] == "listed 2023-09-14: after anchor 2023-06-30"
    assert anchored.loc["560860", "reason"] == ""  # listed 2023-03-13, before the anchor


def test_components_by_hand_while_amount_is_known(inputs):
    table = quadrants(**inputs, as_of="2025-06-30")
    close = inputs["close"]["512400"].dropna().loc[:"2025-06-30"]
    amount = inputs["amount"]["512400"].reindex(close.index)
    share = (amount / inputs["market_amount"].reindex(close.index)).rolling(20).mean()
    turnover = (inputs["turnover"]["512400"].reindex(close.index) / 100).rolling(20).mean()
    vol = close.pct_change().rolling(20).std()
    row = table.loc["512400"]
    assert not row["amount_estimated"]
    assert row["amount_share"] == pytest.approx(share.iloc[-1], rel=1e-12)
    assert row["turnover_rate"] == pytest.approx(turnover.iloc[-1], rel=1e-12)
    assert row["volatility"] == pytest.approx(vol.iloc[-1], rel=1e-12)
    sample = share.loc["2020-01-01":].dropna()
    assert row["amount_share_pct"] == pytest.approx((sample <= sample.iloc[-1]).mean())
    assert row["crowding"] == pytest.approx(np.mean([row["amount_share_pct"], row["turnover_rate_pct"],
                                                     row["volatility_pct"]]))
    assert row["rise"] == pytest.approx(close.iloc[-1] / close.iloc[-244] - 1)


def test_amount_estimate_is_flagged_and_calibrated(inputs, table_2025):
    assert bool(table_2025.loc["562800", "amount_estimated"])       # amount stops 2025-07-04
    assert not bool(table_2025.loc["512000", "amount_estimated"])   # known to 2026-03-13
    # 515880: close × volume is a third of the amount (qfq close vs unadjusted volume); the
    # calibrated estimate continues the known series instead of dropping 3×
    c, v, a = (inputs[k]["515880"].loc["2025-06-01":"2025-07-31"] for k in ("close", "volume", "amount"))
    ratio = (a / (c * v)).dropna()
    assert ratio.median() == pytest.approx(3.0, rel=0.02)
    before, after = quadrants(**inputs, as_of="2025-07-04"), quadrants(**inputs, as_of="2025-08-01")
    assert not before.loc["515880", "amount_estimated"] and after.loc["515880", "amount_estimated"]
    assert after.loc["515880", "amount_share"] > 0.5 * before.loc["515880", "amount_share"]


def test_as_of_on_a_weekend_resolves_to_the_last_session(inputs, table_2025):
    saturday = quadrants(**inputs, as_of="2026-01-03")
    assert saturday.attrs["as_of"] == pd.Timestamp("2025-12-31")
    pd.testing.assert_frame_equal(saturday, table_2025)


def test_select_rotation(table_2025):
    picks = select_rotation(table_2025)
    q2 = table_2025[table_2025["quadrant"] == 2].sort_values("rise", ascending=False)
    q3 = table_2025[table_2025["quadrant"] == 3].sort_values("rise", ascending=False)
    assert picks == (list(q2.index) + list(q3.index))[:3]
    many = select_rotation(table_2025, preferred=(2, 3), top_k=len(q2) + 2)
    assert many == list(q2.index) + list(q3.index[:2])
    assert select_rotation(table_2025, preferred=(1,), top_k=1) == [
        table_2025[table_2025["quadrant"] == 1]["rise"].idxmax()]
    with pytest.raises(ConfigError, match="preferred"):
        select_rotation(table_2025, preferred=(5,))
    with pytest.raises(ConfigError, match="top_k"):
        select_rotation(table_2025, top_k=0)


@pytest.mark.parametrize("kwargs, name", [({"lookback": -5}, "lookback"), ({"window": 0}, "window"),
                                          ({"anchor": "soon"}, "anchor"), ({"history_start": "x"}, "history_start"),
                                          ({"method": "mean"}, "method"), ({"anchor": "2026-01-05"}, "anchor")])
def test_parameter_validation(inputs, kwargs, name):
    with pytest.raises(ConfigError, match=name):
        quadrants(**inputs, as_of="2025-12-31", **kwargs)


def test_params_object(inputs, table_2025):
    params = RotationParams(lookback=243, window=20)
    pd.testing.assert_frame_equal(quadrants(**inputs, as_of="2025-12-31", params=params), table_2025)
    with pytest.raises(ConfigError, match="top_k"):
        RotationParams(top_k=-1)
    with pytest.raises(ConfigError, match="as_of"):
        quadrants(**inputs, as_of="2010-01-04")


def test_no_look_ahead_on_real_data(inputs):
    rng = np.random.default_rng(2026)
    days = inputs["close"].loc["2021-06-01":"2026-05-06"].index
    for cut in rng.choice(days, size=3, replace=False):
        cut = pd.Timestamp(cut)
        full = quadrants(**inputs, as_of=cut)
        truncated = {k: v.loc[:cut] for k, v in inputs.items()}
        pd.testing.assert_frame_equal(quadrants(**truncated, as_of=cut), full, obj=f"quadrants at {cut.date()}")
        sample = full.dropna(subset=["volatility"]).index[0]
        vol = truncated["close"][sample].dropna().pct_change().rolling(20).std()
        assert full.loc[sample, "volatility_pct"] == latest_percentile(vol, start="2020-01-01")


def test_quadrant_tables_equal_quadrants_date_by_date(inputs):
    """The one-pass form used by backtests gives exactly the single-date tables."""
    from quantkit.models import quadrant_tables

    days = ["2023-06-30", "2024-12-31", "2025-07-04", "2025-10-17", "2026-05-07"]
    tables = quadrant_tables(dates=days, **inputs)
    assert [d.date().isoformat() for d in tables] == days
    for day in days:
        pd.testing.assert_frame_equal(tables[pd.Timestamp(day)], quadrants(as_of=day, **inputs))


def test_quadrants_accept_a_mapping_of_canonical_bars(inputs):
    bars = {code: quantkit.load_prices(code) for code in ("562800", "560860", "512400", "512480", "515790")}
    from_dict = quadrants(bars, bars, inputs["market_amount"], "2025-12-31", turnover=bars, volume=bars)
    frame = quadrants(**{k: (v[list(bars)] if isinstance(v, pd.DataFrame) else v) for k, v in inputs.items()},
                      as_of="2025-12-31")
    pd.testing.assert_frame_equal(from_dict, frame, check_names=False)
