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
def buy_size(want: float, cash: float, adj: float, lot: float, rate: float, minimum: float) -> float:
    """Shares a buy of ``want`` shares at ``adj`` CNY (slippage included) gets with ``cash`` CNY:
    all of them when affordable, else the whole lots the cash pays for with the commission
    (the rate; the minimum when the rate on that fill is below it), as vectorbt sizes a
    cash-limited order. 0 when not one lot is affordable."""
    if adj <= 0 or want <= 0:
        return 0.0
    v = want * adj
    if v + _fee(v, rate, minimum) <= cash + 1e-9:
        return want
    q = min(want, np.floor(cash / (adj * (1 + rate)) / lot + 1e-9) * lot)
    if q > 0 and rate * q * adj < minimum:
        q = min(want, np.floor(max(cash - minimum, 0.0) / adj / lot + 1e-9) * lot)
    while q > 0 and q * adj + _fee(q * adj, rate, minimum) > cash + 1e-9:
        q -= lot
    return max(q, 0.0)


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
                    q = buy_size(want, cash, adj, lot, rate, minimum)
                    if q > 0:
                        v = q * adj
                        if rate * v < minimum:
                            fixed[r, j] = True
                        pos += q
                        cash -= v + _fee(v, rate, minimum)
                    elif want > 0 and minimum > 0:
                        # cash for no lot once the minimum commission is charged: at the rate alone
                        # one might fit, so the regime consistent with "no fill" is the minimum
                        fixed[r, j] = True
            held = pos * close[r, j]
            equity = cash + held
            w = held / equity if equity > 0 else 0.0
            t = targets[r, j]
            if not np.isnan(t) and abs(t - w) > thr:
                mask[r, j] = True
                pending = t
    return mask, fixed
