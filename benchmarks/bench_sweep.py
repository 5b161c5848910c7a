"""The 1,200-combination timing sweep on 562800: one vectorised run vs a loop of single backtests.

Prints figures; asserts nothing. Grid short = 5:60:5 (12) × long = 60:250:10 (20) × band =
0, 1, 2, 3, 5 % (5) = 1,200 combinations, 5 skipped (short ≥ long). Same process, warm kernels
(a 2-combination sweep and one single backtest run first to compile / load the numba cache).

The loop baseline builds each combination's target weights with the timing model and calls
``run_backtest`` (the full single-backtest API: simulation, trades, metrics, result). It runs
over a fixed random sample of 40 combinations and is extrapolated to all of them.

The floor is a plain-numpy approximate simulation of the same grid written here: the same target
weights, held from the next session at close-to-close returns, no lots, no fees, no threshold —
what any exact simulation must at least cost. Targets: the sweep in ≤ 0.35 s (it took 1.47 s in
release 0.1.0 on this machine class), and its selection-bias checks (DSR, PBO) in ≤ 2 s more.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = 40
REPEAT = 5


def numpy_floor(bars, grid, weights, start):
    """The approximate floor: target weights of every combination, held from the next session at
    close-to-close returns (no lots, fees or threshold). Returns (Sharpe per column, seconds)."""
    from quantkit.backtest.metrics import sharpe
    from quantkit.models.timing import weight_grid

    t = time.perf_counter()
    combos = [(s, lo, b) for s in grid["short"] for lo in grid["long"] for b in grid["band"] if s < lo]
    close = bars["close"]
    w = weight_grid(close, combos, weights)
    keep = np.asarray(close.index >= start)
    w, c = w[keep], close.to_numpy()[keep]
    held = np.nan_to_num(pd.DataFrame(w).ffill().to_numpy())
    r = np.zeros_like(c)
    r[1:] = c[1:] / c[:-1] - 1.0
    rets = np.vstack([np.zeros((1, w.shape[1])), held[:-1] * r[1:, None]])
    return sharpe(rets), time.perf_counter() - t


def main() -> None:

    from quantkit.backtest import load_strategy, run_backtest
    from quantkit.backtest.engine import import_vectorbt
    from quantkit.backtest.sweep import parse_grid_values, sweep_timing
    from quantkit.data.api import load_prices
    from quantkit.models import regime_weights, timing_regime

    strategy = load_strategy(ROOT / "strategies" / "ma_timing.toml")
    bars = load_prices("562800")
    grid = {"short": parse_grid_values("short", "5:60:5"), "long": parse_grid_values("long", "60:250:10"),
            "band": parse_grid_values("band", "0,0.01,0.02,0.03,0.05")}
    kw = dict(weights=strategy.params["weights"], execution=strategy.execution, costs=strategy.costs)

    t = time.perf_counter()
    import_vectorbt()
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    sweep_timing(bars, {"short": [10, 20], "long": [60], "band": [0.03]}, **kw)
    t_warm_sweep = time.perf_counter() - t

    def single(short: int, long: int, band: float, start: pd.Timestamp | None = None):
        regime = timing_regime(bars["close"], short=short, long=long, band=band)["regime"]
        tw = pd.DataFrame({"562800": regime_weights(regime, strategy.params["weights"])}).loc[start:]
        return run_backtest(tw, {"562800": bars}, strategy.execution, strategy.costs)

    t = time.perf_counter()
    single(20, 120, 0.03)
    t_warm_single = time.perf_counter() - t

    runs = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        res = sweep_timing(bars, grid, robust=False, **kw)
        runs.append(time.perf_counter() - t)
    t_sweep = float(np.median(runs))
    t = time.perf_counter()
    robust = sweep_timing(bars, grid, **kw)
    t_robust = time.perf_counter() - t - t_sweep
    valid = res.combos - res.skipped
    t_floor = float(np.median([numpy_floor(bars, grid, strategy.params["weights"], res.start)[1]
                               for _ in range(REPEAT)]))

    combos = [(s, lo, b) for s in grid["short"] for lo in grid["long"] for b in grid["band"] if s < lo]
    sample = random.Random(42).sample(combos, SAMPLE)
    t = time.perf_counter()
    loop = {c: single(*c, start=res.start) for c in sample}  # the sweep's common window
    t_loop = time.perf_counter() - t
    per_single = t_loop / SAMPLE
    t_loop_all = per_single * valid

    table = res.table.set_index(["short", "long", "band"])
    worst = max(abs(table.loc[c, "sharpe"] - r.metrics["sharpe"]) for c, r in loop.items()
                if pd.notna(r.metrics["sharpe"]))

    print(f"warm-up: import vectorbt {t_import:.2f} s, first (2-combination) sweep {t_warm_sweep:.2f} s, "
          f"first single backtest {t_warm_single:.2f} s")
    print(f"vectorised sweep: {res.combos:,} combinations ({res.skipped} skipped: short ≥ long), "
          f"{valid:,} backtested over {res.sessions} sessions in {t_sweep:.2f} s "
          f"(signals {res.seconds['signals']:.2f} s, simulation {res.seconds['simulation']:.2f} s, "
          f"{res.passes} solver pass(es), the first over all columns)")
    print(f"  → {valid / t_sweep:,.0f} combinations/s; median of {REPEAT} runs (min {min(runs):.3f} s); "
          f"target ≤ 0.35 s: {'met' if t_sweep <= 0.35 else 'not met'}")
    print(f"the selection-bias checks on top (DSR, PBO over {robust.robustness.pbo.n_splits:,} CSCV splits): "
          f"+{t_robust:.2f} s (target ≤ 2 s: {'met' if t_robust <= 2 else 'not met'}); "
          f"DSR {robust.robustness.dsr.dsr:.2f}, PBO {robust.robustness.pbo.pbo:.2f}")
    print(f"plain-numpy approximate floor (same weights, no lots/fees): {t_floor:.3f} s → sweep / floor = "
          f"{t_sweep / t_floor:.1f}×")
    print(f"loop of single backtests: {SAMPLE} sampled combinations in {t_loop:.2f} s "
          f"({per_single * 1000:.0f} ms each) → extrapolated to {valid:,}: {t_loop_all:.1f} s "
          f"({valid / t_loop_all:,.0f} combinations/s)")
    print(f"ratio loop / vectorised: {t_loop_all / t_sweep:.1f}× (loop extrapolated from {SAMPLE} of {valid})")
    print(f"largest Sharpe difference sweep vs single backtest over the sample: {worst:.2e}")
    print(f"best: short {int(res.table.iloc[0]['short'])}, long {int(res.table.iloc[0]['long'])}, "
          f"band {res.table.iloc[0]['band']:.2%}: Sharpe {res.table.iloc[0]['sharpe']:.2f}")


if __name__ == "__main__":
    main()
