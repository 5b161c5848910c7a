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
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from quantkit.display import fmt_date, fmt_num, fmt_pct, fmt_signed
from quantkit.errors import ConfigError
from quantkit.indicators import carry_forward, relative_distance, sma
from quantkit.indicators._checks import check_dates, check_nonnegative, check_series, check_window
from quantkit.models.contract import (MAX_SIGNAL_AGE, Chart, Model, ModelInputs, Need, ReportContext, Section,
                                      Table, param)

REGIMES = ("up", "range", "down")
_DECIMALS = 12  # distances are classified at this precision


@dataclass(frozen=True)
class TimingParams:
    """The ``[signal]`` section of the timing model: MA windows in sessions, band as a decimal
    (0.03 = 3%), the signal index and the optional profit-effect demotion."""

    short: int = param(20, "short moving-average window (sessions)")
    long: int = param(120, "long moving-average window (sessions)")
    band: float = param(0.03, "regime band around 0 of the MA distance (decimal)")
    inclusive: bool = param(False, "band boundaries count as up/down (≥ / ≤)")
    index: str | None = param(None, 'signal index code; "self" or unset = the traded ETF (timing), 000985 '
                                    "(rotation: market amount and overlay regime)", "string")
    trend_line: int | None = param(None, "SMA window of the profit effect: an up regime with a negative profit "
                                         "effect is demoted to range (unset: off)", "integer")

    def __post_init__(self) -> None:
        check_window(self.short, "short")
        check_window(self.long, "long")
        if self.short >= self.long:
            raise ConfigError(f"short ({self.short}) must be smaller than long ({self.long})")
        check_nonnegative(self.band, "band")
        object.__setattr__(self, "band", float(self.band))
        if not isinstance(self.inclusive, (bool, np.bool_)):
            raise ConfigError(f"inclusive must be true or false, got {self.inclusive!r}")
        if self.trend_line is not None:
            check_window(self.trend_line, "trend_line")

    def signal_code(self, traded: str, default: str | None = None) -> str:
        """The code whose close drives the regime: ``index``, else ``default``, else the traded ETF."""
        if self.index in (None, "self"):
            return traded if default is None else default
        return self.index


@dataclass(frozen=True)
class RegimeWeights:
    """The ``[weights]`` section: target weight per regime (decimal share of equity)."""

    up: float = param(1.0, "target weight in the up regime (decimal)")
    range: float = param(0.5, "target weight in the range regime (decimal)")
    down: float = param(0.0, "target weight in the down regime (decimal)")

    def __post_init__(self) -> None:
        for key in REGIMES:
            w = getattr(self, key)
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0.0 <= float(w) <= 1.0:
                raise ConfigError(f"{key} must be a decimal weight in [0, 1], got {w!r}")
            object.__setattr__(self, key, float(w))


def regime_weights(regime: pd.Series | np.ndarray, weights: RegimeWeights) -> pd.Series | np.ndarray:
    """Target weight (decimal) of each regime label; NaN where the regime is missing (no decision).

    Vectorised over any shape; a Series keeps its index.
    """
    arr = np.asarray(regime, dtype=object)
    out = np.select([arr == "up", arr == "range", arr == "down"], [weights.up, weights.range, weights.down], np.nan)
    if isinstance(regime, pd.Series):
        return pd.Series(out, index=regime.index, dtype=float, name="weight")
    return out


def _close_of(close: pd.Series | pd.DataFrame) -> pd.Series:
    """The close series of a model input; its dates must be sorted and unique."""
    if isinstance(close, pd.DataFrame) and "close" in close.columns:
        close = close["close"]
    close = check_series(close, "close")
    check_dates(pd.DatetimeIndex(close.index), "close")
    return close


def classify_regime(distance: pd.Series | float, band: float = TimingParams.band,
                    inclusive: bool = TimingParams.inclusive) -> pd.Series | str | None:
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


def timing_regime(close: pd.Series, short: int = TimingParams.short, long: int = TimingParams.long,
                  band: float = TimingParams.band, inclusive: bool = TimingParams.inclusive, *,
                  params: TimingParams | None = None) -> pd.DataFrame:
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


def weight_grid(close: pd.Series, combos: Sequence[tuple[int, int, float]], weights: RegimeWeights,
                inclusive: bool = TimingParams.inclusive) -> np.ndarray:
    """Target weight (decimal) per date of ``close`` (rows) and ``(short, long, band)`` combination
    (columns): column j equals ``regime_weights(timing_regime(close, *combos[j], inclusive).regime,
    weights)``, computed with each moving average once and every regime in one array operation."""
    close = _close_of(close)
    windows = sorted({w for short, long, _ in combos for w in (short, long)})
    mas = {w: sma(close, check_window(w, "window"), skipna=True).to_numpy() for w in windows}
    pairs = {pair: i for i, pair in enumerate(dict.fromkeys((short, long) for short, long, _ in combos))}
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.round(np.column_stack([mas[s] / mas[lg] - 1.0 for s, lg in pairs]), _DECIMALS)
    d = distance[:, [pairs[(short, long)] for short, long, _ in combos]]
    band = np.array([check_nonnegative(b, "band") for *_, b in combos])
    up = d >= band if inclusive else d > band
    down = d <= -band if inclusive else d < -band
    out = np.where(up, weights.up, np.where(down, weights.down, weights.range))
    out[np.isnan(d)] = np.nan
    return out


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


# --------------------------------------------------------------------------------------------
# the model step
# --------------------------------------------------------------------------------------------

def timing_frame(close: pd.Series, params: TimingParams = TimingParams()) -> pd.DataFrame:
    """:func:`timing_regime` of ``close`` plus, with ``params.trend_line``, ``profit_effect`` and
    ``effective_regime`` (up demoted to range when the profit effect is negative)."""
    frame = timing_regime(close, params=params)
    if params.trend_line is not None:
        frame["profit_effect"] = profit_effect(close, params.trend_line)
        frame["effective_regime"] = effective_regime(frame["regime"], frame["profit_effect"])
    return frame


def acted_regime(frame: pd.DataFrame) -> pd.Series:
    """The regime a strategy acts on: ``effective_regime`` when the frame has it, else ``regime``."""
    return frame["effective_regime" if "effective_regime" in frame.columns else "regime"].astype(object)


def regime_runs(regime: pd.Series) -> int:
    """Number of runs of equal regime (a flip or a gap starts a new run; missing days are no run)."""
    values = [r if isinstance(r, str) else None for r in regime.to_numpy()]
    return sum(1 for i, v in enumerate(values) if v is not None and (i == 0 or values[i - 1] != v))


@dataclass(frozen=True)
class TimingFrame:
    """Output of the timing step: the model frame on the signal's dates (``ma_short, ma_long,
    distance, regime`` [+ ``profit_effect, effective_regime``]), the target weight of the traded
    ETF per session (decimal; NaN = no decision) and the code of the signal close."""

    frame: pd.DataFrame
    weights: pd.DataFrame
    source: str

    @property
    def regime(self) -> pd.Series:
        """The regime acted on, per date of the signal."""
        return acted_regime(self.frame)


def _needs(traded: tuple[str, ...], *, signal: TimingParams, weights: RegimeWeights) -> tuple[Need, ...]:
    return (Need("signal", signal.signal_code(traded[0])),)


def _run(inputs: ModelInputs, calendar: pd.DatetimeIndex, days: pd.DatetimeIndex, *, signal: TimingParams,
         weights: RegimeWeights) -> TimingFrame:
    close = inputs.data["signal"]["close"]
    frame = timing_frame(close, signal)
    regime = carry_forward(acted_regime(frame), calendar, MAX_SIGNAL_AGE)
    symbol = next(iter(inputs.traded))
    return TimingFrame(frame, pd.DataFrame({symbol: regime_weights(regime, weights)}), signal.signal_code(symbol))


def regime_share_table(regime: pd.Series) -> Table:
    """Share of sessions in each regime (and without one)."""
    r = regime.astype(object).where(regime.notna(), "no regime")
    counts = r.value_counts(normalize=True)
    rows = tuple((k, fmt_pct(counts[k], 1)) for k in (*REGIMES, "no regime") if k in counts.index)
    return Table(("Regime", "Share of sessions"), rows, numeric=(1,))


def timing_section(output: TimingFrame, context: ReportContext, *, signal: TimingParams,
                   weights: RegimeWeights | None = None) -> Section:
    """MA distance with the band, profit effect, the last state and the share of each regime."""
    frame, source = output.frame, output.source
    charts: list[tuple[str, Chart]] = [("timing_distance", Chart("distance", {
        "distance": frame["distance"], "band": signal.band, "regime": output.regime,
        "title": f"MA distance of {source} with the ±{signal.band:.0%} band"}))]
    if "profit_effect" in frame.columns and frame["profit_effect"].notna().any():
        charts.append(("timing_profit", Chart("profit_effect", {"effect": frame["profit_effect"]})))
    last = frame.iloc[-1] if len(frame) else pd.Series(dtype=object)
    regime = last.get("regime") or "insufficient history"
    if "effective_regime" in frame.columns:
        regime = f"{regime} · sized as {last.get('effective_regime') or '—'}"
    facts = (("Last decision close", fmt_date(frame.index[-1]) if len(frame) else "—"),
             ("MA short / MA long", f"{fmt_num(last.get('ma_short'), 4)} / {fmt_num(last.get('ma_long'), 4)}"),
             ("Distance", fmt_signed(last.get("distance"))), ("Regime", regime),
             ("Regime runs in the window", str(regime_runs(output.regime))))
    return Section("timing", "Timing model",
                   f"Regime from the distance between the short and long moving averages of {source}: up above "
                   f"+{fmt_pct(signal.band, 0)}, down below −{fmt_pct(signal.band, 0)}, range in between.",
                   facts, (regime_share_table(output.regime),), tuple(charts), regime=output.regime)


MODEL = Model(kind="timing", title="Timing — MA-distance regime",
              sections={"signal": TimingParams, "weights": RegimeWeights},
              needs=_needs, run=_run, report=timing_section)
