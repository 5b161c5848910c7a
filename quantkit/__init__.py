"""quantkit — timing and backtests of Chinese A-share ETFs with published sell-side quant models.

The public API is importable from here (``import quantkit as qk``); names resolve lazily so that
``import quantkit`` stays cheap and heavy libraries load only when a function needs them.
"""

from __future__ import annotations

from quantkit._lazy import lazy_getattr

__version__ = "0.1.0"

#: module → the public names it provides
_MODULES = {
    "quantkit.data.api": ("load_prices", "load_valuation", "fetch", "list_data", "import_file", "name_of"),
    "quantkit.data.symbols": ("normalize_symbol", "Symbol"),
    "quantkit.models": ("timing_regime", "profit_effect", "valuation_percentile", "valuation_state", "position_weight",
                        "position_weights", "market_state", "quadrants", "select_rotation", "effective_regime",
                        "POSITION_MATRIX", "quadrant_tables", "TimingParams", "MarketParams", "RotationParams",
                        "RegimeWeights"),
    "quantkit.models.registry": ("register_model",),
    "quantkit.app.signal": ("load_market_state", "load_rotation_inputs", "signal"),
    "quantkit.app.weekly": ("build_weekly",),
    "quantkit.app.etf": ("etf_info", "etf_peers"),
    "quantkit.backtest": ("run_backtest", "BacktestResult", "load_strategy", "run_strategy", "sweep_timing",
                          "sweep_strategy", "sweep_universe"),
    "quantkit.report": ("write_html",),
    "quantkit.errors": ("QuantkitError",),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

__all__ = ["__version__", *_EXPORTS]
__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
