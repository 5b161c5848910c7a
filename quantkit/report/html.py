"""Standalone HTML report of a :class:`~quantkit.backtest.BacktestResult`.

One file that opens offline: plotly.js is inlined once in the head (gzip-compressed, inflated by
the browser), every chart is a div with its figure JSON, the page references nothing over the
network (no CDN, fonts or links). With ``plotlyjs="shared"`` the page instead loads a plain
plotly.js file written beside it, so a folder of reports holds one copy. Templates live in
``quantkit/report/templates/*.j2`` and are rendered by a jinja2 environment with autoescaping on,
so names coming from data are text.

Sections: header (strategy, symbols, period, parameters, data), key metrics next to the
benchmark with their bootstrap intervals, equity curve with regime shading, price and trades,
drawdowns, the daily-return distribution with its statistics (quantstats definitions), monthly
heatmaps of strategy and benchmark and yearly returns, exposure, rolling Sharpe/volatility/beta,
the model's own section (timing, position or rotation, from ``result.extras``; a section whose
inputs are absent is left out), the trade list and a footer (version, data fingerprint,
generation time).
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from markupsafe import Markup

from quantkit.data.store import atomic_write_bytes
from quantkit.display import fmt_date, fmt_fit, fmt_num, fmt_pct, fmt_signed, is_missing
from quantkit.models.contract import ReportContext, Section, section_dict
from quantkit.report.tables import METRIC_NOTES, metric_rows

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_TRADE_ROWS = 250
ROLLING_WINDOW = 121
PLOT_CONFIG = {"displaylogo": False, "responsive": True,
               "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendDataToCloud"]}


# --------------------------------------------------------------------------------------------
# formatting (also registered as template filters)
# --------------------------------------------------------------------------------------------

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


#: trace types of the cartesian plotly.js bundle shipped in ``report/assets`` (the npm package
#: plotly.js-cartesian-dist-min of the plotly.js version the plotly package generates for)
CARTESIAN_TRACES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
                              "image", "pie", "scatter", "scatterternary", "violin"})
ASSETS = Path(__file__).resolve().parent / "assets"
CARTESIAN_BUNDLE = ASSETS / "plotly-cartesian.min.js.gz"

#: draws every chart of :func:`figure_html` once plotly.js is there and the page is parsed
_DRAW = """function () {
  function draw() {
    document.querySelectorAll('script[data-chart]').forEach(function (s) {
      var fig = JSON.parse(s.textContent);
      Plotly.newPlot(s.getAttribute('data-chart'), fig.data, fig.layout, fig.config);
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
}"""

_INLINE = """(function () {
  var packed = "%s";
  var bytes = Uint8Array.from(atob(packed), function (c) { return c.charCodeAt(0); });
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text().then(function (js) {
    var s = document.createElement('script');
    s.textContent = js;
    document.head.appendChild(s);
    (%s)();
  });
})();"""

#: how a page gets plotly.js: ``inline`` (gzip-compressed inside the page, inflated by the
#: browser: one file that opens offline) or ``shared`` (a ``<script src>`` of the plain bundle,
#: written once beside the page: a folder of reports keeps one copy)
PLOTLYJS_MODES = ("inline", "shared")


def check_plotlyjs(mode: str) -> str:
    """``mode`` if it is one of :data:`PLOTLYJS_MODES`, else a :class:`ConfigError`."""
    if mode not in PLOTLYJS_MODES:
        from quantkit.errors import ConfigError

        raise ConfigError(f"plotlyjs = {mode!r}; use one of {', '.join(PLOTLYJS_MODES)}")
    return mode


@lru_cache(maxsize=2)
def _bundle_js(cartesian: bool) -> bytes:
    """plotly.js as plain JavaScript: the shipped cartesian bundle, or the full one of the plotly package."""
    import gzip

    if cartesian:
        return gzip.decompress(CARTESIAN_BUNDLE.read_bytes())
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


@lru_cache(maxsize=2)
def _packed_bundle(cartesian: bool) -> str:
    """plotly.js gzip-compressed and base64-encoded (≈ 0.66 MB and 1.96 MB in a page instead of 4.8 MB)."""
    import base64
    import gzip

    data = CARTESIAN_BUNDLE.read_bytes() if cartesian else gzip.compress(_bundle_js(False), 9, mtime=0)
    return base64.b64encode(data).decode("ascii")


def cartesian_bundle_fits(figures: Iterable[Any]) -> bool:
    """Whether every trace of ``figures`` is drawn by the cartesian bundle, and that bundle is of
    the plotly.js version the plotly package generates figures for."""
    from plotly.offline import get_plotlyjs_version

    if get_plotlyjs_version() != CARTESIAN_VERSION or not CARTESIAN_BUNDLE.exists():
        return False
    return all(trace.type in CARTESIAN_TRACES for fig in figures for trace in fig.data)


#: version of the shipped cartesian bundle (must equal plotly.offline.get_plotlyjs_version())
CARTESIAN_VERSION = "4.1.1"


def bundle_file_name(cartesian: bool) -> str:
    """File name of the shared plotly.js bundle, e.g. ``plotly-cartesian-4.1.1.min.js``."""
    from plotly.offline import get_plotlyjs_version

    return f"plotly-{'cartesian-' if cartesian else ''}{get_plotlyjs_version()}.min.js"


def plotly_js(figures: Iterable[Any] | None = None, mode: str = "inline") -> Markup:
    """The ``<script>`` elements that put plotly.js on the page and then draw every chart of
    :func:`figure_html`. With ``figures`` given and all of them cartesian, the small cartesian
    bundle is used; otherwise the full plotly.js. ``mode``: see :data:`PLOTLYJS_MODES` (with
    ``shared``, the writer puts the file beside the page: :func:`write_shared_plotlyjs`)."""
    cartesian = figures is not None and cartesian_bundle_fits(list(figures))
    if check_plotlyjs(mode) == "shared":
        return Markup(f'<script src="{bundle_file_name(cartesian)}"></script>\n<script>({_DRAW})();</script>')
    return Markup(f"<script>{_INLINE % (_packed_bundle(cartesian), _DRAW)}</script>")


def write_shared_plotlyjs(folder: str | Path, page: str) -> list[Path]:
    """Write into ``folder`` the plotly.js bundles the HTML ``page`` loads by ``<script src>``
    (plain JavaScript; atomically, and only when missing or different). Returns their paths."""
    written = []
    for cartesian in (True, False):
        name = bundle_file_name(cartesian)
        if f'<script src="{name}"></script>' not in page:
            continue
        path = Path(folder) / name
        data = _bundle_js(cartesian)
        if not (path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data):
            atomic_write_bytes(path, data)
        written.append(path)
    return written


def _compact_trace(trace: dict) -> dict:
    """A trace with its data arrays made small for the page: dates at midnight as ``YYYY-MM-DD``
    and float64 values as float32 (seven significant digits: more than a chart shows)."""
    import numpy as np

    out = dict(trace)
    for key in ("x", "y", "z", "base"):
        value = out.get(key)
        if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.datetime64):
            days = value.astype("datetime64[D]")
            if (days == value).all():
                out[key] = np.datetime_as_string(days, unit="D")
        elif isinstance(value, np.ndarray) and value.dtype == np.float64:
            out[key] = value.astype(np.float32)
        elif isinstance(value, dict) and value.get("dtype") == "f8" and "bdata" in value:
            import base64

            arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.float64).astype(np.float32)
            out[key] = {**value, "dtype": "f4", "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    return out


def figure_html(fig: Any, div_id: str) -> Markup:
    """A figure as an empty ``<div>`` plus its JSON (``<script type="application/json">``), drawn by
    the :func:`plotly_js` loader once plotly.js is inflated. ``<``, ``>`` and ``&`` in the JSON are
    escaped, so text from data can never close the script."""
    import plotly.io as pio

    plain = fig.to_plotly_json()
    fig_json = pio.to_json({"data": [_compact_trace(t) for t in plain["data"]], "layout": plain["layout"],
                            "config": PLOT_CONFIG}, validate=False)
    fig_json = fig_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    height = fig.layout.height or 450
    return Markup(f'<div id="{div_id}" class="plotly-graph-div" style="height:{int(height)}px; width:100%;"></div>'
                  f'<script type="application/json" data-chart="{div_id}">{fig_json}</script>')


def generated_at(now: datetime | None = None) -> str:
    """Generation time in local time with its UTC offset (footers only: never in compared output)."""
    return (now or datetime.now(timezone.utc)).astimezone().isoformat(timespec="seconds")


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (temporary file in the same folder, then rename)."""
    return atomic_write_bytes(Path(path), text.encode("utf-8"))


# --------------------------------------------------------------------------------------------
# context pieces
# --------------------------------------------------------------------------------------------

_FRACTION_KEYS = {"band", "low", "high", "up", "range", "down", "threshold", "commission", "cash_rate"}


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


def _flatten(prefix: str, body: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for k, v in body.items():
        if isinstance(v, Mapping):
            rows += _flatten(f"{prefix}{k}.", v)
        else:
            rows.append((f"{prefix}{k}", _param_value(k, v)))
    return rows


def parameter_rows(result) -> list[tuple[str, str]]:
    """``(name, value)`` rows of the model's parameter sections, the benchmark, execution and costs
    (a result without a model shows its raw ``params``)."""
    params = result.params if isinstance(result.params, Mapping) else {}
    rows: list[tuple[str, str]] = []
    if result.sections:
        for section, values in result.sections.items():
            rows += _flatten(f"{section}.", section_dict(values))
        strat = params.get("strategy") if isinstance(params.get("strategy"), Mapping) else {}
        rows.append(("rebalance.frequency", str((strat.get("rebalance") or {}).get("frequency", "—"))))
        rows.append(("benchmark.symbol", (strat.get("benchmark") or {}).get("symbol") or "— (default)"))
    else:
        rows += _flatten("", {k: v for k, v in params.items() if k not in ("execution", "costs", "window")})
    for section in ("execution", "costs"):
        if isinstance(params.get(section), Mapping):
            rows += _flatten(f"{section}.", params[section])
    return rows


def data_info(result) -> dict:
    """Where the traded bars came from and the last bar of their data (from the result itself)."""
    if not result.sources:
        return {"sources": "unknown", "last_bar": None}
    counts: dict[str, int] = {}
    for info in result.sources.values():
        counts[info.get("source") or "unknown"] = counts.get(info.get("source") or "unknown", 0) + 1
    several = len(result.sources) > 1
    text = ", ".join(f"{s} ({n} symbol{'s' if n > 1 else ''})" if several else s for s, n in counts.items())
    last = [pd.Timestamp(i["last_date"]) for i in result.sources.values() if i.get("last_date")]
    return {"sources": text, "last_bar": max(last) if last else None}


def highlight_cards(result) -> list[dict]:
    """The few headline figures shown as cards above the metrics table."""
    m, b = result.metrics, result.benchmark_metrics
    excess = None if is_missing(m.get("total_return")) or is_missing(b.get("total_return")) else \
        m["total_return"] - b["total_return"]
    return [
        {"label": "Total return", "value": fmt_signed(m.get("total_return")),
         "note": f"benchmark {fmt_signed(b.get('total_return'))}", "good": _positive(m.get("total_return"))},
        {"label": "Annual return", "value": fmt_signed(m.get("annual_return")),
         "note": f"benchmark {fmt_signed(b.get('annual_return'))}", "good": _positive(m.get("annual_return"))},
        {"label": "Sharpe", "value": fmt_num(m.get("sharpe")),
         "note": f"benchmark {fmt_num(b.get('sharpe'))} · PSR {fmt_pct(m.get('psr'), 1)}", "good": None},
        {"label": "Max drawdown", "value": fmt_pct(m.get("max_drawdown")),
         "note": f"benchmark {fmt_pct(b.get('max_drawdown'))}", "good": None},
        {"label": "Excess total return", "value": fmt_signed(excess), "note": "strategy − benchmark",
         "good": _positive(excess)},
    ]


def _bootstrap_note(interval: Any) -> str:
    """How the intervals were drawn (from one of them), for the lead text; empty without intervals."""
    if interval is None:
        return ""
    return (f"Brackets: {interval.confidence:.0%} stationary-bootstrap intervals ({interval.n_samples:,} seeded "
            f"resamples, mean block {interval.mean_block:.1f} sessions).")


def _positive(value: Any) -> bool | None:
    return None if is_missing(value) else float(value) >= 0


def drawdown_rows(returns: pd.Series, top: int = 5) -> list[dict]:
    """The ``top`` worst drawdowns (peak, trough, recovery, depth, sessions) for display."""
    from quantkit.backtest.metrics import drawdown_table

    table = drawdown_table(returns, top=top)
    return [{"peak": fmt_date(r.peak), "trough": fmt_date(r.trough),
             "recovery": fmt_date(r.recovery) if not is_missing(r.recovery) else "not recovered",
             "depth": fmt_pct(r.depth), "days": int(r.days)} for r in table.itertuples(index=False)]


def trade_rows(trades: pd.DataFrame, names: Mapping[str, str], limit: int = MAX_TRADE_ROWS) -> tuple[list[dict], str]:
    """The last ``limit`` filled orders for display, and a note when rows were left out."""
    shown = trades.tail(limit) if len(trades) > limit else trades
    rows = [{"date": fmt_date(t.date), "symbol": str(t.symbol), "name": names.get(str(t.symbol), ""),
             "side": str(t.side), "shares": fmt_num(t.shares, 0), "price": fmt_num(t.price, 3),
             "value": fmt_num(t.value, 0), "fee": fmt_num(t.fee, 2), "note": getattr(t, "note", "") or ""}
            for t in shown.itertuples(index=False)]
    note = (f"Showing the last {limit} of {len(trades)} orders; the full list is BacktestResult.trades "
            "(or `quantkit backtest --json`).") if len(trades) > limit else ""
    return rows, note


#: chart kinds a model's report section may name, and the functions that draw them
CHART_KINDS = {"distance": "distance_figure", "profit_effect": "profit_effect_figure",
               "percentiles": "percentiles_figure", "position_state": "position_state_figure",
               "quadrant_scatter": "quadrant_scatter", "holdings": "holdings_figure", "lines": "lines_figure"}


def report_sections(result, names: Mapping[str, str]) -> list[Section]:
    """The report sections of the result's model (none for a result without one)."""
    if result.model is None or not result.kind:
        return []
    from quantkit.models.registry import model_of

    out = model_of(result.kind).report(result.model, ReportContext(names, result.weights), **result.sections)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def build_context(result, now: datetime | None = None, plotlyjs: str = "inline") -> dict:
    """Everything the backtest template shows, charts rendered to HTML fragments."""
    from quantkit.backtest.metrics import drawdown
    from quantkit.report import charts

    names = {str(k): str(v or "") for k, v in result.names.items()}
    strategy = result.strategy or "strategy"
    bench = result.benchmark_name or "benchmark"
    bench_r = result.benchmark_returns
    sections = report_sections(result, names)
    regime = next((s.regime for s in sections if s.regime is not None), None)
    figs: dict[str, Any] = {}
    figs["equity"] = charts.equity_figure(result.equity, result.benchmark_equity, regime, strategy, bench)
    if len(result.symbols) == 1 and result.symbols[0] in result.prices:
        sym = result.symbols[0]
        figs["trades"] = charts.trades_figure(result.prices[sym]["close"], result.trades,
                                              f"{sym} {names.get(sym, '')}".strip())
    figs["drawdown"] = charts.drawdown_figure(drawdown(result.returns), drawdown(bench_r), strategy, bench)
    first_interval = next(iter(result.bootstrap.values()), None)
    if first_interval is not None:
        figs["bootstrap"] = charts.interval_figure(result.bootstrap, first_interval.confidence)
    figs["distribution"] = charts.return_histogram(result.returns)
    months = [charts.monthly_returns(r).to_numpy(dtype=float) for r in (result.returns, bench_r)]
    limit = max((float(np.nanmax(np.abs(z))) for z in months if np.isfinite(z).any()), default=None)
    figs["monthly"] = charts.monthly_heatmap(result.returns, f"Monthly returns (%) — {strategy}", limit)
    figs["monthly_benchmark"] = charts.monthly_heatmap(bench_r, f"Monthly returns (%) — {bench}", limit)
    figs["yearly"] = charts.yearly_figure(result.returns, bench_r, strategy, bench)
    target = result.target_weights.sum(axis=1, min_count=1).ffill() if len(result.target_weights.columns) else None
    figs["exposure"] = charts.exposure_figure(result.exposure, target)
    figs["rolling"] = charts.rolling_figure(result.returns, bench_r, ROLLING_WINDOW, strategy, bench,
                                            result.metrics.get("rf", 0.0))
    figs["rolling_beta"] = charts.rolling_beta_figure(result.returns, bench_r, ROLLING_WINDOW, bench)
    for section in sections:
        for key, chart in section.charts:
            figs[key] = getattr(charts, CHART_KINDS[chart.kind])(**chart.args)
    trades, trades_note = trade_rows(result.trades, names)
    strat_params = result.params.get("strategy") if isinstance(result.params, Mapping) else None
    title = None
    if result.kind:
        from quantkit.models.registry import MODELS

        title = MODELS[result.kind].title if result.kind in MODELS else result.kind
    return {
        "title": f"{strategy} — backtest report",
        "strategy": strategy, "kind": result.kind or None, "kind_title": title or "custom weights",
        "description": (strat_params or {}).get("description", ""),
        "symbols": [(s, names.get(s, "")) for s in result.symbols],
        "start": fmt_date(result.start), "end": fmt_date(result.end), "sessions": len(result.equity),
        "benchmark": bench, "parameters": parameter_rows(result), "data": data_info(result),
        "cards": highlight_cards(result), "rf": result.metrics.get("rf", 0.0),
        "bootstrap": _bootstrap_note(first_interval),
        "metrics": metric_rows(result.metrics, result.benchmark_metrics, intervals=result.bootstrap),
        "distribution": metric_rows(result.metrics, result.benchmark_metrics, "distribution"),
        "notes": METRIC_NOTES,
        "drawdowns": drawdown_rows(result.returns), "benchmark_drawdowns": drawdown_rows(bench_r),
        "sections": sections, "shaded": regime is not None, "trades": trades, "trades_note": trades_note,
        "n_trades": len(result.trades), "rolling_window": ROLLING_WINDOW,
        "charts": {key: figure_html(fig, f"chart-{key.replace('_', '-')}") for key, fig in figs.items()},
        "plotly_js": plotly_js(figs.values(), plotlyjs), "version": result.version,
        "fingerprint": result.data_fingerprint,
        "generated": generated_at(now),
    }


def render_html(result, now: datetime | None = None, plotlyjs: str = "inline") -> str:
    """The backtest report as one HTML string (``plotlyjs``: see :data:`PLOTLYJS_MODES`)."""
    return environment().get_template("backtest.html.j2").render(**build_context(result, now, plotlyjs))


def write_page(path: str | Path, page: str) -> Path:
    """Write an HTML page atomically, with the shared plotly.js bundle it loads beside it (if any)."""
    path = Path(path)
    write_shared_plotlyjs(path.parent, page)
    return atomic_write_text(path, page)


def write_html(result, path: str | Path, plotlyjs: str = "inline") -> Path:
    """Write the HTML report of ``result`` to ``path`` (atomically); returns the path. ``plotlyjs``:
    ``inline`` (one standalone file) or ``shared`` (plotly.js written once beside it)."""
    return write_page(path, render_html(result, plotlyjs=plotlyjs))


# --------------------------------------------------------------------------------------------
# parameter sweep
# --------------------------------------------------------------------------------------------

SWEEP_TOP = 25


def sweep_context(sweep, title: str, now: datetime | None = None, plotlyjs: str = "inline") -> dict:
    """What the sweep template shows: summary, Sharpe heatmap (PSR < 95 % crossed out), the robustness
    panel (DSR, PBO with its logit histogram and in- vs out-of-sample scatter), best combinations,
    walk-forward splits."""
    from quantkit import __version__
    from quantkit.report import charts

    table = sweep.table
    top = [{"short": int(r.short), "long": int(r.long), "band": fmt_pct(r.band, 1), "sharpe": fmt_num(r.sharpe),
            "annual": fmt_pct(r.annual_return), "total": fmt_pct(r.total_return), "vol": fmt_pct(r.volatility),
            "mdd": fmt_pct(r.max_drawdown), "calmar": fmt_num(r.calmar), "trades": fmt_num(r.trades, 0),
            "exposure": fmt_pct(r.exposure, 1), "psr": fmt_pct(getattr(r, "psr", None), 1)}
           for r in table.head(SWEEP_TOP).itertuples()]
    wf = []
    if sweep.walk_forward is not None:
        wf = [{"split": int(w.split), "is": f"{fmt_date(w.is_start)} to {fmt_date(w.is_end)}",
               "oos": f"{fmt_date(w.oos_start)} to {fmt_date(w.oos_end)}",
               "params": f"{w.short} / {w.long} / {fmt_pct(w.band, 1)}", "is_sharpe": fmt_num(w.is_sharpe),
               "oos_sharpe": fmt_num(w.oos_sharpe), "oos_median": fmt_num(w.oos_median_sharpe),
               "oos_pct": fmt_pct(w.oos_percentile, 0)} for w in sweep.walk_forward.itertuples()]
    figs = {}
    if len(table):
        figs["heatmap"] = charts.sweep_heatmap(table)
    robust = None
    if sweep.robustness is not None:
        d, p = sweep.robustness.dsr, sweep.robustness.pbo
        short, long, band = d.best
        robust = [
            ("Deflated Sharpe ratio (DSR)", f"{fmt_pct(d.dsr, 1)}: P(true Sharpe of the best > {fmt_num(d.sr0)})"),
            ("Best combination", f"{short} / {long} / {fmt_pct(band, 1)} · Sharpe {fmt_num(d.sharpe)}"),
            ("Expected best Sharpe of worthless trials", f"{fmt_num(d.sr0)} (annualised)"),
            ("Trials", f"N = {d.n_trials:,}; effective N = {fmt_num(d.n_effective, 1)} by "
                       f"{d.method.replace('_', ' ')} of the daily returns"),
            ("Probability of backtest overfitting (PBO)", f"{fmt_pct(p.pbo, 1)} (CSCV, {p.n_blocks} blocks, "
                                                          f"{p.n_splits:,} splits)"),
            ("Degradation fit", fmt_fit(p.intercept, p.slope, "IS Sharpe", "OOS Sharpe")),
            ("In-sample best loses out of sample", fmt_pct(p.prob_oos_loss, 1)),
        ]
        figs["pbo"] = charts.pbo_logit_histogram(p.logits, p.pbo)
        figs["is_oos"] = charts.is_oos_scatter(p.is_sharpe, p.oos_sharpe, p.slope, p.intercept)
    charts_html = {key: figure_html(fig, f"chart-sweep-{key.replace('_', '-')}") for key, fig in figs.items()}
    return {"title": title, "start": fmt_date(sweep.start), "end": fmt_date(sweep.end), "sessions": sweep.sessions,
            "combos": sweep.combos, "skipped": sweep.skipped, "valid": sweep.combos - sweep.skipped,
            "seconds": {k: fmt_num(v, 1) for k, v in sweep.seconds.items()}, "top": top, "n_top": len(top),
            "walk_forward": wf, "robustness": robust, "charts": charts_html,
            "plotly_js": plotly_js(figs.values(), plotlyjs),
            "version": __version__, "generated": generated_at(now)}


def render_sweep_html(sweep, title: str = "parameter sweep", now: datetime | None = None,
                      plotlyjs: str = "inline") -> str:
    """The sweep report as one HTML string."""
    return environment().get_template("sweep.html.j2").render(**sweep_context(sweep, title, now, plotlyjs))


def write_sweep_html(sweep, path: str | Path, title: str = "parameter sweep", plotlyjs: str = "inline") -> Path:
    """Write the HTML report of a :class:`~quantkit.backtest.SweepResult` (atomically; ``plotlyjs``
    as in :func:`write_html`)."""
    return write_page(path, render_sweep_html(sweep, title, plotlyjs=plotlyjs))
