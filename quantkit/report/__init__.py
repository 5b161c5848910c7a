"""Standalone HTML reports: backtests, parameter sweeps and the weekly signal report.

``write_html(result, path)`` renders a :class:`~quantkit.backtest.BacktestResult`;
``write_sweep_html(sweep, path)`` a timing parameter sweep; :func:`build_weekly` /
:func:`write_weekly` the scheduled weekly report. plotly is imported only while rendering.
"""

from __future__ import annotations

from quantkit._lazy import lazy_getattr
from quantkit.report.html import render_html, write_html, write_sweep_html

_LAZY = {"build_weekly": "quantkit.report.weekly", "write_weekly": "quantkit.report.weekly"}

__all__ = ["write_html", "render_html", "write_sweep_html", "build_weekly", "write_weekly"]
__getattr__ = lazy_getattr(__name__, _LAZY, globals())
