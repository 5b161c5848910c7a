"""The weekly use case: build the weekly signal report of a universe and write it with its changes.

:func:`build_weekly` computes, as of one session and from data up to it only, the numbers that
``quantkit signal --json`` prints for each ETF of a universe — with the same functions
(:func:`~quantkit.app.signal.market_signal`, :func:`~quantkit.app.signal.quadrant_table`,
:func:`~quantkit.app.signal.etf_state`) — plus the weekly return (last five sessions).
Quadrants split at the median rise of the theme universe for any watchlist, exactly as in
``signal``, so an ETF's quadrant is the same in both.

:func:`write_weekly` writes ``weekly-YYYY-MM-DD.{html,md,json}`` (named by the as-of session,
rendered by :mod:`quantkit.report.weekly`) atomically under a lock on the output folder, after
comparing with the newest report of an earlier as-of date in that folder (regime flips, quadrant
moves, position change). The JSON and the Markdown are deterministic — the same data and folder
give byte-identical files — and the generation time appears in the HTML footer only.
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
from quantkit.display import clean_json, number_or_none
from quantkit.report.weekly import QUADRANT_SHORT, render_markdown, render_weekly_html, to_json

SCHEMA_VERSION = 1
LOCK_TIMEOUT = 300.0
WEEK_SESSIONS = 5
_NAME = re.compile(r"^weekly-(\d{4}-\d{2}-\d{2})\.json$")


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
    return number_or_none(close.iloc[-1] / close.iloc[-1 - sessions] - 1.0) if len(close) > sessions else None


def watchlist_row(code: str, name: str, bars: pd.DataFrame, day: pd.Timestamp, table: pd.DataFrame) -> dict:
    """One ETF as ``quantkit signal`` computes it as of ``day``, plus the weekly return."""
    from quantkit.app.signal import etf_state

    close = bars["close"].loc[:day]
    if close.empty:
        row = {k: None for k in ("close", "ma_short", "ma_long", "distance", "regime", "profit_effect", "rise",
                                 "crowding", "quadrant")} | {"quadrant_reason": ""}
        return {"symbol": code, "name": name, "week_return": None, "last_date": None, **row}
    return {"symbol": code, "name": name, "week_return": week_return(close), "last_date": str(close.index[-1].date()),
            **etf_state(close, table, code)}


FLOW_SESSIONS = 20
FLOW_TOP = 5


def flows_panel(bars: Mapping[str, pd.DataFrame], names: Mapping[str, str], day: pd.Timestamp) -> dict:
    """20-session net creations of the universe from the official shares up to ``day``.

    ``rows``: ETFs whose flow is known (CNY, to ``flow_date``), with their return over the same
    20 sessions (decimal; None when a close at either end is not stored) and scale (CNY), largest
    creation first;
    ``creations``/``redemptions``: the codes of the largest ``FLOW_TOP`` of each sign;
    ``shares_dates``: the span the official shares data covers; ``missing``: codes without a flow.
    """
    from quantkit.data import etf_meta

    cal = etf_meta.share_calendar()
    rows, missing = [], []
    for code, b in bars.items():
        f = etf_meta.share_facts(code, as_of=day)
        if f.flow_date is None or math.isnan(f.flow_20d):
            missing.append(code)
            continue
        start = cal[cal <= f.flow_date][-1 - FLOW_SESSIONS]
        ends = b["close"].reindex([start, f.flow_date])
        rows.append({"symbol": code, "name": names.get(code, ""), "flow_20d": number_or_none(f.flow_20d),
                     "flow_date": str(f.flow_date.date()), "scale": number_or_none(f.scale),
                     "return_20d": number_or_none(ends.iloc[1] / ends.iloc[0] - 1.0)})
    rows.sort(key=lambda r: (-r["flow_20d"], r["symbol"]))
    return {"sessions": FLOW_SESSIONS, "rows": rows, "missing": missing,
            "creations": [r["symbol"] for r in rows if r["flow_20d"] > 0][:FLOW_TOP],
            "redemptions": [r["symbol"] for r in reversed(rows) if r["flow_20d"] < 0][:FLOW_TOP],
            "shares_dates": [str(cal[0].date()), str(cal[-1].date())] if len(cal) else None}


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
    ``rise_median``, ``watchlist`` (one row per ETF, universe order), ``flows`` (see
    :func:`flows_panel`), ``warnings``,
    ``data_fingerprint``, ``version``. Fractions are decimals.
    """
    from quantkit import __version__
    from quantkit.data.api import load_prices, name_of
    from quantkit.data.symbols import normalize_symbol
    from quantkit.app.signal import market_signal, quadrant_table

    bars = load_universe(universe)
    calendar = pd.DatetimeIndex(sorted(set().union(*(b.index for b in bars.values()))))
    day = resolve_weekly_as_of(calendar, as_of, now)
    idx = normalize_symbol(index).code
    market = market_signal(day, idx, valuation_index)
    table = quadrant_table(day, THEME_ETFS, idx, extra=tuple(bars))
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
        "market": asdict(market), "rise_median": number_or_none(table.attrs.get("rise_median")),
        "watchlist": rows, "flows": flows_panel(bars, {r["symbol"]: r["name"] for r in rows}, day),
        "warnings": warnings, "data_fingerprint": data_fingerprint(series),
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
    v = number_or_none(value)
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


JOURNAL = ".weekly.journal"


def _write_set(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write several files of ``folder`` as one: each to ``.<name>.new`` (synced), then a journal of
    the renames (written atomically: the commit point), then the renames. An interrupted set is
    finished or undone by :func:`recover_sets`, so readers never see part of a set for long and the
    next run leaves no partial set and no temporary file."""
    import os

    from quantkit.data.store import atomic_write_bytes

    for name, data in files.items():
        with open(folder / f".{name}.new", "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(folder / f".{name}.new", 0o644)
    atomic_write_bytes(folder / JOURNAL, json.dumps(list(files)).encode())
    recover_sets(folder)


def recover_sets(folder: Path) -> None:
    """Finish the renames of a committed set (its journal exists) and remove the temporary files of
    a set that was never committed. Call under the folder's lock."""
    import os

    journal = folder / JOURNAL
    if journal.exists():
        try:
            names = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            names = []  # a journal is written atomically; an unreadable one commits nothing
        for name in names:
            tmp = folder / f".{name}.new"
            if tmp.exists():
                os.replace(tmp, folder / name)
        journal.unlink()
    for stray in [*folder.glob(".weekly-*.new"), *folder.glob(".weekly-*.tmp")]:
        stray.unlink(missing_ok=True)


def write_weekly(report: Mapping[str, Any], out_dir: str | Path = "reports/weekly",
                 now: datetime | None = None, lock_timeout: float = LOCK_TIMEOUT,
                 plotlyjs: str = "inline") -> WeeklyFiles:
    """Write ``weekly-<as_of>.{html,md,json}`` into ``out_dir`` as one set (all three or none), under
    a lock on the folder. ``plotlyjs``: ``inline`` (each page standalone) or ``shared`` (the pages
    of the folder load one plotly.js file written beside them, before the set).

    The previous report is the newest JSON in ``out_dir`` with an earlier as-of date; the
    changes against it are added to the report (``previous_as_of``, ``changes``). Writing the same
    report again gives identical JSON and Markdown.
    """
    from filelock import FileLock, Timeout

    from quantkit.report.html import check_plotlyjs, write_shared_plotlyjs

    check_plotlyjs(plotlyjs)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    as_of = report["as_of"]
    try:
        with FileLock(str(folder / ".weekly.lock"), timeout=lock_timeout):
            recover_sets(folder)
            prev = previous_report(folder, as_of)
            full = {**{k: v for k, v in report.items() if k not in ("previous_as_of", "changes")},
                    "previous_as_of": prev["as_of"] if prev else None,
                    "changes": changes_between(prev, report) if prev else []}
            full = clean_json(full)
            stem = f"weekly-{as_of}"
            page = render_weekly_html(full, now, plotlyjs)
            write_shared_plotlyjs(folder, page)
            _write_set(folder, {f"{stem}.md": render_markdown(full).encode("utf-8"),
                                f"{stem}.html": page.encode("utf-8"),
                                f"{stem}.json": to_json(full).encode("utf-8")})
    except Timeout:
        raise ReportLockedError(f"{folder}: another weekly run held the lock for over {lock_timeout:.0f} s") from None
    return WeeklyFiles(as_of, folder / f"{stem}.html", folder / f"{stem}.md", folder / f"{stem}.json",
                       full["previous_as_of"], full["changes"], full)
