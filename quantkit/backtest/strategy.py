"""Strategies as data: load and validate a strategy TOML, turn it into target weights, run it.

The schema (documented for users in ``strategies/README.md``) is :data:`SCHEMA`: sections, keys,
expected types and defaults. Unknown sections or keys and wrong types raise
:class:`~quantkit.errors.ConfigError` naming the file, the ``[section] key`` and the expected type.

Target weights are built in small steps, bt-style:

1. :func:`select_symbols` — the traded universe (``[universe]`` or ``--etf``);
2. :func:`load_inputs` — prices and model inputs, cut at the window's end (nothing later is read);
3. a signal step per kind — :func:`timing_weights` (regime → weight), :func:`position_weights_of`
   (market_state position), :func:`rotation_weights` (quadrant selection, equal weight);
4. :func:`schedule` — keep decisions on the rebalance days only (daily or weekly).

Every model output on a day uses data up to that day's close only; the weights are decided at
that close and the engine trades them on the next session.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from quantkit.backtest.params import CostParams, ExecutionParams
from quantkit.errors import ConfigError
from quantkit.indicators import carry_forward

if TYPE_CHECKING:
    from quantkit.backtest.result import BacktestResult

KINDS = ("timing", "position", "rotation")
FREQUENCIES = ("daily", "weekly")
#: sessions a signal-index value may be carried onto the traded calendar before it is stale
MAX_SIGNAL_AGE = 5


# --------------------------------------------------------------------------------------------
# schema
# --------------------------------------------------------------------------------------------

def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_date(v: Any) -> bool:
    if isinstance(v, date):
        return True
    if not isinstance(v, str):
        return False
    try:
        pd.Timestamp(v)
        return True
    except (ValueError, TypeError):
        return False


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _is_int_list(v: Any) -> bool:
    return isinstance(v, list) and all(_is_int(x) for x in v)


_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "string": (_is_str, "a string"),
    "integer": (_is_int, "an integer"),
    "number": (_is_num, "a number"),
    "boolean": (_is_bool, "true or false"),
    "date": (_is_date, 'a date "YYYY-MM-DD"'),
    "strings": (_is_str_list, 'a list of strings (quote codes: ["562800"])'),
    "integers": (_is_int_list, "a list of integers"),
}

#: section → key → (type, default, description). ``None`` default = not set.
SCHEMA: dict[str, dict[str, tuple[str, Any, str]]] = {
    "strategy": {
        "name": ("string", None, "short name shown in reports (required)"),
        "kind": ("string", None, "timing | position | rotation (required)"),
        "description": ("string", "", "one line on what the strategy does"),
    },
    "universe": {
        "symbols": ("strings", None, "ETF codes traded (timing/position: the first is traded)"),
        "name": ("string", None, "a named universe instead of symbols: theme | broad"),
    },
    "signal": {
        "index": ("string", None, 'signal index code; "self" or unset = the traded ETF (timing), '
                                  "000985 (position, rotation market amount)"),
        "short": ("integer", 20, "short moving-average window (sessions)"),
        "long": ("integer", 120, "long moving-average window (sessions)"),
        "band": ("number", 0.03, "regime band around 0 of the MA distance (decimal)"),
        "inclusive": ("boolean", False, "band boundaries count as up/down (≥ / ≤)"),
        "trend_line": ("integer", None, "SMA window of the profit effect; timing: demote up → range when "
                                        "the profit effect is negative (unset: off); position: default 30"),
        "valuation_index": ("string", "000300", "index whose PE/PB percentiles give the valuation state"),
        "method": ("string", "rank", "percentile method: rank | minmax"),
        "percentile_start": ("date", "2014-10-17", "start of the expanding valuation percentiles"),
        "low": ("number", 0.35, "valuation low when mean(PE pct, PB pct) < low"),
        "high": ("number", 0.80, "valuation high when min(PE pct, PB pct) > high"),
        "valuation_max_age": ("integer", 10, "sessions a valuation value may be carried forward"),
    },
    "weights": {
        "up": ("number", 1.0, "target weight in the up regime (decimal)"),
        "range": ("number", 0.5, "target weight in the range regime (decimal)"),
        "down": ("number", 0.0, "target weight in the down regime (decimal)"),
    },
    "rotation": {
        "lookback": ("integer", 243, "rise lookback (sessions)"),
        "anchor": ("date", None, "measure the rise since this date instead of a lookback"),
        "top_k": ("integer", 3, "number of ETFs held"),
        "preferred": ("integers", [2, 3], "quadrants to pick from, in order"),
        "timing_overlay": ("boolean", False, "scale the rotation weights by the [weights] of the "
                                             "[signal] index regime"),
        "history_start": ("date", "2020-01-01", "start of the expanding crowding percentiles"),
        "window": ("integer", 20, "crowding averaging window (sessions)"),
    },
    "execution": {
        "price": ("string", "next_open", "next_open | next_close: when a decision at close t trades"),
        "threshold": ("number", 0.0, "trade a symbol only when |target − weight| > threshold (decimal)"),
        "initial_cash": ("number", 1_000_000.0, "starting cash (CNY)"),
        "lot_size": ("integer", 100, "shares per lot"),
        "cash_rate": ("number", 0.0, "annual interest on idle cash (decimal)"),
    },
    "costs": {
        "commission": ("number", 0.0002, "commission rate on traded value (decimal)"),
        "min_commission": ("number", 5.0, "minimum commission per order (CNY)"),
        "slippage_bps": ("number", 0.0, "slippage per order (basis points)"),
    },
    "rebalance": {
        "frequency": ("string", "daily", "daily | weekly (last session of each week)"),
    },
    "benchmark": {
        "symbol": ("string", None, "benchmark code (index or ETF); unset = buy-and-hold of the traded ETF "
                                   "or equal weight of the universe"),
    },
}


# --------------------------------------------------------------------------------------------
# dataclasses
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignalSpec:
    """``[signal]``: model parameters (windows in sessions, band and thresholds as decimals)."""

    index: str | None = None
    short: int = 20
    long: int = 120
    band: float = 0.03
    inclusive: bool = False
    trend_line: int | None = None
    valuation_index: str = "000300"
    method: str = "rank"
    percentile_start: str = "2014-10-17"
    low: float = 0.35
    high: float = 0.80
    valuation_max_age: int = 10


@dataclass(frozen=True)
class WeightsSpec:
    """``[weights]``: target weight per regime (decimal share of equity)."""

    up: float = 1.0
    range: float = 0.5
    down: float = 0.0

    def of(self, regime: str | None) -> float:
        return {"up": self.up, "range": self.range, "down": self.down}.get(regime, np.nan)


@dataclass(frozen=True)
class RotationSpec:
    """``[rotation]``: quadrant rotation parameters."""

    lookback: int = 243
    anchor: str | None = None
    top_k: int = 3
    preferred: tuple[int, ...] = (2, 3)
    timing_overlay: bool = False
    history_start: str = "2020-01-01"
    window: int = 20


@dataclass(frozen=True)
class Strategy:
    """A validated strategy definition."""

    name: str
    kind: str
    description: str = ""
    symbols: tuple[str, ...] = ()
    universe_name: str | None = None
    signal: SignalSpec = SignalSpec()
    weights: WeightsSpec = WeightsSpec()
    rotation: RotationSpec = RotationSpec()
    execution: ExecutionParams = ExecutionParams()
    costs: CostParams = CostParams()
    frequency: str = "daily"
    benchmark: str | None = None
    source: str = "<dict>"
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict:
        """Resolved parameters (JSON-ready) as recorded in a BacktestResult."""
        return {
            "name": self.name, "kind": self.kind, "description": self.description,
            "universe": {"symbols": list(self.symbols), "name": self.universe_name},
            "signal": asdict(self.signal), "weights": asdict(self.weights),
            "rotation": {**asdict(self.rotation), "preferred": list(self.rotation.preferred)},
            "rebalance": {"frequency": self.frequency}, "benchmark": {"symbol": self.benchmark},
            "source": self.source,
        }


# --------------------------------------------------------------------------------------------
# loading and validation
# --------------------------------------------------------------------------------------------

def _check_types(raw: Mapping[str, Any], source: str) -> None:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: a strategy must be a TOML table")
    for section, body in raw.items():
        if section not in SCHEMA:
            raise ConfigError(f"{source}: unknown section [{section}] (expected one of: {', '.join(SCHEMA)})")
        if not isinstance(body, Mapping):
            raise ConfigError(f"{source}: [{section}] must be a table of keys, got {type(body).__name__}")
        for key, value in body.items():
            spec = SCHEMA[section].get(key)
            if spec is None:
                raise ConfigError(f"{source}: unknown key [{section}] {key} "
                                  f"(expected one of: {', '.join(SCHEMA[section])})")
            check, label = _TYPES[spec[0]]
            if not check(value):
                raise ConfigError(f"{source}: [{section}] {key} must be {label}, got {value!r} "
                                  f"({type(value).__name__})")


def _get(raw: Mapping[str, Any], section: str, key: str) -> Any:
    value = raw.get(section, {}).get(key, SCHEMA[section][key][1])
    if isinstance(value, date):
        value = value.isoformat()
    return value


def _prefix(source: str) -> Callable[[ConfigError], ConfigError]:
    def wrap(exc: ConfigError) -> ConfigError:
        return ConfigError(f"{source}: {exc}")
    return wrap


def parse_strategy(raw: Mapping[str, Any], source: str = "<dict>") -> Strategy:
    """Validate a strategy given as a dict (parsed TOML) and resolve defaults."""
    _check_types(raw, source)
    sec = {s: {k: _get(raw, s, k) for k in keys} for s, keys in SCHEMA.items()}
    name, kind = sec["strategy"]["name"], sec["strategy"]["kind"]
    if not name:
        raise ConfigError(f"{source}: [strategy] name is required")
    if kind not in KINDS:
        raise ConfigError(f"{source}: [strategy] kind must be one of {', '.join(KINDS)}, got {kind!r}")
    symbols, uname = sec["universe"]["symbols"], sec["universe"]["name"]
    if symbols is not None and uname is not None:
        raise ConfigError(f"{source}: [universe] takes either symbols or name, not both")
    if sec["rebalance"]["frequency"] not in FREQUENCIES:
        raise ConfigError(f"{source}: [rebalance] frequency must be one of {', '.join(FREQUENCIES)}, "
                          f"got {sec['rebalance']['frequency']!r}")
    for key in ("up", "range", "down"):
        w = sec["weights"][key]
        if not 0.0 <= float(w) <= 1.0:
            raise ConfigError(f"{source}: [weights] {key} must be a decimal weight in [0, 1], got {w!r}")
    sig = sec["signal"]
    if sig["short"] < 1 or sig["long"] < 1 or sig["short"] >= sig["long"]:
        raise ConfigError(f"{source}: [signal] short ({sig['short']}) must be ≥ 1 and smaller than long "
                          f"({sig['long']})")
    if sig["band"] < 0:
        raise ConfigError(f"{source}: [signal] band must be ≥ 0 (decimal), got {sig['band']!r}")
    if sig["method"] not in ("rank", "minmax"):
        raise ConfigError(f"{source}: [signal] method must be rank or minmax, got {sig['method']!r}")
    rot = sec["rotation"]
    if rot["top_k"] < 1 or rot["lookback"] < 1 or rot["window"] < 1:
        raise ConfigError(f"{source}: [rotation] top_k, lookback and window must be ≥ 1")
    if not rot["preferred"] or any(q not in (1, 2, 3, 4) for q in rot["preferred"]):
        raise ConfigError(f"{source}: [rotation] preferred must list quadrants among 1, 2, 3, 4, "
                          f"got {rot['preferred']!r}")
    ex, co = sec["execution"], sec["costs"]
    try:
        execution = ExecutionParams(execution=ex["price"], threshold=ex["threshold"], lot_size=ex["lot_size"],
                                    initial_cash=ex["initial_cash"], cash_rate=ex["cash_rate"])
        costs = CostParams(commission=co["commission"], min_commission=co["min_commission"],
                           slippage_bps=co["slippage_bps"])
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return Strategy(
        name=name, kind=kind, description=sec["strategy"]["description"],
        symbols=tuple(symbols) if symbols is not None else (), universe_name=uname,
        signal=SignalSpec(**{k: (float(v) if k in ("band", "low", "high") else v) for k, v in sig.items()}),
        weights=WeightsSpec(**{k: float(v) for k, v in sec["weights"].items()}),
        rotation=RotationSpec(**{**rot, "preferred": tuple(rot["preferred"])}),
        execution=execution, costs=costs, frequency=sec["rebalance"]["frequency"],
        benchmark=sec["benchmark"]["symbol"], source=source, raw=copy.deepcopy(dict(raw)))


def _parse_value(text: str) -> Any:
    """A ``--set`` value as a TOML literal (``0``, ``0.5``, ``true``, ``[2, 3]``, ``"x"``); else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(raw: Mapping[str, Any], items: Iterable[str]) -> dict:
    """A copy of ``raw`` with ``section.key=value`` overrides applied (values parsed as TOML literals).

    A key that is not in the schema raises ConfigError; types are checked later by
    :func:`parse_strategy`.
    """
    out = copy.deepcopy(dict(raw))
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected section.key=value, e.g. costs.commission=0")
        path, text = (part.strip() for part in item.split("=", 1))
        if "." not in path:
            raise ConfigError(f"--set {item!r}: expected section.key=value, e.g. costs.commission=0")
        section, key = path.split(".", 1)
        if section not in SCHEMA or key not in SCHEMA[section]:
            known = ", ".join(f"{s}.{k}" for s in SCHEMA for k in SCHEMA[s]) if section not in SCHEMA else \
                ", ".join(f"{section}.{k}" for k in SCHEMA[section])
            raise ConfigError(f"--set {path}: no such key (known: {known})")
        table = out.setdefault(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"--set {path}: [{section}] is not a table")
        value = _parse_value(text)
        kind = SCHEMA[section][key][0]
        if kind == "string" and isinstance(value, int) and not isinstance(value, bool):
            value = text  # a code such as 510300 parses as a TOML integer
        elif kind == "strings" and isinstance(value, list):
            value = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        table[key] = value
    return out


def load_strategy(path: str | Path, overrides: Iterable[str] = ()) -> Strategy:
    """Read, override (``--set`` items) and validate a strategy TOML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"strategy file {path} not found") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read strategy file {path}: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_strategy(apply_overrides(raw, overrides), source=str(path))


# --------------------------------------------------------------------------------------------
# steps: select → inputs → weigh → schedule
# --------------------------------------------------------------------------------------------

def select_symbols(strategy: Strategy, etf: str | None = None) -> tuple[str, ...]:
    """The traded symbols: ``etf`` if given (timing/position), else ``[universe]``."""
    from quantkit.data.symbols import etf_symbol
    from quantkit.data.universe import universe

    if etf is not None:
        if strategy.kind == "rotation":
            raise ConfigError("--etf applies to timing and position strategies; a rotation trades its [universe]")
        codes: tuple[str, ...] = (etf,)
    elif strategy.universe_name is not None:
        codes = universe(strategy.universe_name)
    else:
        codes = strategy.symbols
    codes = tuple(dict.fromkeys(etf_symbol(c).code for c in codes))
    if not codes:
        raise ConfigError(f"{strategy.source}: the universe is empty: set [universe] symbols or name, or pass --etf")
    if strategy.kind in ("timing", "position") and len(codes) > 1:
        raise ConfigError(f"{strategy.source}: a {strategy.kind} strategy trades one ETF, got {len(codes)} "
                          f"symbols ({', '.join(codes)}); use --etf or a rotation")
    return codes


def _cut(frame: pd.DataFrame | pd.Series, end: pd.Timestamp | None):
    return frame if end is None else frame.loc[frame.index <= end]


@dataclass(frozen=True)
class StrategyInputs:
    """Data a strategy needs, every series cut at the window's end."""

    prices: dict            # symbol → canonical frame (traded symbols)
    signal_close: pd.Series | None = None
    valuation: pd.DataFrame | None = None
    rotation: dict | None = None   # keyword inputs of quantkit.models.quadrants
    benchmark: pd.Series | None = None


def _signal_code(strategy: Strategy, traded: str) -> str:
    idx = strategy.signal.index
    if strategy.kind == "timing":
        return traded if idx in (None, "self") else idx
    return "000985" if idx in (None, "self") else idx


def load_inputs(strategy: Strategy, symbols: tuple[str, ...], end: pd.Timestamp | None = None,
                prices: Mapping[str, pd.DataFrame] | None = None) -> StrategyInputs:
    """Load everything the strategy reads, cut at ``end`` (no later bar is ever seen).

    ``prices`` may hold already loaded frames of ``symbols`` (full history).
    """
    from quantkit.data.api import load_prices, load_valuation, panel

    loaded = dict(prices or {})
    prices = {s: _cut(loaded[s] if s in loaded else load_prices(s), end) for s in symbols}
    empty = [s for s, frame in prices.items() if frame.empty]
    if strategy.kind == "rotation" and len(empty) < len(prices):
        prices = {s: frame for s, frame in prices.items() if not frame.empty}  # listed after the window
    elif empty:
        raise ConfigError(f"no {empty[0]} bars on or before {end.date()}")
    signal_close = valuation = rotation = None
    if strategy.kind in ("timing", "position") or strategy.rotation.timing_overlay:
        code = _signal_code(strategy, symbols[0])
        signal_close = prices[code]["close"] if code in prices else _cut(load_prices(code)["close"], end)
    if strategy.kind == "position":
        valuation = _cut(load_valuation(strategy.signal.valuation_index), end)
    if strategy.kind == "rotation":
        market = _signal_code(strategy, symbols[0])
        rotation = panel(prices)
        rotation["market_amount"] = _cut(load_prices(market)["amount"], end)
    bench = None
    if strategy.benchmark is not None:
        bench = _cut(load_prices(strategy.benchmark)["close"], end).rename(strategy.benchmark)
    return StrategyInputs(prices, signal_close, valuation, rotation, bench)


def timing_frame(strategy: Strategy, close: pd.Series) -> pd.DataFrame:
    """Timing model on the signal close: ma_short, ma_long, distance, regime (+ profit effect columns)."""
    from quantkit.models import effective_regime, profit_effect, timing_regime

    s = strategy.signal
    frame = timing_regime(close, short=s.short, long=s.long, band=s.band, inclusive=s.inclusive)
    if s.trend_line is not None:
        frame["profit_effect"] = profit_effect(close, s.trend_line)
        frame["effective_regime"] = effective_regime(frame["regime"], frame["profit_effect"])
    return frame


def regime_weights(regime: pd.Series, weights: WeightsSpec) -> pd.Series:
    """Map regimes to target weights (decimal); a missing regime gives NaN (no decision)."""
    return pd.Series([weights.of(r) if isinstance(r, str) else np.nan for r in regime], index=regime.index,
                     dtype=float)


def timing_weights(strategy: Strategy, inputs: StrategyInputs, calendar: pd.DatetimeIndex) -> tuple[pd.DataFrame, dict]:
    """Target weight of the traded ETF per session from the signal's regime."""
    frame = timing_frame(strategy, inputs.signal_close)
    col = "effective_regime" if "effective_regime" in frame else "regime"
    regime = carry_forward(frame[col].astype(object), calendar, MAX_SIGNAL_AGE)
    symbol = next(iter(inputs.prices))
    return pd.DataFrame({symbol: regime_weights(regime, strategy.weights)}), {"timing": frame}


def market_params(strategy: Strategy, index: str):
    """:class:`quantkit.models.MarketParams` from ``[signal]``."""
    from quantkit.models import MarketParams, TimingParams

    s = strategy.signal
    return MarketParams(index=index, valuation_index=s.valuation_index,
                        timing=TimingParams(s.short, s.long, s.band, s.inclusive),
                        trend_line=30 if s.trend_line is None else s.trend_line, percentile_method=s.method,
                        percentile_start=s.percentile_start, low=s.low, high=s.high,
                        valuation_max_age=s.valuation_max_age)


def position_weights_of(strategy: Strategy, inputs: StrategyInputs,
                        calendar: pd.DatetimeIndex) -> tuple[pd.DataFrame, dict]:
    """Target weight of the traded ETF per session: market_state's position (0.1–0.9)."""
    from quantkit.models import market_state

    symbol = next(iter(inputs.prices))
    params = market_params(strategy, _signal_code(strategy, symbol))
    state = market_state(inputs.signal_close, inputs.valuation, params)
    position = carry_forward(state["position"].astype(float), calendar, MAX_SIGNAL_AGE)
    return pd.DataFrame({symbol: position}), {"market_state": state}


def weekly_days(calendar: pd.DatetimeIndex) -> np.ndarray:
    """Mask of the last session of each ISO week; the final session counts only if it is a Friday."""
    if len(calendar) == 0:
        return np.zeros(0, dtype=bool)
    iso = calendar.isocalendar()
    week = (iso["year"].astype(int) * 100 + iso["week"].astype(int)).to_numpy()
    last = np.r_[week[1:] != week[:-1], calendar[-1].weekday() == 4]
    return last


def schedule(weights: pd.DataFrame, frequency: str) -> pd.DataFrame:
    """Keep decisions on rebalance days only (others become NaN = hold)."""
    if frequency == "daily":
        return weights
    keep = weekly_days(pd.DatetimeIndex(weights.index))
    return weights.where(pd.Series(keep, index=weights.index), np.nan)


def rotation_weights(strategy: Strategy, inputs: StrategyInputs,
                     calendar: pd.DatetimeIndex, days: pd.DatetimeIndex) -> tuple[pd.DataFrame, dict]:
    """Equal weights of the top-k symbols of the preferred quadrants, decided on ``days`` (NaN otherwise).

    With ``timing_overlay`` the weights are scaled by the ``[weights]`` of the ``[signal]``
    index regime on that day.
    """
    from quantkit.models import quadrant_tables, select_rotation

    r = strategy.rotation
    symbols = list(inputs.prices)
    out = pd.DataFrame(np.nan, index=calendar, columns=symbols)
    overlay = None
    extras: dict = {}
    if r.timing_overlay:
        frame = timing_frame(strategy, inputs.signal_close)
        col = "effective_regime" if "effective_regime" in frame else "regime"
        overlay = regime_weights(carry_forward(frame[col].astype(object), calendar, MAX_SIGNAL_AGE), strategy.weights)
        extras["timing"] = frame
    holdings: dict = {}
    data = inputs.rotation
    tables = quadrant_tables(data["close"], data["amount"], data["market_amount"], days, lookback=r.lookback,
                             anchor=r.anchor, turnover=data["turnover"], history_start=r.history_start,
                             window=r.window, volume=data["volume"]) if len(days) else {}
    table = None
    for day, table in tables.items():
        chosen = select_rotation(table, preferred=r.preferred, top_k=r.top_k)
        row = pd.Series(0.0, index=symbols)
        if chosen:
            row[chosen] = 1.0 / len(chosen)
        if overlay is not None:
            scale = overlay.get(day, np.nan)
            if np.isnan(scale):
                continue  # no market regime yet: no decision
            row *= scale
        out.loc[day] = row.to_numpy()
        holdings[day] = chosen
    extras["quadrants"] = table
    extras["holdings"] = pd.Series(holdings, name="holdings", dtype=object)
    return out, extras


@dataclass(frozen=True)
class StrategyWeights:
    """Target weights decided at each close plus the model frames behind them."""

    weights: pd.DataFrame
    extras: dict


def build_target_weights(strategy: Strategy, inputs: StrategyInputs,
                         start: pd.Timestamp | None = None) -> StrategyWeights:
    """Target weights per decision close (NaN = no decision) on the traded calendar from ``start``.

    Models run on the full history in ``inputs`` (already cut at the end of the window), so a
    weight on day d depends only on data up to d.
    """
    calendar = pd.DatetimeIndex([])
    for frame in inputs.prices.values():
        calendar = calendar.union(frame.index)
    if strategy.kind == "timing":
        weights, extras = timing_weights(strategy, inputs, calendar)
        weights = schedule(weights, strategy.frequency)
    elif strategy.kind == "position":
        weights, extras = position_weights_of(strategy, inputs, calendar)
        weights = schedule(weights, strategy.frequency)
    else:
        window = calendar if start is None else calendar[calendar >= start]
        keep = np.ones(len(window), dtype=bool) if strategy.frequency == "daily" else weekly_days(calendar)[
            len(calendar) - len(window):]
        weights, extras = rotation_weights(strategy, inputs, calendar, window[keep])
    if start is not None:
        weights = weights.loc[weights.index >= start]
    return StrategyWeights(weights, extras)


# --------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------

def check_window(frames: Mapping[str, pd.DataFrame], start: Any, end: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Validate ``start``/``end`` against the data of the traded symbols: a window longer than the data is an error."""
    from quantkit.data.api import check_range, parse_date

    s, e = parse_date(start, "start"), parse_date(end, "end")
    check_range(s, e)
    first = min(f.index[0] for f in frames.values())
    last = max(f.index[-1] for f in frames.values())
    symbols = list(frames)
    what = symbols[0] if len(symbols) == 1 else f"the {len(symbols)} symbols"
    span = f"{what} data covers {first.date()} to {last.date()}"
    if s is not None and s < first:
        raise ConfigError(f"window starts {s.date()}, before the data: {span}")
    if e is not None and e > last:
        raise ConfigError(f"window ends {e.date()}, after the data: {span}")
    if s is not None and s > last:
        raise ConfigError(f"window starts {s.date()}, after the data: {span}")
    if e is not None and e < first:
        raise ConfigError(f"window ends {e.date()}, before the data: {span}")
    return s, e


def run_strategy(strategy: Strategy | str | Path, etf: str | None = None, start: Any = None, end: Any = None,
                 overrides: Iterable[str] = ()) -> "BacktestResult":
    """Backtest a strategy (object or TOML path) over ``[start, end]`` (inclusive dates).

    Models are computed on the full history up to each decision day (data after ``end`` is never
    loaded into them); the simulation covers the window only and starts in cash.
    ``etf`` replaces the traded ETF of a timing/position strategy.

    Without ``start`` the window opens at the first decision: the first close at which a
    timing/position model has enough history for a weight, or for a rotation the first session
    on or after ``[rotation] history_start`` (crowding percentiles start there, so no ETF can be
    placed before). The benchmark is measured over the same window.
    """
    from quantkit.backtest.engine import run_backtest

    if not isinstance(strategy, Strategy):
        strategy = load_strategy(strategy, overrides)
    elif overrides:
        strategy = parse_strategy(apply_overrides(strategy.raw, overrides), strategy.source)
    from quantkit.data.api import load_prices

    symbols = select_symbols(strategy, etf)
    full = {c: load_prices(c) for c in symbols}
    s, e = check_window(full, start, end)
    if s is None and strategy.kind == "rotation":
        first_data = min(f.index[0] for f in full.values())
        s = max(first_data, pd.Timestamp(strategy.rotation.history_start))
        if e is not None and s > e:
            s = None
    inputs = load_inputs(strategy, symbols, e, prices=full)
    built = build_target_weights(strategy, inputs, s)
    weights = built.weights
    if start is None and strategy.kind != "rotation":
        decided = weights.index[weights.notna().any(axis=1)]
        if len(decided):
            weights = weights.loc[weights.index >= decided[0]]
    if len(weights) < 2:
        raise ConfigError(f"the window {s.date() if s is not None else 'start'} to "
                          f"{e.date() if e is not None else 'end'} holds fewer than two sessions")
    first, last = weights.index[0], weights.index[-1]
    extras = {k: (v.loc[(v.index >= first) & (v.index <= last)]
                  if isinstance(v, (pd.DataFrame, pd.Series)) and isinstance(v.index, pd.DatetimeIndex) else v)
              for k, v in built.extras.items()}
    params = {"strategy": strategy.to_dict(), "window": {"start": str(first.date()), "end": str(last.date())}}
    return run_backtest(weights, inputs.prices, execution=strategy.execution, costs=strategy.costs,
                        benchmark=inputs.benchmark, name=strategy.name, params=params, extras=extras)
