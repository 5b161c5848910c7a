"""Distribution statistics agree with quantstats and empyrical on real returns of 562800."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from quantkit.backtest import distribution as D
from quantkit.data.api import load_prices
from quantkit.errors import ConfigError


@pytest.fixture(scope="module")
def r() -> pd.Series:
    return load_prices("562800").close.pct_change().dropna()


@pytest.fixture(scope="module")
def bench(r) -> pd.Series:
    return load_prices("000985").close.pct_change().reindex(r.index).fillna(0.0)


pytestmark = pytest.mark.usefixtures("quiet_warnings")  # quantstats and pandas deprecation chatter


def test_moments_and_tails_match_quantstats(r):
    import quantstats as qs

    assert D.skew(r) == pytest.approx(qs.stats.skew(r), rel=1e-12)
    assert D.kurtosis(r) == pytest.approx(qs.stats.kurtosis(r), rel=1e-12)
    assert D.value_at_risk(r) == pytest.approx(qs.stats.value_at_risk(r), rel=1e-10)
    assert D.conditional_value_at_risk(r) == pytest.approx(qs.stats.conditional_value_at_risk(r), rel=1e-10)
    assert D.conditional_value_at_risk(r, method="historical") == pytest.approx(
        qs.stats.conditional_value_at_risk(r, method="historical"), rel=1e-12)
    assert D.tail_ratio(r) == pytest.approx(qs.stats.tail_ratio(r), rel=1e-12)
    # excess kurtosis: a normal sample is near 0, a fat-tailed ETF well above
    assert D.kurtosis(r) > 1


def test_var_cvar_tail_ratio_match_empyrical_historical(r):
    import empyrical as ep

    assert D.value_at_risk(r, method="historical") == pytest.approx(ep.value_at_risk(r), rel=1e-12)
    assert D.conditional_value_at_risk(r, method="historical") == pytest.approx(
        ep.conditional_value_at_risk(r), rel=1e-12)
    assert D.tail_ratio(r) == pytest.approx(ep.tail_ratio(r), rel=1e-12)
    # parametric and historical are different estimators on a fat-tailed series
    assert D.value_at_risk(r) != pytest.approx(D.value_at_risk(r, method="historical"), rel=1e-3)


@pytest.mark.parametrize(("period", "aggregate"), [("day", None), ("month", "ME"), ("year", "YE")])
def test_best_worst_match_quantstats(r, period, aggregate):
    import quantstats as qs

    assert D.best(r, period) == pytest.approx(qs.stats.best(r, aggregate=aggregate), rel=1e-12)
    assert D.worst(r, period) == pytest.approx(qs.stats.worst(r, aggregate=aggregate), rel=1e-12)


def test_period_returns_compound_calendar_months(r):
    import empyrical as ep

    months = D.period_returns(r, "month")
    expected = ep.aggregate_returns(r, "monthly")
    np.testing.assert_allclose(months.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert months.index[0] == r.index[r.index.to_period("M") == r.index[0].to_period("M")][-1]
    years = D.period_returns(r, "year")
    np.testing.assert_allclose(years.to_numpy(), ep.aggregate_returns(r, "yearly").to_numpy(), rtol=1e-12)


def test_positive_months_and_streaks_match_quantstats(r):
    import quantstats as qs

    assert D.positive_months(r) == pytest.approx(qs.stats.win_rate(r, aggregate="ME"), rel=1e-12)
    assert D.max_consecutive_wins(r) == qs.stats.consecutive_wins(r)
    assert D.max_consecutive_losses(r) == qs.stats.consecutive_losses(r)


def test_streaks_hand_example():
    r = pd.Series([0.01, 0.02, 0.0, 0.01, 0.01, 0.01, -0.01, -0.02, 0.03, -0.01])
    assert D.max_consecutive_wins(r) == 3
    assert D.max_consecutive_losses(r) == 2
    assert D.max_consecutive_wins(pd.Series([-0.01, 0.0])) == 0


def test_rolling_beta_matches_quantstats_and_empyrical(r, bench):
    import empyrical as ep
    import quantstats as qs

    ours = D.rolling_beta(r, bench, window=60)
    theirs = qs.stats.rolling_greeks(r, bench, periods=60)["beta"]
    pd.testing.assert_series_equal(ours, theirs, check_names=False, rtol=1e-10)
    emp = ep.roll_beta(r, bench, window=60)
    np.testing.assert_allclose(ours.dropna().to_numpy(), emp.dropna().to_numpy(), rtol=1e-10)


def test_bad_arguments_raise_config_error(r):
    with pytest.raises(ConfigError, match="period"):
        D.best(r, "week")
    with pytest.raises(ConfigError, match="confidence"):
        D.value_at_risk(r, confidence=95)
    with pytest.raises(ConfigError, match="method"):
        D.conditional_value_at_risk(r, method="cornish-fisher")
