"""Rendering of the weekly signal report: Markdown, standalone HTML and strict JSON text.

The report itself (a JSON-ready dict) is built by :mod:`quantkit.app.weekly`; this module only
renders it. Markdown and JSON are deterministic (no generation time); the HTML footer carries it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Iterable, Mapping

import pandas as pd

from quantkit.display import fmt_pct, json_text, number_or_none

QUADRANT_SHORT = {1: "Q1", 2: "Q2", 3: "Q3", 4: "Q4"}


def to_json(report: Mapping[str, Any]) -> str:
    """The report as strict, stable JSON text (UTF-8 names kept, trailing newline)."""
    return json_text(dict(report)) + "\n"


def sorted_watchlist(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows by quadrant (1–4, unplaced last), then by rise (highest first), then code."""
    def key(r: Mapping[str, Any]) -> tuple:
        rise = r.get("rise")
        return (r.get("quadrant") or 9, -(rise if rise is not None else -math.inf), r["symbol"])
    return sorted(rows, key=key)


def _md(text: Any) -> str:
    """Text safe inside a Markdown table cell: no markup, no HTML (``<`` ``>`` ``&`` as entities)."""
    text = str(text if text is not None else "—")
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\\", "\\\\"), ("|", "\\|"), ("\n", " "),
                      ("`", "\\`"), ("*", "\\*"), ("_", "\\_"), ("[", "\\["), ("]", "\\]")):
        text = text.replace(raw, safe)
    return text


def market_rows(m: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(label, value)`` rows of the market state for the Markdown and HTML outputs."""
    return [
        ("regime (MA20 / MA120 distance)", f"{m.get('regime') or 'insufficient history'} ({fmt_pct(m.get('distance'), signed=True)})"),
        ("profit effect (close / SMA30 − 1)", fmt_pct(m.get("profit_effect"), signed=True)),
        ("regime for sizing", m.get("effective_regime") or "—"),
        (f"PE / PB percentile ({m.get('valuation_index')})", f"{fmt_pct(m.get('pe_percentile'), 1)} / {fmt_pct(m.get('pb_percentile'), 1)}"),
        ("valuation", m.get("valuation") or "—"),
        ("suggested equity position", fmt_pct(m.get("position"), 0)),
    ]


def _yi(value: Any) -> str:
    """CNY as signed 亿元 with two decimals."""
    v = number_or_none(value)
    return "—" if v is None else f"{v / 1e8:+,.2f}"


def flows_note(flows: Mapping[str, Any] | None) -> str:
    """What the flows panel covers, in one sentence."""
    if not flows:
        return "No shares data."
    span = flows.get("shares_dates")
    cover = f"official shares cover {span[0]} to {span[1]}" if span else "no official shares stored"
    if not flows["rows"]:
        return f"No {flows['sessions']}-session flow is known up to this date ({cover})."
    dates = sorted({r["flow_date"] for r in flows["rows"]})
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    returns = sum(r["return_20d"] is not None for r in flows["rows"])
    return (f"Net creation (+) / redemption (−) over {flows['sessions']} sessions to {when} = Σ Δshares × close, "
            f"亿元, from official shares ({cover}); {len(flows['rows'])} of "
            f"{len(flows['rows']) + len(flows['missing'])} ETFs known, {returns} with closes over those sessions "
            "(the scatter).")


def flow_tables(flows: Mapping[str, Any]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """``(title, rows)`` of the largest creations and redemptions."""
    by_code = {r["symbol"]: r for r in flows["rows"]}
    return [(title, [by_code[c] for c in flows[key]]) for title, key in
            (("Largest net creations", "creations"), ("Largest net redemptions", "redemptions")) if flows[key]]


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown (deterministic: no generation time)."""
    m = report["market"]
    lines = [f"# Weekly signal report — {report['as_of']}", "",
             f"Universe: {len(report['universe'])} ETFs · market {m['index']} {m.get('name', '')} "
             f"(close {m['close']:,.2f} on {m['date']}) · quantkit {report['version']}", "",
             "## Market", "", "| | |", "|---|---|"]
    lines += [f"| {_md(k)} | {_md(v)} |" for k, v in market_rows(m)]
    lines += ["", "## Changes" + (f" since {report['previous_as_of']}" if report.get("previous_as_of") else ""), ""]
    if not report.get("previous_as_of"):
        lines.append("No earlier report in this folder to compare with.")
    elif not report.get("changes"):
        lines.append("No regime flip, quadrant move or position change.")
    else:
        lines += [f"- {_md(c['text'])}" for c in report["changes"]]
    lines += ["", "## Watchlist", "",
              f"Quadrants split at the median rise ({fmt_pct(report.get('rise_median'), 1)}) and crowding 0.5; "
              "rise over 243 sessions; week = last 5 sessions.", "",
              "| code | name | close | week | MA distance | regime | rise | crowding | quadrant |",
              "|---|---|--:|--:|--:|---|--:|--:|---|"]
    for r in sorted_watchlist(report["watchlist"]):
        quadrant = QUADRANT_SHORT.get(r["quadrant"], "—") if r["quadrant"] else (r.get("quadrant_reason") or "—")
        lines.append("| " + " | ".join(_md(x) for x in (
            r["symbol"], r["name"], "—" if r["close"] is None else f"{r['close']:.3f}", fmt_pct(r["week_return"], signed=True),
            fmt_pct(r["distance"], signed=True), r["regime"] or "—", fmt_pct(r["rise"], 1),
            "—" if r["crowding"] is None else f"{r['crowding']:.2f}", quadrant)) + " |")
    flows = report.get("flows")
    lines += ["", "## Flows", "", flows_note(flows)]
    for title, rows in flow_tables(flows) if flows else []:
        lines += ["", f"{title}:", "", "| code | name | flow 亿元 | to | return | scale 亿元 |", "|---|---|--:|---|--:|--:|"]
        lines += ["| " + " | ".join(_md(x) for x in (r["symbol"], r["name"], _yi(r["flow_20d"]), r["flow_date"],
                                                      fmt_pct(r["return_20d"], 1, True), _yi(r["scale"]).lstrip("+")))
                  + " |" for r in rows]
    if report.get("warnings"):
        lines += ["", "## Warnings", ""] + [f"- {_md(w)}" for w in report["warnings"]]
    lines += ["", f"Data fingerprint: `{report['data_fingerprint']}`", ""]
    return "\n".join(lines)


def quadrant_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Watchlist rows as the (symbol-indexed) rise / crowding / quadrant frame the scatter draws."""
    rows = list(rows)
    return pd.DataFrame({"rise": [r["rise"] for r in rows], "crowding": [r["crowding"] for r in rows],
                         "quadrant": pd.array([r["quadrant"] for r in rows], dtype="Int64")},
                        index=pd.Index([r["symbol"] for r in rows], name="symbol"), dtype=None)


def render_weekly_html(report: Mapping[str, Any], now: datetime | None = None, plotlyjs: str = "inline") -> str:
    """The report as one HTML page (generation time in the footer); ``plotlyjs``: ``inline`` (one
    standalone file) or ``shared`` (loads the bundle the writer puts beside it)."""
    from quantkit.report import charts
    from quantkit.report.html import environment, figure_html, generated_at, plotly_js

    rows = sorted_watchlist(report["watchlist"])
    names = {r["symbol"]: r["name"] for r in rows}
    frame = quadrant_frame(rows)
    chart, figs = None, []
    if frame["quadrant"].notna().any():
        fig = charts.quadrant_scatter(frame, names, report.get("rise_median"),
                                      title=f"Rise vs crowding on {report['as_of']} ({len(rows)} ETFs)")
        chart, figs = figure_html(fig, "chart-weekly-quadrants"), [fig]
    flows, flow_chart = report.get("flows"), None
    if flows and flows["rows"]:
        fig = charts.flow_scatter(flows["rows"], names, title=f"{flows['sessions']}-session net creation vs return")
        flow_chart = figure_html(fig, "chart-weekly-flows")
        figs.append(fig)
    return environment().get_template("weekly.html.j2").render(
        title=f"Weekly signal report {report['as_of']}", report=report, market=report["market"],
        rows=rows, chart=chart, pct=fmt_pct, flows=flows, flow_chart=flow_chart, flows_note=flows_note(flows),
        flow_tables=flow_tables(flows) if flows else [], yi=_yi,
        quadrant_names=QUADRANT_SHORT, plotly_js=plotly_js(figs, plotlyjs), version=report["version"],
        generated=generated_at(now))
