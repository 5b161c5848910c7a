"""Backtests with A-share rules on top of vectorbt: engine, metrics, strategies as TOML, sweeps.

Importing this package is cheap: vectorbt (≈ 6 s) is imported only inside the functions that
simulate (:func:`run_backtest`, :func:`run_strategy`, the sweep), after ``NUMBA_CACHE_DIR`` is
set (default ``<repo>/.numba_cache``) so numba's compiled kernels are reused across processes.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[2] / ".numba_cache"))

from quantkit._lazy import lazy_getattr  # noqa: E402
from quantkit.backtest.params import CostParams, ExecutionParams  # noqa: E402
from quantkit.backtest.result import BacktestResult  # noqa: E402
from quantkit.backtest.strategy import Strategy, apply_overrides, load_strategy, parse_strategy  # noqa: E402

_LAZY = {
    "run_backtest": "quantkit.backtest.engine",
    "run_strategy": "quantkit.backtest.strategy",
    "build_target_weights": "quantkit.backtest.strategy",
    "sweep_timing": "quantkit.backtest.sweep",
    "sweep_strategy": "quantkit.backtest.sweep",
    "SweepResult": "quantkit.backtest.sweep",
}

__all__ = ["run_backtest", "BacktestResult", "load_strategy", "run_strategy", "ExecutionParams", "CostParams",
           "Strategy", "apply_overrides", "parse_strategy", "build_target_weights", "sweep_timing",
           "sweep_strategy", "SweepResult"]
__getattr__ = lazy_getattr(__name__, _LAZY, globals())
