"""Relative distances between a series and a reference line (decimal fractions: 0.0678 = 6.78%)."""

from __future__ import annotations

import pandas as pd

from quantkit.indicators._checks import check_series
from quantkit.indicators.moving_average import sma


def relative_distance(series: pd.Series, reference: pd.Series) -> pd.Series:
    """``series / reference − 1`` on the dates of ``series`` (``reference`` is aligned by date)."""
    series = check_series(series, "series")
    reference = check_series(reference, "reference").reindex(series.index)
    return (series / reference - 1.0).rename("distance")


def ma_distance(close: pd.Series, short: int, long: int, *, skipna: bool = False) -> pd.Series:
    """``SMA(short) / SMA(long) − 1`` of ``close`` (decimal); NaN until ``long`` bars exist.

    ``skipna`` as in :func:`quantkit.indicators.moving_average.sma`.
    """
    return relative_distance(sma(close, short, skipna=skipna), sma(close, long, skipna=skipna))
