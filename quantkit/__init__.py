"""quantkit — timing and backtests of Chinese A-share ETFs with published sell-side quant models.

The public API is importable from here (``import quantkit as qk``); names resolve lazily so that
``import quantkit`` stays cheap and heavy libraries load only when a function needs them.
"""

from __future__ import annotations

from quantkit._lazy import lazy_getattr

__version__ = "0.1.0"

_EXPORTS = {
    # data
    "load_prices": "quantkit.data.api", "load_valuation": "quantkit.data.api", "fetch": "quantkit.data.api",
    "list_data": "quantkit.data.api", "import_file": "quantkit.data.api", "name_of": "quantkit.data.api",
    "normalize_symbol": "quantkit.data.symbols", "Symbol": "quantkit.data.symbols",
    # models
    "timing_regime": "quantkit.models", "profit_effect": "quantkit.models",
    "valuation_percentile": "quantkit.models", "valuation_state": "quantkit.models",
    "position_weight": "quantkit.models", "position_weights": "quantkit.models",
    "market_state": "quantkit.models", "quadrants": "quantkit.models", "select_rotation": "quantkit.models",
    "effective_regime": "quantkit.models", "POSITION_MATRIX": "quantkit.models", "quadrant_tables": "quantkit.models",
    "TimingParams": "quantkit.models", "MarketParams": "quantkit.models", "RotationParams": "quantkit.models",
    "RegimeWeights": "quantkit.models", "register_model": "quantkit.models.registry",
    # use cases
    "load_market_state": "quantkit.app.signal", "load_rotation_inputs": "quantkit.app.signal",
    "signal": "quantkit.app.signal", "build_weekly": "quantkit.app.weekly",
    "etf_info": "quantkit.app.etf", "etf_peers": "quantkit.app.etf",
    # backtest
    "run_backtest": "quantkit.backtest", "BacktestResult": "quantkit.backtest",
    "load_strategy": "quantkit.backtest", "run_strategy": "quantkit.backtest", "sweep_timing": "quantkit.backtest",
    "sweep_strategy": "quantkit.backtest", "sweep_universe": "quantkit.backtest",
    # reports
    "write_html": "quantkit.report",
    # errors
    "QuantkitError": "quantkit.errors",
}

__all__ = ["__version__", *_EXPORTS]
__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
