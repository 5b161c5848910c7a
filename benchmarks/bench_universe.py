"""The timing sweep over the theme universe: one local process vs a Dask LocalCluster of 2 workers.

Prints figures; asserts nothing. Grid short = 5:60:5 × long = 60:250:10 × band = 0, 1, 2, 3, 5 %
(1,195 valid combinations per ETF) on the 35 theme ETFs, each over its own window. Both runs
write their partitions to a fresh temporary folder (nothing is reused); a third run reads the
local run's folder back (resume). Warm-up (vectorbt import, numba cache) is timed apart: a
2-combination sweep in this process, and the same import on every worker before the Dask run.

Scaling: the first 5, 10 and 20 theme ETFs swept in this process, against linear in ETF-sessions.
The projection for a larger universe scales the measured compute time per ETF (sum of the
partition times of the local run / ETFs) by the parallel efficiency measured on Dask here
(local compute time / (Dask wall time × workers)); it assumes ETFs with histories like the
theme ETFs' and a scheduler that is not the bottleneck.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORKERS = 2
PROJECT_ETFS = 1_600
PROJECT_WORKERS = (2, 8, 32, 128)
SCALING_ETFS = (5, 10, 20)


def _cpu() -> float:
    """CPU seconds (user + system) of the calling process."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _warm() -> int:
    from quantkit.backtest.engine import import_vectorbt

    import_vectorbt()
    return os.getpid()


def main() -> None:
    from dask.distributed import Client, LocalCluster

    from quantkit.backtest.sweep import parse_grid, sweep_timing
    from quantkit.backtest.universe_sweep import sweep_universe
    from quantkit.data.api import load_prices

    strategy = ROOT / "strategies" / "ma_timing.toml"
    grid = parse_grid(["short=5:60:5", "long=60:250:10", "band=0,0.01,0.02,0.03,0.05"])

    t = time.perf_counter()
    _warm()
    sweep_timing(load_prices("562800"), {"short": [10, 20], "long": [60], "band": [0.03]})
    t_warm = time.perf_counter() - t

    from quantkit.data.universe import THEME_ETFS

    with tempfile.TemporaryDirectory() as tmp:
        # scaling: the first 5, 10 and 20 theme ETFs, this process, nothing reused
        scaling = []
        for n in SCALING_ETFS:
            t = time.perf_counter()
            res = sweep_universe(strategy, grid, THEME_ETFS[:n], out_dir=Path(tmp) / f"scale{n}")
            scaling.append((n, time.perf_counter() - t, int(res.etfs["sessions"].sum())))

        load_before = os.getloadavg()[0]
        c, t = _cpu(), time.perf_counter()
        local = sweep_universe(strategy, grid, "theme", out_dir=Path(tmp) / "local")
        t_local, cpu_local = time.perf_counter() - t, _cpu() - c

        t = time.perf_counter()
        again = sweep_universe(strategy, grid, "theme", out_dir=Path(tmp) / "local")
        t_resume = time.perf_counter() - t

        t = time.perf_counter()
        cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        client = Client(cluster)
        t_cluster = time.perf_counter() - t
        t = time.perf_counter()
        client.run(_warm)
        t_worker_warm = time.perf_counter() - t
        w, t = client.run(_cpu), time.perf_counter()
        dask = sweep_universe(strategy, grid, "theme", engine="dask", client=client, out_dir=Path(tmp) / "dask")
        t_dask = time.perf_counter() - t
        cpu_workers = sum(client.run(_cpu).values()) - sum(w.values())
        load_after = os.getloadavg()[0]
        client.close()
        cluster.close()

    cells = len(local.table)
    n_etfs = len(local.etfs)
    parts = local.partitions
    per_etf = parts["seconds"].sum() / n_etfs
    same = (local.table.select_dtypes("number") - dask.table.select_dtypes("number")).abs().max().max()
    efficiency = local.seconds["compute"] / (t_dask * WORKERS)

    print(f"universe: {n_etfs} theme ETFs swept ({len(local.skipped)} skipped), {len(local.summary):,} combinations "
          f"each = {cells:,} backtests; {len(parts)} partitions (ETF × chunk of ≤ 400 combinations)")
    print(f"warm-up: this process {t_warm:.1f} s; Dask cluster start {t_cluster:.1f} s, "
          f"worker warm-up (vectorbt import) {t_worker_warm:.1f} s")
    print(f"local, 1 process:     {t_local:7.1f} s  ({cells / t_local:,.0f} combinations/s), "
          f"CPU {cpu_local:.1f} s")
    print(f"Dask, {WORKERS} workers:       {t_dask:7.1f} s  ({cells / t_dask:,.0f} combinations/s), "
          f"speed-up {t_local / t_dask:.2f}× (parallel efficiency {efficiency:.0%}); workers' CPU "
          f"{cpu_workers:.1f} s = {cpu_workers / (t_dask * WORKERS):.0%} of {WORKERS} cores over the run")
    print(f"compute time inside the partitions, summed: local {parts['seconds'].sum():.1f} s, "
          f"Dask {dask.partitions['seconds'].sum():.1f} s")
    print(f"load average (1 min) of the shared machine: {load_before:.1f} before, {load_after:.1f} after")
    print(f"rerun (all {again.reused} partitions read back): {t_resume:.1f} s")
    print(f"largest difference local vs Dask over the whole table: {same:.1e}")
    print(f"compute per partition: mean {parts['seconds'].mean():.2f} s, max {parts['seconds'].max():.2f} s; "
          f"per ETF {per_etf:.2f} s")
    n0, t0, s0 = scaling[0]
    print("scaling with the number of ETFs (first N theme ETFs, local; linear = time ∝ ETF-sessions):")
    for n, secs, sessions in scaling:
        print(f"  {n:3d} ETFs: {secs:6.2f} s, {secs / n:.3f} s per ETF, {sessions:,} ETF-sessions; "
              f"time ×{secs / t0:.2f} for ETFs ×{n / n0:.0f} and ETF-sessions ×{sessions / s0:.2f} "
              f"(ratio to linear {secs / t0 / (sessions / s0):.2f})")
    print(f"projection for {PROJECT_ETFS:,} ETFs (this grid, efficiency {efficiency:.0%}):")
    for n in PROJECT_WORKERS:
        seconds = PROJECT_ETFS * per_etf / (n * efficiency)
        print(f"  {n:4d} workers: {seconds / 60:7.1f} min")
    b = local.best
    top = local.summary.iloc[0]
    print(f"best on average: {b['short']}/{b['long']}/{b['band']:.0%}: median Sharpe {top.sharpe_median:.2f}, "
          f"beats buy & hold on {top.beats_buy_hold:.0%} of ETFs; PBO across ETFs "
          f"{'n/a' if local.pbo is None else f'{local.pbo.pbo:.0%}'}; rank correlation {local.rank_correlation:.2f}")


if __name__ == "__main__":
    main()
