"""Parameter checks shared by the indicators (and reused by the models)."""

from __future__ import annotations

import math
from numbers import Integral, Real

import pandas as pd

from quantkit.data.calendar import parse_date
from quantkit.errors import ConfigError


def check_window(value: object, name: str = "window") -> int:
    """``value`` as a positive number of bars; :class:`ConfigError` naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ConfigError(f"{name} must be a positive whole number of bars, got {value!r}")
    return int(value)


def check_nonnegative(value: object, name: str) -> float:
    """``value`` as a finite float ≥ 0; :class:`ConfigError` naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a finite number ≥ 0 (a decimal fraction: 0.03 means 3%), got {value!r}")
    return float(value)


def check_date(value: object, name: str) -> pd.Timestamp | None:
    """A date-like ``value`` as a tz-naive midnight Timestamp (None stays None)."""
    return parse_date(value, name)


def check_series(value: object, name: str) -> pd.Series:
    """A Series input (a one-column frame is accepted); :class:`ConfigError` naming ``name`` otherwise."""
    if isinstance(value, pd.DataFrame) and value.shape[1] == 1:
        value = value.iloc[:, 0]
    if not isinstance(value, pd.Series):
        raise ConfigError(f"{name} must be a pandas Series indexed by date, got {type(value).__name__}")
    return value


def check_dates(index: pd.DatetimeIndex, name: str) -> pd.DatetimeIndex:
    """``index`` if strictly increasing (sorted, no duplicate date); :class:`ConfigError` naming the first bad date."""
    if not index.is_monotonic_increasing:
        bad = index[1:][index[1:] < index[:-1]][0]
        raise ConfigError(f"{name} dates must be sorted: {bad.date()} comes after a later date (sort_index() first)")
    if index.has_duplicates:
        raise ConfigError(f"{name} has the date {index[index.duplicated()][0].date()} twice: one value per date")
    return index
