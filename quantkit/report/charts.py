"""Plotly figure builders of the reports: each a small function of plain pandas inputs.

Conventions: fractions are decimals in the inputs and shown as percentages on the axes; dates
are the index of the series given. Colours: green for up / positive, red for down / negative,
grey for range (the report is read in English). Every user-visible label that comes from data
(ETF and strategy names) goes through :func:`label`, so text such as ``<b>`` is shown as typed:
plotly renders a subset of HTML in labels and decodes entities.

plotly is imported inside the functions only (``quantkit signal`` never imports this module).
"""

from __future__ import annotations

import html
import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from quantkit.backtest.metrics import rolling_sharpe, rolling_volatility
from quantkit.display import fmt_fit
from quantkit.indicators import carry_forward
from quantkit.models.rotation import QUADRANT_NAMES

STRATEGY_COLOR = "#1f4e79"
BENCHMARK_COLOR = "#8c96a3"
UP, RANGE, DOWN = "#2e8540", "#8c8c8c", "#c8313e"
REGIME_FILL = {"up": "rgba(46,133,64,0.13)", "range": "rgba(140,140,140,0.10)", "down": "rgba(200,49,62,0.13)"}
REGIME_SWATCH = {"up": "rgba(46,133,64,0.45)", "range": "rgba(140,140,140,0.40)", "down": "rgba(200,49,62,0.45)"}
VALUATION_COLOR = {"low": "#3b7dd8", "normal": "#d9cfa7", "high": "#e07b24"}
QUADRANT_COLOR = {1: "#e07b24", 2: "#2e8540", 3: "#3b7dd8", 4: "#c8313e"}
FONT = ("-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'PingFang SC', 'Hiragino Sans GB', "
        "'Microsoft YaHei', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif")
QUALITATIVE = ("#1f4e79", "#e07b24", "#2e8540", "#c8313e", "#7b4fa8", "#8c564b", "#d16ba5", "#5a6b7b",
               "#b5a000", "#17a2b8", "#6c9a2b", "#a34d4d")


def _go():
    import plotly.graph_objects as go

    return go


def label(text: Any) -> str:
    """Data text for a plotly label: HTML-escaped so that plotly shows it literally."""
    return html.escape("" if text is None else str(text), quote=False)


def symbol_label(symbol: str, names: Mapping[str, str] | None = None) -> str:
    """``562800 稀有金属ETF`` (escaped), or the code alone when the name is unknown."""
    name = (names or {}).get(symbol, "")
    return label(f"{symbol} {name}".strip())


def _layout(fig, title: str, height: int = 380, yformat: str | None = None, legend: bool = True) -> Any:
    """Common look: white template, compact margins, CJK-capable fonts, horizontal legend on top."""
    fig.update_layout(
        template="plotly_white", height=height, title=dict(text=title, x=0.01, xanchor="left", font_size=15),
        font=dict(family=FONT, size=12, color="#1d2733"), margin=dict(l=60, r=24, t=56, b=40),
        hovermode="x unified", showlegend=legend,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0, bgcolor="rgba(0,0,0,0)"))
    if yformat:
        fig.update_yaxes(tickformat=yformat)
    return fig


def regime_segments(regime: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    """Runs of equal regime as ``(start, end, regime)``; ``end`` is the next run's start (or the last date).

    Missing regimes (insufficient history) break runs and are not returned.
    """
    values = [r if isinstance(r, str) else None for r in regime.to_numpy()]
    dates = regime.index
    out: list[tuple[pd.Timestamp, pd.Timestamp, str]] = []
    i, n = 0, len(values)
    while i < n:
        j = i
        while j + 1 < n and values[j + 1] == values[i]:
            j += 1
        if values[i] is not None:
            out.append((dates[i], dates[j + 1] if j + 1 < n else dates[j], values[i]))
        i = j + 1
    return out


def add_regime_shading(fig, regime: pd.Series, legend: bool = True) -> Any:
    """Background rectangles per regime run (up/range/down) and legend swatches for them."""
    go = _go()
    shapes = [dict(type="rect", xref="x", yref="paper", x0=s, x1=e, y0=0, y1=1, fillcolor=REGIME_FILL[r],
                   line=dict(width=0), layer="below") for s, e, r in regime_segments(regime) if r in REGIME_FILL]
    fig.update_layout(shapes=list(fig.layout.shapes or ()) + shapes)
    if legend:
        for name, color in REGIME_SWATCH.items():
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"regime {name}", hoverinfo="skip",
                                     marker=dict(symbol="square", size=12, color=color)))
    return fig


def log_toggle(fig, y: float = 1.01) -> Any:
    """Linear / log buttons for the y axis."""
    fig.update_layout(updatemenus=[dict(
        type="buttons", direction="left", x=0.0, xanchor="left", y=y, yanchor="bottom", showactive=True,
        pad=dict(r=4, t=0), font=dict(size=11),
        buttons=[dict(label="Linear", method="relayout", args=[{"yaxis.type": "linear"}]),
                 dict(label="Log", method="relayout", args=[{"yaxis.type": "log"}])])])
    return fig


def equity_figure(equity: pd.Series, benchmark: pd.Series | None = None, regime: pd.Series | None = None,
                  strategy: str = "strategy", benchmark_name: str = "benchmark") -> Any:
    """Equity (CNY) of the strategy and its benchmark, log-scale toggle, regime shading when given."""
    go = _go()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=equity.index, y=equity.to_numpy(), name=label(strategy), mode="lines",
                             line=dict(color=STRATEGY_COLOR, width=2), hovertemplate="%{y:,.0f}"))
    if benchmark is not None:
        fig.add_trace(go.Scatter(x=benchmark.index, y=benchmark.to_numpy(), name=label(benchmark_name),
                                 mode="lines", line=dict(color=BENCHMARK_COLOR, width=1.5),
                                 hovertemplate="%{y:,.0f}"))
    if regime is not None and regime.notna().any():
        add_regime_shading(fig, carry_forward(regime.astype(object), pd.DatetimeIndex(equity.index)))
    _layout(fig, "Equity (CNY) vs benchmark", height=440)
    fig.update_layout(margin=dict(t=80))
    fig.update_yaxes(tickformat=",.0f")
    return log_toggle(fig)


def trades_figure(close: pd.Series, trades: pd.DataFrame, name: str = "") -> Any:
    """Close price with the executed buys (▲) and sells (▼) at their fill prices."""
    go = _go()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=close.index, y=close.to_numpy(), name=label(name or "close"), mode="lines",
                             line=dict(color="#44546a", width=1.3), hovertemplate="%{y:.3f}"))
    for side, symbol, color in (("buy", "triangle-up", UP), ("sell", "triangle-down", DOWN)):
        part = trades[trades["side"] == side] if len(trades) else trades
        if len(part) == 0:
            continue
        custom = np.column_stack([part["shares"].to_numpy(dtype=float), part["value"].to_numpy(dtype=float)])
        fig.add_trace(go.Scatter(
            x=part["date"], y=part["price"].to_numpy(dtype=float), mode="markers", name=side,
            marker=dict(symbol=symbol, size=10, color=color, line=dict(width=0.8, color="white")),
            customdata=custom,
            hovertemplate=f"{side} %{{customdata[0]:,.0f}} shares at %{{y:.3f}} (%{{customdata[1]:,.0f}} CNY)"
                          "<extra></extra>"))
    return _layout(fig, "Price and trades (fills at execution price)", height=400)


def drawdown_figure(drawdown: pd.Series, benchmark_drawdown: pd.Series | None = None,
                    strategy: str = "strategy", benchmark_name: str = "benchmark") -> Any:
    """Underwater chart: drawdown below the running peak (negative fractions)."""
    go = _go()
    fig = go.Figure()
    if benchmark_drawdown is not None:
        fig.add_trace(go.Scatter(x=benchmark_drawdown.index, y=benchmark_drawdown.to_numpy(),
                                 name=label(benchmark_name), mode="lines",
                                 line=dict(color=BENCHMARK_COLOR, width=1.2), hovertemplate="%{y:.2%}"))
    fig.add_trace(go.Scatter(x=drawdown.index, y=drawdown.to_numpy(), name=label(strategy), mode="lines",
                             fill="tozeroy", fillcolor="rgba(200,49,62,0.25)", line=dict(color=DOWN, width=1.2),
                             hovertemplate="%{y:.2%}"))
    return _layout(fig, "Drawdown (underwater)", height=320, yformat=".0%")


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    """Compounded return per calendar month: rows years, columns 1–12 (NaN where no session)."""
    r = returns.astype(float)
    grouped = (1.0 + r).groupby([r.index.year, r.index.month]).prod() - 1.0
    table = grouped.unstack(level=1)
    table.index.name, table.columns.name = "year", "month"
    return table.reindex(columns=range(1, 13))


def yearly_returns(returns: pd.Series) -> pd.Series:
    """Compounded return per calendar year (decimal)."""
    r = returns.astype(float)
    return (1.0 + r).groupby(r.index.year).prod() - 1.0


def monthly_heatmap(returns: pd.Series, title: str = "Monthly returns (%)", limit: float | None = None) -> Any:
    """Year × month heatmap of compounded monthly returns, values printed in the cells; the colour
    scale spans ±``limit`` (decimal; default the largest absolute month) so two heatmaps can share it."""
    go = _go()
    table = monthly_returns(returns)
    z = table.to_numpy(dtype=float)
    text = [["" if math.isnan(v) else f"{v * 100 + 0.0:.1f}".replace("-0.0", "0.0") for v in row] for row in z]
    lim = limit or (float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 0.1)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    fig = go.Figure(go.Heatmap(
        z=z, x=months, y=[str(y) for y in table.index], text=text, texttemplate="%{text}", textfont=dict(size=11),
        colorscale=[[0.0, DOWN], [0.5, "#f7f7f7"], [1.0, UP]], zmin=-lim, zmax=lim, zmid=0.0, xgap=2, ygap=2,
        colorbar=dict(tickformat=".0%", thickness=10, len=0.9), hovertemplate="%{y} %{x}: %{z:.2%}<extra></extra>"))
    _layout(fig, label(title), height=max(220, 60 + 30 * len(table)), legend=False)
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def yearly_figure(returns: pd.Series, benchmark_returns: pd.Series | None = None, strategy: str = "strategy",
                  benchmark_name: str = "benchmark") -> Any:
    """Calendar-year returns of the strategy next to the benchmark's (partial first/last years included)."""
    go = _go()
    fig = go.Figure()
    series = [(strategy, yearly_returns(returns), STRATEGY_COLOR)]
    if benchmark_returns is not None:
        series.append((benchmark_name, yearly_returns(benchmark_returns), BENCHMARK_COLOR))
    for name, values, color in series:
        fig.add_trace(go.Bar(x=[str(y) for y in values.index], y=values.to_numpy(), name=label(name),
                             marker_color=color, text=[f"{v * 100:.1f}%" for v in values], textposition="outside",
                             textfont=dict(size=10), hovertemplate="%{y:.2%}"))
    _layout(fig, "Calendar-year returns vs benchmark", height=340, yformat=".0%")
    fig.update_layout(barmode="group", hovermode="x")
    fig.update_xaxes(type="category")
    return fig


def exposure_figure(exposure: pd.Series, target: pd.Series | None = None) -> Any:
    """Invested share of equity at each close, with the target weight decided at each close (step)."""
    go = _go()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=exposure.index, y=exposure.to_numpy(), name="actual exposure", mode="lines",
                             fill="tozeroy", fillcolor="rgba(31,78,121,0.15)", line=dict(color=STRATEGY_COLOR, width=1.2),
                             hovertemplate="%{y:.1%}"))
    if target is not None and target.notna().any():
        fig.add_trace(go.Scatter(x=target.index, y=target.to_numpy(), name="target weight", mode="lines",
                                 line=dict(color="#e07b24", width=1.5, dash="dot", shape="hv"),
                                 hovertemplate="%{y:.1%}"))
    _layout(fig, "Exposure and target weight", height=300, yformat=".0%")
    fig.update_yaxes(range=[0, 1.05])
    return fig


def rolling_figure(returns: pd.Series, benchmark_returns: pd.Series | None = None, window: int = 121,
                   strategy: str = "strategy", benchmark_name: str = "benchmark", rf: float = 0.0) -> Any:
    """Rolling Sharpe (top) and annualised volatility (bottom) over ``window`` sessions (121 ≈ 6 months)."""
    go = _go()
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=(f"Sharpe ratio, {window} sessions (blank when mostly in cash)", f"Volatility (annualised), {window} sessions"))
    series = [(strategy, returns, STRATEGY_COLOR, 1.8)]
    if benchmark_returns is not None:
        series.append((benchmark_name, benchmark_returns, BENCHMARK_COLOR, 1.2))
    for i, (name, r, color, width) in enumerate(series):
        common = dict(mode="lines", line=dict(color=color, width=width), legendgroup=str(i))
        fig.add_trace(go.Scatter(x=r.index, y=rolling_sharpe(r, window, rf=rf).to_numpy(), name=label(name),
                                 hovertemplate="%{y:.2f}", **common), row=1, col=1)
        fig.add_trace(go.Scatter(x=r.index, y=rolling_volatility(r, window).to_numpy(), name=label(name),
                                 showlegend=False, hovertemplate="%{y:.1%}", **common), row=2, col=1)
    fig.add_hline(y=0, line=dict(color="#555", width=0.8), row=1, col=1)
    _layout(fig, "Rolling risk and return", height=460)
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    fig.update_annotations(font_size=12)
    return fig


def rolling_beta_figure(returns: pd.Series, benchmark_returns: pd.Series, window: int = 121,
                        benchmark_name: str = "benchmark") -> Any:
    """Rolling OLS beta of the daily returns on the benchmark's over ``window`` sessions."""
    from quantkit.backtest.distribution import rolling_beta

    go = _go()
    beta = rolling_beta(returns, benchmark_returns, window)
    fig = go.Figure(go.Scatter(x=beta.index, y=beta.to_numpy(), mode="lines", name="beta",
                               line=dict(color=STRATEGY_COLOR, width=1.6), hovertemplate="%{y:.2f}"))
    fig.add_hline(y=1, line=dict(color=BENCHMARK_COLOR, width=1, dash="dash"))
    fig.add_hline(y=0, line=dict(color="#555", width=0.8))
    return _layout(fig, f"Rolling beta vs {label(benchmark_name)}, {window} sessions", height=300, legend=False)


def return_histogram(returns: pd.Series, bins: int = 80) -> Any:
    """Histogram (density) of the daily returns of the sessions with a non-zero return, with the normal
    density of their mean and standard deviation; the count of flat sessions left out is in the title."""
    go = _go()
    r = returns.astype(float).dropna()
    flat = int((r == 0).sum())
    r = r[r != 0]
    mu, sd = float(r.mean()), float(r.std(ddof=1))
    fig = go.Figure(go.Histogram(x=r.to_numpy(), nbinsx=bins, histnorm="probability density", name="daily returns",
                                 marker=dict(color=STRATEGY_COLOR, line=dict(width=0)), opacity=0.75,
                                 hovertemplate="%{x}: density %{y:.1f}<extra></extra>"))
    if sd > 0:
        x = np.linspace(float(r.min()), float(r.max()), 301)
        pdf = np.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
        fig.add_trace(go.Scatter(x=x, y=pdf, mode="lines", name=f"normal (mean {mu:.2%}, sd {sd:.2%})",
                                 line=dict(color="#e07b24", width=2), hoverinfo="skip"))
    _layout(fig, f"Daily returns on {len(r):,} sessions with a non-zero return ({flat:,} flat left out)",
            height=340)
    fig.update_layout(hovermode="closest", bargap=0.02)
    fig.update_xaxes(tickformat=".0%", title_text="daily return")
    fig.update_yaxes(title_text="density")
    return fig


def interval_figure(intervals: Mapping[str, Any], confidence: float = 0.95) -> Any:
    """Point estimates with bootstrap confidence intervals as error bars: ratios (left), fractions (right).

    ``intervals`` maps ``sharpe``, ``sharpe_difference``, ``cagr``, ``max_drawdown`` to objects with
    ``estimate``, ``lower`` and ``upper`` (missing names are left out).
    """
    go = _go()
    from plotly.subplots import make_subplots

    panels = ((("sharpe", "Sharpe"), ("sharpe_difference", "Sharpe − benchmark")),
              (("cagr", "CAGR"), ("max_drawdown", "Max drawdown")))
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("Ratios", "Annual return and drawdown"))
    for col, panel in enumerate(panels, start=1):
        shown = [(name, text) for name, text in panel if name in intervals]
        if not shown:
            continue
        est = np.array([intervals[n].estimate for n, _ in shown], dtype=float)
        lo = np.array([intervals[n].lower for n, _ in shown], dtype=float)
        hi = np.array([intervals[n].upper for n, _ in shown], dtype=float)
        fmt = ".2f" if col == 1 else ".1%"
        fig.add_trace(go.Scatter(
            x=[t for _, t in shown], y=est, mode="markers", name="estimate", showlegend=col == 1,
            marker=dict(size=11, color=STRATEGY_COLOR),
            error_y=dict(type="data", symmetric=False, array=hi - est, arrayminus=est - lo, color=STRATEGY_COLOR,
                         thickness=1.6, width=8),
            customdata=np.column_stack([lo, hi]),
            hovertemplate=f"%{{x}}: %{{y:{fmt}}} [%{{customdata[0]:{fmt}}}, %{{customdata[1]:{fmt}}}]<extra></extra>"),
            row=1, col=col)
        fig.add_hline(y=0, line=dict(color="#555", width=0.8), row=1, col=col)
    _layout(fig, f"{confidence:.0%} stationary-bootstrap intervals", height=320, legend=False)
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_annotations(font_size=12)
    return fig


def distance_figure(distance: pd.Series, band: float = 0.03, regime: pd.Series | None = None,
                    title: str = "MA distance (MA short / MA long − 1)") -> Any:
    """MA distance (decimal) with the ±band lines and zero; regime shading when given."""
    go = _go()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=distance.index, y=distance.to_numpy(), name="distance", mode="lines",
                             line=dict(color=STRATEGY_COLOR, width=1.4), hovertemplate="%{y:.2%}"))
    for level, text, color in ((band, f"+{band:.0%} up", UP), (-band, f"−{band:.0%} down", DOWN)):
        fig.add_hline(y=level, line=dict(color=color, width=1.2, dash="dash"),
                      annotation=dict(text=text, font_size=10, font_color=color), annotation_position="top left")
    fig.add_hline(y=0, line=dict(color="#555", width=0.8))
    if regime is not None and regime.notna().any():
        add_regime_shading(fig, regime.astype(object).reindex(distance.index), legend=False)
    return _layout(fig, label(title), height=320, yformat=".0%", legend=False)


def profit_effect_figure(effect: pd.Series) -> Any:
    """Profit effect (close / trend line − 1), positive area green and negative red."""
    go = _go()
    e = effect.astype(float)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=e.index, y=e.clip(lower=0).to_numpy(), name="positive", mode="lines", fill="tozeroy",
                             line=dict(color=UP, width=0.8), fillcolor="rgba(46,133,64,0.35)", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=e.index, y=e.clip(upper=0).to_numpy(), name="negative", mode="lines", fill="tozeroy",
                             line=dict(color=DOWN, width=0.8), fillcolor="rgba(200,49,62,0.35)", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=e.index, y=e.to_numpy(), name="profit effect", mode="lines",
                             line=dict(color="#333", width=0.8), hovertemplate="%{y:.2%}"))
    return _layout(fig, "Profit effect (close / trend line − 1); negative demotes up → range", height=300,
                   yformat=".0%", legend=False)


def percentiles_figure(pe_pct: pd.Series, pb_pct: pd.Series | None = None, low: float = 0.35,
                       high: float = 0.80) -> Any:
    """PE and PB expanding percentiles (fractions) with the low/high thresholds of the valuation state."""
    go = _go()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=pe_pct.index, y=pe_pct.to_numpy(), name="PE percentile", mode="lines",
                             line=dict(color="#7b4fa8", width=1.5), hovertemplate="%{y:.1%}"))
    if pb_pct is not None and pb_pct.notna().any():
        fig.add_trace(go.Scatter(x=pb_pct.index, y=pb_pct.to_numpy(), name="PB percentile", mode="lines",
                                 line=dict(color="#e07b24", width=1.5), hovertemplate="%{y:.1%}"))
    fig.add_hline(y=low, line=dict(color=VALUATION_COLOR["low"], width=1.1, dash="dash"),
                  annotation=dict(text=f"low: mean < {low:.0%}", font_size=10), annotation_position="bottom left")
    fig.add_hline(y=high, line=dict(color=VALUATION_COLOR["high"], width=1.1, dash="dash"),
                  annotation=dict(text=f"high: min > {high:.0%}", font_size=10), annotation_position="top left")
    _layout(fig, "Valuation percentiles (expanding, no look-ahead)", height=320, yformat=".0%")
    fig.update_yaxes(range=[0, 1.02])
    return fig


def _codes(values: Iterable[Any], order: Sequence[str]) -> list[float]:
    lookup = {v: i for i, v in enumerate(order)}
    return [float(lookup[v]) if isinstance(v, str) and v in lookup else float("nan") for v in values]


def _discrete_scale(colors: Sequence[str]) -> list[list]:
    n = len(colors)
    scale: list[list] = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def position_state_figure(position: pd.Series, trend: pd.Series, valuation: pd.Series) -> Any:
    """Position of the matrix over time (step line) above the trend and valuation states (colour bands)."""
    go = _go()
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.06)
    fig.add_trace(go.Scatter(x=position.index, y=position.to_numpy(), name="matrix position", mode="lines",
                             line=dict(color=STRATEGY_COLOR, width=1.6, shape="hv"), fill="tozeroy",
                             fillcolor="rgba(31,78,121,0.12)", hovertemplate="%{y:.0%}"), row=1, col=1)
    order = ["up", "range", "down", "low", "normal", "high"]
    colors = [UP, "#b9b9b9", DOWN, VALUATION_COLOR["low"], VALUATION_COLOR["normal"], VALUATION_COLOR["high"]]
    t_codes, v_codes = _codes(trend, order), _codes(valuation, order)
    text = [[str(x) if isinstance(x, str) else "-" for x in trend], [str(x) if isinstance(x, str) else "-" for x in valuation]]
    fig.add_trace(go.Heatmap(x=position.index, y=["trend", "valuation"], z=[t_codes, v_codes], text=text,
                             zmin=-0.5, zmax=len(order) - 0.5, colorscale=_discrete_scale(colors), showscale=False,
                             hovertemplate="%{y}: %{text}<extra></extra>"), row=2, col=1)
    _layout(fig, "Position matrix state: trend (green up · grey range · red down) × valuation "
                 "(blue low · beige normal · orange high)", height=400, legend=False)
    fig.update_yaxes(tickformat=".0%", range=[0, 1], row=1, col=1)
    fig.update_yaxes(autorange="reversed", row=2, col=1)
    return fig


def quadrant_scatter(table: pd.DataFrame, names: Mapping[str, str] | None = None, median: float | None = None,
                     held: Iterable[str] = (), title: str = "Rise vs crowding") -> Any:
    """Rise (y, decimal) versus crowding (x, fraction) of each placed ETF, labelled with names.

    Lines at the cross-sectional median rise and at crowding 0.5 split the four quadrants; ETFs in
    ``held`` get a black ring. Rows without a quadrant are left out (their reason is tabulated).
    """
    go = _go()
    placed = table[table["quadrant"].notna()] if "quadrant" in table else table.iloc[0:0]
    held = set(held)
    if median is None:
        median = float(placed["rise"].median()) if len(placed) else 0.0
    fig = go.Figure()
    for q in (1, 2, 3, 4):
        part = placed[placed["quadrant"].astype("float") == q]
        if part.empty:
            continue
        text = [label((names or {}).get(s, "") or s) for s in part.index]
        hover = [symbol_label(s, names) for s in part.index]
        fig.add_trace(go.Scatter(
            x=part["crowding"].to_numpy(dtype=float), y=part["rise"].to_numpy(dtype=float), mode="markers+text",
            name=QUADRANT_NAMES[q], text=text, textposition="top center", textfont=dict(size=10),
            customdata=hover, hovertemplate="%{customdata}<br>rise %{y:.1%} · crowding %{x:.2f}<extra></extra>",
            marker=dict(size=[14 if s in held else 9 for s in part.index], color=QUADRANT_COLOR[q], opacity=0.9,
                        line=dict(width=[2.5 if s in held else 0.5 for s in part.index],
                                  color=["#111" if s in held else "white" for s in part.index]))))
    fig.add_vline(x=0.5, line=dict(color="#555", width=1, dash="dash"))
    fig.add_hline(y=median, line=dict(color="#555", width=1, dash="dash"),
                  annotation=dict(text=f"median rise {median:.1%}", font_size=10), annotation_position="bottom right")
    for q, (x, y, xa, ya) in {1: (0.99, 0.99, "right", "top"), 2: (0.01, 0.99, "left", "top"),
                              3: (0.01, 0.01, "left", "bottom"), 4: (0.99, 0.01, "right", "bottom")}.items():
        fig.add_annotation(x=x, y=y, xref="paper", yref="paper", xanchor=xa, yanchor=ya, showarrow=False,
                           text=f"<b>{QUADRANT_NAMES[q]}</b>", font=dict(size=11, color=QUADRANT_COLOR[q]),
                           bgcolor="rgba(255,255,255,0.7)")
    _layout(fig, label(title), height=560)
    fig.update_layout(hovermode="closest", legend=dict(y=-0.12, yanchor="top", x=0.5, xanchor="center"),
                      margin=dict(b=80))
    fig.update_xaxes(title_text="crowding (0 = least crowded in its history, 1 = most)", range=[-0.03, 1.03])
    rises = placed["rise"].astype(float)
    if len(rises):
        lo, hi = float(min(rises.min(), median)), float(max(rises.max(), median))
        pad = 0.12 * (hi - lo or 1.0)
        fig.update_yaxes(range=[lo - pad, hi + pad])
    fig.update_yaxes(title_text="rise", tickformat=".0%")
    return fig


def flow_scatter(rows: Iterable[Mapping[str, Any]], names: Mapping[str, str] | None = None,
                 title: str = "Net creation vs return") -> Any:
    """Net creation flow (x, 亿元 from CNY) versus the return over the same sessions (y, decimal), one labelled point per ETF."""
    go = _go()
    rows = [r for r in rows if r.get("flow_20d") is not None and r.get("return_20d") is not None]
    fig = go.Figure(go.Scatter(
        x=[r["flow_20d"] / 1e8 for r in rows], y=[r["return_20d"] for r in rows], mode="markers+text",
        text=[label((names or {}).get(r["symbol"], "") or r["symbol"]) for r in rows], textposition="top center",
        textfont=dict(size=10), customdata=[f"{symbol_label(r['symbol'], names)} (to {r['flow_date']})" for r in rows],
        hovertemplate="%{customdata}<br>flow %{x:,.2f} 亿元 · return %{y:.1%}<extra></extra>",
        marker=dict(size=9, color=[QUADRANT_COLOR[2] if r["flow_20d"] >= 0 else QUADRANT_COLOR[4] for r in rows],
                    opacity=0.85),
        showlegend=False))
    fig.add_vline(x=0, line=dict(color="#555", width=1, dash="dash"))
    fig.add_hline(y=0, line=dict(color="#555", width=1, dash="dash"))
    _layout(fig, label(title), height=480, legend=False)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title_text="net creation (亿元, + creation / − redemption)")
    fig.update_yaxes(title_text="return over the same sessions", tickformat=".0%")
    return fig


def holdings_figure(weights: pd.DataFrame, names: Mapping[str, str] | None = None) -> Any:
    """Stacked area of the actual weight of each symbol ever held (decimal share of equity).

    Over a year (243 sessions) the weights are shown at the last session of each week, which keeps
    the page small; shorter windows show every session."""
    go = _go()
    from plotly.colors import qualitative

    if len(weights) > 243:
        iso = weights.index.isocalendar()
        weights = weights.groupby([iso["year"].to_numpy(), iso["week"].to_numpy()], sort=False).tail(1)
    held = [c for c in weights.columns if (weights[c].fillna(0) > 1e-9).any()]
    palette = list(QUALITATIVE) if len(held) <= len(QUALITATIVE) else list(qualitative.Dark24) + list(qualitative.Light24)
    fig = go.Figure()
    for i, sym in enumerate(held):
        color = palette[i % len(palette)]
        fig.add_trace(go.Scatter(x=weights.index, y=weights[sym].fillna(0).to_numpy(), name=symbol_label(sym, names),
                                 mode="lines", stackgroup="one", line=dict(width=0.4, color=color), fillcolor=color,
                                 hovertemplate="%{y:.1%}"))
    _layout(fig, "Holdings over time (share of equity)", height=460, yformat=".0%")
    fig.update_layout(hovermode="x", legend=dict(orientation="v", y=1, yanchor="top", x=1.01, xanchor="left",
                                                 font_size=10), margin=dict(r=180))
    fig.update_yaxes(range=[0, 1.02])
    return fig


def sweep_heatmap(table: pd.DataFrame, metric: str = "sharpe", psr_level: float | None = 0.95) -> Any:
    """Best ``metric`` over bands for each short × long pair of a timing sweep (rows short, columns long).

    With a ``psr`` column in ``table``, cells whose best combination has a PSR below ``psr_level``
    are crossed out (× marker): their Sharpe ratio is not distinguishable from 0 at that level.
    """
    go = _go()
    best_rows = table.sort_values(metric, ascending=False, kind="stable", na_position="last") \
        .drop_duplicates(["short", "long"])
    best = best_rows.set_index(["short", "long"])[metric].unstack("long").sort_index()
    z = best.to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(c) for c in best.columns], y=[str(i) for i in best.index], colorscale="RdYlGn",
        zmid=0.0 if np.nanmin(z) < 0 < np.nanmax(z) else None, colorbar=dict(thickness=10, title=metric),
        hovertemplate="short %{y} · long %{x}: %{z:.2f}<extra></extra>"))
    title = f"Best {metric} over bands per short × long window"
    if psr_level is not None and "psr" in best_rows:
        weak = best_rows[best_rows["psr"] < psr_level]
        if len(weak):
            fig.add_trace(go.Scatter(
                x=weak["long"].astype(int).astype(str), y=weak["short"].astype(int).astype(str), mode="markers",
                marker=dict(symbol="x-thin", size=7, line=dict(width=1.2, color="rgba(40,40,40,0.7)")),
                customdata=weak["psr"].to_numpy(dtype=float), name=f"PSR < {psr_level:.0%}",
                hovertemplate="short %{y} · long %{x}: PSR %{customdata:.1%}<extra></extra>"))
        title += f" (× PSR < {psr_level:.0%})"
    _layout(fig, title, height=max(320, 80 + 18 * len(best)), legend=False)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title_text="long window (sessions)", type="category")
    fig.update_yaxes(title_text="short window (sessions)", type="category")
    return fig


def pbo_logit_histogram(logits: np.ndarray, pbo: float) -> Any:
    """Histogram of the CSCV logits λ of the in-sample best; the share at λ ≤ 0 is the PBO."""
    go = _go()
    lam = np.asarray(logits, dtype=float)
    fig = go.Figure()
    bins = dict(start=float(np.floor(lam.min())) if lam.size else 0.0, size=max(float(np.ptp(lam)) / 50, 0.05)
                if lam.size else 0.1)
    for part, color, name in ((lam[lam <= 0], DOWN, "λ ≤ 0 (overfit)"), (lam[lam > 0], UP, "λ > 0")):
        if part.size:
            fig.add_trace(go.Histogram(x=part, name=name, marker_color=color, opacity=0.8, xbins=bins,
                                       hovertemplate="λ %{x}: %{y} splits<extra></extra>"))
    fig.add_vline(x=0, line=dict(color="#555", width=1, dash="dash"))
    _layout(fig, f"PBO {pbo:.1%}: logits of the in-sample best's OOS rank", height=360)
    fig.update_layout(legend=dict(y=-0.3, yanchor="top", x=0.5, xanchor="center"), margin=dict(b=90),
                      barmode="overlay", hovermode="closest")
    fig.update_xaxes(title_text="λ = ln(ω / (1 − ω)), ω the relative out-of-sample rank")
    fig.update_yaxes(title_text="splits")
    return fig


def is_oos_scatter(is_sharpe: np.ndarray, oos_sharpe: np.ndarray, slope: float, intercept: float) -> Any:
    """In-sample Sharpe of each split's best combination against its out-of-sample Sharpe, with the OLS fit."""
    go = _go()
    x, y = np.asarray(is_sharpe, dtype=float), np.asarray(oos_sharpe, dtype=float)
    fig = go.Figure(go.Scatter(x=x, y=y, mode="markers", name="split",
                               marker=dict(size=4, color=STRATEGY_COLOR, opacity=0.35),
                               hovertemplate="IS %{x:.2f} · OOS %{y:.2f}<extra></extra>"))
    if np.isfinite(slope) and x.size:
        grid = np.array([x.min(), x.max()])
        fig.add_trace(go.Scatter(x=grid, y=intercept + slope * grid, mode="lines", name="OLS fit",
                                 line=dict(color="#e07b24", width=2), hoverinfo="skip"))
    fig.add_hline(y=0, line=dict(color="#555", width=0.8))
    _layout(fig, f"Sharpe per split: {fmt_fit(intercept, slope)}", height=360, legend=False)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title_text="in-sample Sharpe (best combination)")
    fig.update_yaxes(title_text="out-of-sample Sharpe")
    return fig


def lines_figure(series: Mapping[str, pd.Series], title: str = "", yformat: str | None = None) -> Any:
    """One line per named series (a generic chart for a model's report section); ``yformat`` e.g. ``.1%``."""
    go = _go()
    fig = go.Figure()
    for name, s in series.items():
        fig.add_trace(go.Scatter(x=s.index, y=s.astype(float), mode="lines", name=label(name)))
    return _layout(fig, title, yformat=yformat)


def universe_heatmap(summary: pd.DataFrame, band: float, metric: str = "sharpe_median") -> Any:
    """``metric`` of a universe sweep's summary per short × long pair at one ``band`` (rows short, columns long)."""
    go = _go()
    cells = summary[summary["band"] == band].pivot(index="short", columns="long", values=metric).sort_index()
    cells = cells[sorted(cells.columns)]
    z = cells.to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(c) for c in cells.columns], y=[str(i) for i in cells.index], colorscale="RdYlGn",
        zmid=0.0 if np.nanmin(z) < 0 < np.nanmax(z) else None, colorbar=dict(thickness=10, title="Sharpe"),
        hovertemplate="short %{y} · long %{x}: %{z:.2f}<extra></extra>"))
    _layout(fig, f"Median Sharpe across ETFs per short × long window, band {band:.1%}",
            height=max(320, 80 + 18 * len(cells)), legend=False)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title_text="long window (sessions)", type="category")
    fig.update_yaxes(title_text="short window (sessions)", type="category")
    return fig


def sharpe_histogram(sharpe: pd.Series, reference: pd.Series | None = None, title: str = "") -> Any:
    """Histogram of Sharpe ratios across ETFs, with an optional second series (e.g. buy & hold) overlaid."""
    go = _go()
    fig = go.Figure(go.Histogram(x=sharpe.astype(float), name="strategy", opacity=0.75, marker_color="#1f4e79",
                                 bingroup="sharpe"))
    if reference is not None:  # same bins for both
        fig.add_trace(go.Histogram(x=reference.astype(float), name="buy & hold", opacity=0.55, marker_color="#8c8c8c",
                                   bingroup="sharpe"))
    _layout(fig, title, height=340)
    fig.update_layout(barmode="overlay", hovermode="closest")
    fig.update_xaxes(title_text="Sharpe ratio (annualised)")
    fig.update_yaxes(title_text="ETFs")
    return fig
