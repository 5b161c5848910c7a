"""Display rows of backtest metrics, shared by the CLI table and the HTML report.

The rows come from the one metric registry (:data:`quantkit.backtest.metrics.METRICS`): its
labels, units and which metrics are meaningful for a benchmark.
"""

from __future__ import annotations

from typing import Any, Mapping

from quantkit.backtest.metrics import METRICS, Metric
from quantkit.display import fmt_date, fmt_num, fmt_pct

_T_KEYS = {m.t_key for m in METRICS if m.t_key}
#: how a metric is defined, by its label (tooltips of the HTML tables)
METRIC_NOTES = {m.label: m.note for m in METRICS if m.note}
#: bootstrap statistic → the metric whose row shows its interval
_INTERVAL_OF = {"sharpe": "sharpe", "annual_return": "cagr", "max_drawdown": "max_drawdown"}


def format_metric(metric: Metric, value: Any, t: Any = None) -> str:
    """``value`` in the metric's unit (``pct`` as %, ``ratio`` 2 decimals, counts and CNY whole),
    followed by its HAC t-statistic when given."""
    text = {"pct": fmt_pct, "ratio": fmt_num, "count": lambda v: fmt_num(v, 0), "cny": lambda v: fmt_num(v, 0),
            "date": fmt_date}[metric.unit](value)
    return text if t is None or text == "—" or fmt_num(t) == "—" else f"{text} (t {float(t):.2f})"


def _drawdown_period(m: Mapping[str, Any]) -> str:
    if not m.get("max_drawdown_peak"):
        return "—"
    return f"{m['max_drawdown_peak']} → {m.get('max_drawdown_trough')} → {m.get('max_drawdown_recovery') or 'not recovered'}"


def _interval(metric: Metric, iv: Any) -> str:
    return f" [{format_metric(metric, iv.lower)}, {format_metric(metric, iv.upper)}]"


def metric_rows(metrics: Mapping[str, Any], benchmark: Mapping[str, Any], group: str = "main",
                intervals: Mapping[str, Any] | None = None) -> list[tuple[str, str, str]]:
    """``(label, strategy, benchmark)`` display rows of the computed metrics of one registry ``group``
    (``main`` or ``distribution``), registry order; the drawdown dates as one row, t-statistics beside
    their estimate. With bootstrap ``intervals`` (see :class:`~quantkit.backtest.BacktestResult`),
    Sharpe, annual return and max drawdown show theirs in brackets and a row gives the Sharpe
    difference to the benchmark."""
    intervals = intervals or {}
    rows = []
    for metric in METRICS:
        if metric.group != group or metric.key in _T_KEYS or metric.unit == "date" \
                or (metric.key not in metrics and metric.key not in benchmark):
            continue
        t = metrics.get(metric.t_key) if metric.t_key else None
        bench = format_metric(metric, benchmark.get(metric.key)) if metric.benchmark else "—"
        value = format_metric(metric, metrics.get(metric.key), t)
        iv = intervals.get(_INTERVAL_OF.get(metric.key, ""))
        rows.append((metric.label, value + (_interval(metric, iv) if iv is not None else ""), bench))
        if metric.key == "sharpe" and "sharpe_difference" in intervals:
            iv = intervals["sharpe_difference"]
            rows.append(("Sharpe ratio − benchmark's", format_metric(metric, iv.estimate) + _interval(metric, iv),
                         "—"))
        if metric.key == "max_drawdown":
            rows.append(("Max drawdown: peak → trough → recovery", _drawdown_period(metrics), _drawdown_period(benchmark)))
    return rows
