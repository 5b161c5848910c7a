"""Percentiles of today's value within its own history (fractions in [0, 1]).

Methods:

- ``rank``: the share of observations in the window (today included) that are ≤ today's value.
  Always in (0, 1]; the highest value so far scores 1.
- ``minmax``: ``(x − min) / (max − min)`` over the window; NaN while the window holds a single
  distinct value (max = min).

NaN observations are not part of any window and give NaN on their own day. Every variant —
expanding from a start date, rolling over the last ``window`` observations, or only the latest
value — is evaluated by the same core, so they agree exactly; the value on day t uses data up
to t only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantkit.errors import ConfigError
from quantkit.indicators._checks import check_date, check_series, check_window

METHODS = ("rank", "minmax")
_CHUNK = 256


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`METHODS`; :class:`ConfigError` naming ``method`` otherwise."""
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return method


def _percentiles(values: np.ndarray, rows: np.ndarray, window: int | None, method: str) -> np.ndarray:
    """Percentile of ``values[r]`` within ``values[max(0, r − window + 1) : r + 1]`` for each r in ``rows``.

    ``values`` holds no NaN; ``window=None`` means expanding (from position 0).
    """
    out = np.full(len(rows), np.nan)
    for a in range(0, len(rows), _CHUNK):
        r = rows[a:a + _CHUNK]
        lo = np.zeros_like(r) if window is None else np.maximum(0, r - window + 1)
        c0, c1 = int(lo.min()), int(r.max()) + 1
        cols = np.arange(c0, c1)
        block = values[c0:c1][None, :]
        inside = (cols[None, :] >= lo[:, None]) & (cols[None, :] <= r[:, None])
        x = values[r][:, None]
        if method == "rank":
            out[a:a + _CHUNK] = ((block <= x) & inside).sum(axis=1) / inside.sum(axis=1)
        else:
            low = np.where(inside, block, np.inf).min(axis=1)
            high = np.where(inside, block, -np.inf).max(axis=1)
            span = high - low
            with np.errstate(invalid="ignore", divide="ignore"):
                out[a:a + _CHUNK] = np.where(span > 0, (x[:, 0] - low) / span, np.nan)
    return out


def _valid_from(series: pd.Series, start: object) -> pd.Series:
    series = check_series(series, "series")
    start_ts = check_date(start, "start")
    sample = series if start_ts is None else series.loc[series.index >= start_ts]
    return sample.dropna().astype("float64")


def expanding_percentile(series: pd.Series, method: str = "rank", start: object = None) -> pd.Series:
    """Percentile of each value among all valid observations from ``start`` (inclusive) up to that day.

    NaN before ``start`` and on NaN days. Fractions in [0, 1].
    """
    check_method(method)
    sample = _valid_from(series, start)
    values = sample.to_numpy()
    result = _percentiles(values, np.arange(len(values)), None, method)
    return pd.Series(result, index=sample.index).reindex(series.index).rename("percentile")


def rolling_percentile(series: pd.Series, window: int, method: str = "rank") -> pd.Series:
    """Percentile of each value among the last ``window`` valid observations (today included).

    NaN until ``window`` valid observations exist, and on NaN days. Fractions in [0, 1].
    """
    check_method(method)
    window = check_window(window, "window")
    sample = _valid_from(series, None)
    values = sample.to_numpy()
    rows = np.arange(window - 1, len(values))
    result = np.full(len(values), np.nan)
    result[rows] = _percentiles(values, rows, window, method)
    return pd.Series(result, index=sample.index).reindex(series.index).rename("percentile")


def percentile_at(series: pd.Series, dates: pd.Index | list, method: str = "rank", start: object = None) -> pd.Series:
    """:func:`expanding_percentile` evaluated only on ``dates`` (NaN where a date has no valid value).

    Equal to the expanding series at those dates, at the cost of ``len(dates)`` evaluations:
    the form to use when a model needs the percentile on a few days (rebalances) of a long history.
    """
    check_method(method)
    series = check_series(series, "series")
    sample = _valid_from(series, start)
    wanted = pd.DatetimeIndex(dates)
    pos = sample.index.get_indexer(wanted)
    out = np.full(len(wanted), np.nan)
    hit = pos >= 0
    if hit.any():
        out[hit] = _percentiles(sample.to_numpy(), pos[hit], None, method)
    return pd.Series(out, index=wanted, name="percentile")


def latest_percentile(series: pd.Series, method: str = "rank", start: object = None) -> float:
    """The last value of :func:`expanding_percentile` (NaN if the last value is NaN)."""
    series = check_series(series, "series")
    if len(series) == 0:
        check_method(method)
        return float("nan")
    return float(percentile_at(series, series.index[-1:], method, start).iloc[0])
