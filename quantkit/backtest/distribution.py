"""Distribution statistics of a daily returns series, as quantstats 0.0.86 defines them.

Pure functions of simple daily returns (decimal, 0.01 = +1 %) indexed by session date; NaN
returns are dropped. Each matches the quantstats function of the same meaning on the same series:

- :func:`skew`, :func:`kurtosis` — pandas' bias-corrected sample estimators; kurtosis is EXCESS
  kurtosis (0 for a normal distribution), unlike the non-excess γ4 of the Sharpe ratio tests;
- :func:`value_at_risk`, :func:`conditional_value_at_risk` — one-day figures, PARAMETRIC (normal
  with the sample mean and standard deviation) by default as in quantstats; ``method="historical"``
  gives the empirical quantile and tail mean, as empyrical computes them;
- :func:`best`, :func:`worst`, :func:`positive_months` — months and years are calendar periods
  (year and month together) with returns compounded within them.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from quantkit.errors import ConfigError

_PERIODS = {"day": None, "month": ("year", "month"), "year": ("year",)}


def _clean(returns: pd.Series) -> pd.Series:
    return returns.astype(float).replace([np.inf, -np.inf], np.nan).dropna()


def skew(returns: pd.Series) -> float:
    """Sample skewness of daily returns (pandas' adjusted Fisher–Pearson estimator)."""
    return float(_clean(returns).skew())


def kurtosis(returns: pd.Series) -> float:
    """Sample EXCESS kurtosis of daily returns (pandas' bias-corrected estimator; normal = 0)."""
    return float(_clean(returns).kurt())


def _alpha(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence = {confidence}; pass a level between 0 and 1, e.g. 0.95")
    return 1.0 - confidence


def _check_method(method: str) -> None:
    if method not in ("parametric", "historical"):
        raise ConfigError(f"unknown VaR method {method!r}; use 'parametric' or 'historical'")


def _tail_sample(returns: pd.Series, confidence: float, method: str) -> tuple[pd.Series, float]:
    """The returns without missing values and the tail probability α = 1 − confidence, checked."""
    _check_method(method)
    return _clean(returns), _alpha(confidence)


def value_at_risk(returns: pd.Series, confidence: float = 0.95, method: str = "parametric") -> float:
    """One-day value at risk (negative decimal: the return not undercut with probability ``confidence``).

    ``parametric`` (quantstats' definition): the (1 − confidence) quantile of a normal distribution
    with the sample mean and standard deviation (ddof = 1). ``historical``: the empirical quantile
    (linear interpolation), as empyrical.
    """
    r, alpha = _tail_sample(returns, confidence, method)
    if len(r) < 2:
        return float("nan")
    if method == "historical":
        return float(r.quantile(alpha))
    mu, sd = float(r.mean()), float(r.std(ddof=1))
    return mu + sd * NormalDist().inv_cdf(alpha)


def conditional_value_at_risk(returns: pd.Series, confidence: float = 0.95, method: str = "parametric") -> float:
    """One-day expected shortfall: the mean return in the worst (1 − confidence) tail (negative decimal).

    ``parametric`` (quantstats 0.0.86 default): normal expected shortfall μ − σ φ(Φ⁻¹(α)) / α with
    α = 1 − confidence and the sample mean and standard deviation. ``historical``: mean of the
    returns at or below the empirical α-quantile, as empyrical.
    """
    r, alpha = _tail_sample(returns, confidence, method)
    if len(r) < 2:
        return float("nan")
    if method == "historical":
        tail = r[r <= r.quantile(alpha)]
        return float(tail.mean()) if len(tail) else float("nan")
    mu, sd = float(r.mean()), float(r.std(ddof=1))
    z = NormalDist().inv_cdf(alpha)
    return mu - sd * math.exp(-z * z / 2.0) / math.sqrt(2.0 * math.pi) / alpha


def tail_ratio(returns: pd.Series, cutoff: float = 0.95) -> float:
    """|``cutoff`` quantile / (1 − ``cutoff``) quantile| of daily returns; NaN if the lower one is 0."""
    r = _clean(returns)
    upper, lower = r.quantile(cutoff), r.quantile(1.0 - cutoff)
    if pd.isna(upper) or pd.isna(lower) or lower == 0:
        return float("nan")
    return float(abs(upper / lower))


def period_returns(returns: pd.Series, period: str = "month") -> pd.Series:
    """Returns compounded per calendar ``period``: ``day`` (unchanged), ``month`` or ``year``.

    Indexed by the period's last session date; months are (year, month) pairs, not months of the
    year pooled across years.
    """
    if period not in _PERIODS:
        raise ConfigError(f"unknown period {period!r}; use one of {', '.join(_PERIODS)}")
    r = _clean(returns)
    if period == "day":
        return r
    idx = pd.DatetimeIndex(r.index)
    keys = [getattr(idx, part) for part in _PERIODS[period]]
    grouped = (1.0 + r).groupby(keys)
    out = grouped.prod() - 1.0
    out.index = pd.DatetimeIndex(r.index.to_series().groupby(keys).max().to_numpy())
    return out.rename(period)


def best(returns: pd.Series, period: str = "day") -> float:
    """Highest return of a ``day``, calendar ``month`` or ``year`` (compounded within it), decimal."""
    return float(period_returns(returns, period).max())


def worst(returns: pd.Series, period: str = "day") -> float:
    """Lowest return of a ``day``, calendar ``month`` or ``year`` (compounded within it), decimal."""
    return float(period_returns(returns, period).min())


def positive_months(returns: pd.Series) -> float:
    """Share of calendar months with a positive compounded return among those with a non-zero one.

    Months without any return (wholly in cash) are left out, as quantstats' monthly win rate does.
    """
    months = period_returns(returns, "month")
    active = months[months != 0]
    return float((active > 0).mean()) if len(active) else float("nan")


def nonzero_win_rate(returns: pd.Series) -> float:
    """Share of positive days among the days with a non-zero return (quantstats' ``win_rate``); NaN if none."""
    r = _clean(returns)
    active = r[r != 0]
    return float((active > 0).mean()) if len(active) else float("nan")


def time_in_market(returns: pd.Series) -> float:
    """Share of sessions with a non-zero return, rounded UP to a whole percent (quantstats' ``exposure``)."""
    r = _clean(returns)
    return math.ceil(float((r != 0).mean()) * 100) / 100 if len(r) else float("nan")


def _longest_run(flags: np.ndarray) -> int:
    """Length of the longest run of True in ``flags``."""
    if not flags.any():
        return 0
    padded = np.concatenate([[0], flags.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def max_consecutive_wins(returns: pd.Series) -> int:
    """Longest streak of consecutive sessions with a positive return (a zero day ends it)."""
    return _longest_run(_clean(returns).to_numpy() > 0)


def max_consecutive_losses(returns: pd.Series) -> int:
    """Longest streak of consecutive sessions with a negative return (a zero day ends it)."""
    return _longest_run(_clean(returns).to_numpy() < 0)


def rolling_beta(returns: pd.Series, benchmark: pd.Series, window: int = 121) -> pd.Series:
    """Rolling OLS beta cov(r, b) / var(b) over ``window`` sessions, on the returns' dates.

    The benchmark is aligned to the returns' dates; windows with a missing value or a benchmark
    without variance give NaN.
    """
    if window < 2:
        raise ConfigError(f"window = {window}; pass a rolling window of at least 2 sessions")
    r = returns.astype(float)
    b = benchmark.astype(float).reindex(r.index)
    var = b.rolling(window).var(ddof=1)
    beta = r.rolling(window).cov(b, ddof=1) / var.where(var > 0)
    return beta.rename("rolling_beta")
