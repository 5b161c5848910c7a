"""Aligning an observation series onto trading dates without look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd


#: weekdays the exchange can stay closed in a row (Spring Festival, National Day: up to 6–7)
HOLIDAY_WEEKDAYS = 8


def asof_rows(src: pd.DatetimeIndex, dates: pd.DatetimeIndex, max_age: int | None = None) -> np.ndarray:
    """Row of ``src`` to use on each of ``dates``: the last on or before it (never a later one).

    −1 where there is none, or where it is too old: more than ``max_age`` sessions of ``dates``
    old — counted from the first of ``dates`` on or after the observation (0 on that session) —
    or more than ``max_age + HOLIDAY_WEEKDAYS`` weekdays old (so an observation from before the
    first of ``dates``, e.g. a series that stopped years before the window, is never fresh).
    Data that stops does not drive decisions forever.
    """
    pos = src.searchsorted(dates, side="right") - 1
    if len(src) == 0:
        return np.full(len(dates), -1)
    if max_age is None:
        return np.where(pos >= 0, pos, -1)
    seen = src[np.maximum(pos, 0)]
    age = np.arange(len(dates)) - dates.searchsorted(seen, side="left")
    weekdays = np.busday_count(seen.values.astype("datetime64[D]"), dates.values.astype("datetime64[D]"))
    return np.where((pos >= 0) & (age <= max_age) & (weekdays <= max_age + HOLIDAY_WEEKDAYS), pos, -1)


def carry_forward(values: pd.Series, dates: pd.DatetimeIndex, max_age: int | None = None) -> pd.Series:
    """The last valid value of ``values`` on or before each of ``dates`` (see :func:`asof_rows`);
    missing (NaN, or None for object series) where there is none or it is too old."""
    v = values[values.notna()]
    rows = asof_rows(pd.DatetimeIndex(v.index), dates, max_age)
    obj = values.dtype == object
    picked = v.to_numpy()[np.maximum(rows, 0)] if len(v) else np.full(len(dates), np.nan)
    out = pd.Series(picked, index=dates, dtype=object if obj else "float64")
    out[rows < 0] = None if obj else np.nan
    return out
