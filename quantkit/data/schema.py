"""The canonical daily-bar schema and its validation.

Index ``date``: tz-naive ``datetime64[ns]`` trading days, strictly increasing and unique.
Columns (all float64):

- ``open, high, low, close`` — CNY (index points for indices), > 0. ``open/high/low`` may be NaN
  where a source publishes the close only (some index histories); ``close`` never is.
- ``volume`` — shares (not lots of 100), NaN if unknown.
- ``amount`` — traded value in CNY, NaN if unknown.
- ``turnover`` — turnover rate in percent (1.5 means 1.5 %), NaN if unknown.

Frame attributes (``df.attrs``): ``symbol``, ``adjustment`` (``qfq``/``hfq``/``none``),
``source``, ``fetched_at`` (ISO timestamp).

Stored snapshot files of ETFs with known distributions and splits hold raw prices plus a
``factor`` column (``adjustment: qfq-multiplicative`` in the manifest); ``load_prices`` turns
them into canonical bars (see :mod:`quantkit.data.adjust`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantkit.errors import DataValidationError

PRICE_COLUMNS = ("open", "high", "low", "close")
COLUMNS = (*PRICE_COLUMNS, "volume", "amount", "turnover")
VALUATION_COLUMNS = ("pe", "pb")


@dataclass(frozen=True)
class ValidationRules:
    """Tolerances of :func:`validate_bars`.

    ``hl_tolerance`` is the relative slack allowed when ``high < max(open, close)`` or
    ``low > min(open, close)`` (sources round differently); ``max_daily_move`` is the largest
    absolute close-to-close return accepted (0.5 = ±50 %; A-share ETFs move at most ±10/20 %
    a day, so a larger move means a unit or adjustment error).
    """

    hl_tolerance: float = 0.005
    max_daily_move: float = 0.5


def _fail(label: str, where: object, rule: str) -> DataValidationError:
    return DataValidationError(f"{label}: row {where}: {rule}")


def validate_bars(
    frame: pd.DataFrame,
    symbol: str = "?",
    *,
    origin: str | None = None,
    rules: ValidationRules = ValidationRules(),
) -> pd.DataFrame:
    """Check a frame against the canonical schema and return it with canonical dtypes.

    Missing optional columns (``volume``, ``amount``, ``turnover``, ``open/high/low``) are added
    as NaN. Raises :class:`DataValidationError` naming the symbol (and ``origin``, e.g. a file
    name), the first offending row's date and the broken rule.
    """
    label = f"{symbol} ({origin})" if origin else str(symbol)
    if frame is None or len(frame) == 0:
        raise DataValidationError(f"{label}: no rows")
    if "close" not in frame.columns:
        raise DataValidationError(f"{label}: missing required column 'close'")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataValidationError(f"{label}: index must be dates (DatetimeIndex), got {type(frame.index).__name__}")
    if frame.index.tz is not None:
        raise DataValidationError(f"{label}: dates must be tz-naive exchange dates")
    out = pd.DataFrame(index=frame.index.normalize().astype("datetime64[ns]").rename("date"))
    for col in COLUMNS:
        out[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64").to_numpy() if col in frame else np.nan

    dates = out.index
    dup = dates.duplicated()
    if dup.any():
        raise _fail(label, dates[dup][0].date(), "duplicate date")
    if not dates.is_monotonic_increasing:
        bad = np.flatnonzero(np.diff(dates.asi8) <= 0)[0] + 1
        raise _fail(label, dates[bad].date(), "dates not in increasing order")
    for col in COLUMNS:
        bad = np.isinf(out[col])
        if bad.any():
            raise _fail(label, out.index[bad][0].date(), f"{col} is infinite")
    close = out["close"]
    if close.isna().any():
        raise _fail(label, close.index[close.isna()][0].date(), "close is missing (NaN)")
    for col in PRICE_COLUMNS:
        bad = out[col] <= 0
        if bad.any():
            raise _fail(label, out.index[bad][0].date(), f"{col} must be > 0, got {out.loc[bad, col].iloc[0]:g}")
    for col in ("volume", "amount"):
        bad = out[col] < 0
        if bad.any():
            raise _fail(label, out.index[bad][0].date(), f"{col} must be >= 0")
    body_top = out[["open", "close"]].max(axis=1)
    body_bottom = out[["open", "close"]].min(axis=1)
    tol = rules.hl_tolerance
    bad = out["high"] < body_top * (1 - tol)
    if bad.any():
        raise _fail(label, out.index[bad][0].date(), "high below max(open, close)")
    bad = out["low"] > body_bottom * (1 + tol)
    if bad.any():
        raise _fail(label, out.index[bad][0].date(), "low above min(open, close)")
    moves = close.pct_change().abs()
    bad = moves > rules.max_daily_move
    if bad.any():
        day = moves.index[bad][0]
        raise _fail(label, day.date(), f"close moved {moves[day]:.0%} in one day (limit {rules.max_daily_move:.0%}); "
                    "check units and adjustment")
    out.attrs = dict(frame.attrs)
    out.attrs.setdefault("symbol", str(symbol))
    return out


def validate_stored(frame: pd.DataFrame, symbol: str, kind: str = "prices", *, origin: str) -> pd.DataFrame:
    """A frame read back from a stored parquet file (``origin`` names it), checked like an import:
    dates as the index, the kind's columns numeric, then :func:`validate_bars` (with ``factor``:
    :func:`~quantkit.data.adjust.validate_factor_bars`) or :func:`validate_valuation`."""
    label = f"{symbol} ({origin})"
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataValidationError(f"{label}: index must be dates (DatetimeIndex), got {type(frame.index).__name__}")
    known = VALUATION_COLUMNS if kind == "valuation" else (*COLUMNS, "factor")
    for col in frame.columns:
        dtype = frame[col].dtype
        if col in known and (not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise DataValidationError(f"{label}: column {col!r} has dtype {dtype}, expected float64")
    if kind == "valuation":
        if not any(col in frame for col in VALUATION_COLUMNS):
            raise DataValidationError(f"{label}: missing required column 'pe' or 'pb'")
        return validate_valuation(frame, label)
    if "factor" in frame:
        from quantkit.data.adjust import validate_factor_bars  # adjust builds on this module

        return validate_factor_bars(frame, symbol, origin=origin)
    return validate_bars(frame, symbol, origin=origin)


def validate_valuation(frame: pd.DataFrame, symbol: str = "?") -> pd.DataFrame:
    """Check a valuation frame: index ``date`` increasing and unique; ``pe``/``pb`` floats (NaN allowed)."""
    if frame is None or len(frame) == 0:
        raise DataValidationError(f"{symbol}: no valuation rows")
    out = pd.DataFrame(index=frame.index.astype("datetime64[ns]").rename("date"))
    for col in VALUATION_COLUMNS:
        out[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64").to_numpy() if col in frame else np.nan
    if out.index.duplicated().any() or not out.index.is_monotonic_increasing:
        raise DataValidationError(f"{symbol}: valuation dates must be unique and increasing")
    out.attrs = dict(frame.attrs)
    return out
