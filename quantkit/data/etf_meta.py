"""ETF metadata of the snapshot: tracked index, fund company, shares outstanding, scale and creation flows.

Sources (``manifest.json`` → ``etf_meta``; built by ``data_cache/build_snapshot.py``):

- ``meta/etf_meta.parquet``: one row per ETF — name (with the fund-company suffix the exchange
  uses, e.g. 稀有金属ETF嘉实), ``company`` (that suffix; None when the name has none), exchange,
  tracked ``index_code`` / ``index_name`` (a transcribed map of 1,753 ETFs, checked against
  official shares and known pairs), ``nav`` (unit NAV, CNY) on ``nav_date``;
- ``meta/etf_shares.parquet``: official shares outstanding (shares) by date and code.

Shares implied by traded volume / turnover rate (``volume / (turnover / 100)``) come from the price
files where a source has a turnover rate; :func:`load_shares` marks which is which (``official``).

Units: shares are fund units (not 万份); ``scale`` and flows are CNY; a flow is the net creation
(+) or redemption (−) ``Σ Δshares × price`` over a number of sessions, the price being the
unadjusted close (the latest unit NAV where no close is stored, as the exchanges' flow figures
use). No fee is known offline.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from quantkit.data.store import Snapshot, default_snapshot_dir

#: annualisation of a daily tracking error (sessions per year)
SESSIONS_PER_YEAR = 243


@functools.lru_cache(maxsize=4)
def _manifest(root: str) -> dict:
    path = Path(root) / "manifest.json"
    return (json.loads(path.read_text(encoding="utf-8")).get("etf_meta") or {}) if path.exists() else {}


def company_of(name: str) -> str | None:
    """Fund company from an exchange name's suffix (稀有金属ETF嘉实 → 嘉实); None when absent."""
    head, sep, tail = name.rpartition("ETF")
    tail = tail.strip()
    return tail if sep and head and tail and not any(ch.isdigit() for ch in tail) else None


def meta_manifest() -> dict:
    """The ``etf_meta`` block of the snapshot manifest (files, sources, checks; ``{}`` if absent)."""
    return _manifest(str(default_snapshot_dir()))


@functools.lru_cache(maxsize=4)
def _read(root: str, key: str) -> pd.DataFrame:
    """A metadata file of the snapshot, checked against the manifest's checksum (empty when not listed)."""
    entry = _manifest(root).get("files", {}).get(key)
    return pd.DataFrame() if entry is None else Snapshot(Path(root)).read_file(entry)


def meta_table() -> pd.DataFrame:
    """One row per ETF indexed by code: name, company, exchange, index_code, index_name, nav (CNY), nav_date."""
    frame = _read(str(default_snapshot_dir()), "etf_meta")
    return frame.set_index("code") if len(frame) else frame


def official_shares_table() -> pd.DataFrame:
    """Official shares outstanding: index date, columns code, shares, source (see the manifest's ``share_sources``)."""
    return _read(str(default_snapshot_dir()), "etf_shares")


def meta_row(code: str) -> pd.Series | None:
    table = meta_table()
    return table.loc[code] if code in table.index else None


def tracked_index(code: str) -> str | None:
    """The code of the index ``code`` tracks, or None when unknown."""
    row = meta_row(code)
    return None if row is None or pd.isna(row["index_code"]) else str(row["index_code"])


def trackers(index_code: str) -> list[str]:
    """Codes of the ETFs tracking ``index_code`` (ascending)."""
    table = meta_table()
    return sorted(table.index[table["index_code"] == index_code]) if len(table) else []


def tracked_index_bars(code: str) -> pd.DataFrame:
    """Bars of the index ``code`` tracks (``attrs['symbol']`` its code); an empty frame when the
    index is unknown or no bars of it are stored."""
    from quantkit.data.api import default_sources, load_prices

    index = tracked_index(code)
    src = default_sources()
    if index is None or (src.store.entry(index, "prices") or src.snapshot.entry(index, "prices")) is None:
        return pd.DataFrame(columns=["close"], index=pd.DatetimeIndex([], name="date"))
    return load_prices(index)


def _snapshot_bars(code: str) -> pd.DataFrame | None:
    """Unadjusted bars, else East Money's qfq series (its recent closes are the traded ones: qfq moves
    only the prices before a distribution); None when the store has no bars of ``code``."""
    from quantkit.data.api import load_prices
    from quantkit.errors import QuantkitError

    for adjust in ("none", "qfq"):
        try:
            return load_prices(code, adjust=adjust)
        except QuantkitError:
            continue
    return None


def implied_shares(bars: pd.DataFrame | None) -> pd.Series:
    """Shares implied by ``volume / (turnover / 100)`` on days with a positive turnover rate (%)."""
    if bars is None or "turnover" not in bars:
        return pd.Series(dtype="float64")
    turn = bars["turnover"].where(bars["turnover"] > 0)
    return (bars["volume"] / (turn / 100.0)).dropna()


def load_shares(code: str) -> pd.DataFrame:
    """Shares outstanding of ``code`` by date: columns ``shares`` (fund units), ``official`` (bool:
    exchange figure; False = implied by volume / turnover) and ``price`` (CNY: the last unadjusted
    close on or before the date; the unit NAV without bars, or after the last bar when the NAV is
    newer; NaN when neither is known). Official figures win on a
    day both exist. Empty when nothing is known."""
    table = official_shares_table()
    official = table.loc[table["code"] == code, "shares"] if len(table) else pd.Series(dtype="float64")
    bars = _snapshot_bars(code)
    implied = implied_shares(bars)
    implied = implied.loc[~implied.index.isin(official.index)]
    frame = pd.concat([pd.DataFrame({"shares": official, "official": True}),
                       pd.DataFrame({"shares": implied, "official": False})]).sort_index()
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    price = pd.Series(np.nan, index=frame.index)
    row = meta_row(code)
    nav = (float(row["nav"]), row["nav_date"]) if row is not None and pd.notna(row["nav"]) else None
    if bars is not None and len(frame):  # the last close on or before each date
        close = bars["close"].dropna()
        price = close.reindex(close.index.union(frame.index)).ffill().reindex(frame.index)
        if nav is not None and nav[1] > close.index[-1]:  # a newer NAV values the dates after the last bar
            price[price.index > close.index[-1]] = np.nan
    if nav is not None:
        price = price.fillna(nav[0])
    frame["price"] = price
    frame.attrs.update(symbol=code, index_code=tracked_index(code))
    return frame


def flow(shares: pd.DataFrame, sessions: int, as_of: pd.Timestamp | None = None,
         calendar: pd.DatetimeIndex | None = None) -> float:
    """Net creation flow (CNY) over the last ``sessions`` sessions ending at ``as_of`` (default: the
    last official figure): ``Σ Δshares × price`` over the official figures from the session
    ``sessions`` before ``as_of`` to ``as_of``. NaN when either end has no official figure or a
    change has no price. ``calendar``: the sessions to count (default: the official dates of every
    ETF, i.e. the exchange calendar of the shares data)."""
    off = shares.loc[shares["official"]]
    if off.empty:
        return math.nan
    as_of = off.index[-1] if as_of is None else pd.Timestamp(as_of)
    cal = calendar if calendar is not None else share_calendar()
    cal = cal[cal <= as_of]
    if len(cal) <= sessions:
        return math.nan
    start = cal[-1 - sessions]
    if start not in off.index or cal[-1] not in off.index:
        return math.nan
    window = off.loc[start:cal[-1]]
    delta = window["shares"].diff().iloc[1:]
    value = float((delta * window["price"].iloc[1:]).sum())
    return math.nan if window["price"].iloc[1:][delta != 0].isna().any() else value


@functools.lru_cache(maxsize=1)
def _calendar(root: str) -> pd.DatetimeIndex:
    table = _read(root, "etf_shares")
    return pd.DatetimeIndex(sorted(table.index.unique())) if len(table) else pd.DatetimeIndex([])


def share_calendar() -> pd.DatetimeIndex:
    """The sessions of the official shares data."""
    return _calendar(str(default_snapshot_dir()))


@dataclass(frozen=True)
class ShareFacts:
    """Latest shares of one ETF and what follows: ``scale`` = shares × price on ``shares_date``
    (CNY), net creation flows over 5 and 20 sessions to ``flow_date`` (CNY); NaN/None when unknown."""

    shares: float
    shares_date: pd.Timestamp | None
    official: bool
    price: float
    scale: float
    flow_5d: float
    flow_20d: float
    flow_date: pd.Timestamp | None


def share_facts(code: str, frame: pd.DataFrame | None = None, as_of: pd.Timestamp | None = None) -> ShareFacts:
    """Latest shares (official first, else implied), scale, and the flows at the latest official
    date on which the 5-session flow is known; with ``as_of``, from the figures up to it only."""
    frame = load_shares(code) if frame is None else frame
    if as_of is not None:
        frame = frame.loc[frame.index <= pd.Timestamp(as_of)]
    if frame.empty:
        return ShareFacts(math.nan, None, False, math.nan, math.nan, math.nan, math.nan, None)
    off = frame.loc[frame["official"]]
    last = off if len(off) else frame
    shares, price = float(last["shares"].iloc[-1]), float(last["price"].iloc[-1])
    flow_day, f5, f20 = None, math.nan, math.nan
    for day in off.index[::-1]:
        f5 = flow(frame, 5, day)
        if not math.isnan(f5):
            flow_day, f20 = day, flow(frame, 20, day)
            break
    return ShareFacts(shares, last.index[-1], bool(len(off)), price, shares * price, f5, f20, flow_day)


def scale_at(frame: pd.DataFrame, close: pd.Series, day: pd.Timestamp) -> float:
    """Scale (CNY) on ``day`` with only data up to it: the last shares figure on or before ``day``
    (official first, else implied) × the close on or before ``day``; NaN when either is unknown."""
    known = frame.loc[frame.index <= day]
    if known.empty:
        return math.nan
    off = known.loc[known["official"]]
    shares = float((off if len(off) else known)["shares"].iloc[-1])
    px = close.loc[close.index <= day].dropna()
    return shares * float(px.iloc[-1]) if len(px) else math.nan


def tracking_error(etf_close: pd.Series, index_close: pd.Series, sessions: int = SESSIONS_PER_YEAR) -> float:
    """Annualised standard deviation (decimal) of ETF − index daily returns over their last
    ``sessions`` common sessions (prices total-return adjusted for the ETF); NaN with fewer than 20."""
    both = pd.concat([etf_close, index_close], axis=1, join="inner").dropna().iloc[-(sessions + 1):]
    if len(both) < 21:
        return math.nan
    diff = both.iloc[:, 0].pct_change() - both.iloc[:, 1].pct_change()
    return float(diff.iloc[1:].std(ddof=1) * math.sqrt(SESSIONS_PER_YEAR))
