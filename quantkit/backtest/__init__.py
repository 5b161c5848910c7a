"""Backtests with A-share rules on top of vectorbt: strategy files, the pipeline, engine, metrics, sweeps.

Importing this package is cheap: vectorbt (≈ 6 s) is imported only inside the functions that
simulate (:func:`run_backtest`, :func:`run_strategy`, the sweep), through
:func:`quantkit.backtest.engine.import_vectorbt`.
"""

from __future__ import annotations

from quantkit._lazy import lazy_getattr
from quantkit.backtest.params import CostParams, ExecutionParams
from quantkit.backtest.result import BacktestResult
from quantkit.backtest.strategy_file import Strategy, apply_overrides, load_strategy, parse_strategy

_LAZY = {
    "run_backtest": "quantkit.backtest.engine",
    "run_strategy": "quantkit.backtest.pipeline",
    "build_target_weights": "quantkit.backtest.pipeline",
    "sweep_timing": "quantkit.backtest.sweep",
    "sweep_strategy": "quantkit.backtest.sweep",
    "SweepResult": "quantkit.backtest.sweep",
    "sweep_universe": "quantkit.backtest.universe_sweep",
    "UniverseSweep": "quantkit.backtest.universe_sweep",
}

__all__ = ["run_backtest", "BacktestResult", "load_strategy", "run_strategy", "ExecutionParams", "CostParams",
           "Strategy", "apply_overrides", "parse_strategy", "build_target_weights", "sweep_timing",
           "sweep_strategy", "SweepResult", "sweep_universe", "UniverseSweep"]
__getattr__ = lazy_getattr(__name__, _LAZY, globals())
