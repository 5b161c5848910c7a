"""The weekly signal report: market timing, the quadrant table and a watchlist, with what changed.

:func:`build_weekly` computes, as of one session and from data up to it only, the numbers that
``quantkit signal --json`` prints for each ETF of a universe — with the same functions
(:func:`~quantkit.models.signal.market_signal`, :func:`~quantkit.models.signal.quadrant_table`,
:func:`~quantkit.models.timing.timing_regime`, :func:`~quantkit.models.timing.profit_effect`) —
plus the weekly return (last five sessions). Quadrants are relative to the report's universe
(the median rise splits them), so for the default theme universe they equal ``signal``'s.

:func:`write_weekly` writes ``weekly-YYYY-MM-DD.{html,md,json}`` (named by the as-of session)
atomically under a lock on the output folder, after comparing with the newest report of an
earlier as-of date in that folder (regime flips, quadrant moves, position change). The JSON and
the Markdown are deterministic — the same data and folder give byte-identical files — and the
generation time appears in the HTML footer only.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from quantkit.data.calendar import last_completed_session, session_on_or_before
from quantkit.data.universe import THEME_ETFS
from quantkit.errors import ConfigError, QuantkitError

SCHEMA_VERSION = 1
LOCK_TIMEOUT = 300.0
WEEK_SESSIONS = 5
_NAME = re.compile(r"^weekly-(\d{4}-\d{2}-\d{2})\.json$")
QUADRANT_SHORT = {1: "Q1", 2: "Q2", 3: "Q3", 4: "Q4"}


class ReportLockedError(QuantkitError):
    """Another run held the output folder's lock for longer than the timeout."""

    exit_code = 4


# --------------------------------------------------------------------------------------------
# as-of date
# --------------------------------------------------------------------------------------------

def resolve_weekly_as_of(calendar: pd.DatetimeIndex, as_of: Any = None, now: datetime | None = None) -> pd.Timestamp:
    """The report's session: the last completed one by default, else the last session on or before ``as_of``."""
    if as_of is None:
        return last_completed_session(calendar, now)
    return session_on_or_before(calendar, as_of, whose="the universe's",
                                fetch_hint="run `quantkit fetch` for the universe first")


# --------------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------------

def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def load_universe(universe: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Bars of each code of the universe (normalised, de-duplicated, in order); no data → DataUnavailableError."""
    from quantkit.data.api import load_prices
    from quantkit.data.symbols import etf_symbol

    codes = tuple(dict.fromkeys(etf_symbol(c).code for c in universe))
    if not codes:
        raise ConfigError("the universe is empty: give at least one ETF code")
    return {code: load_prices(code) for code in codes}


def week_return(close: pd.Series, sessions: int = WEEK_SESSIONS) -> float | None:
    """Return over the last ``sessions`` sessions (close / close ``sessions`` bars earlier − 1)."""
    return _num(close.iloc[-1] / close.iloc[-1 - sessions] - 1.0) if len(close) > sessions else None


def watchlist_row(code: str, name: str, bars: pd.DataFrame, day: pd.Timestamp, table: pd.DataFrame) -> dict:
    """One ETF as ``quantkit signal`` computes it as of ``day``, plus the weekly return."""
    from quantkit.models.signal import etf_state

    close = bars["close"].loc[:day]
    if close.empty:
        row = {k: None for k in ("close", "ma_short", "ma_long", "distance", "regime", "profit_effect", "rise",
                                 "crowding", "quadrant")} | {"quadrant_reason": ""}
        return {"symbol": code, "name": name, "week_return": None, "last_date": None, **row}
    return {"symbol": code, "name": name, "week_return": week_return(close), "last_date": str(close.index[-1].date()),
            **etf_state(close, table, code)}


def data_fingerprint(frames: Mapping[str, pd.Series]) -> str:
    """SHA-256 of the dates and values of the given series (in key order)."""
    h = hashlib.sha256()
    for key in frames:
        s = frames[key]
        h.update(key.encode())
        h.update(np.asarray(s.index.asi8, dtype="int64").tobytes())
        h.update(np.asarray(s.to_numpy(dtype="float64", na_value=np.nan)).tobytes())
    return h.hexdigest()


def build_weekly(as_of: Any = None, universe: Sequence[str] = THEME_ETFS, index: str = "000985",
                 valuation_index: str = "000300", now: datetime | None = None) -> dict:
    """The weekly report as a JSON-ready dict (deterministic for the same data and arguments).

    ``as_of`` defaults to the last completed session of the universe's data. Keys: ``as_of``,
    ``index``, ``valuation_index``, ``universe``, ``market`` (as ``quantkit signal``'s market),
    ``rise_median``, ``watchlist`` (one row per ETF, universe order), ``warnings``,
    ``data_fingerprint``, ``version``. Fractions are decimals.
    """
    from quantkit import __version__
    from quantkit.data.api import load_prices, name_of
    from quantkit.data.symbols import normalize_symbol
    from quantkit.models.signal import market_signal, quadrant_table

    bars = load_universe(universe)
    calendar = pd.DatetimeIndex(sorted(set().union(*(b.index for b in bars.values()))))
    day = resolve_weekly_as_of(calendar, as_of, now)
    idx = normalize_symbol(index).code
    market = market_signal(day, idx, valuation_index)
    table = quadrant_table(day, tuple(bars), idx)
    rows = [watchlist_row(code, name_of(code), b, day, table) for code, b in bars.items()]
    warnings = [f"{r['symbol']} {r['name']}: no bar on {day.date()} (last {r['last_date'] or 'none'})"
                for r in rows if r["last_date"] != str(day.date())]
    if market.date != str(day.date()):
        warnings.insert(0, f"market index {market.index} has no bar on {day.date()} (last {market.date})")
    series = {code: b["close"].loc[:day] for code, b in bars.items()}
    series[f"index:{idx}"] = load_prices(idx, end=day.date())["close"]
    return {
        "report": "quantkit weekly", "schema": SCHEMA_VERSION, "as_of": str(day.date()),
        "index": idx, "valuation_index": market.valuation_index, "universe": list(bars),
        "market": asdict(market), "rise_median": _num(table.attrs.get("rise_median")),
        "watchlist": rows, "warnings": warnings, "data_fingerprint": data_fingerprint(series),
        "version": __version__,
    }


# --------------------------------------------------------------------------------------------
# changes since the previous report
# --------------------------------------------------------------------------------------------

def _fmt_value(fieldname: str, value: Any) -> str:
    if value is None:
        return "none"
    if fieldname == "position":
        return f"{value * 100:.0f}%"
    if fieldname == "quadrant":
        return QUADRANT_SHORT.get(value, str(value))
    return str(value)


def _change(scope: str, symbol: str, name: str, fieldname: str, old: Any, new: Any) -> dict:
    text = f"{symbol} {name}".strip() + f" {fieldname.replace('_', ' ')}: " \
        f"{_fmt_value(fieldname, old)} → {_fmt_value(fieldname, new)}"
    return {"scope": scope, "symbol": symbol, "name": name, "field": fieldname, "from": old, "to": new, "text": text}


def _position(value: Any) -> float | None:
    v = _num(value)
    return None if v is None else round(v, 6)


def changes_between(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[dict]:
    """What changed from ``previous`` to ``current``: market regime, regime for sizing, valuation,
    position; per ETF regime flips and quadrant moves; ETFs added to or removed from the universe.

    The market is compared only when both reports use the same index.
    """
    out: list[dict] = []
    pm, cm = previous.get("market") or {}, current.get("market") or {}
    if pm.get("index") == cm.get("index"):
        for f in ("regime", "effective_regime", "valuation"):
            if pm.get(f) != cm.get(f):
                out.append(_change("market", cm["index"], cm.get("name", ""), f, pm.get(f), cm.get(f)))
        if _position(pm.get("position")) != _position(cm.get("position")):
            out.append(_change("market", cm["index"], cm.get("name", ""), "position", _position(pm.get("position")),
                               _position(cm.get("position"))))
    before = {r["symbol"]: r for r in previous.get("watchlist", [])}
    now_codes = set()
    for row in current.get("watchlist", []):
        code = row["symbol"]
        now_codes.add(code)
        old = before.get(code)
        if old is None:
            out.append(_change("etf", code, row.get("name", ""), "universe", "absent", "added"))
            continue
        for f in ("regime", "quadrant"):
            if old.get(f) != row.get(f):
                out.append(_change("etf", code, row.get("name", ""), f, old.get(f), row.get(f)))
    for code, old in before.items():
        if code not in now_codes:
            out.append(_change("etf", code, old.get("name", ""), "universe", "present", "removed"))
    return out


def previous_report(out_dir: str | Path, as_of: str) -> dict | None:
    """The newest readable ``weekly-*.json`` in ``out_dir`` with an as-of date before ``as_of``."""
    folder = Path(out_dir)
    if not folder.is_dir():
        return None
    dated = sorted(((m.group(1), p) for p in folder.iterdir() if (m := _NAME.match(p.name)) and m.group(1) < as_of),
                   reverse=True)
    for day, path in dated:
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # unreadable or partial: look further back
        if isinstance(report, dict) and report.get("as_of") == day:
            return report
    return None


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------

def _clean(obj: Any) -> Any:
    """NaN/inf → None and numpy scalars → Python, recursively (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


def to_json(report: Mapping[str, Any]) -> str:
    """The report as strict, stable JSON text (UTF-8 names kept, trailing newline)."""
    return json.dumps(_clean(dict(report)), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def sorted_watchlist(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows by quadrant (1–4, unplaced last), then by rise (highest first), then code."""
    def key(r: Mapping[str, Any]) -> tuple:
        rise = r.get("rise")
        return (r.get("quadrant") or 9, -(rise if rise is not None else -math.inf), r["symbol"])
    return sorted(rows, key=key)


def _pct(value: Any, digits: int = 2, signed: bool = False) -> str:
    v = _num(value)
    return "—" if v is None else f"{v * 100:{'+' if signed else ''}.{digits}f}%"


def _md(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text if text is not None else "—").replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def market_rows(m: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(label, value)`` rows of the market state for the Markdown and HTML outputs."""
    return [
        ("regime (MA20 / MA120 distance)", f"{m.get('regime') or 'insufficient history'} ({_pct(m.get('distance'), signed=True)})"),
        ("profit effect (close / SMA30 − 1)", _pct(m.get("profit_effect"), signed=True)),
        ("regime for sizing", m.get("effective_regime") or "—"),
        (f"PE / PB percentile ({m.get('valuation_index')})", f"{_pct(m.get('pe_percentile'), 1)} / {_pct(m.get('pb_percentile'), 1)}"),
        ("valuation", m.get("valuation") or "—"),
        ("suggested equity position", _pct(m.get("position"), 0)),
    ]


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
              f"Quadrants split at the median rise ({_pct(report.get('rise_median'), 1)}) and crowding 0.5; "
              "rise over 243 sessions; week = last 5 sessions.", "",
              "| code | name | close | week | MA distance | regime | rise | crowding | quadrant |",
              "|---|---|--:|--:|--:|---|--:|--:|---|"]
    for r in sorted_watchlist(report["watchlist"]):
        quadrant = QUADRANT_SHORT.get(r["quadrant"], "—") if r["quadrant"] else (r.get("quadrant_reason") or "—")
        lines.append("| " + " | ".join(_md(x) for x in (
            r["symbol"], r["name"], "—" if r["close"] is None else f"{r['close']:.3f}", _pct(r["week_return"], signed=True),
            _pct(r["distance"], signed=True), r["regime"] or "—", _pct(r["rise"], 1),
            "—" if r["crowding"] is None else f"{r['crowding']:.2f}", quadrant)) + " |")
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


def render_weekly_html(report: Mapping[str, Any], now: datetime | None = None) -> str:
    """The report as one standalone HTML page (plotly.js inlined once; generation time in the footer)."""
    from quantkit.report import charts
    from quantkit.report.html import environment, figure_html, generated_at, plotly_js

    rows = sorted_watchlist(report["watchlist"])
    names = {r["symbol"]: r["name"] for r in rows}
    frame = quadrant_frame(rows)
    chart = None
    if frame["quadrant"].notna().any():
        fig = charts.quadrant_scatter(frame, names, report.get("rise_median"),
                                      title=f"Rise vs crowding on {report['as_of']} ({len(rows)} ETFs)")
        chart = figure_html(fig, "chart-weekly-quadrants")
    return environment().get_template("weekly.html.j2").render(
        title=f"Weekly signal report {report['as_of']}", report=report, market=report["market"],
        rows=rows, chart=chart, pct=_pct,
        quadrant_names=QUADRANT_SHORT, plotly_js=plotly_js(), version=report["version"], generated=generated_at(now))


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeeklyFiles:
    """What :func:`write_weekly` wrote: the three paths and the report including its changes."""

    as_of: str
    html: Path
    md: Path
    json: Path
    previous_as_of: str | None
    changes: list = field(default_factory=list)
    report: dict = field(default_factory=dict)


def write_weekly(report: Mapping[str, Any], out_dir: str | Path = "reports/weekly",
                 now: datetime | None = None, lock_timeout: float = LOCK_TIMEOUT) -> WeeklyFiles:
    """Write ``weekly-<as_of>.{html,md,json}`` into ``out_dir`` atomically, under a lock on the folder.

    The previous report is the newest JSON in ``out_dir`` with an earlier as-of date; the
    changes against it are added to the report (``previous_as_of``, ``changes``). Writing the same
    report again gives identical JSON and Markdown.
    """
    from filelock import FileLock, Timeout

    from quantkit.report.html import atomic_write_text

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    as_of = report["as_of"]
    try:
        with FileLock(str(folder / ".weekly.lock"), timeout=lock_timeout):
            prev = previous_report(folder, as_of)
            full = {**{k: v for k, v in report.items() if k not in ("previous_as_of", "changes")},
                    "previous_as_of": prev["as_of"] if prev else None,
                    "changes": changes_between(prev, report) if prev else []}
            full = _clean(full)
            stem = folder / f"weekly-{as_of}"
            md = atomic_write_text(stem.with_suffix(".md"), render_markdown(full))
            html = atomic_write_text(stem.with_suffix(".html"), render_weekly_html(full, now))
            js = atomic_write_text(stem.with_suffix(".json"), to_json(full))
    except Timeout:
        raise ReportLockedError(f"{folder}: another weekly run held the lock for over {lock_timeout:.0f} s") from None
    return WeeklyFiles(as_of, html, md, js, full["previous_as_of"], full["changes"], full)
