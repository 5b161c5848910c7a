"""Pure indicator functions on Series/DataFrames (no I/O, no state), in the style of empyrical.

Units are decimal fractions (0.0678 = 6.78%) unless a docstring says otherwise. A value on day t
uses data up to t only.
"""

from quantkit.indicators.alignment import asof_rows, carry_forward
from quantkit.indicators.distance import ma_distance, relative_distance
from quantkit.indicators.moving_average import ema, over_valid, sma
from quantkit.indicators.percentile import METHODS, expanding_percentile, latest_percentile, percentile_at, rolling_percentile
from quantkit.indicators.turnover import estimate_amount, turnover_share
from quantkit.indicators.volatility import rolling_volatility, simple_returns

__all__ = [
    "sma", "ema", "over_valid", "asof_rows", "carry_forward",
    "ma_distance", "relative_distance",
    "expanding_percentile", "rolling_percentile", "latest_percentile", "percentile_at", "METHODS",
    "rolling_volatility", "simple_returns",
    "turnover_share", "estimate_amount",
]
