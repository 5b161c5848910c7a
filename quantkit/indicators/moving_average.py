"""Moving averages of a price series.

NaN policy (``skipna``): by default a window that contains a NaN gives NaN (pandas
``rolling(window, min_periods=window)``). With ``skipna=True`` NaN rows are treated as missing
bars: the average on day t is over the last ``window`` *valid* observations up to t, and a day
whose own value is NaN gets NaN. Either way the value on day t uses data up to t only.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from quantkit.indicators._checks import check_series, check_window


def over_valid(series: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply ``func`` to the non-NaN observations of ``series`` and put the result back on its dates.

    Days whose own value is NaN get NaN; ``func`` sees consecutive valid observations.
    """
    valid = series.dropna()
    return func(valid).reindex(series.index)


def sma(close: pd.Series, window: int, *, skipna: bool = False) -> pd.Series:
    """Simple moving average of ``close`` over ``window`` bars (same units as ``close``).

    NaN until ``window`` observations are available; see the module note for ``skipna``.
    """
    close = check_series(close, "close")
    window = check_window(window, "window")

    def mean(s: pd.Series) -> pd.Series:
        return s.rolling(window, min_periods=window).mean()

    out = over_valid(close, mean) if skipna else mean(close)
    return out.rename(f"sma_{window}")


def ema(close: pd.Series, span: int) -> pd.Series:
    """Exponential moving average with ``alpha = 2 / (span + 1)`` (recursive, ``adjust=False``).

    Computed over valid observations (NaN rows skipped, NaN on those days); NaN until ``span``
    observations are available.
    """
    close = check_series(close, "close")
    span = check_window(span, "span")
    out = over_valid(close, lambda s: s.ewm(span=span, adjust=False, min_periods=span).mean())
    return out.rename(f"ema_{span}")
