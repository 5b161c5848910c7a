"""Standalone HTML page of a universe sweep (:class:`~quantkit.backtest.universe_sweep.UniverseSweep`).

Sections: summary (universe, grid, best-on-average combination, PBO across ETFs, rank
correlation), a heatmap of the median Sharpe across ETFs per short × long at the best
combination's band, the best combinations by mean Sharpe, the histogram of the chosen
combination's Sharpe across ETFs (buy & hold overlaid), and the per-ETF best cells. One file that
opens offline, rendered with the helpers of :mod:`quantkit.report.html`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from quantkit.display import fmt_date, fmt_num, fmt_pct
from quantkit.report.html import environment, figure_html, generated_at, plotly_js, write_page

TOP = 25


def _combo(short, long, band) -> str:
    return f"{int(short)} / {int(long)} / {fmt_pct(band, 1)}"


def universe_sweep_context(res, title: str | None = None, now: datetime | None = None,
                           plotlyjs: str = "inline") -> dict:
    """What the universe sweep template shows, charts rendered to HTML fragments."""
    from quantkit import __version__
    from quantkit.report import charts

    best = res.best
    head = res.summary.iloc[0]
    top = [{"combo": _combo(r.short, r.long, r.band), "etfs": int(r.etfs), "mean": fmt_num(r.sharpe_mean),
            "median": fmt_num(r.sharpe_median), "q1": fmt_num(r.sharpe_q1), "q3": fmt_num(r.sharpe_q3),
            "beats": fmt_pct(r.beats_buy_hold, 0), "top": fmt_pct(r.top_decile, 0),
            "annual": fmt_pct(r.annual_return_median), "mdd": fmt_pct(r.max_drawdown_median)}
           for r in res.summary.head(TOP).itertuples()]
    etfs = [{"symbol": r.symbol, "window": f"{fmt_date(r.start)} to {fmt_date(r.end)}", "sessions": int(r.sessions),
             "bh": fmt_num(r.buy_hold_sharpe), "best": _combo(r.best_short, r.best_long, r.best_band),
             "best_sharpe": fmt_num(r.best_sharpe), "chosen": fmt_num(r.chosen_sharpe)}
            for r in res.etfs.itertuples()]
    chosen = res.etfs.set_index("symbol")
    figs = {"heatmap": charts.universe_heatmap(res.summary, best["band"]),
            "histogram": charts.sharpe_histogram(chosen["chosen_sharpe"], chosen["buy_hold_sharpe"],
                                                 f"Sharpe of {_combo(**best)} across ETFs")}
    pbo = None if res.pbo is None else {"value": fmt_pct(res.pbo.pbo, 0), "blocks": res.pbo.n_blocks,
                                        "splits": res.pbo.n_splits}
    grid = {k: ", ".join(fmt_pct(v, 1) if k == "band" else str(v) for v in values) for k, values in res.grid.items()}
    return {"title": title or f"{res.strategy} sweep across {len(res.etfs)} ETFs", "n_etfs": len(res.etfs),
            "n_combos": len(res.summary), "grid": grid, "best": _combo(**best),
            "best_median": fmt_num(head.sharpe_median), "best_beats": fmt_pct(head.beats_buy_hold, 0),
            "pbo": pbo, "rank_correlation": fmt_num(res.rank_correlation), "skipped": res.skipped,
            "top": top, "etfs": etfs, "engine": res.engine, "seconds": fmt_num(res.seconds["total"], 1),
            "charts": {k: figure_html(f, f"chart-universe-{k}") for k, f in figs.items()},
            "plotly_js": plotly_js(figs.values(), plotlyjs), "version": __version__, "generated": generated_at(now)}


def render_universe_sweep_html(res, title: str | None = None, now: datetime | None = None,
                               plotlyjs: str = "inline") -> str:
    """The universe sweep page as one HTML string."""
    return environment().get_template("universe_sweep.html.j2").render(
        **universe_sweep_context(res, title, now, plotlyjs))


def write_universe_sweep_html(res, path: str | Path, title: str | None = None, plotlyjs: str = "inline") -> Path:
    """Write the universe sweep page to ``path`` (atomically; ``plotlyjs`` as in
    :func:`~quantkit.report.html.write_html`); returns the path."""
    return write_page(path, render_universe_sweep_html(res, title, plotlyjs=plotlyjs))
