"""Trading-activity measures: share of market turnover and traded-amount estimates.

``amount`` is traded value in CNY. Shares are decimal fractions (0.001 = 0.1% of the market).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantkit.indicators._checks import check_series, check_window


def turnover_share(amount: pd.Series | pd.DataFrame, market_amount: pd.Series) -> pd.Series | pd.DataFrame:
    """``amount / market_amount`` on the dates of ``amount`` (decimal; NaN where either is unknown).

    ``amount`` may be a frame (one column per symbol); ``market_amount`` is aligned by date.
    """
    market = check_series(market_amount, "market_amount").reindex(amount.index)
    out = amount.div(market, axis=0)
    return out.rename("turnover_share") if isinstance(out, pd.Series) else out


def estimate_amount(close: pd.Series, volume: pd.Series, amount: pd.Series | None = None,
                    calibration: int | None = 20) -> pd.Series:
    """Traded amount in CNY: the known ``amount`` where present, else an estimate ``k · close · volume``.

    ``k`` on day t is the median of ``amount / (close · volume)`` over the last ``calibration`` days
    up to t on which both are known (1 when none is known yet, or ``calibration=None``). The
    calibration keeps the estimate continuous where a source's close is adjusted (qfq after a unit
    split) but its volume is not, so that the raw product is off by a constant factor.
    Uses data up to t only. ``volume`` is in shares.
    """
    close = check_series(close, "close")
    raw = close * check_series(volume, "volume").reindex(close.index)
    if amount is None:
        return raw.rename("amount")
    known = check_series(amount, "amount").reindex(close.index)
    factor = pd.Series(1.0, index=close.index)
    if calibration is not None:
        calibration = check_window(calibration, "calibration")
        ratio = known / raw
        ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
        k = ratio.rolling(calibration, min_periods=1).median()
        factor = k.reindex(close.index).ffill().fillna(1.0)
    return known.fillna(raw * factor).rename("amount")
