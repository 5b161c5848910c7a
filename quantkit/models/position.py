"""Position management: valuation × trend (中泰证券 仓位管理模型).

Valuation percentiles (PE-TTM and PB of the valuation index, expanding from a fixed start so no
future data leaks) give a valuation state; the trend regime of the timing model, demoted from
``up`` to ``range`` when the profit effect is negative, picks the row of :data:`POSITION_MATRIX`.
Weights are fractions of capital (0.8 = 80% in equities).

Default inputs: timing on 中证全指 000985 (the free proxy of Wind 全A), valuation from 沪深300
000300 — the only broad index in the snapshot with both PE-TTM and PB (000985 has PE only). The
valuation index is a parameter (:class:`MarketParams`); with a PE-only index the state uses PE
alone. See ``seeds/position.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from quantkit.errors import ConfigError
from quantkit.indicators import carry_forward, expanding_percentile
from quantkit.indicators._checks import check_date, check_dates, check_nonnegative, check_series, check_window
from quantkit.indicators.percentile import check_method
from quantkit.display import fmt_date, fmt_num, fmt_pct, fmt_signed
from quantkit.models.contract import MAX_SIGNAL_AGE, Chart, Model, ModelInputs, Need, ReportContext, Section, Table, param
from quantkit.models.timing import REGIMES, TimingParams, effective_regime, profit_effect, timing_regime

VALUATION_STATES = ("low", "normal", "high")

POSITION_MATRIX: Mapping[tuple[str, str], float] = MappingProxyType({
    ("up", "low"): 0.9, ("up", "normal"): 0.8, ("up", "high"): 0.7,
    ("range", "low"): 0.6, ("range", "normal"): 0.5, ("range", "high"): 0.4,
    ("down", "low"): 0.3, ("down", "normal"): 0.2, ("down", "high"): 0.1,
})
"""Equity weight by (trend, valuation state), fractions of capital."""

DEFAULT_PERCENTILE_START = "2014-10-17"


def valuation_percentile(series: pd.Series, method: str = "rank", start: object = DEFAULT_PERCENTILE_START) -> pd.Series:
    """Expanding percentile (fraction in [0, 1]) of a valuation series (PE or PB) from ``start``.

    ``rank``: share of days from ``start`` to today whose value is ≤ today's; ``minmax``:
    ``(x − min) / (max − min)``. NaN before ``start``. ``start=None`` uses the whole history.
    """
    return expanding_percentile(series, method=method, start=start).rename(
        f"{series.name}_percentile" if series.name else "percentile")


def _check_thresholds(low: float, high: float) -> tuple[float, float]:
    low, high = check_nonnegative(low, "low"), check_nonnegative(high, "high")
    if high > 1:
        raise ConfigError(f"high must be a fraction in [0, 1] (0.80 means the 80th percentile), got {high!r}")
    if low > high:
        raise ConfigError(f"low ({low}) must not exceed high ({high})")
    return low, high


def _fractions(values: object, name: str, index: pd.Index) -> np.ndarray:
    """Percentiles as a float array aligned on ``index``; :class:`ConfigError` if any is outside [0, 1]."""
    if values is None:
        return np.full(len(index), np.nan)
    if isinstance(values, pd.Series):
        arr = values.reindex(index).to_numpy(dtype="float64", na_value=np.nan)
    else:
        try:
            arr = np.broadcast_to(np.asarray(values, dtype="float64"), (len(index),))
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a fraction in [0, 1] or NaN, got {values!r}") from None
    bad = ~np.isnan(arr) & ((arr < 0) | (arr > 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f" on {index[i].date()}" if isinstance(index, pd.DatetimeIndex) else ""
        raise ConfigError(f"{name} must be a fraction in [0, 1] (0.40 means the 40th percentile), "
                          f"got {arr[i]:g}{where}")
    return arr


def _states(pe: np.ndarray, pb: np.ndarray, low: float, high: float) -> np.ndarray:
    """Valuation state per row: low if mean < low, high if min > high, else normal; one side alone if the other is NaN."""
    pe_na, pb_na = np.isnan(pe), np.isnan(pb)
    with np.errstate(invalid="ignore"):
        mean = np.where(pe_na, pb, np.where(pb_na, pe, (pe + pb) / 2))
        least = np.where(pe_na, pb, np.where(pb_na, pe, np.minimum(pe, pb)))
        states = np.where(mean < low, "low", np.where(least > high, "high", "normal")).astype(object)
    states[pe_na & pb_na] = None
    return states


def valuation_state(pe_pct: float | None, pb_pct: float | None, low: float = 0.35, high: float = 0.80) -> str | None:
    """``low`` if mean(PE pct, PB pct) < ``low``; ``high`` if min(PE pct, PB pct) > ``high``; else ``normal``.

    Percentiles are fractions in [0, 1]. If one is None/NaN the other decides alone; None if both are.
    """
    low, high = _check_thresholds(low, high)
    idx = pd.RangeIndex(1)
    return _states(_fractions(pe_pct, "pe_pct", idx), _fractions(pb_pct, "pb_pct", idx), low, high)[0]


def _regime_array(regime: pd.Series, name: str) -> np.ndarray:
    arr = regime.astype(object).to_numpy()
    missing = pd.isna(arr)
    unknown = ~missing & ~np.isin(arr, np.array(REGIMES, dtype=object))
    if unknown.any():
        raise ConfigError(f"{name} must be one of {', '.join(REGIMES)} (or missing), got {arr[unknown][0]!r}")
    return np.where(missing, None, arr)


def _weights(regime: pd.Series, pe_pct: object, pb_pct: object, profit_effect: pd.Series | None,
             low: float, high: float, name: str) -> pd.Series:
    """The one implementation behind :func:`position_weights` and :func:`position_weight`."""
    low, high = _check_thresholds(low, high)
    regime = check_series(regime, name)
    _regime_array(regime, name)
    trend = _regime_array(effective_regime(regime, profit_effect), name)
    states = _states(_fractions(pe_pct, "pe_pct", regime.index), _fractions(pb_pct, "pb_pct", regime.index), low, high)
    weights = np.array([POSITION_MATRIX[(t, s)] if t is not None and s is not None else np.nan
                        for t, s in zip(trend, states)], dtype="float64")
    return pd.Series(weights, index=regime.index, name="position")


def position_weights(regime: pd.Series, pe_pct: pd.Series | None, pb_pct: pd.Series | None,
                     profit_effect: pd.Series | None = None, *, low: float = 0.35, high: float = 0.80) -> pd.Series:
    """Equity weight per date from :data:`POSITION_MATRIX` (fractions: 0.8 = 80%).

    ``regime`` is the timing regime; ``up`` with a negative ``profit_effect`` is sized as
    ``range``. Percentiles (fractions in [0, 1]) are aligned on the regime's dates. NaN where the
    regime is missing or neither percentile is known.
    """
    return _weights(regime, pe_pct, pb_pct, profit_effect, low, high, "regime")


def position_weight(trend: str | None, pe_pct: float | None, pb_pct: float | None,
                    profit_effect: float | None = None, *, low: float = 0.35, high: float = 0.80) -> float:
    """Equity weight (0.8 = 80%) for one observation; NaN if ``trend`` is None or both percentiles are missing.

    ``trend`` is ``up``/``range``/``down``; ``up`` with a negative ``profit_effect`` counts as ``range``.
    Percentiles are fractions in [0, 1] (pass 0.40, not 40).
    """
    idx = pd.RangeIndex(1)
    pe_effect = None if profit_effect is None else pd.Series([profit_effect], index=idx, dtype="float64")
    weights = _weights(pd.Series([trend], index=idx, dtype=object), _fractions(pe_pct, "pe_pct", idx),
                       _fractions(pb_pct, "pb_pct", idx), pe_effect, low, high, "trend")
    return float(weights.iloc[0])


@dataclass(frozen=True)
class MarketParams:
    """The ``[signal]`` section of the position model (market state: timing × valuation → position).

    ``index``: timing index (000985, proxy of Wind 全A); ``valuation_index``: index whose PE/PB
    percentiles set the valuation state (000300: the only broad index with both PE and PB in the
    snapshot). ``trend_line``: SMA window of the profit effect. ``valuation_max_age``: how many
    index sessions a valuation observation may be carried forward before it counts as unknown
    (None: no limit).
    """

    index: str = param("000985", "timing index of the market state (000985 中证全指, proxy of Wind 全A)")
    short: int = param(TimingParams.short, "short moving-average window (sessions)")
    long: int = param(TimingParams.long, "long moving-average window (sessions)")
    band: float = param(TimingParams.band, "regime band around 0 of the MA distance (decimal)")
    inclusive: bool = param(TimingParams.inclusive, "band boundaries count as up/down (≥ / ≤)")
    trend_line: int = param(30, "SMA window of the profit effect (close / SMA − 1); an up regime with a negative "
                                "profit effect is sized as range")
    valuation_index: str = param("000300", "index whose PE/PB percentiles give the valuation state")
    method: str = param("rank", "percentile method: rank | minmax")
    percentile_start: str | None = param(DEFAULT_PERCENTILE_START, "start of the expanding valuation percentiles",
                                         "date")
    low: float = param(0.35, "valuation low when mean(PE pct, PB pct) < low")
    high: float = param(0.80, "valuation high when min(PE pct, PB pct) > high")
    valuation_max_age: int | None = param(10, "sessions a valuation value may be carried forward")

    def __post_init__(self) -> None:
        if self.index in (None, "self"):
            object.__setattr__(self, "index", "000985")
        self.timing  # validates the windows and the band
        check_window(self.trend_line, "trend_line")
        check_method(self.method)
        check_date(self.percentile_start, "percentile_start")
        _check_thresholds(self.low, self.high)
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        if self.valuation_max_age is not None:
            if isinstance(self.valuation_max_age, bool) or not isinstance(self.valuation_max_age, int) \
                    or self.valuation_max_age < 0:
                raise ConfigError(f"valuation_max_age must be a whole number of sessions ≥ 0 or None, "
                                  f"got {self.valuation_max_age!r}")

    @property
    def timing(self) -> TimingParams:
        """The timing part (windows, band, inclusivity)."""
        return TimingParams(self.short, self.long, self.band, self.inclusive)


def market_state(index_close: pd.Series, valuation: pd.DataFrame, params: MarketParams = MarketParams()) -> pd.DataFrame:
    """Timing regime, profit effect, valuation percentiles and target equity weight per date of the index.

    ``index_close``: close of the timing index; ``valuation``: frame with ``pe`` and (optionally)
    ``pb`` of the valuation index. Percentiles are computed on the valuation's own dates and
    carried forward onto the index's dates (past values only, at most
    ``params.valuation_max_age`` sessions old). Columns: ``close, ma_short, ma_long, distance,
    regime, profit_effect, effective_regime, pe_percentile, pb_percentile, valuation, position``.
    """
    if not isinstance(params, MarketParams):
        raise ConfigError(f"params must be a MarketParams, got {type(params).__name__}")
    if isinstance(index_close, pd.DataFrame) and "close" in index_close.columns:
        index_close = index_close["close"]
    close = check_series(index_close, "index_close")
    check_dates(pd.DatetimeIndex(close.index), "index_close")
    if not isinstance(valuation, pd.DataFrame) or "pe" not in valuation.columns:
        raise ConfigError("valuation must be a DataFrame with a 'pe' column (and 'pb' when known)")
    check_dates(pd.DatetimeIndex(valuation.index), "valuation")
    dates = pd.DatetimeIndex(close.index)

    timing = timing_regime(close, params=params.timing)
    effect = profit_effect(close, params.trend_line)
    pct = {}
    for col in ("pe", "pb"):
        if col in valuation.columns and valuation[col].notna().any():
            raw = valuation_percentile(valuation[col], params.method, params.percentile_start)
            pct[col] = carry_forward(raw, dates, params.valuation_max_age)
        else:
            pct[col] = pd.Series(np.nan, index=dates)
    states = _states(pct["pe"].to_numpy(), pct["pb"].to_numpy(), params.low, params.high)

    out = pd.DataFrame({"close": close}, index=close.index)
    out = out.join(timing)
    out["profit_effect"] = effect
    out["effective_regime"] = effective_regime(timing["regime"], effect)
    out["pe_percentile"] = pct["pe"].to_numpy()
    out["pb_percentile"] = pct["pb"].to_numpy()
    out["valuation"] = pd.Series(states, index=close.index, dtype=object)
    out["position"] = position_weights(timing["regime"], pct["pe"], pct["pb"], effect, low=params.low, high=params.high)
    return out


# --------------------------------------------------------------------------------------------
# the model step
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MarketState:
    """Output of the position step: the :func:`market_state` frame on the index's dates and the
    target weight of the traded ETF per session (its position, decimal; NaN = no decision)."""

    frame: pd.DataFrame
    weights: pd.DataFrame

    @property
    def regime(self) -> pd.Series:
        """The regime the position was sized on (up demoted to range by a negative profit effect)."""
        return self.frame["effective_regime"]


def _needs(traded: tuple[str, ...], *, signal: MarketParams) -> tuple[Need, ...]:
    return Need("signal", signal.index), Need("valuation", signal.valuation_index, "valuation")


def _run(inputs: ModelInputs, calendar: pd.DatetimeIndex, days: pd.DatetimeIndex, *,
         signal: MarketParams) -> MarketState:
    state = market_state(inputs.data["signal"]["close"], inputs.data["valuation"], signal)
    position = carry_forward(state["position"].astype(float), calendar, MAX_SIGNAL_AGE)
    return MarketState(state, pd.DataFrame({next(iter(inputs.traded)): position}))


def position_matrix_table(state: pd.DataFrame) -> Table:
    """The 3 × 3 trend × valuation matrix: weight and share of sessions per cell; the last state marked."""
    trend = state["effective_regime"].astype(object)
    val = state["valuation"].astype(object)
    known = trend.notna() & val.notna()
    total = int(known.sum())
    last = state[known].iloc[-1] if total else None
    rows, marked = [], []
    for i, t in enumerate(REGIMES):
        row = [t]
        for j, v in enumerate(VALUATION_STATES):
            n = int(((trend == t) & (val == v)).sum())
            row.append(f"{fmt_pct(POSITION_MATRIX[(t, v)], 0)} · {fmt_pct(n / total if total else None, 1)} of sessions")
            if last is not None and last["effective_regime"] == t and last["valuation"] == v:
                marked.append((i, j + 1))
    return Table(("trend \\ valuation", *VALUATION_STATES), tuple(tuple(r) for r in rows),
                 title="Equity weight per cell", marked=tuple(marked),
                 note=f"The marked cell is the last state; shares over {total} sessions with a known state.")


def position_section(output: MarketState, context: ReportContext, *, signal: MarketParams) -> Section:
    """Distance, profit effect, PE/PB percentiles and the matrix state of the market-state frame."""
    state = output.frame
    last = state.iloc[-1] if len(state) else pd.Series(dtype=object)
    band = signal.band
    facts = (("Last decision close", f"{fmt_date(state.index[-1]) if len(state) else '—'} "
                                     f"(close {fmt_num(last.get('close'), 2)})"),
             ("Distance · regime", f"{fmt_signed(last.get('distance'))} · {last.get('regime') or '—'}"),
             ("Profit effect · regime for sizing",
              f"{fmt_signed(last.get('profit_effect'))} · {last.get('effective_regime') or '—'}"),
             ("PE / PB percentile", f"{fmt_pct(last.get('pe_percentile'), 1)} / {fmt_pct(last.get('pb_percentile'), 1)}"),
             ("Valuation", last.get("valuation") or "—"), ("Position", fmt_pct(last.get("position"), 0)))
    charts = (
        ("position_state", Chart("position_state", {"position": state["position"], "trend": state["effective_regime"],
                                                    "valuation": state["valuation"]})),
        ("position_distance", Chart("distance", {"distance": state["distance"], "band": band, "regime": state["regime"],
                                                 "title": f"MA distance of {signal.index} with the ±{band:.0%} band"})),
        ("position_profit", Chart("profit_effect", {"effect": state["profit_effect"]})),
        ("position_percentiles", Chart("percentiles", {"pe_pct": state["pe_percentile"],
                                                       "pb_pct": state["pb_percentile"], "low": signal.low,
                                                       "high": signal.high})),
    )
    return Section("position", "Position model: valuation × trend",
                   f"Trend: MA-distance regime of {signal.index}, an up regime with a negative profit effect sized "
                   f"as range. Valuation: expanding PE/PB percentiles of {signal.valuation_index} (low when their "
                   f"mean is below {fmt_pct(signal.low, 0)}, high when both exceed {fmt_pct(signal.high, 0)}).",
                   facts, (position_matrix_table(state),), charts, regime=output.regime)


MODEL = Model(kind="position", title="Position management — valuation × trend", sections={"signal": MarketParams},
              needs=_needs, run=_run, report=position_section)
