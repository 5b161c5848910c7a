"""Standalone HTML report of a :class:`~quantkit.backtest.BacktestResult`.

One file that opens offline: plotly.js is inlined once in the head, every chart is a
``fig.to_html(full_html=False, include_plotlyjs=False)`` div, the page references nothing over
the network (no CDN, fonts or links). Templates live in ``quantkit/report/templates/*.j2`` and
are rendered by a jinja2 environment with autoescaping on, so names coming from data are text.

Sections: header (strategy, symbols, period, parameters, data), key metrics next to the
benchmark, equity curve with regime shading, price and trades, drawdowns, monthly and yearly
returns, exposure, rolling Sharpe/volatility, the model's own section (timing, position or
rotation, from ``result.extras``; a section whose inputs are absent is left out), the trade
list and a footer (version, data fingerprint, generation time).
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
from markupsafe import Markup

from quantkit.data.store import atomic_write_bytes
from quantkit.models.rotation import QUADRANT_NAMES

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_TRADE_ROWS = 250
ROLLING_WINDOW = 121
PLOT_CONFIG = {"displaylogo": False, "responsive": True,
               "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendDataToCloud"]}
KIND_TITLES = {"timing": "Timing — MA-distance regime", "position": "Position management — valuation × trend",
               "rotation": "Rotation — rise vs crowding quadrants"}


# --------------------------------------------------------------------------------------------
# formatting (also registered as template filters)
# --------------------------------------------------------------------------------------------

def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_pct(value: Any, digits: int = 2, signed: bool = False) -> str:
    """A decimal fraction as a percentage: 0.0654 → ``6.54%``; ``—`` when missing."""
    if _missing(value):
        return "—"
    return f"{float(value) * 100:{'+' if signed else ''}.{digits}f}%"


def fmt_num(value: Any, digits: int = 2) -> str:
    """A number with thousands separators and ``digits`` decimals; ``—`` when missing."""
    if _missing(value):
        return "—"
    return f"{float(value):,.{digits}f}"


def fmt_date(value: Any) -> str:
    """A date as YYYY-MM-DD; ``—`` when missing."""
    if _missing(value):
        return "—"
    return pd.Timestamp(value).date().isoformat()


# --------------------------------------------------------------------------------------------
# shared plumbing (used by the weekly report too)
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def environment():
    """The jinja2 environment of the report templates (autoescape on, strict undefined)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=fmt_pct, num=fmt_num, date=fmt_date)
    return env


@lru_cache(maxsize=1)
def plotly_js() -> Markup:
    """The plotly.js bundle shipped with the plotly package, to inline once per page."""
    from plotly.offline import get_plotlyjs

    return Markup(get_plotlyjs())


def figure_html(fig: Any, div_id: str) -> Markup:
    """A figure as a ``<div>`` + ``<script>`` fragment that expects plotly.js already on the page."""
    return Markup(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOT_CONFIG,
                              default_width="100%"))


def generated_at(now: datetime | None = None) -> str:
    """Generation time in local time with its UTC offset (footers only: never in compared output)."""
    return (now or datetime.now(timezone.utc)).astimezone().isoformat(timespec="seconds")


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (temporary file in the same folder, then rename)."""
    return atomic_write_bytes(Path(path), text.encode("utf-8"))


# --------------------------------------------------------------------------------------------
# context pieces
# --------------------------------------------------------------------------------------------

def strategy_kind(result) -> str | None:
    """``timing``/``position``/``rotation`` from the parameters, else guessed from the extras."""
    kind = (result.params.get("strategy") or {}).get("kind") if isinstance(result.params, Mapping) else None
    if kind:
        return kind
    if "market_state" in result.extras:
        return "position"
    if "quadrants" in result.extras or "holdings" in result.extras:
        return "rotation"
    if "timing" in result.extras:
        return "timing"
    return None


_FRACTION_KEYS = {"band", "low", "high", "up", "range", "down", "threshold", "commission", "cash_rate"}
_KIND_PARAMS = {
    "timing": {"signal": ("index", "short", "long", "band", "inclusive", "trend_line"), "weights": None,
               "rebalance": None},
    "position": {"signal": ("index", "short", "long", "band", "inclusive", "trend_line", "valuation_index",
                            "method", "percentile_start", "low", "high", "valuation_max_age"), "rebalance": None},
    "rotation": {"rotation": None, "signal": ("index",), "rebalance": None},
}


def _param_value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) if value else "—"
    if isinstance(value, (int, float)) and key in _FRACTION_KEYS:
        return f"{value * 100:.4f}".rstrip("0").rstrip(".") + "%"
    if isinstance(value, float) and key in ("initial_cash", "min_commission"):
        return f"{value:,.0f} CNY" if value >= 100 else f"{value:g} CNY"
    return str(value)


def _flatten(prefix: str, body: Mapping[str, Any], keys: Iterable[str] | None = None) -> list[tuple[str, str]]:
    items = body.items() if keys is None else ((k, body.get(k)) for k in keys if k in body)
    rows = []
    for k, v in items:
        if isinstance(v, Mapping):
            rows += _flatten(f"{prefix}{k}.", v)
        else:
            rows.append((f"{prefix}{k}", _param_value(k, v)))
    return rows


def parameter_rows(result, kind: str | None) -> list[tuple[str, str]]:
    """``(name, value)`` rows of the parameters that matter for this kind of strategy."""
    params = result.params if isinstance(result.params, Mapping) else {}
    strat = params.get("strategy") if isinstance(params.get("strategy"), Mapping) else None
    rows: list[tuple[str, str]] = []
    if strat is not None and kind in _KIND_PARAMS:
        sections = dict(_KIND_PARAMS[kind])
        if kind == "rotation" and (strat.get("rotation") or {}).get("timing_overlay"):
            sections.update({"signal": _KIND_PARAMS["timing"]["signal"], "weights": None})
        for section, keys in sections.items():
            if isinstance(strat.get(section), Mapping):
                rows += _flatten(f"{section}.", strat[section], keys)
        bench = (strat.get("benchmark") or {}).get("symbol")
        rows.append(("benchmark.symbol", bench or "— (default)"))
    else:
        rows += _flatten("", {k: v for k, v in params.items() if k not in ("execution", "costs", "window")})
    for section in ("execution", "costs"):
        if isinstance(params.get(section), Mapping):
            rows += _flatten(f"{section}.", params[section])
    return rows


def data_info(result) -> dict:
    """Where the prices came from and their last bar (best effort: names/sources are decoration)."""
    sources: dict[str, int] = {}
    last: list[pd.Timestamp] = []
    try:
        from quantkit.data.api import load_prices

        for sym in result.symbols:
            bars = load_prices(sym)
            src = str(bars.attrs.get("source") or "unknown")
            sources[src] = sources.get(src, 0) + 1
            last.append(bars.index[-1])
    except Exception:  # noqa: BLE001 — the report must render without the data store
        return {"sources": "unknown", "last_bar": None}
    text = ", ".join(f"{s} ({n} symbol{'s' if n > 1 else ''})" if len(result.symbols) > 1 else s
                     for s, n in sources.items())
    return {"sources": text, "last_bar": max(last) if last else None}


def price_of(symbol: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series | None:
    """Close of ``symbol`` over the backtest window, or None when the store cannot supply it."""
    try:
        from quantkit.data.api import load_prices

        return load_prices(symbol, start=start.date(), end=end.date())["close"]
    except Exception:  # noqa: BLE001
        return None


def _signed(value: Any, digits: int = 2) -> str:
    return fmt_pct(value, digits, signed=True)


def _ratio_t(value: Any, t: Any, pct: bool = False) -> str:
    if _missing(value):
        return "—"
    head = fmt_pct(value) if pct else fmt_num(value)
    return head if _missing(t) else f"{head} (t {float(t):.2f})"


def _dd_period(m: Mapping[str, Any]) -> str:
    if not m.get("max_drawdown_peak"):
        return "—"
    rec = m.get("max_drawdown_recovery") or "not recovered"
    return f"{m['max_drawdown_peak']} → {m.get('max_drawdown_trough')} → {rec}"


METRIC_ROWS: tuple[tuple[str, str, Any, bool], ...] = (
    # (label, key, formatter, also for the benchmark)
    ("Total return", "total_return", fmt_pct, True),
    ("Annual return (CAGR, 243 sessions/year)", "annual_return", fmt_pct, True),
    ("Volatility (annualised)", "volatility", fmt_pct, True),
    ("Sharpe ratio", "sharpe", fmt_num, True),
    ("Sortino ratio", "sortino", fmt_num, True),
    ("Max drawdown", "max_drawdown", fmt_pct, True),
    ("Max drawdown: peak → trough → recovery", None, _dd_period, True),
    ("Calmar ratio", "calmar", fmt_num, True),
    ("Daily win rate (days with a position)", "win_rate", fmt_pct, True),
    ("Average exposure", "exposure", fmt_pct, False),
    ("Turnover per year (traded value / equity)", "turnover", lambda v: fmt_pct(v, 0), False),
    ("Orders filled", "trades", lambda v: fmt_num(v, 0), False),
    ("Round trips closed", "round_trips", lambda v: fmt_num(v, 0), False),
    ("Win rate per round trip", "trade_win_rate", fmt_pct, False),
    ("Fees (CNY)", "fees", lambda v: fmt_num(v, 0), False),
    ("Alpha vs benchmark (annual, HAC t)", ("alpha", "alpha_t"), lambda v, t: _ratio_t(v, t, pct=True), False),
    ("Beta vs benchmark (HAC t)", ("beta", "beta_t"), _ratio_t, False),
    ("Sessions", "days", lambda v: fmt_num(v, 0), True),
)


def metric_rows(metrics: Mapping[str, Any], benchmark: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(label, strategy, benchmark)`` display rows of the key metrics."""
    rows = []
    for text, key, fmt, both in METRIC_ROWS:
        if key is None:
            rows.append((text, fmt(metrics), fmt(benchmark) if both else "—"))
        elif isinstance(key, tuple):
            rows.append((text, fmt(*(metrics.get(k) for k in key)), "—"))
        elif key in metrics or key in benchmark:
            rows.append((text, fmt(metrics.get(key)), fmt(benchmark.get(key)) if both else "—"))
    return rows


def highlight_cards(result) -> list[dict]:
    """The few headline figures shown as cards above the metrics table."""
    m, b = result.metrics, result.benchmark_metrics
    excess = None if _missing(m.get("total_return")) or _missing(b.get("total_return")) else \
        m["total_return"] - b["total_return"]
    return [
        {"label": "Total return", "value": _signed(m.get("total_return")),
         "note": f"benchmark {_signed(b.get('total_return'))}", "good": _positive(m.get("total_return"))},
        {"label": "Annual return", "value": _signed(m.get("annual_return")),
         "note": f"benchmark {_signed(b.get('annual_return'))}", "good": _positive(m.get("annual_return"))},
        {"label": "Sharpe", "value": fmt_num(m.get("sharpe")), "note": f"benchmark {fmt_num(b.get('sharpe'))}",
         "good": None},
        {"label": "Max drawdown", "value": fmt_pct(m.get("max_drawdown")),
         "note": f"benchmark {fmt_pct(b.get('max_drawdown'))}", "good": None},
        {"label": "Excess total return", "value": _signed(excess), "note": "strategy − benchmark",
         "good": _positive(excess)},
    ]


def _positive(value: Any) -> bool | None:
    return None if _missing(value) else float(value) >= 0


def drawdown_rows(returns: pd.Series, top: int = 5) -> list[dict]:
    """The ``top`` worst drawdowns (peak, trough, recovery, depth, sessions) for display."""
    from quantkit.backtest.metrics import drawdown_table

    table = drawdown_table(returns, top=top)
    return [{"peak": fmt_date(r.peak), "trough": fmt_date(r.trough),
             "recovery": fmt_date(r.recovery) if not _missing(r.recovery) else "not recovered",
             "depth": fmt_pct(r.depth), "days": int(r.days)} for r in table.itertuples(index=False)]


def trade_rows(trades: pd.DataFrame, names: Mapping[str, str], limit: int = MAX_TRADE_ROWS) -> tuple[list[dict], str]:
    """The last ``limit`` filled orders for display, and a note when rows were left out."""
    shown = trades.tail(limit) if len(trades) > limit else trades
    rows = [{"date": fmt_date(t.date), "symbol": str(t.symbol), "name": names.get(str(t.symbol), ""),
             "side": str(t.side), "shares": fmt_num(t.shares, 0), "price": fmt_num(t.price, 3),
             "value": fmt_num(t.value, 0), "fee": fmt_num(t.fee, 2)} for t in shown.itertuples(index=False)]
    note = (f"Showing the last {limit} of {len(trades)} orders; the full list is BacktestResult.trades "
            "(or `quantkit backtest --json`).") if len(trades) > limit else ""
    return rows, note


def _regime_of(frame: pd.DataFrame | None) -> pd.Series | None:
    if not isinstance(frame, pd.DataFrame):
        return None
    for col in ("effective_regime", "regime"):
        if col in frame.columns:
            return frame[col]
    return None


def _frame(result, key: str, columns: Iterable[str]) -> pd.DataFrame | None:
    value = result.extras.get(key)
    if isinstance(value, pd.DataFrame) and set(columns) <= set(value.columns) and len(value):
        return value
    return None


def _signal_param(result, key: str, default: Any) -> Any:
    strat = result.params.get("strategy") if isinstance(result.params, Mapping) else None
    value = ((strat or {}).get("signal") or {}).get(key)
    return default if value is None else value


def regime_share(regime: pd.Series) -> list[tuple[str, str]]:
    """Share of sessions in each regime (and without one) for display."""
    r = regime.astype(object).where(regime.notna(), "no regime")
    counts = r.value_counts(normalize=True)
    order = [k for k in ("up", "range", "down", "no regime") if k in counts.index]
    return [(k, fmt_pct(counts[k], 1)) for k in order]


def timing_section(result, figs: dict) -> dict | None:
    """MA distance (with the band) and profit effect of the timing frame, its last state and regime shares."""
    from quantkit.report import charts

    frame = _frame(result, "timing", ("distance", "regime"))
    if frame is None:
        return None
    band = float(_signal_param(result, "band", 0.03))
    index = _signal_param(result, "index", None)
    source = result.symbols[0] if index in (None, "self") else index
    figs["timing_distance"] = charts.distance_figure(frame["distance"], band, _regime_of(frame),
                                                     title=f"MA distance of {source} with the ±{band:.0%} band")
    if "profit_effect" in frame.columns and frame["profit_effect"].notna().any():
        figs["timing_profit"] = charts.profit_effect_figure(frame["profit_effect"])
    last = frame.iloc[-1]
    flips = regime_segments_count(_regime_of(frame))
    return {"source": source, "band": fmt_pct(band, 0), "date": fmt_date(frame.index[-1]),
            "ma_short": fmt_num(last.get("ma_short"), 4), "ma_long": fmt_num(last.get("ma_long"), 4),
            "distance": _signed(last.get("distance")), "regime": last.get("regime") or "insufficient history",
            "effective": last.get("effective_regime") if "effective_regime" in frame.columns else None,
            "shares": regime_share(_regime_of(frame)), "runs": flips}


def regime_segments_count(regime: pd.Series | None) -> int:
    """Number of regime runs (a flip starts a new run)."""
    from quantkit.report.charts import regime_segments

    return 0 if regime is None else len(regime_segments(regime))


def position_matrix(state: pd.DataFrame) -> dict:
    """The 3 × 3 trend × valuation matrix: weight, share of sessions spent in each cell, the last cell."""
    from quantkit.models.position import POSITION_MATRIX

    trend = state["effective_regime"].astype(object)
    val = state["valuation"].astype(object)
    known = trend.notna() & val.notna()
    total = int(known.sum())
    last = state[known].iloc[-1] if total else None
    rows = []
    for t in ("up", "range", "down"):
        cells = []
        for v in ("low", "normal", "high"):
            n = int(((trend == t) & (val == v)).sum())
            cells.append({"weight": fmt_pct(POSITION_MATRIX[(t, v)], 0), "share": fmt_pct(n / total if total else None, 1),
                          "current": last is not None and last["effective_regime"] == t and last["valuation"] == v})
        rows.append({"trend": t, "cells": cells})
    return {"rows": rows, "sessions": total}


def position_section(result, figs: dict) -> dict | None:
    """Distance, profit effect, PE/PB percentiles and matrix state of the market_state frame."""
    from quantkit.report import charts

    state = _frame(result, "market_state", ("distance", "regime", "profit_effect", "effective_regime",
                                            "pe_percentile", "pb_percentile", "valuation", "position"))
    if state is None:
        return None
    band = float(_signal_param(result, "band", 0.03))
    low, high = float(_signal_param(result, "low", 0.35)), float(_signal_param(result, "high", 0.80))
    index = _signal_param(result, "index", "000985")
    figs["position_state"] = charts.position_state_figure(state["position"], state["effective_regime"],
                                                          state["valuation"])
    figs["position_distance"] = charts.distance_figure(state["distance"], band, state["regime"],
                                                       title=f"MA distance of {index} with the ±{band:.0%} band")
    figs["position_profit"] = charts.profit_effect_figure(state["profit_effect"])
    figs["position_percentiles"] = charts.percentiles_figure(state["pe_percentile"], state["pb_percentile"], low, high)
    last = state.iloc[-1]
    return {"index": index, "valuation_index": _signal_param(result, "valuation_index", "000300"),
            "date": fmt_date(state.index[-1]), "close": fmt_num(last.get("close"), 2),
            "distance": _signed(last["distance"]), "regime": last["regime"] or "—",
            "profit_effect": _signed(last["profit_effect"]), "effective": last["effective_regime"] or "—",
            "pe": fmt_pct(last["pe_percentile"], 1), "pb": fmt_pct(last["pb_percentile"], 1),
            "valuation": last["valuation"] or "—", "position": fmt_pct(last["position"], 0),
            "low": fmt_pct(low, 0), "high": fmt_pct(high, 0), "matrix": position_matrix(state)}




def quadrant_rows(table: pd.DataFrame, names: Mapping[str, str], held: Iterable[str] = ()) -> list[dict]:
    """Quadrant table rows sorted by quadrant then rise (unplaced ETFs last, with their reason)."""
    held = set(held)
    t = table.copy()
    t["_q"] = t["quadrant"].astype("float").fillna(9)
    t = t.sort_values(["_q", "rise"], ascending=[True, False], kind="stable")
    rows = []
    for sym, r in t.iterrows():
        q = None if _missing(r["quadrant"]) else int(r["quadrant"])
        rows.append({"symbol": str(sym), "name": names.get(str(sym), ""), "rise": fmt_pct(r["rise"], 1),
                     "crowding": fmt_num(r["crowding"], 2), "quadrant": QUADRANT_NAMES.get(q, "—"), "q": q,
                     "held": str(sym) in held, "reason": r.get("reason") or "",
                     "estimated": bool(r.get("amount_estimated", False))})
    return rows


def rotation_section(result, figs: dict) -> dict | None:
    """Quadrant scatter and table at the last rebalance, holdings over time, the last rebalances."""
    from quantkit.report import charts

    table = _frame(result, "quadrants", ("rise", "crowding", "quadrant"))
    holdings = result.extras.get("holdings")
    holdings = holdings if isinstance(holdings, pd.Series) and len(holdings) else None
    if table is None and holdings is None:
        return None
    names = dict(result.names)
    held = list(holdings.iloc[-1]) if holdings is not None else []
    out: dict = {"as_of": None, "rows": [], "rebalances": []}
    if table is not None:
        as_of = table.attrs.get("as_of")
        out["as_of"] = fmt_date(as_of)
        median = table.attrs.get("rise_median")
        figs["rotation_quadrants"] = charts.quadrant_scatter(
            table, names, None if _missing(median) else float(median), held,
            title=f"Rise vs crowding at the last rebalance ({fmt_date(as_of)}); held ETFs ringed")
        out["rows"] = quadrant_rows(table, names, held)
        out["median"] = fmt_pct(median, 1)
    if holdings is not None:
        recent = holdings.tail(12).iloc[::-1]
        out["rebalances"] = [{"date": fmt_date(d), "held": [(s, names.get(s, "")) for s in syms]}
                             for d, syms in recent.items()]
    figs["rotation_holdings"] = charts.holdings_figure(result.weights, names)
    return out


def build_context(result, now: datetime | None = None) -> dict:
    """Everything the backtest template shows, charts rendered to HTML fragments."""
    from quantkit.backtest.metrics import drawdown
    from quantkit.report import charts

    kind = strategy_kind(result)
    names = {str(k): str(v or "") for k, v in result.names.items()}
    strategy = result.strategy or "strategy"
    bench = result.benchmark_name or "benchmark"
    bench_r = result.benchmark_returns
    figs: dict[str, Any] = {}
    regime = None
    if kind == "position" and _frame(result, "market_state", ("effective_regime",)) is not None:
        regime = result.extras["market_state"]["effective_regime"]
    elif _frame(result, "timing", ("regime",)) is not None:
        regime = _regime_of(result.extras["timing"])
    figs["equity"] = charts.equity_figure(result.equity, result.benchmark_equity, regime, strategy, bench)
    if len(result.symbols) == 1:
        close = price_of(result.symbols[0], result.start, result.end)
        if close is not None:
            sym = result.symbols[0]
            figs["trades"] = charts.trades_figure(close, result.trades, f"{sym} {names.get(sym, '')}".strip())
    figs["drawdown"] = charts.drawdown_figure(drawdown(result.returns), drawdown(bench_r), strategy, bench)
    figs["monthly"] = charts.monthly_heatmap(result.returns)
    figs["yearly"] = charts.yearly_figure(result.returns, bench_r, strategy, bench)
    target = result.target_weights.sum(axis=1, min_count=1).ffill() if len(result.target_weights.columns) else None
    figs["exposure"] = charts.exposure_figure(result.exposure, target)
    figs["rolling"] = charts.rolling_figure(result.returns, bench_r, ROLLING_WINDOW, strategy, bench)
    sections = {"timing": timing_section(result, figs) if kind in ("timing", "rotation") else None,
                "position": position_section(result, figs) if kind == "position" else None,
                "rotation": rotation_section(result, figs) if kind == "rotation" else None}
    trades, trades_note = trade_rows(result.trades, names)
    strat_params = result.params.get("strategy") if isinstance(result.params, Mapping) else None
    return {
        "title": f"{strategy} — backtest report",
        "strategy": strategy, "kind": kind, "kind_title": KIND_TITLES.get(kind or "", kind or "custom weights"),
        "description": (strat_params or {}).get("description", ""),
        "symbols": [(s, names.get(s, "")) for s in result.symbols],
        "start": fmt_date(result.start), "end": fmt_date(result.end), "sessions": len(result.equity),
        "benchmark": bench, "parameters": parameter_rows(result, kind), "data": data_info(result),
        "cards": highlight_cards(result), "metrics": metric_rows(result.metrics, result.benchmark_metrics),
        "drawdowns": drawdown_rows(result.returns), "benchmark_drawdowns": drawdown_rows(bench_r),
        "sections": sections, "trades": trades, "trades_note": trades_note, "n_trades": len(result.trades),
        "rolling_window": ROLLING_WINDOW,
        "charts": {key: figure_html(fig, f"chart-{key.replace('_', '-')}") for key, fig in figs.items()},
        "plotly_js": plotly_js(), "version": result.version, "fingerprint": result.data_fingerprint,
        "generated": generated_at(now),
    }


def render_html(result, now: datetime | None = None) -> str:
    """The backtest report as one HTML string."""
    return environment().get_template("backtest.html.j2").render(**build_context(result, now))


def write_html(result, path: str | Path) -> Path:
    """Write the standalone HTML report of ``result`` to ``path`` (atomically); returns the path."""
    return atomic_write_text(Path(path), render_html(result))


# --------------------------------------------------------------------------------------------
# parameter sweep
# --------------------------------------------------------------------------------------------

SWEEP_TOP = 25


def sweep_context(sweep, title: str, now: datetime | None = None) -> dict:
    """What the sweep template shows: summary, Sharpe heatmap, best combinations, walk-forward splits."""
    from quantkit import __version__
    from quantkit.report import charts

    table = sweep.table
    top = [{"short": int(r.short), "long": int(r.long), "band": fmt_pct(r.band, 1), "sharpe": fmt_num(r.sharpe),
            "annual": fmt_pct(r.annual_return), "total": fmt_pct(r.total_return), "vol": fmt_pct(r.volatility),
            "mdd": fmt_pct(r.max_drawdown), "calmar": fmt_num(r.calmar), "trades": fmt_num(r.trades, 0),
            "exposure": fmt_pct(r.exposure, 1)} for r in table.head(SWEEP_TOP).itertuples()]
    wf = []
    if sweep.walk_forward is not None:
        wf = [{"split": int(w.split), "is": f"{fmt_date(w.is_start)} to {fmt_date(w.is_end)}",
               "oos": f"{fmt_date(w.oos_start)} to {fmt_date(w.oos_end)}",
               "params": f"{w.short} / {w.long} / {fmt_pct(w.band, 1)}", "is_sharpe": fmt_num(w.is_sharpe),
               "oos_sharpe": fmt_num(w.oos_sharpe), "oos_median": fmt_num(w.oos_median_sharpe),
               "oos_pct": fmt_pct(w.oos_percentile, 0)} for w in sweep.walk_forward.itertuples()]
    charts_html = {}
    if len(table):
        charts_html["heatmap"] = figure_html(charts.sweep_heatmap(table), "chart-sweep-heatmap")
    return {"title": title, "start": fmt_date(sweep.start), "end": fmt_date(sweep.end), "sessions": sweep.sessions,
            "combos": sweep.combos, "skipped": sweep.skipped, "valid": sweep.combos - sweep.skipped,
            "seconds": {k: fmt_num(v, 1) for k, v in sweep.seconds.items()}, "top": top, "n_top": len(top),
            "walk_forward": wf, "charts": charts_html, "plotly_js": plotly_js(), "version": __version__,
            "generated": generated_at(now)}


def render_sweep_html(sweep, title: str = "parameter sweep", now: datetime | None = None) -> str:
    """The sweep report as one HTML string."""
    return environment().get_template("sweep.html.j2").render(**sweep_context(sweep, title, now))


def write_sweep_html(sweep, path: str | Path, title: str = "parameter sweep") -> Path:
    """Write the standalone HTML report of a :class:`~quantkit.backtest.SweepResult` (atomically)."""
    return atomic_write_text(Path(path), render_sweep_html(sweep, title))
