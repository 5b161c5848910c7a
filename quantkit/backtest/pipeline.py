"""A strategy as a pipeline of small steps: select → load → signal/weigh → schedule → rebalance.

1. :func:`select_symbols` — the traded universe (``[universe]`` or ``--etf``);
2. :func:`load_inputs` — the traded bars and every input the model declares (``Model.needs``),
   each loaded once and cut at the window's end (nothing later is read);
3. the model step — ``Model.run``: a pure function of those inputs to a typed output whose
   ``weights`` are the target weights decided at each close;
4. :func:`schedule` — keep decisions on the rebalance days only (daily or weekly);
5. :func:`~quantkit.backtest.engine.run_backtest` — A-share execution on the next session.

Every model output on a day uses data up to that day's close only; the weights are decided at
that close and the engine trades them on the next session.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import pandas as pd

from quantkit.backtest.strategy_file import Strategy, apply_overrides, load_strategy, parse_strategy
from quantkit.errors import ConfigError
from quantkit.models.contract import Model, ModelInputs, cut_output

if TYPE_CHECKING:
    from quantkit.backtest.result import BacktestResult


def select_symbols(strategy: Strategy, etf: str | None = None) -> tuple[str, ...]:
    """The traded symbols: ``etf`` if given (single-ETF models), else ``[universe]``."""
    from quantkit.data.symbols import etf_symbol
    from quantkit.data.universe import universe

    model = strategy.model
    if etf is not None:
        if not model.trades_one:
            raise ConfigError(f"--etf applies to timing and position strategies (one traded ETF); a {model.kind} "
                              "strategy trades its [universe]")
        codes: tuple[str, ...] = (etf,)
    elif strategy.universe.name is not None:
        codes = universe(strategy.universe.name)
    else:
        codes = strategy.universe.symbols or ()
    codes = tuple(dict.fromkeys(etf_symbol(c).code for c in codes))
    if not codes:
        raise ConfigError(f"{strategy.source}: the universe is empty: set [universe] symbols or name, or pass --etf")
    if model.trades_one and len(codes) > 1:
        raise ConfigError(f"{strategy.source}: a {model.kind} strategy trades one ETF, got {len(codes)} "
                          f"symbols ({', '.join(codes)}); use --etf or a rotation")
    return codes


def _cut(frame: pd.DataFrame, end: pd.Timestamp | None) -> pd.DataFrame:
    return frame if end is None else frame.loc[frame.index <= end]


def load_inputs(model: Model, params: Mapping[str, Any], symbols: tuple[str, ...], end: pd.Timestamp | None = None,
                prices: Mapping[str, pd.DataFrame] | None = None) -> ModelInputs:
    """The traded bars and the model's declared inputs, each loaded once and cut at ``end``.

    ``prices`` may hold already loaded frames of ``symbols`` (full history). A universe model
    leaves out members without a bar by ``end`` (listed later); a single-ETF model refuses.
    """
    from quantkit.data.api import load_prices, load_valuation
    from quantkit.data.etf_meta import load_shares, tracked_index_bars

    loaded = dict(prices or {})
    traded = {s: _cut(loaded[s] if s in loaded else load_prices(s), end) for s in symbols}
    empty = [s for s, frame in traded.items() if frame.empty]
    if not model.trades_one and len(empty) < len(traded):
        traded = {s: frame for s, frame in traded.items() if not frame.empty}
    elif empty:
        raise ConfigError(f"no {empty[0]} bars on or before {end.date()}")
    cache: dict[tuple[str, str], pd.DataFrame] = {("prices", s): f for s, f in traded.items()}
    data = {}
    for need in model.needs(symbols, **params):
        key = (need.kind, need.symbol)
        if key not in cache:
            loader = {"valuation": load_valuation, "shares": load_shares,
                      "tracked_index": tracked_index_bars}.get(need.kind, load_prices)
            cache[key] = _cut(loader(need.symbol), end)
        data[need.role] = cache[key]
    return ModelInputs(traded, data)


def weekly_days(calendar: pd.DatetimeIndex) -> np.ndarray:
    """Mask of the last session of each ISO week; the final session counts only if it is a Friday."""
    if len(calendar) == 0:
        return np.zeros(0, dtype=bool)
    iso = calendar.isocalendar()
    week = (iso["year"].astype(int) * 100 + iso["week"].astype(int)).to_numpy()
    return np.r_[week[1:] != week[:-1], calendar[-1].weekday() == 4]


def rebalance_days(calendar: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    """Mask of the sessions of ``calendar`` on which decisions are taken (``daily`` or ``weekly``)."""
    if frequency == "daily":
        return np.ones(len(calendar), dtype=bool)
    if frequency == "weekly":
        return weekly_days(calendar)
    raise ConfigError(f"frequency must be daily or weekly, got {frequency!r}")


def schedule(weights: pd.DataFrame, frequency: str) -> pd.DataFrame:
    """Keep decisions on rebalance days only (others become NaN = hold)."""
    if frequency == "daily":
        return weights
    keep = rebalance_days(pd.DatetimeIndex(weights.index), frequency)
    return weights.where(pd.Series(keep, index=weights.index), np.nan)


def build_target_weights(strategy: Strategy, inputs: ModelInputs, start: pd.Timestamp | None = None) -> Any:
    """The model's output on the traded calendar, its ``weights`` kept on rebalance days from ``start``.

    The model runs on the full history in ``inputs`` (already cut at the end of the window), so a
    weight on day d depends only on data up to d.
    """
    import dataclasses

    calendar = inputs.calendar
    days = calendar[rebalance_days(calendar, strategy.rebalance.frequency)]
    if start is not None:
        days = days[days >= start]
    output = strategy.model.run(inputs, calendar, days, **strategy.params)
    weights = schedule(output.weights, strategy.rebalance.frequency)
    if start is not None:
        weights = weights.loc[weights.index >= start]
    return dataclasses.replace(output, weights=weights)


def check_window(frames: Mapping[str, pd.DataFrame], start: Any, end: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Validate ``start``/``end`` against the data of the traded symbols.

    A window starting before the data starts at its first bar (with a logged note, as other
    backtesters do); a window that holds no data at all (starting after the last bar or ending
    before the first), or ending after the last bar, is an error.
    """
    from quantkit.data.api import check_range
    from quantkit.data.calendar import parse_date

    s, e = parse_date(start, "start"), parse_date(end, "end")
    check_range(s, e)
    first = min(f.index[0] for f in frames.values())
    last = max(f.index[-1] for f in frames.values())
    symbols = list(frames)
    what = symbols[0] if len(symbols) == 1 else f"the {len(symbols)} symbols"
    span = f"{what} data covers {first.date()} to {last.date()}"
    if e is not None and e > last:
        raise ConfigError(f"window ends {e.date()}, after the data: {span}")
    if s is not None and s > last:
        raise ConfigError(f"window starts {s.date()}, after the data: {span}")
    if e is not None and e < first:
        raise ConfigError(f"window ends {e.date()}, before the data: {span}")
    if s is not None and s < first:
        logging.getLogger("quantkit.backtest").warning(f"window starts {s.date()}, before the data ({span}): "
                                                       f"starting at {first.date()}")
        s = first
    return s, e


def _no_decision(strategy: Strategy, inputs: ModelInputs, weights: pd.DataFrame, start: pd.Timestamp | None,
                 end: pd.Timestamp | None) -> str:
    """Why a window holds no decision, in one line: the window and the span of every input."""
    first = weights.index[0].date() if len(weights) else start.date() if start is not None else "start"
    last = weights.index[-1].date() if len(weights) else end.date() if end is not None else "end"
    spans = [f"{role} {f.attrs.get('symbol') or ''} {f.index[0].date()}..{f.index[-1].date()}".replace("  ", " ")
             for role, f in inputs.data.items() if len(f)]
    inputs_text = f" (inputs: {', '.join(spans)})" if spans else ""
    return (f"{strategy.source}: the {strategy.kind} model takes no decision from {first} to {last}{inputs_text}: "
            "an input ends before the window or is older than its maximum age, or a window or start parameter "
            "needs more history than the data holds; nothing to backtest")


def _sources(frames: Mapping[str, pd.DataFrame]) -> dict[str, dict]:
    """Where each traded symbol's bars came from and their last date (from the frames' attributes)."""
    return {s: {"source": str(f.attrs.get("source") or "unknown"), "adjustment": f.attrs.get("adjustment"),
                "last_date": f.index[-1].date().isoformat() if len(f) else None} for s, f in frames.items()}


def run_strategy(strategy: Strategy | str | Path, etf: str | None = None, start: Any = None, end: Any = None,
                 overrides: Iterable[str] = (), rf: float = 0.0) -> "BacktestResult":
    """Backtest a strategy (object or TOML path) over ``[start, end]`` (inclusive dates).

    Models are computed on the full history up to each decision day (data after ``end`` is never
    loaded into them); the simulation covers the window only and starts in cash.
    ``etf`` replaces the traded ETF of a single-ETF strategy; ``rf`` is the annual risk-free rate
    (decimal) of the ratios (Sharpe, Sortino, alpha, PSR).

    Without ``start`` the window opens at the model's ``window_start`` when it has one (a rotation:
    the first session on or after ``[rotation] history_start``, where crowding percentiles start),
    else at the first close at which the model has enough history for a weight. The benchmark is
    measured over the same window.
    """
    from quantkit.backtest.engine import run_backtest
    from quantkit.data.api import load_prices

    if not isinstance(strategy, Strategy):
        strategy = load_strategy(strategy, overrides)
    elif overrides:
        strategy = parse_strategy(apply_overrides(strategy.raw, overrides), strategy.source)
    model = strategy.model
    symbols = select_symbols(strategy, etf)
    full = {c: load_prices(c) for c in symbols}
    s, e = check_window(full, start, end)
    if e is None and model.window_end is not None:
        e = model.window_end(full, **strategy.params)
        last = max(f.index[-1] for f in full.values())
        if e is not None and e < last:
            logging.getLogger("quantkit.backtest").warning(
                f"the window ends {e.date()}, where the universe's data thins out (the last bar is {last.date()}); "
                "set --end to go further")
    if s is None and model.window_start is not None:
        s = model.window_start(min(f.index[0] for f in full.values()), **strategy.params)
        if e is not None and s > e:
            s = None
    inputs = load_inputs(model, strategy.params, symbols, e, prices=full)
    output = build_target_weights(strategy, inputs, s)
    weights = output.weights
    if not weights.notna().to_numpy().any():
        raise ConfigError(_no_decision(strategy, inputs, weights, s, e))
    if start is None and model.window_start is None:
        decided = weights.index[weights.notna().any(axis=1)]
        if len(decided):
            weights = weights.loc[weights.index >= decided[0]]
    if len(weights) < 2:
        raise ConfigError(f"the window {s.date() if s is not None else 'start'} to "
                          f"{e.date() if e is not None else 'end'} holds fewer than two sessions")
    first, last = weights.index[0], weights.index[-1]
    bench = None
    if strategy.benchmark.symbol is not None:
        bench = _cut(load_prices(strategy.benchmark.symbol), e)["close"].rename(strategy.benchmark.symbol)
    params = {"strategy": strategy.to_dict(), "window": {"start": str(first.date()), "end": str(last.date())}}
    return run_backtest(weights, inputs.traded, execution=strategy.execution, costs=strategy.costs,
                        benchmark=bench, name=strategy.name, params=params,
                        model=cut_output(output, first, last), kind=model.kind, sections=dict(strategy.params),
                        sources=_sources(full), rf=rf)
