"""The numba kernel of the solver's first guess for independent single-asset columns (the sweep).

It is the per-column form of :func:`quantkit.backtest.engine._presolve` with ``cash_sharing``
off: the same order rules (lots, slippage, commission minimum, cash limits, the threshold rule at
each close) written as scalar loops, so a 1,000-column sweep pays microseconds, not a Python loop
over sessions. Import it only after :func:`~quantkit.backtest.engine.import_vectorbt` (numba's
cache directory is set there).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _fee(v: float, rate: float, minimum: float) -> float:
    if minimum > 0:
        return max(rate * v, minimum) if v > 0 else 0.0
    return rate * v


@njit(cache=True)
def presolve_columns(targets, price, close, tradable, exit_row, init_cash, lot, rate, minimum, slip, thr):
    """First guesses ``(mask, fixed)``: decisions that pass the threshold, orders charged the minimum."""
    n, m = targets.shape
    mask = np.zeros((n, m), dtype=np.bool_)
    fixed = np.zeros((n, m), dtype=np.bool_)
    for j in range(m):
        pos = 0.0
        cash = init_cash
        last_px = np.nan
        pending = np.nan
        for r in range(n):
            ok = tradable[r, j]
            px = price[r, j]
            if ok:
                last_px = px
            order = pending if ok else np.nan
            if exit_row[j] == r:
                order = 0.0
            if ok:
                pending = np.nan
            if not np.isnan(order):
                vp = 0.0 if np.isnan(last_px) else last_px
                value = cash + pos * vp
                delta = order * value / (vp if vp > 0 else 1.0) - pos
                if delta < 0:
                    q = min(np.floor(-delta / lot + 1e-9) * lot, pos)
                    v = q * px * (1 - slip)
                    f = _fee(v, rate, minimum) if q > 0 else 0.0
                    if q > 0 and rate * v < minimum:
                        fixed[r, j] = True
                    proceeds = v - f
                    pos -= q
                    cash += 0.0 if np.isnan(proceeds) else proceeds
                elif delta > 0:
                    adj = px * (1 + slip)
                    want = np.floor(delta / lot + 1e-9) * lot
                    v = want * adj
                    cost = v + (_fee(v, rate, minimum) if want > 0 else 0.0)
                    if cost > cash + 1e-9:
                        fix = minimum if minimum > 0 else 0.0
                        lim = np.floor(max(cash - fix, 0.0) / (1 + rate) / (adj if adj > 0 else 1.0) / lot) * lot
                        want = min(want, lim)
                        v = want * adj
                        cost = v + (_fee(v, rate, minimum) if want > 0 else 0.0)
                        if cost > cash + 1e-9 and want > 0:
                            want -= lot
                            v = want * adj
                            cost = v + (_fee(v, rate, minimum) if want > 0 else 0.0)
                    if want > 0:
                        if rate * v < minimum:
                            fixed[r, j] = True
                        pos += want
                        cash -= cost
            held = pos * close[r, j]
            equity = cash + held
            w = held / equity if equity > 0 else 0.0
            t = targets[r, j]
            if not np.isnan(t) and abs(t - w) > thr:
                mask[r, j] = True
                pending = t
    return mask, fixed
