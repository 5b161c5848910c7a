"""The backtest engine: target weights → A-share orders → equity, simulated with vectorbt.

Conventions (DESIGN §5):

- ``target_weights`` holds the weight of each symbol decided at the CLOSE of each session
  (decimal share of equity, NaN = no decision that day). It trades on the next session of the
  common calendar, at its open (``next_open``) or close (``next_close``) — never on the day
  it was decided. A decision for a symbol that has no bar on that next session waits for its
  next bar unless a newer decision replaces it.
- A symbol is rebalanced only when |target − actual weight at the decision close| > threshold.
- Orders are whole lots (``size_granularity``); commission is max(rate × value, minimum) per
  order; slippage moves the fill price against the order; no stamp duty on ETFs.
- T+1 holds by construction: at most one order per symbol per session, so shares bought on a
  day are never sold on that day (checked on every run).
- Idle cash earns nothing unless ``cash_rate`` > 0: then it sits in a synthetic money-market
  column (not a symbol, not counted as exposure) re-sized whenever real orders are placed.
- A symbol whose data ends before the last session is sold on the first session it has no
  bar, at its last close (the trade list says so in ``note``): nothing is known about the data
  ending until that session, so cutting future bars never changes past results.

The commission minimum cannot be expressed by vectorbt directly (``fees`` is a fraction,
``fixed_fees`` a constant). Each order's fee is either proportional or the minimum, so the
engine passes per-order ``fees``/``fixed_fees`` arrays and solves for a consistent choice:
simulate, compare each filled order's value with min/rate, switch the regime of the orders
where it is wrong, and simulate again. The threshold rule (which depends on the simulated
weights) is solved the same way. Every inconsistency can only be caused by earlier ones, so
the earliest one is final after each pass and the loop terminates (typically in 2–4 passes).

vectorbt is imported inside the simulation functions only (:func:`import_vectorbt`).
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from quantkit.backtest.inference import backtest_intervals
from quantkit.backtest.metrics import PERIODS, summarize
from quantkit.backtest.params import CostParams, ExecutionParams
from quantkit.backtest.result import BacktestResult
from quantkit.errors import ConfigError

CASH_COLUMN = "__cash__"
_MAX_PASSES = 1000


#: where numba caches compiled kernels unless ``NUMBA_CACHE_DIR`` is set: beside the package
DEFAULT_NUMBA_CACHE = Path(__file__).resolve().parents[2] / ".numba_cache"


def import_vectorbt():
    """Import vectorbt (≈ 6 s the first time in a process).

    Unless the user set ``NUMBA_CACHE_DIR`` (or numba is already imported), numba's compiled
    kernels are cached in :data:`DEFAULT_NUMBA_CACHE` so they are reused across processes; this is
    the one place quantkit sets an environment variable, and only on the way to simulating.
    """
    if "numba" not in sys.modules:
        os.environ.setdefault("NUMBA_CACHE_DIR", str(DEFAULT_NUMBA_CACHE))
    import vectorbt as vbt

    return vbt


# --------------------------------------------------------------------------------------------
# core solver (shared with the parameter sweep)
# --------------------------------------------------------------------------------------------


@dataclass
class Simulation:
    """Raw outcome of :func:`simulate`; arrays are (sessions × columns), groups share cash."""

    records: np.ndarray       # vectorbt order records (col, idx, size, price, fees, side)
    positions: np.ndarray     # shares at each close
    cash: np.ndarray          # CNY at each close, (sessions × groups)
    equity: np.ndarray        # CNY at each close, (sessions × groups)
    weights: np.ndarray       # actual weight at each close
    orders: np.ndarray        # the target-percent order array given to vectorbt (NaN = none)
    fixed_fee: np.ndarray     # bool: order charged the minimum commission instead of the rate
    passes: int
    exit_row: np.ndarray      # per column: the session of the closing sale after its data ended (−1: none)


def _replay(records: np.ndarray, n: int, m: int, close: np.ndarray, init_cash: float,
            cash_sharing: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions, cash, equity and weights at each close from the order records (numpy only)."""
    idx, col = records["idx"], records["col"]
    size, price, fees = records["size"], records["price"], records["fees"]
    buy = records["side"] == 0
    cell = idx * m + col  # at most one order per symbol and session (T+1), so each cell gets one value
    flow = np.bincount(cell, weights=np.where(buy, size, -size), minlength=n * m).reshape(n, m)
    positions = np.cumsum(flow, axis=0)
    cf = np.bincount(cell, weights=np.where(buy, -(size * price + fees), size * price - fees),
                     minlength=n * m).reshape(n, m)
    value = positions * close
    if cash_sharing:
        cash = init_cash + np.cumsum(cf.sum(axis=1))[:, None]
        equity = cash + value.sum(axis=1, keepdims=True)
    else:
        cash = init_cash + np.cumsum(cf, axis=0)
        equity = cash + value
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(equity > 0, value / equity, 0.0)
    return positions, cash, equity, weights


def _place_orders(decisions: np.ndarray, tradable: np.ndarray, exit_row: np.ndarray) -> np.ndarray:
    """Orders per session from decisions per close: shift one session; wait for the symbol's next bar.

    ``decisions[t, j]`` (NaN = none) executes at the first tradable session after t unless a
    newer decision arrives first. A symbol whose data has ended (``exit_row[j] ≥ 0``: the first
    session without its bar) gets a closing order (target 0) there and none after.
    """
    n, m = decisions.shape
    orders = np.full((n, m), np.nan)
    orders[1:] = decisions[:-1]
    blocked = ~np.isnan(orders) & ~tradable
    if blocked.any():
        for j in np.flatnonzero(blocked.any(axis=0)):
            pending = np.nan
            for r in range(n):
                if not np.isnan(orders[r, j]):
                    pending = orders[r, j]
                if np.isnan(pending):
                    continue
                if tradable[r, j]:
                    orders[r, j] = pending
                    pending = np.nan
                else:
                    orders[r, j] = np.nan
    for j in np.flatnonzero(exit_row >= 0):
        orders[exit_row[j], j] = 0.0
        orders[exit_row[j] + 1:, j] = np.nan
    return orders


def _presolve(targets: np.ndarray, price: np.ndarray, close: np.ndarray, tradable: np.ndarray,
              exit_row: np.ndarray, execution: ExecutionParams, costs: CostParams) -> tuple[np.ndarray, np.ndarray]:
    """First guess of the threshold decisions and commission regimes of one cash-sharing portfolio,
    by a plain numpy pass over sessions (independent columns: :mod:`quantkit.backtest.presolve_nb`).

    It mirrors the order rules closely (lots, slippage, commission minimum, cash limits; sells
    before buys within a session) but is only a starting point: vectorbt's simulation decides,
    and :func:`simulate` corrects any difference. A good guess turns ~30 solver passes into 1–2.
    Vectorised over columns; one loop over sessions.
    """
    from quantkit.backtest.presolve_nb import buy_size

    n, m = targets.shape
    lot, rate, minimum, slip = float(execution.lot_size), costs.commission, costs.min_commission, costs.slippage
    thr = execution.threshold
    pos = np.zeros(m)
    cash = np.full(1, execution.initial_cash)
    last_px = np.full(m, np.nan)
    pending = np.full(m, np.nan)
    mask = np.zeros((n, m), dtype=bool)
    fixed = np.zeros((n, m), dtype=bool)

    def fee_of(v: np.ndarray) -> np.ndarray:
        return np.where(v > 0, np.maximum(rate * v, minimum), 0.0) if minimum > 0 else rate * v

    for r in range(n):
        ok = tradable[r]
        px = price[r]
        last_px = np.where(ok, px, last_px)
        order = np.where(ok, pending, np.nan)
        order = np.where(exit_row == r, 0.0, order)
        pending = np.where(ok, np.nan, pending)
        act = ~np.isnan(order)
        if act.any():
            vp = np.nan_to_num(last_px)
            held = pos * vp
            value = cash + held.sum()
            delta = np.where(act, order * value / np.where(vp > 0, vp, 1.0) - pos, 0.0)
            sell = act & (delta < 0)
            q = np.minimum(np.floor(-delta / lot + 1e-9) * lot, pos)
            q = np.where(sell, q, 0.0)
            v = q * px * (1 - slip)
            f = np.where(q > 0, fee_of(v), 0.0)
            fixed[r] |= (q > 0) & (rate * v < minimum)
            proceeds = np.nan_to_num(v - f)
            pos = pos - q
            cash = cash + proceeds.sum()
            buy = act & (delta > 0)
            adj = px * (1 + slip)
            want = np.where(buy, np.floor(delta / lot + 1e-9) * lot, 0.0)
            for j in np.flatnonzero(buy)[np.argsort((want * adj)[buy], kind="stable")]:
                qj = buy_size(want[j], cash[0], adj[j], lot, rate, minimum)
                if qj > 0:
                    vj = qj * adj[j]
                    cash[0] -= vj + fee_of(np.array([vj]))[0]
                    pos[j] += qj
                    fixed[r, j] = rate * vj < minimum
                elif want[j] > 0 and minimum > 0:  # cash-limited to no lot: "no fill" holds under the minimum
                    fixed[r, j] = True
        # decision at this close
        held = pos * close[r]
        equity = cash + held.sum()
        w = np.where(equity > 0, held / np.where(equity > 0, equity, 1.0), 0.0)
        t = targets[r]
        go = ~np.isnan(t) & (np.abs(np.nan_to_num(t) - w) > thr)
        mask[r] = go
        pending = np.where(go, t, pending)
    return mask, fixed


def _orders_of_columns(close: np.ndarray, orders: np.ndarray, price: np.ndarray, fees: np.ndarray,
                       fixed_fees: np.ndarray, slippage: np.ndarray, granularity: np.ndarray, min_size: np.ndarray,
                       init_cash: float) -> np.ndarray:
    """Order records of independent single-asset columns (target-percent orders, long only), from
    vectorbt's engine-neutral kernel entry point: what ``Portfolio.from_orders`` runs for ungrouped
    columns, without building the pandas-facing portfolio around it (the sweep calls it per pass)."""
    from vectorbt.portfolio import dispatch
    from vectorbt.portfolio import nb as portfolio_nb
    from vectorbt.portfolio.enums import CallSeqType, Direction, SizeType

    shape = orders.shape
    group_lens = np.ones(shape[1], dtype=np.int64)
    call_seq = portfolio_nb.build_call_seq(shape, group_lens, call_seq_type=CallSeqType.Default)
    records, _ = dispatch.simulate_from_orders(
        shape, group_lens, np.full(shape[1], float(init_cash)), call_seq, size=orders, price=price,
        size_type=np.asarray(SizeType.TargetPercent), direction=np.asarray(Direction.LongOnly), fees=fees,
        fixed_fees=fixed_fees, slippage=slippage, min_size=min_size, size_granularity=granularity,
        val_price=np.asarray(np.inf), close=close, auto_call_seq=False, ffill_val_price=True, update_value=False,
        max_orders=shape[0] * shape[1], max_logs=0, flex_2d=True, engine="auto")
    return records.copy()


def simulate(targets: np.ndarray, order_price: np.ndarray, close: np.ndarray, tradable: np.ndarray,
             execution: ExecutionParams, costs: CostParams, cash_sharing: bool = True) -> Simulation:
    """Simulate target weights decided at each close with A-share rules (see module doc).

    ``targets`` (sessions × symbols, decimal, NaN = no decision), ``order_price`` (CNY, the
    session's open or close, NaN where the symbol has no bar), ``close`` (CNY, gap-free for
    valuation), ``tradable`` (bool). With ``cash_sharing`` all columns form one portfolio;
    otherwise every column is its own single-asset portfolio (the parameter sweep).
    """
    vbt = import_vectorbt()
    n, m_real = targets.shape
    with_cash = cash_sharing and execution.cash_rate > 0
    m = m_real + (1 if with_cash else 0)
    lot = float(execution.lot_size)
    rate, minimum = costs.commission, costs.min_commission
    use_min = minimum > 0

    tradable = tradable & np.isfinite(order_price) & (order_price > 0)
    has_bar = tradable.any(axis=0)
    last_row = np.where(has_bar, n - 1 - np.argmax(tradable[::-1], axis=0), -1)
    exit_row = np.where(has_bar & (last_row < n - 1), last_row + 1, -1)
    order_price = np.array(order_price, dtype=float)
    for j in np.flatnonzero(exit_row >= 0):  # the closing sale: first session without a bar, at the last close
        order_price[exit_row[j], j] = close[last_row[j], j]
        tradable[exit_row[j], j] = True

    price = np.array(order_price, dtype=float)
    val_close = np.array(close, dtype=float)
    gran = np.full((1, m), lot)
    min_size = np.full((1, m), lot)  # a cash-limited buy floored to 0 lots must be rejected, never "filled" with a fee
    slip = np.full((1, m), costs.slippage)
    if with_cash:
        growth = (1.0 + execution.cash_rate) ** (np.arange(n) / PERIODS)
        price = np.column_stack([price, growth])
        val_close = np.column_stack([val_close, growth])
        gran[0, -1] = np.nan
        min_size[0, -1] = 1e-8
        slip[0, -1] = 0.0

    decided = ~np.isnan(targets)
    # first guesses: decisions that pass the threshold, orders charged the minimum commission
    # (one symbol sharing cash with nothing but the money market is a single-asset column)
    if cash_sharing and m_real > 1:
        mask, fixed_real = _presolve(targets, np.asarray(order_price, dtype=float), np.asarray(close, dtype=float),
                                     tradable, exit_row, execution, costs)
    else:
        from quantkit.backtest.presolve_nb import presolve_columns

        mask, fixed_real = presolve_columns(np.ascontiguousarray(targets, dtype=float), order_price,
                                            np.ascontiguousarray(close, dtype=float), np.ascontiguousarray(tradable),
                                            exit_row.astype(np.int64), float(execution.initial_cash), lot, rate,
                                            minimum, costs.slippage, float(execution.threshold))
    fixed = np.zeros((n, m), dtype=bool)
    fixed[:, :m_real] = fixed_real & use_min
    flips = np.zeros((n, m), dtype=np.int8)
    frozen = np.zeros((n, m), dtype=bool)
    cash_target = np.full(n, np.nan)
    init_cash = execution.initial_cash

    # Without cash sharing the columns are independent portfolios: a pass re-simulates only the
    # columns that are not settled yet (the sweep: one full pass, then a few columns).
    cols = np.arange(m)
    rec_all = None
    positions = cash = equity = weights = None
    for passes in range(1, _MAX_PASSES + 1):
        orders_real = _place_orders(np.where(mask, targets, np.nan), tradable, exit_row)
        if with_cash:
            orders = np.column_stack([orders_real, cash_target])
        else:
            orders = orders_real
        fees = np.where(fixed, 0.0, rate)
        fixed_fees = np.where(fixed, minimum, 0.0)
        if with_cash:
            fees[:, -1] = 0.0
            fixed_fees[:, -1] = 0.0
        if cash_sharing:
            pf = vbt.Portfolio.from_orders(
                close=val_close, size=orders, size_type="targetpercent", direction="longonly", price=price,
                fees=fees, fixed_fees=fixed_fees, slippage=slip, size_granularity=gran, min_size=min_size,
                init_cash=init_cash, cash_sharing=True, group_by=True, call_seq="auto", val_price=np.inf,
                ffill_val_price=True, engine="auto")
            rec_part = pf.order_records.copy()
        else:
            rec_part = _orders_of_columns(val_close[:, cols], orders[:, cols], price[:, cols], fees[:, cols],
                                          fixed_fees[:, cols], slip[:, cols], gran[:, cols], min_size[:, cols],
                                          init_cash)
        if cash_sharing:
            rec = rec_part
            positions, cash, equity, weights = _replay(rec, n, m, val_close, init_cash, cash_sharing)
        else:
            p_, c_, e_, w_ = _replay(rec_part, n, len(cols), val_close[:, cols], init_cash, False)
            rec_part["col"] = cols[rec_part["col"]]
            if rec_all is None:
                rec_all, positions, cash, equity, weights = rec_part, p_, c_, e_, w_
            else:
                rec_all = np.concatenate([rec_all[~np.isin(rec_all["col"], cols)], rec_part])
                positions[:, cols], cash[:, cols], equity[:, cols], weights[:, cols] = p_, c_, e_, w_
            rec = rec_all

        # 1) threshold rule at each decision close, on the weights simulated so far
        rule = decided & (np.abs(np.nan_to_num(targets) - weights[:, :m_real]) > execution.threshold)
        # 2) commission regime of every filled order
        want = np.zeros((n, m), dtype=bool)
        if use_min and len(rec):
            value = rec["size"] * rec["price"]
            want[rec["idx"], rec["col"]] = rate * value < minimum
            if with_cash:
                want[:, -1] = False
        filled = np.zeros((n, m), dtype=bool)
        filled[rec["idx"], rec["col"]] = True
        fee_bad = filled & (want != fixed) & ~frozen
        # 3) money-market column: 1 − weights after the real orders of the session
        new_cash_target = cash_target
        if with_cash:
            prev_w = np.vstack([np.zeros((1, m_real)), weights[:-1, :m_real]])
            active = ~np.isnan(orders_real)
            after = np.where(active, np.nan_to_num(orders_real), prev_w)
            invest = active.any(axis=1)
            invest[min(1, n - 1)] = True  # idle starting cash goes to the money market on the first trading session
            new_cash_target = np.where(invest, np.clip(1.0 - after.sum(axis=1), 0.0, 1.0), np.nan)
        cash_bad = ~((np.isnan(new_cash_target) & np.isnan(cash_target))
                     | (np.abs(np.nan_to_num(new_cash_target) - np.nan_to_num(cash_target)) <= 1e-12))

        dec_bad = rule != mask
        if not (dec_bad.any() or fee_bad.any() or cash_bad.any()):
            break
        # The earliest inconsistency is final after this pass (all its causes are earlier and
        # consistent). Only a fee regime that is itself the earliest one can depend on itself (a
        # cash-limited buy whose lot count changes with the fee, right at value = min / rate):
        # if such a regime flips back, it is kept as is (error below rate × one lot in CNY).
        rows = np.arange(n, dtype=float)[:, None]
        t_dec = np.min(np.where(dec_bad, rows + 0.5, np.inf))
        t_cash = np.min(np.where(cash_bad[:, None], rows - 0.25, np.inf))
        t_fee = np.min(np.where(fee_bad, rows, np.inf))
        if t_fee < min(t_dec, t_cash):
            first = fee_bad & (rows == t_fee)
            flips += first
            frozen |= first & (flips >= 2)
            fee_bad &= ~frozen
        mask = rule
        fixed = np.where(fee_bad, want, fixed)
        cash_target = new_cash_target
        if not cash_sharing:
            cols = np.flatnonzero((dec_bad | fee_bad).any(axis=0))
    else:  # pragma: no cover - the loop provably ends; this guards against a bug
        raise RuntimeError(f"order solver did not converge in {_MAX_PASSES} passes")

    rec = np.sort(rec, order=["col", "idx"]) if not cash_sharing else rec
    pairs = rec["idx"] * m + rec["col"]
    if len(np.unique(pairs)) != len(pairs):  # T+1: one order per symbol per session
        raise RuntimeError("more than one order for a symbol in one session (T+1 would be violated)")
    return Simulation(rec, positions, cash, equity, weights, orders, fixed, passes, exit_row)


# --------------------------------------------------------------------------------------------
# run_backtest
# --------------------------------------------------------------------------------------------


def data_fingerprint(prices: Mapping[str, pd.DataFrame]) -> str:
    """SHA-256 (hex) of the input price arrays: per symbol, sorted, its dates and OHLCV values."""
    h = hashlib.sha256()
    for sym in sorted(prices):
        frame = prices[sym]
        h.update(sym.encode())
        h.update(np.asarray(frame.index.values.astype("datetime64[ns]").astype(np.int64)).tobytes())
        for colname in ("open", "high", "low", "close", "volume"):
            if colname in frame:
                h.update(np.ascontiguousarray(frame[colname].to_numpy(dtype=float)).tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class MarketArrays:
    """The pandas → simulation conversion, done once per backtest or sweep.

    ``opens``/``closes``: frames on the calendar (NaN where a symbol has no bar);
    ``order_price``: the execution price of an order placed on each session (open for
    ``next_open``, close for ``next_close``); ``close``: closes for valuation (carried over gaps);
    ``tradable``: a bar with both open and close exists.
    """

    opens: pd.DataFrame
    closes: pd.DataFrame
    order_price: np.ndarray
    close: np.ndarray
    tradable: np.ndarray


def market_arrays(frames: Mapping[str, pd.DataFrame], calendar: pd.DatetimeIndex,
                  execution: ExecutionParams) -> MarketArrays:
    """Opens, closes, order prices and tradability of ``frames`` (one per symbol) on ``calendar``."""
    opens = pd.DataFrame({s: f["open"] for s, f in frames.items()}).reindex(calendar)
    closes = pd.DataFrame({s: f["close"] for s, f in frames.items()}).reindex(calendar)
    tradable = (closes.notna() & opens.notna()).to_numpy()
    val_close = closes.ffill().bfill().fillna(1.0).to_numpy()
    order_price = (opens if execution.execution == "next_open" else closes).to_numpy(dtype=float)
    return MarketArrays(opens, closes, order_price, val_close, tradable)


def _calendar(target_weights: pd.DataFrame, prices: Mapping[str, pd.DataFrame]) -> pd.DatetimeIndex:
    """Sessions of the traded symbols between the first and last date of the target weights."""
    first, last = target_weights.index[0], target_weights.index[-1]
    dates = pd.DatetimeIndex([])
    for frame in (prices[s] for s in target_weights.columns):
        dates = dates.union(frame.index[(frame.index >= first) & (frame.index <= last)])
    return dates


def _check_inputs(target_weights: pd.DataFrame, prices: Mapping[str, pd.DataFrame],
                  execution: ExecutionParams) -> None:
    if not isinstance(target_weights, pd.DataFrame) or target_weights.shape[1] == 0:
        raise ConfigError("target_weights must be a DataFrame with one column per symbol")
    if len(target_weights) == 0:
        raise ConfigError("target_weights is empty: no session to simulate")
    if not target_weights.index.is_monotonic_increasing or target_weights.index.has_duplicates:
        raise ConfigError("target_weights index must be strictly increasing dates")
    missing = [c for c in target_weights.columns if c not in prices]
    if missing:
        raise ConfigError(f"no prices given for {', '.join(map(str, missing))}")
    vals = target_weights.to_numpy(dtype=float)
    if np.isinf(vals).any() or (vals < -1e-12).any():
        raise ConfigError("target weights must be finite and ≥ 0 (long-only A-share ETFs)")
    if (np.nansum(vals, axis=1) > 1.0 + 1e-9).any():
        bad = target_weights.index[np.nansum(vals, axis=1) > 1.0 + 1e-9][0]
        raise ConfigError(f"target weights sum to more than 1 on {bad.date()} (no leverage)")
    for sym, frame in prices.items():
        for colname in ("open", "close"):
            if colname not in frame:
                raise ConfigError(f"prices of {sym} lack the {colname!r} column")
        if execution.execution == "next_open" and sym in target_weights and frame["open"].isna().all():
            raise ConfigError(f"no open prices for {sym} (close-only data): set execution.price = \"next_close\"")


def check_rf(rf: float) -> None:
    """Refuse a risk-free rate that is not an annual decimal in (−1, 1) (2 % is 0.02)."""
    if not (isinstance(rf, (int, float)) and not isinstance(rf, bool) and -1.0 < rf < 1.0):
        raise ConfigError(f"rf = {rf!r}; pass the annual risk-free rate as a decimal, e.g. 0.02 for 2 %")


def benchmark_returns_of(calendar: pd.DatetimeIndex, closes: pd.DataFrame,
                         benchmark: pd.Series | None) -> tuple[pd.Series, str]:
    """Daily returns (decimal) of the benchmark on ``calendar``; the first session is 0.

    ``benchmark`` is a close series (e.g. an index); without it: buy-and-hold of the single
    traded symbol, or the equal-weight (daily rebalanced) average of the symbols with a bar.
    """
    if benchmark is not None:
        s = benchmark.reindex(benchmark.index.union(calendar)).ffill().reindex(calendar)
        r = s.pct_change()
        r.iloc[0] = 0.0
        return r.fillna(0.0).rename("benchmark"), str(benchmark.name or "benchmark")
    r = closes.pct_change(fill_method=None)
    if closes.shape[1] == 1:
        out, label = r.iloc[:, 0], f"buy & hold {closes.columns[0]}"
    else:
        out, label = r.mean(axis=1, skipna=True), f"equal weight of {closes.shape[1]} symbols"
    out.iloc[0] = 0.0
    return out.fillna(0.0).rename("benchmark"), label


def _names(symbols: list[str]) -> dict:
    try:
        from quantkit.data.api import name_of

        return {s: name_of(s) for s in symbols}
    except Exception:  # names are decoration; a missing manifest must not fail a backtest
        return {s: "" for s in symbols}


def run_backtest(target_weights: pd.DataFrame, prices: Mapping[str, pd.DataFrame],
                 execution: ExecutionParams = ExecutionParams(), costs: CostParams = CostParams(),
                 benchmark: pd.Series | None = None, name: str = "", params: dict | None = None,
                 extras: dict | None = None, *, model: Any = None, kind: str = "",
                 sections: Mapping[str, Any] | None = None,
                 sources: Mapping[str, Mapping[str, Any]] | None = None, rf: float = 0.0) -> BacktestResult:
    """Backtest target weights decided at each close with A-share execution rules.

    ``target_weights``: index = decision dates, one column per symbol, decimal weights decided at
    that day's close (NaN = no decision). ``prices``: canonical daily frames per symbol (CNY).
    The simulation covers the sessions of the price frames between the first and last date of
    ``target_weights``. ``benchmark``: close series to compare with (default buy-and-hold of the
    traded symbol, or equal weight of the universe). ``model``/``kind``/``sections``: the model
    output behind the weights, its kind and parameter sections (kept for the report);
    ``sources``: provenance of each symbol's bars. ``rf``: annual risk-free rate (decimal) of the
    ratios of strategy and benchmark (Sharpe, Sortino, alpha, PSR). Returns a :class:`BacktestResult`
    whose equity is valued at each session's close, with bootstrap intervals of its headline figures.
    """
    from quantkit import __version__

    check_rf(rf)
    _check_inputs(target_weights, prices, execution)
    symbols = [str(c) for c in target_weights.columns]
    calendar = _calendar(target_weights, prices)
    if len(calendar) < 2:
        raise ConfigError("the backtest window holds fewer than two sessions of price data")
    frames = {s: prices[s].loc[(prices[s].index >= calendar[0]) & (prices[s].index <= calendar[-1])]
              for s in symbols}
    arrays = market_arrays(frames, calendar, execution)

    unknown = target_weights.index[target_weights.notna().any(axis=1)].difference(calendar)
    if len(unknown):
        raise ConfigError(f"target weight dated {unknown[0].date()} is not a session of the given prices")
    tw = target_weights.reindex(calendar)
    sim = simulate(tw.to_numpy(dtype=float), arrays.order_price, arrays.close, arrays.tradable, execution, costs,
                   cash_sharing=True)

    m_real = len(symbols)
    equity = pd.Series(sim.equity[:, 0], index=calendar, name="equity")
    prev = np.concatenate([[execution.initial_cash], sim.equity[:-1, 0]])
    returns = pd.Series(sim.equity[:, 0] / prev - 1.0, index=calendar, name="returns")
    positions = pd.DataFrame(sim.positions[:, :m_real], index=calendar, columns=symbols)
    weights = pd.DataFrame(sim.weights[:, :m_real], index=calendar, columns=symbols)
    rec = sim.records[sim.records["col"] < m_real]
    ended = sim.exit_row[rec["col"]] == rec["idx"]
    notes = [f"data ends {calendar[i - 1].date()}: sold at its last close" if e else ""
             for e, i in zip(ended, rec["idx"])]
    trades = pd.DataFrame({
        "date": calendar[rec["idx"]],
        "symbol": np.asarray(symbols, dtype=object)[rec["col"]],
        "side": np.where(rec["side"] == 0, "buy", "sell"),
        "shares": rec["size"],
        "price": rec["price"],
        "value": rec["size"] * rec["price"],
        "fee": rec["fees"],
        "note": notes,
    }).sort_values(["date", "side", "symbol"], kind="stable").reset_index(drop=True)

    bench_r, bench_label = benchmark_returns_of(calendar, arrays.closes, benchmark)
    bench_equity = (execution.initial_cash * (1.0 + bench_r).cumprod()).rename("benchmark_equity")
    metrics = summarize(returns, bench_r, trades, weights, equity, rf=rf)
    metrics["solver_passes"] = sim.passes
    held = pd.Series(1.0, index=calendar)
    held.iloc[0] = 0.0  # bought at the first close: held during every later session
    bench_metrics = summarize(bench_r, exposure=held, rf=rf)
    intervals = backtest_intervals(returns, bench_r, rf)

    all_params = {"execution": execution.to_dict(), "costs": costs.to_dict(), **(params or {})}
    extras = dict(extras or {})
    if execution.cash_rate > 0:
        unit = (1.0 + execution.cash_rate) ** (np.arange(len(calendar)) / PERIODS)
        extras["money_market"] = pd.Series(sim.positions[:, -1] * unit, index=calendar, name="money_market_value")
    return BacktestResult(
        equity=equity, returns=returns, positions=positions, weights=weights, target_weights=tw,
        trades=trades, metrics=metrics, benchmark_equity=bench_equity, benchmark_metrics=bench_metrics,
        params=all_params, symbols=tuple(symbols), names=_names(symbols), start=calendar[0], end=calendar[-1],
        data_fingerprint=data_fingerprint(frames), version=__version__, strategy=name,
        benchmark_name=bench_label, extras=extras, prices=frames, model=model, kind=kind,
        sections=dict(sections or {}), sources=dict(sources or {}), bootstrap=intervals)

