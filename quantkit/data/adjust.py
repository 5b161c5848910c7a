"""Multiplicative price adjustment from distribution and split events.

A fund that pays ``cash`` per unit on its ex-date ``t`` (previous close ``p``) is worth ``p - cash``
plus the cash; reinvesting it turns one unit into ``p / (p - cash)`` units. A split of ``1:r``
turns one unit into ``r`` units. The cumulative product of these multipliers is the back-adjustment
factor ``f`` (1.0 at the first bar), and ``raw × f`` is a total-return price series:

- ``hfq`` (后复权) = ``raw × f / f[first]`` — the first bar is unchanged;
- ``qfq`` (前复权) = ``raw × f / f[last]`` — the last bar is unchanged.

Volume and amount stay as traded. East Money's own qfq series subtract cumulative cash from
earlier prices instead; their returns overstate the fund's the further back one goes (see the
snapshot's ``adjustment`` field).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from quantkit.data.schema import COLUMNS, PRICE_COLUMNS, ValidationRules, validate_bars
from quantkit.errors import ConfigError, DataUnavailableError, DataValidationError

ADJUSTMENTS = ("qfq", "hfq", "none")


@dataclass(frozen=True)
class Event:
    """One corporate action: ``kind`` is ``cash`` (value = CNY per unit) or ``split`` (value = new
    units per old unit); ``date`` is the first trading day at the new basis (the ex-date)."""

    date: pd.Timestamp
    kind: str
    value: float


def multiplier(event: Event, previous_close: float) -> float:
    """How many units one unit becomes at ``event`` (the factor's step on its ex-date)."""
    if event.kind == "split":
        return float(event.value)
    if event.kind == "cash":
        return previous_close / (previous_close - float(event.value))
    raise ValueError(f"unknown event kind {event.kind!r}")


def event_factor(close: pd.Series, events: list[Event]) -> pd.Series:
    """The cumulative back-adjustment factor of ``close`` (raw closes), 1.0 at the first bar.

    Events on or before the first bar, or after the last, have no previous close in the series
    and are ignored.
    """
    factor = pd.Series(1.0, index=close.index, name="factor")
    for event in sorted(events, key=lambda e: (e.date, e.kind)):
        before = close.index < event.date
        if not before.any() or before.all():
            continue
        factor[~before] *= multiplier(event, float(close[before].iloc[-1]))
    return factor


def adjust_bars(frame: pd.DataFrame, adjust: str, symbol: str = "?") -> pd.DataFrame:
    """Canonical bars of a frame holding raw prices and a ``factor`` column, in the wanted adjustment.

    A frame without factors (a provider's or East Money's adjusted series) is returned as it is
    for ``qfq``; ``hfq``/``none`` need the raw prices and are refused with the reason.
    """
    if adjust not in ADJUSTMENTS:
        raise ConfigError(f"adjust must be one of {', '.join(ADJUSTMENTS)}; got {adjust!r}")
    out = frame[[c for c in COLUMNS if c in frame]].copy()
    out.attrs = dict(frame.attrs)
    if not has_factor(frame):
        stored = str(frame.attrs.get("adjustment", "qfq")).split("-")[0]
        if adjust == stored or adjust == "qfq":
            return out
        raise DataUnavailableError(
            f"{symbol} has no raw prices or adjustment factors in data_cache (only a {frame.attrs.get('adjustment')} "
            f"series), so adjust={adjust!r} is unavailable: use adjust='qfq', or import raw bars with "
            f"`quantkit data import FILE --symbol {symbol} --adjustment none`")
    factor = frame["factor"]
    if adjust != "none":
        scale = factor / (factor.iloc[-1] if adjust == "qfq" else factor.iloc[0])
        for col in PRICE_COLUMNS:
            out[col] = out[col] * scale
    out.attrs["adjustment"] = adjust
    return out


def has_factor(frame: pd.DataFrame | None) -> bool:
    """Whether ``frame`` holds raw prices plus a ``factor`` column."""
    return frame is not None and "factor" in frame and bool(frame["factor"].notna().any())


def validate_factor_bars(frame: pd.DataFrame, symbol: str = "?", *, origin: str | None = None) -> pd.DataFrame:
    """:func:`~quantkit.data.schema.validate_bars` for raw prices plus ``factor``: the raw bars (a
    split may move them far in a day) and their qfq view (it may not); canonical columns + factor."""
    bars = validate_bars(frame[[c for c in COLUMNS if c in frame]], symbol, origin=origin,
                         rules=ValidationRules(max_daily_move=4.0))
    bars["factor"] = pd.to_numeric(frame["factor"], errors="coerce").astype("float64").to_numpy()
    if bars["factor"].isna().any() or (bars["factor"] <= 0).any():
        raise DataValidationError(f"{symbol} ({origin}): factor must be positive on every row")
    validate_bars(adjust_bars(bars, "qfq", symbol), symbol, origin=f"{origin}, qfq" if origin else "qfq")
    return bars
