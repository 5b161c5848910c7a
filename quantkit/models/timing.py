"""Timing model: moving-average distance with a band (中泰证券 量化择时周报), and the profit effect.

``distance_t = MA_short_t / MA_long_t − 1`` of the reference index close (decimal: 0.0678 is 6.78%).
Regime ``up`` if distance > band, ``down`` if distance < −band, else ``range`` (``≥``/``≤`` with
``inclusive=True``). While fewer than ``long`` valid closes exist the regime is missing (None):
an explicit insufficient-history state, never a signal.

NaN closes are treated as missing bars: moving averages run over the last ``window`` valid
closes (a gap does not blank the following ``long`` days), and a day whose close is NaN has
NaN averages and no regime. Callers that hold positions through such days carry the last regime
forward themselves.

See ``seeds/timing.md`` for the specification and its sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Callable

import numpy as np
import pandas as pd

from quantkit.errors import ConfigError
from quantkit.indicators import relative_distance, sma
from quantkit.indicators._checks import check_nonnegative, check_series, check_window

REGIMES = ("up", "range", "down")
_DECIMALS = 12  # distances are classified at this precision


@dataclass(frozen=True)
class TimingParams:
    """Parameters of the timing model: MA windows in trading days, band as a decimal (0.03 = 3%)."""

    short: int = 20
    long: int = 120
    band: float = 0.03
    inclusive: bool = False

    def __post_init__(self) -> None:
        check_window(self.short, "short")
        check_window(self.long, "long")
        if self.short >= self.long:
            raise ConfigError(f"short ({self.short}) must be smaller than long ({self.long})")
        check_nonnegative(self.band, "band")
        if not isinstance(self.inclusive, (bool, np.bool_)):
            raise ConfigError(f"inclusive must be true or false, got {self.inclusive!r}")


def _close_of(close: pd.Series | pd.DataFrame) -> pd.Series:
    if isinstance(close, pd.DataFrame) and "close" in close.columns:
        return close["close"]
    return check_series(close, "close")


def classify_regime(distance: pd.Series | float, band: float = 0.03, inclusive: bool = False) -> pd.Series | str | None:
    """Regime of a distance (decimal): ``up`` / ``range`` / ``down``; None where distance is NaN.

    A Series gives an object Series (None for missing); a scalar gives a str or None. Distances
    are compared after rounding to 12 decimals, so that a ratio that is exactly 3% in decimal
    terms (MA 103 / MA 100) sits on the boundary instead of being pushed across it by binary
    floating point (``103 / 100 − 1 = 0.030000000000000027``).
    """
    band = check_nonnegative(band, "band")
    scalar = not isinstance(distance, pd.Series)
    values = np.round(np.atleast_1d(np.asarray(distance, dtype="float64")), _DECIMALS)
    up = values >= band if inclusive else values > band
    down = values <= -band if inclusive else values < -band
    labels = np.where(up, "up", np.where(down, "down", "range")).astype(object)
    labels[np.isnan(values)] = None
    if scalar:
        return labels[0]
    return pd.Series(labels, index=distance.index, name="regime", dtype=object)


def timing_regime(close: pd.Series, short: int = 20, long: int = 120, band: float = 0.03,
                  inclusive: bool = False, *, params: TimingParams | None = None) -> pd.DataFrame:
    """Moving averages, distance and regime of a close series (index: date).

    Columns ``ma_short, ma_long`` (units of ``close``), ``distance`` (decimal) and ``regime``
    (``up``/``range``/``down``, None while fewer than ``long`` valid closes or on a NaN close).
    ``params`` replaces the four keyword values when given.
    """
    p = params if params is not None else TimingParams(short, long, band, inclusive)
    close = _close_of(close)
    ma_short = sma(close, p.short, skipna=True)
    ma_long = sma(close, p.long, skipna=True)
    distance = relative_distance(ma_short, ma_long)
    return pd.DataFrame({
        "ma_short": ma_short,
        "ma_long": ma_long,
        "distance": distance,
        "regime": classify_regime(distance, p.band, p.inclusive),
    }, index=close.index)


def profit_effect(close: pd.Series,
                  trend_line: int | Callable[[pd.Series], pd.Series] | pd.Series = 30) -> pd.Series:
    """Profit effect (赚钱效应) ``close / TL − 1`` (decimal: −0.0435 is −4.35%).

    ``trend_line`` is a window for ``TL = SMA(window)`` of the close (default 30: the brokers do
    not publish their trend line; SMA(30) on 000985 fits their figures best), a callable
    ``f(close) -> Series``, or a Series of trend-line values aligned by date.
    """
    close = _close_of(close)
    if isinstance(trend_line, pd.Series):
        line = trend_line
    elif callable(trend_line):
        line = trend_line(close)
        if not isinstance(line, pd.Series):
            raise ConfigError(f"trend_line callable must return a Series, got {type(line).__name__}")
    elif isinstance(trend_line, Integral) and not isinstance(trend_line, bool):
        line = sma(close, check_window(trend_line, "trend_line"), skipna=True)
    else:
        raise ConfigError(f"trend_line must be a window (int), a callable or a Series, got {trend_line!r}")
    return relative_distance(close, line).rename("profit_effect")


def effective_regime(regime: pd.Series, profit_effect: pd.Series | None) -> pd.Series:
    """The regime used for position sizing: ``up`` with a negative profit effect becomes ``range``.

    A missing (NaN) profit effect leaves the regime unchanged; a missing regime stays missing.
    """
    regime = check_series(regime, "regime").astype(object)
    if profit_effect is None:
        return regime.rename("effective_regime")
    pe = check_series(profit_effect, "profit_effect").reindex(regime.index)
    demote = (regime == "up").to_numpy() & (pe < 0).to_numpy()
    out = regime.copy()
    out[demote] = "range"
    return out.rename("effective_regime")
