"""Return volatility (decimal fractions: 0.015 = 1.5% a day)."""

from __future__ import annotations

import math

import pandas as pd

from quantkit.errors import ConfigError
from quantkit.indicators._checks import check_series, check_window
from quantkit.indicators.moving_average import over_valid


def simple_returns(close: pd.Series) -> pd.Series:
    """Daily simple returns ``close_t / close_prev − 1`` between consecutive valid closes (NaN rows skipped)."""
    close = check_series(close, "close")
    return over_valid(close, lambda s: s.pct_change(fill_method=None)).rename("return")


def rolling_volatility(close: pd.Series, window: int = 20, annualize: float | None = None) -> pd.Series:
    """Sample standard deviation (ddof=1) of the last ``window`` daily simple returns of ``close``.

    Decimal per day; multiplied by ``sqrt(annualize)`` when ``annualize`` (periods per year,
    e.g. 243) is given. NaN until ``window`` returns (``window + 1`` closes) exist; NaN closes
    are skipped as in :func:`simple_returns`.
    """
    window = check_window(window, "window")
    if annualize is not None and (isinstance(annualize, bool) or not isinstance(annualize, (int, float))
                                  or not math.isfinite(annualize) or annualize <= 0):
        raise ConfigError(f"annualize must be a positive number of periods per year (e.g. 243) or None, got {annualize!r}")
    returns = simple_returns(close)
    vol = over_valid(returns, lambda r: r.rolling(window, min_periods=window).std(ddof=1))
    if annualize is not None:
        vol = vol * math.sqrt(annualize)
    return vol.rename(f"volatility_{window}")
