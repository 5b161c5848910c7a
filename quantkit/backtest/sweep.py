"""Parameter sweep of the timing strategy: every short × long × band combination in one vectorised run.

The target weights of every combination come from one array operation
(:func:`quantkit.models.timing.weight_grid`: each moving average once), and are simulated
together by the engine's solver (:func:`quantkit.backtest.engine.simulate`) as independent
single-ETF portfolios: one ``Portfolio.from_orders`` call over all columns, then further passes
only over the columns whose minimum commission or threshold decisions still need settling —
never a Python loop of backtests.

Robustness: the sweep's daily returns matrix (sessions × combinations) gives the deflated Sharpe
ratio of the best combination (its N trials deflated to an effective number by their mean
pairwise correlation) and the probability of backtest overfitting by CSCV with 16 blocks
(:mod:`quantkit.backtest.inference`); every combination's PSR is a column of the table.

Walk-forward (``n_splits``): the window is cut into ``n_splits + 1`` consecutive blocks; split
k uses blocks 0…k−1 as in-sample (expanding) and block k as out-of-sample. The combination with
the best in-sample Sharpe is chosen and its out-of-sample Sharpe reported. Both are measured
on the same continuous simulation (positions carry across the boundary), which is what an
investor switching parameters at the boundary would approximately experience.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from quantkit.backtest import metrics as M
from quantkit.backtest.inference import DeflatedSharpe, PBOResult, deflated_sharpe_ratio, \
    probability_of_backtest_overfitting
from quantkit.backtest.params import CostParams, ExecutionParams
from quantkit.backtest.pipeline import check_window, rebalance_days, select_symbols
from quantkit.backtest.strategy_file import Strategy, load_strategy
from quantkit.errors import ConfigError
from quantkit.indicators import asof_rows
from quantkit.models.contract import MAX_SIGNAL_AGE
from quantkit.models import timing
from quantkit.models.timing import RegimeWeights, TimingParams

GRID_KEYS = ("short", "long", "band")
#: CSCV blocks of the sweep's probability of backtest overfitting (C(16, 8) = 12,870 splits)
PBO_BLOCKS = 16


@dataclass(frozen=True)
class Robustness:
    """Selection-bias checks of a sweep: ``dsr`` of the best combination (``dsr.best`` is its
    (short, long, band); N trials, effective N and the method that estimated it) and ``pbo``
    (CSCV over :data:`PBO_BLOCKS` blocks: logits, in- and out-of-sample Sharpe per split and the
    degradation fit oos = intercept + slope × is)."""

    dsr: DeflatedSharpe
    pbo: PBOResult

    def to_dict(self) -> dict:
        """JSON-ready: the DSR figures and the PBO with its fit and logits (decimals, Sharpe ratios annualised)."""
        d, p = self.dsr, self.pbo
        return {
            "dsr": {"dsr": d.dsr, "sharpe": d.sharpe, "sr0": d.sr0, "n_trials": d.n_trials,
                    "n_effective": d.n_effective, "method": d.method, "sr_variance": d.sr_variance,
                    "best": dict(zip(GRID_KEYS, (_plain(v) for v in d.best)))},
            "pbo": {"pbo": p.pbo, "method": "cscv", "metric": "sharpe", "n_blocks": p.n_blocks, "n_splits": p.n_splits,
                    "slope": p.slope, "intercept": p.intercept, "prob_oos_loss": p.prob_oos_loss,
                    "logits": [float(v) for v in p.logits]},
        }


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def robustness(returns: pd.DataFrame) -> Robustness | None:
    """DSR of the best column and CSCV PBO of a sweep's returns matrix (columns named (short, long, band));
    None when there are too few varying combinations or sessions for them."""
    try:
        return Robustness(dsr=deflated_sharpe_ratio(returns),
                          pbo=probability_of_backtest_overfitting(returns, n_blocks=PBO_BLOCKS))
    except ConfigError:
        return None


@dataclass(frozen=True)
class SweepResult:
    """Outcome of :func:`sweep_timing`.

    ``table``: one row per valid combination — short, long, band, sharpe, annual_return,
    total_return, volatility, max_drawdown (negative fraction), calmar, trades, fees (CNY),
    exposure (decimal), psr (probability) — sorted by Sharpe (best first). ``walk_forward``: one
    row per split or None. ``skipped``: combinations dropped because short ≥ long. ``seconds``:
    signal construction, loading the simulator (importing vectorbt: 0 once a process has it),
    simulation, metrics and robustness times. ``passes``: solver passes
    (vectorbt runs over all columns). ``returns``: daily returns (decimal), one column per
    combination named (short, long, band). ``robustness``: DSR and PBO (None when undefined).
    """

    table: pd.DataFrame
    walk_forward: pd.DataFrame | None
    combos: int
    skipped: int
    sessions: int
    start: pd.Timestamp
    end: pd.Timestamp
    seconds: dict
    passes: int
    symbol: str = ""
    strategy: str = ""
    grid: dict = field(default_factory=dict)
    returns: pd.DataFrame | None = None
    robustness: Robustness | None = None


MAX_GRID_VALUES = 1_000
MAX_COMBINATIONS = 20_000  # ≈ 20,000 columns × a few thousand sessions of float64 stay within memory


def parse_grid_values(key: str, text: str) -> list:
    """``start:stop:step`` (inclusive of stop when it lands on a step) or ``a,b,c`` → values.

    ``short``/``long`` are integers (sessions), ``band`` decimals.
    """
    if key not in GRID_KEYS:
        raise ConfigError(f"--grid {key}: unknown parameter (expected one of: {', '.join(GRID_KEYS)})")
    cast = float if key == "band" else int
    text = text.strip()
    bad = ConfigError(f"--grid {key}={text}: expected start:stop:step or a comma list of numbers")
    try:
        numbers = [float(p) for p in (text.split(":") if ":" in text else text.split(",")) if p.strip()]
    except ValueError:
        raise bad from None
    if not all(np.isfinite(numbers)):
        raise ConfigError(f"--grid {key}={text}: every number must be finite (no nan, inf or overflow)")
    if ":" in text:
        if len(numbers) != 3:
            raise bad
        a, b, step = numbers
        if step <= 0 or b < a:
            raise ConfigError(f"--grid {key}={text}: need start ≤ stop and step > 0")
        count = int(np.floor((b - a) / step + 1e-9)) + 1
        if count > MAX_GRID_VALUES:
            raise ConfigError(f"--grid {key}={text}: {count:,} values; at most {MAX_GRID_VALUES:,} per parameter")
        values = [round(a + i * step, 10) for i in range(count)]
    else:
        values = numbers
    if not values:
        raise ConfigError(f"--grid {key}={text}: no values")
    if cast is int:
        if any(v != int(v) or v < 1 for v in values):
            raise ConfigError(f"--grid {key}={text}: windows must be whole numbers of sessions ≥ 1")
        values = [int(v) for v in values]
    elif any(v < 0 for v in values):
        raise ConfigError(f"--grid {key}={text}: band must be ≥ 0 (decimal)")
    return list(dict.fromkeys(values))


def parse_grid(items: Iterable[str]) -> dict[str, list]:
    """``["short=5:60:5", "band=0,0.01"]`` → ``{"short": [5, 10, …], "band": [0.0, 0.01]}``."""
    grid: dict[str, list] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--grid {item!r}: expected name=start:stop:step or name=a,b,c (e.g. short=5:60:5)")
        key, text = item.split("=", 1)
        if key.strip() in grid:
            raise ConfigError(f"--grid {key.strip()} is given twice: put every value in one --grid {key.strip()}=…")
        grid[key.strip()] = parse_grid_values(key.strip(), text)
    return grid


def check_grid_keys(grid: Mapping[str, Sequence]) -> None:
    """ConfigError naming any grid key that is not a timing parameter."""
    unknown = set(grid) - set(GRID_KEYS)
    if unknown:
        raise ConfigError(f"grid: unknown parameter(s) {', '.join(sorted(unknown))} (expected: {', '.join(GRID_KEYS)})")


def timing_sweep_plan(strategy: Strategy | str | Path, grid: Mapping[str, Sequence],
                      overrides: Iterable[str] = ()) -> tuple[Strategy, dict[str, list]]:
    """The timing strategy a sweep runs and its whole grid (names missing from ``grid`` keep the
    strategy's values; windows as int, bands as float); ConfigError for anything a sweep cannot model."""
    if not isinstance(strategy, Strategy):
        strategy = load_strategy(strategy, overrides)
    if strategy.model is not timing.MODEL:
        raise ConfigError(f"sweep runs timing strategies (kind = \"timing\"), not {strategy.kind!r}")
    sig: TimingParams = strategy.params["signal"]
    if sig.trend_line is not None:
        raise ConfigError("sweep does not model the profit-effect demotion; unset [signal] trend_line")
    check_grid_keys(grid)
    return strategy, {key: [float(v) if key == "band" else int(v) for v in grid.get(key, [getattr(sig, key)])]
                      for key in GRID_KEYS}


def sweep_strategy(strategy: Strategy | str | Path, grid: Mapping[str, Sequence], etf: str | None = None,
                   start=None, end=None, n_splits: int | None = None, overrides: Iterable[str] = ()) -> SweepResult:
    """:func:`sweep_timing` of a timing strategy (object or TOML path) over ``grid``.

    Names missing from ``grid`` (``short``, ``long``, ``band``) keep the strategy's values; weights,
    execution, costs, rebalance frequency and signal index come from the strategy.
    """
    from quantkit.data.api import load_prices

    strategy, grid = timing_sweep_plan(strategy, grid, overrides)
    sig: TimingParams = strategy.params["signal"]
    (symbol,) = select_symbols(strategy, etf)
    prices = load_prices(symbol)
    start, end = check_window({symbol: prices}, start, end)
    code = sig.signal_code(symbol)
    signal_close = None if code == symbol else load_prices(code)["close"]
    res = sweep_timing(prices, grid, signal_close=signal_close, weights=strategy.params["weights"],
                       inclusive=sig.inclusive, execution=strategy.execution, costs=strategy.costs,
                       frequency=strategy.rebalance.frequency, start=start, end=end, n_splits=n_splits)
    return replace(res, symbol=symbol, strategy=strategy.name, grid=grid)


def sweep_timing(prices: pd.DataFrame, grid: Mapping[str, Sequence], *, signal_close: pd.Series | None = None,
                 weights: RegimeWeights = RegimeWeights(), inclusive: bool = TimingParams.inclusive,
                 execution: ExecutionParams = ExecutionParams(),
                 costs: CostParams = CostParams(), frequency: str = "daily", start=None, end=None,
                 n_splits: int | None = None, robust: bool = True) -> SweepResult:
    """Backtest every short × long × band combination of the timing strategy at once.

    ``prices``: canonical frame of the traded ETF (open/close in CNY); ``signal_close``: close of
    the signal index (default the ETF's own close); ``grid``: lists for ``short``, ``long``
    (sessions) and ``band`` (decimal) — a missing key uses the model default (:class:`TimingParams`).
    Weights per regime, execution and costs as in a single backtest (``cash_rate`` is not modelled
    here). ``start``/``end`` cut the simulated window; signals use the full history up to each day.
    ``robust``: compute the DSR/PBO block (about 1 s for 1,195 combinations); a universe sweep turns
    it off for its partial grids and tests overfitting across ETFs instead.
    """
    from quantkit.backtest.engine import market_arrays, simulate
    from quantkit.models.timing import weight_grid

    check_grid_keys(grid)
    if execution.cash_rate > 0:
        raise ConfigError("sweep does not model cash interest: set execution.cash_rate=0")
    values = {k: list(grid.get(k, [getattr(TimingParams, k)])) for k in GRID_KEYS}
    for k, v in values.items():
        if not v:
            raise ConfigError(f"grid: {k} has no values")
    if n_splits is not None and (isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 1):
        raise ConfigError(f"walk-forward splits must be a whole number ≥ 1, got {n_splits!r}")
    total = int(np.prod([len(v) for v in values.values()]))
    if total > MAX_COMBINATIONS:
        raise ConfigError(f"grid: {total:,} combinations; at most {MAX_COMBINATIONS:,} in one sweep (coarsen a step)")
    combos = list(itertools.product(values["short"], values["long"], values["band"]))
    valid = [c for c in combos if c[0] < c[1]]
    skipped = len(combos) - len(valid)
    if not valid:
        raise ConfigError(f"grid: all {len(combos)} combinations have short ≥ long")

    t0 = time.perf_counter()
    close_sig = (prices["close"] if signal_close is None else signal_close).astype(float)
    s_ts = None if start is None else pd.Timestamp(start)
    e_ts = None if end is None else pd.Timestamp(end)
    if e_ts is not None:
        close_sig = close_sig.loc[close_sig.index <= e_ts]
        prices = prices.loc[prices.index <= e_ts]
    calendar = pd.DatetimeIndex(prices.index)
    close_sig = close_sig.dropna()
    rows = asof_rows(pd.DatetimeIndex(close_sig.index), calendar, MAX_SIGNAL_AGE)

    m = len(valid)
    grid_weights = weight_grid(close_sig, valid, weights, inclusive)
    targets = np.where((rows >= 0)[:, None], grid_weights[np.maximum(rows, 0)], np.nan)
    targets[~rebalance_days(calendar, frequency)] = np.nan
    t_signals = time.perf_counter() - t0

    if s_ts is None:  # compare every combination over the same window: from the last first decision
        decided = ~np.isnan(targets)
        if not decided.any(axis=0).all():
            raise ConfigError("a combination never has a regime: its long window is longer than the data")
        s_ts = calendar[int(decided.argmax(axis=0).max())]
    keep = np.asarray(calendar >= s_ts)
    calendar = calendar[keep]
    targets = targets[keep]
    prices = prices.loc[calendar]
    n = len(calendar)
    if n < 2:
        raise ConfigError("the sweep window holds fewer than two sessions")
    arrays = market_arrays({"etf": prices}, calendar, execution)
    order_price, val_close, tradable = (np.repeat(a, m, axis=1) for a in (arrays.order_price, arrays.close,
                                                                          arrays.tradable))

    t0 = time.perf_counter()
    import vectorbt.portfolio.nb  # noqa: F401  (the simulator, deferred; timed apart from the work)

    t1 = time.perf_counter()
    sim = simulate(targets, order_price, val_close, tradable, execution, costs, cash_sharing=False)
    t_sim = time.perf_counter() - t1

    equity = sim.equity
    prev = np.vstack([np.full((1, m), execution.initial_cash), equity[:-1]])
    rets = pd.DataFrame(equity / prev - 1.0, index=calendar,
                        columns=pd.MultiIndex.from_tuples(valid, names=list(GRID_KEYS)))
    rec = sim.records
    table = pd.DataFrame(valid, columns=list(GRID_KEYS))
    by_orders = {"trades": np.bincount(rec["col"], minlength=m),
                 "fees": np.bincount(rec["col"], weights=rec["fees"], minlength=m),
                 "exposure": sim.weights.mean(axis=0)}
    t2 = time.perf_counter()
    inputs = M.MetricInputs(rets)
    for metric in (m_ for m_ in M.METRICS if m_.sweep):
        table[metric.key] = by_orders[metric.key] if metric.needs != "returns" else np.asarray(metric.fn(inputs))
    table = table.sort_values("sharpe", ascending=False, kind="stable", na_position="last").reset_index(drop=True)
    t3 = time.perf_counter()
    robust = robustness(rets) if robust else None
    seconds = {"signals": t_signals, "loading the simulator": t1 - t0, "simulation": t_sim, "metrics": t3 - t2,
               "robustness": time.perf_counter() - t3}

    wf = _walk_forward(rets, valid, n_splits) if n_splits else None
    return SweepResult(table=table, walk_forward=wf, combos=len(combos), skipped=skipped, sessions=n,
                       start=calendar[0], end=calendar[-1], seconds=seconds, passes=sim.passes, returns=rets,
                       robustness=robust)


def _walk_forward(rets: pd.DataFrame, valid: list[tuple], n_splits: int) -> pd.DataFrame:
    """In-sample best Sharpe vs its out-of-sample Sharpe per expanding split (see module doc)."""
    n = len(rets)
    blocks = np.array_split(np.arange(n), n_splits + 1)
    if min(len(b) for b in blocks) < 20:
        raise ConfigError(f"walk-forward: {n} sessions are too few for {n_splits} splits (blocks < 20 sessions)")
    rows = []
    for k in range(1, n_splits + 1):
        is_idx = np.concatenate(blocks[:k])
        oos_idx = blocks[k]
        is_sharpe = np.asarray(M.sharpe(rets.iloc[is_idx]), dtype=float)
        oos_sharpe = np.asarray(M.sharpe(rets.iloc[oos_idx]), dtype=float)
        if np.all(np.isnan(is_sharpe)):
            best = 0
        else:
            best = int(np.nanargmax(is_sharpe))
        finite = oos_sharpe[np.isfinite(oos_sharpe)]
        rank = float((finite <= oos_sharpe[best]).mean()) if len(finite) and np.isfinite(oos_sharpe[best]) else np.nan
        short, long, band = valid[best]
        rows.append({
            "split": k, "is_start": rets.index[is_idx[0]], "is_end": rets.index[is_idx[-1]],
            "oos_start": rets.index[oos_idx[0]], "oos_end": rets.index[oos_idx[-1]],
            "short": short, "long": long, "band": band,
            "is_sharpe": float(is_sharpe[best]), "oos_sharpe": float(oos_sharpe[best]),
            "oos_median_sharpe": float(np.nanmedian(oos_sharpe)) if np.isfinite(oos_sharpe).any() else np.nan,
            "oos_percentile": rank,
        })
    return pd.DataFrame(rows)
