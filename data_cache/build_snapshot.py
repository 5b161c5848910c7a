"""Build the committed real-data snapshot in ``data_cache/snapshot/`` from the shared raw files.

    python data_cache/build_snapshot.py [--source ../shared/data] [--out data_cache/snapshot]

Deterministic: the same raw files give the same manifest and frames; the manifest's checksums are of
content (``quantkit.data.checksum``), and a file whose content is unchanged is not rewritten, so a
rebuild by another pandas/pyarrow release (whose versions parquet records in the bytes) changes no
committed file. What it does
(provenance of every raw folder is in the shared ``SOURCES.md``):

- ETFs with raw bars and distribution/split events (``etf_raw_factors_morphkyan``): raw prices
  plus a multiplicative adjustment factor (column ``factor``, see ``quantkit.data.adjust``);
  manifest ``adjustment: qfq-multiplicative``. Events are checked against East Money's qfq series
  and the published factor file (``check_events``); history before the raw file starts is
  restored from East Money's qfq series where that is exact (``reconstruct_prefix``). Every East
  Money source's returns are compared with the new series (``max_abs_return_diff_on_overlap``).
- Other ETFs: splices the Tencent/East Money qfq series (to 2026-05), the long East Money history
  (to 2026-03) and the East Money export with amount and turnover (to 2025-07) into one series per
  code; ``adjustment: qfq-subtractive-em`` (East Money subtracts cash from earlier prices). The
  most recent source anchors the price level; older segments are rescaled by the close ratio on
  the splice day, so returns are kept and levels never mixed. ``volume`` lots → shares; amount
  and turnover taken by date from the sources that have them (they do not depend on the
  adjustment).
- Newer bars from transcribed files (marked ``transcribed`` in the manifest) are used only after
  they match byte-copied data on their overlap (``verify_tail``; mismatching rows are reported).
- Indices: CSI exports (amount 亿元 → CNY, the 2015-01-01 artefact row dropped, isolated leading
  rows dropped), Wind 万得全A 881001 (2007–2020 CR-only export spliced with 2015–2024, the
  intraday placeholder last row dropped), 中证500 (GBK), 申万一级 industries (申万 2021–2026
  spliced with Wind back-history 2015–2024; volume 亿股 → shares).
- Valuation: 沪深300 PE-TTM and PB (乐咕乐股), CSI-published PE for the CSI indices.
- ETF metadata (manifest block ``etf_meta``, files under ``meta/``): tracked index of 1,753 ETFs
  (transcribed map, checked against official shares and known pairs), names with the fund-company
  suffix and unit NAVs (flow radar), official daily shares outstanding (SSE/SZSE via aetftrace,
  the flow radar's universe and 5/20-session endpoints, the verified SSE tail); see
  ``build_etf_meta``.

Each file is validated against the canonical schema before it is written.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quantkit.data.adjust import Event, event_factor, multiplier, validate_factor_bars  # noqa: E402
from quantkit.data.checksum import content_sha256  # noqa: E402
from quantkit.data.etf_meta import company_of  # noqa: E402
from quantkit.data.schema import COLUMNS, validate_bars, validate_valuation  # noqa: E402
from quantkit.data.store import atomic_write_bytes  # noqa: E402

COMMITS = {
    "etf_daily_tencent_qfq_quantbacktest": ("931191456/quant-backtest", "06752d0942ec65bc40acfa06ccdb550f0e03bf57"),
    "etf_daily_em_qfq_mky508": ("MKY508/mcp-cn-a-stock", "d7a31839f14ab2176f0284c0844047068d97c21b"),
    "etf_daily_em_qfq_multifactor": ("chenkx612/Multifactor-ETF-Strategy", "93982f00aaf90fed9658fd3c025f6cfa3e58b0cd"),
    "csindex_indices_aithememonitor": ("cateatcatx/ai-theme-monitor", "16995c5d11dbf59bfb60fbaa1b60e238acba5333"),
    "sw_l1_industry_renhe0707": ("renhe0707/sector-rotation", "1b26aa368df367bff791d24e4561447b9a199652"),
    "wind_export_euclid": ("Euclid-Jie/quant_display", "7277d47d4831bb9a0cae042eb098f650154fa4d4"),
    "wind_export_phbs": ("eiahb3838ya/PHBS_ML_for_quant_project", "754474b1e20cffdfafa08082e198846c9e182df8"),
    "valuation_legulegu_allweather": ("mo3473337277-ops/all-weather-portfolio", "994d82708a7a01790b717b25ef9be304403145e5"),
    "etf_raw_factors_morphkyan": ("MorphKyan/strategy", "ca3dadce58d51f8d4b9eae928705919b083390d8"),
    "etf_daily_fishetf_562800": ("karmyshunde-sudo/fish-etf", "05433399f9ff8d4dc655ecdba719161d44daa74e"),
    "etf_tails_symbi": ("symbi-crypto/ETF-update-", "fde664dacea594706b0b4008d59d22466dc6d525"),
    "market_tails_davidwang": ("davidwang0116/Chinese-Equity-Mood-and-National-Team-Dashboard",
                               "1b4414e98f9d61a4a20e447636be76e2d97c1ad7"),
    "etf_shares_aetftrace": ("menglingjie/aetftrace", "5a2dea59ad099901a0ecb3efb97d022e4ce391f7"),
    "etf_flows_etfflowradar": ("1581599248-bit/etf-flow-radar", "5246e5ecd5c249f3375f20c7af1bd8d484586d3c"),
    "etf_index_map_geektutu": ("geektutu/investment", "58861f1bb31e753ae33d048cc5b0a711b1abe17b"),
}
RAW = "etf_raw_factors_morphkyan"
TRANSCRIBED = ("etf_daily_fishetf_562800", "etf_tails_symbi", "market_tails_davidwang", "etf_index_map_geektutu")

INDEX_NAMES = {
    "000985": "中证全指", "000300": "沪深300", "881001": "万得全A", "000905": "中证500",
    "930713": "CS人工智能", "931071": "人工智能产业", "H30184": "中证全指半导体", "931160": "通信设备",
    "930651": "CS计算机", "930851": "云计算大数据", "H30590": "机器人",
}


def _source(folder: str, path: str) -> dict:
    repo, commit = COMMITS[folder]
    return {"repo": repo, "path": path, "commit": commit, **({"transcribed": True} if folder in TRANSCRIBED else {})}


def _frame(df: pd.DataFrame, dates: pd.Series) -> pd.DataFrame:
    df = df.copy()
    df.index = pd.DatetimeIndex(pd.to_datetime(dates).to_numpy(), name="date").astype("datetime64[ns]")
    return df.sort_index()


# ---------------------------------------------------------------- ETFs

def read_etf_sources(src: Path, code: str) -> list[tuple[str, pd.DataFrame]]:
    """The raw series of one ETF as (folder, canonical-column frame), newest anchor first."""
    found: list[tuple[str, pd.DataFrame]] = []
    p = src / "etf_daily_tencent_qfq_quantbacktest" / f"{code}.parquet"
    if p.exists():
        raw = pd.read_parquet(p)
        df = _frame(raw[["open", "high", "low", "close"]].astype(float), raw["date"])
        df["volume"] = raw["volume"].to_numpy(dtype=float) * 100  # lots → shares
        found.append(("etf_daily_tencent_qfq_quantbacktest", df))
    p = src / "etf_daily_em_qfq_mky508" / f"{code}.csv"
    if p.exists():
        raw = pd.read_csv(p)
        df = _frame(raw[["open", "high", "low", "close", "amount"]].astype(float), raw["date"])
        df["volume"] = raw["volume"].to_numpy(dtype=float) * 100
        found.append(("etf_daily_em_qfq_mky508", df))
    p = src / "etf_daily_em_qfq_multifactor" / f"{code}.csv"
    if p.exists():
        raw = pd.read_csv(p)
        df = _frame(raw[["open", "high", "low", "close"]].astype(float), raw["datetime"])
        df["volume"] = raw["volume"].to_numpy(dtype=float) * 100
        df["amount"] = raw["成交额"].to_numpy(dtype=float)
        df["turnover"] = raw["换手率"].to_numpy(dtype=float)
        found.append(("etf_daily_em_qfq_multifactor", df))
    # anchor on the source that reaches furthest (ties: listing order above)
    found.sort(key=lambda item: item[1].index[-1], reverse=True)
    return found


def splice(parts: list[tuple[str, pd.DataFrame]]) -> tuple[pd.DataFrame, list[dict]]:
    """Join sources into one series anchored on the first; older/newer segments are rescaled by
    the close ratio on the day they join, so that no price level of two adjustments is mixed."""
    (_, base), rest = parts[0], parts[1:]
    out = base[["open", "high", "low", "close", "volume"]].copy()
    notes = [{"folder": parts[0][0], "rows_used": len(out), "scale": 1.0}]
    for folder, df in rest:
        used, scale = 0, None
        before = df.loc[df.index < out.index[0]]
        if len(before) and out.index[0] in df.index:
            scale = out["close"].iloc[0] / df.at[out.index[0], "close"]
            seg = before[["open", "high", "low", "close", "volume"]].copy()
            seg[["open", "high", "low", "close"]] *= scale
            out = pd.concat([seg, out])
            used += len(seg)
        after = df.loc[df.index > out.index[-1]]
        if len(after) and out.index[-1] in df.index:
            s2 = out["close"].iloc[-1] / df.at[out.index[-1], "close"]
            seg = after[["open", "high", "low", "close", "volume"]].copy()
            seg[["open", "high", "low", "close"]] *= s2
            out = pd.concat([out, seg])
            used += len(seg)
            scale = s2 if scale is None else scale
        overlap = out.index.intersection(df.index)
        ret_diff = (out.loc[overlap, "close"].pct_change() - df.loc[overlap, "close"].pct_change()).abs()
        notes.append({
            "folder": folder, "rows_used": used, "scale": None if scale is None else round(float(scale), 10),
            "overlap_rows": len(overlap),
            "max_abs_return_diff_on_overlap": round(float(ret_diff.max()), 8) if len(overlap) > 1 else None,
        })
    for col in ("amount", "turnover"):
        values = pd.Series(np.nan, index=out.index)
        for _, df in parts:
            if col in df:
                values = values.fillna(df[col].reindex(out.index))
        out[col] = values
    return out, notes


def drop_distorted_start(frame: pd.DataFrame, max_move: float = 0.25, min_close: float = 0.1
                         ) -> tuple[pd.DataFrame, str]:
    """Cut the history before the last non-positive price, impossible daily move, or close below
    ``min_close`` CNY (at a 0.001 tick such a level carries ≥ 1 % rounding error per tick).

    East Money's qfq subtracts cumulative distributions from past prices, so the early history of
    a fund that has paid a lot (510050 since 2005) reaches zero or below and its returns near there
    are meaningless. A-share ETFs move at most 10 % (20 % on STAR/ChiNext) a day.
    """
    prices = frame[["open", "high", "low", "close"]]
    bad = ((prices <= 0).any(axis=1) | (frame["close"].pct_change().abs() > max_move)
           | (frame["close"] < min_close))
    if not bad.any():
        return frame, ""
    cut = frame.index[np.flatnonzero(bad.to_numpy())[-1]]
    kept = frame.loc[frame.index > cut]
    return kept, (f"history before {kept.index[0].date()} dropped ({(frame.index <= cut).sum()} rows): "
                  "subtractive East Money qfq makes early levels non-positive or distorted")


# ---------------------------------------------------------------- raw prices, events, factors

def read_raw(src: Path, code: str) -> pd.DataFrame | None:
    """Unadjusted bars of section 9 (two layouts), volume lots → shares; None if absent."""
    p = src / RAW / f"{code}.csv"
    if not p.exists():
        return None
    raw = pd.read_csv(p).rename(columns={f"{c}_price": c for c in ("open", "high", "low", "close")})
    df = _frame(raw[["open", "high", "low", "close"]].astype(float), raw["trade_date"])
    df["volume"] = raw["volume"].to_numpy(dtype=float) * 100
    df["amount"] = raw["amount"].to_numpy(dtype=float)
    return df


def read_events(src: Path, code: str, dates: pd.DatetimeIndex) -> list[Event]:
    """Cash distributions (ex-date) and splits of ``code``. A split's listed date is its record
    date; it takes effect on the next trading day of ``dates``."""
    div = pd.read_csv(src / RAW / "platform_dividends.csv", dtype={"code": str})
    spl = pd.read_csv(src / RAW / "platform_splits.csv", dtype={"code": str})
    events = [Event(pd.Timestamp(d), "cash", float(v))
              for d, v in div.loc[div["code"] == code, ["ex_date", "dividend_per_share"]].to_numpy() if float(v) > 0]
    for d, r in spl.loc[spl["code"] == code, ["split_date", "split_ratio"]].to_numpy():
        after = dates[dates > pd.Timestamp(d)]
        if len(after):
            events.append(Event(after[0], "split", float(r)))
    return sorted(events, key=lambda e: (e.date, e.kind))


def check_events(src: Path, code: str, close: pd.Series, events: list[Event],
                 em_parts: list[tuple[str, pd.DataFrame]]) -> tuple[list[Event], dict]:
    """Keep the listed events the price data confirms and add those only the factor file shows.

    A cash event is confirmed when an East Money qfq series covering its ex-date shows it (raw −
    qfq drops by the cash, or, where a later split rescales the qfq, the qfq return is
    ``p1 / (p0 − cash)`` where the raw one is ``p1 / p0``), or when ``<code>_hfq_factor.csv``
    steps by it; it is rejected when every covering source disagrees. Days on which raw − qfq
    moves without an event are listed.
    A split must move the raw price by its ratio. The factor file comes in two kinds: piecewise
    constant (a multiplicative factor) or varying daily (East Money's additive hfq divided by the
    raw close, so ``factor × close − close`` is the cumulative cash; only usable before any split).
    Its lasting steps (five rows) that no listed event explains become cash events.
    """
    p = src / RAW / f"{code}_hfq_factor.csv"
    hfq = pd.read_csv(p, index_col=0, parse_dates=True)["hfq_factor"] if p.exists() else None
    report: dict = {}
    level = None
    if hfq is not None:
        hfq = hfq.loc[hfq.index.intersection(close.index)]
        additive = int((hfq.diff().abs() > 1e-12).sum()) > 2 * len(events) + 5
        split_inside = any(e.kind == "split" and hfq.index[0] < e.date <= hfq.index[-1] for e in events)
        if not (additive and split_inside):
            level = (hfq * close.loc[hfq.index] - close.loc[hfq.index]) if additive else hfq
        report["factor_file"] = {"kind": "additive (cumulative cash / close)" if additive else "multiplicative",
                                 "last_date": hfq.index[-1].date().isoformat(),
                                 **({"used": False, "reason": "additive across a split"} if level is None else {})}

    def file_step(prev: pd.Timestamp, day: pd.Timestamp) -> float | None:
        if level is None or not (level.index[0] <= prev and day <= level.index[-1]):
            return None
        return float(level[day] - level[prev]) if additive else float(level[day] / level[prev])

    kept, rejected = [], []
    for ev in events:
        prev = close.index[close.index < ev.date]
        if not len(prev) or ev.date not in close.index:
            continue
        p0, p1 = float(close[prev[-1]]), float(close[ev.date])
        if ev.kind == "split":
            (kept if abs(p1 / p0 * ev.value - 1) < 0.15 else rejected).append(ev)
            continue
        expected = p1 / (p0 - ev.value) - p1 / p0
        votes = []
        for _, df in em_parts:
            if prev[-1] in df.index and ev.date in df.index:
                q0, q1 = float(df.at[prev[-1], "close"]), float(df.at[ev.date, "close"])
                if _level_comparable(df, prev[-1], events):  # raw − qfq drops by the cash
                    votes.append(abs((p0 - q0) - (p1 - q1) - ev.value) < 1.5e-3)
                else:  # a later split rescales East Money's qfq: compare returns
                    votes.append(abs(q1 / q0 - p1 / p0 - expected) < 0.35 * expected + 1.5e-3 / q0)
        step = file_step(prev[-1], ev.date)
        if step is not None:
            votes.append(abs(step - ev.value) < 1.5e-3 if additive else abs(step / multiplier(ev, p0) - 1) < 2e-3)
        (kept if not votes or any(votes) else rejected).append(ev)
    if rejected:
        report["events_rejected"] = [f"{e.date.date()} {e.kind} {e.value:g}" for e in rejected]
    if level is not None:
        moved = (level.diff().abs() > 1.5e-3) if additive else (level.pct_change().abs() > 1e-6)
        known = {e.date for e in kept}
        derived, unexplained = [], []
        for i in np.flatnonzero(moved.to_numpy()):
            day = level.index[i]
            if day in known:
                continue
            lasting = i + 5 <= len(level) and float(np.ptp(level.iloc[i:i + 5].to_numpy())) <= (
                1.5e-3 if additive else 1e-6 * float(level.iloc[i]))
            p0 = float(close[level.index[i - 1]])
            cash = float(level.iloc[i] - level.iloc[i - 1]) if additive else p0 * (1 - float(level.iloc[i - 1] / level.iloc[i]))
            if lasting and 0 < cash < 0.2 * p0:
                derived.append(Event(day, "cash", round(cash, 4)))
            else:
                unexplained.append(day.date().isoformat())
        if derived:
            kept = sorted(kept + derived, key=lambda e: (e.date, e.kind))
            report["events_from_factor_file"] = [f"{e.date.date()} cash {e.value:g}" for e in derived]
        if unexplained:
            report["factor_file_steps_ignored"] = unexplained
    unexplained = set()
    for _, df in em_parts:
        common = df.index.intersection(close.index)
        if len(common) > 1 and _level_comparable(df, common[0], events):
            gap = (close[common] - df.loc[common, "close"]).diff().abs() > 1.5e-3
            unexplained |= set(common[gap.to_numpy()]) - {e.date for e in kept}
    if unexplained:
        report["qfq_steps_without_event"] = sorted(d.date().isoformat() for d in unexplained)
    return kept, report


def _level_comparable(qfq: pd.DataFrame, since: pd.Timestamp, events: list[Event]) -> bool:
    """Whether raw − East Money qfq is the cash paid later (no split after ``since`` rescales it)."""
    return not any(e.kind == "split" and since < e.date <= qfq.index[-1] for e in events)


def reconstruct_prefix(raw: pd.DataFrame, em: pd.DataFrame, events: list[Event]) -> tuple[pd.DataFrame, dict]:
    """Raw bars before the raw file starts, from an East Money qfq series that reaches further back.

    East Money's qfq subtracts each later distribution from earlier prices, so adding back the
    cash paid after a day restores its raw price. Used only when that holds (to 0.0015 CNY) on
    every overlapping close and no split lies in between.
    """
    last = em.index[-1]
    if any(e.kind == "split" and em.index[0] < e.date <= last for e in events):
        return raw, {"prefix": "not reconstructed: a split lies inside the qfq series"}
    cash = [e for e in events if e.kind == "cash" and e.date <= last]
    add_back = pd.Series([sum(e.value for e in cash if e.date > d) for d in em.index], index=em.index)
    overlap = em.index.intersection(raw.index)
    err = float((em.loc[overlap, "close"] + add_back[overlap] - raw.loc[overlap, "close"]).abs().max())
    note = {"overlap_rows": len(overlap), "max_abs_close_error_on_overlap": round(err, 6)}
    if err > 1.5e-3:
        return raw, {"prefix": "not reconstructed: qfq + cash differs from the raw closes", **note}
    old = em.loc[em.index < raw.index[0], ["open", "high", "low", "close", "volume", "amount"]].copy()
    for col in ("open", "high", "low", "close"):
        old[col] = (old[col] + add_back[old.index]).round(4)
    return pd.concat([old, raw]), {"prefix_rows": len(old), **note}


# ---------------------------------------------------------------- transcribed tails

def read_symbi(src: Path, code: str) -> pd.DataFrame | None:
    """Section 14 tail; the header says open,high,low,close but the columns are open, close, low, high."""
    hits = sorted((src / "etf_tails_symbi").glob(f"{code}.*.tail.csv"))
    if not hits:
        return None
    raw = pd.read_csv(hits[0], header=0, names=["date", "open", "close", "low", "high", "volume", "amount", "turnover"])
    return _frame(raw[["open", "high", "low", "close", "volume", "amount"]].astype(float), raw["date"])


def read_fish_562800(src: Path) -> pd.DataFrame:
    """Section 13 (unadjusted): fields by position, the header has more names than the rows have values."""
    raw = pd.read_csv(src / "etf_daily_fishetf_562800" / "etf_daily_562800.csv", header=None, skiprows=1,
                      usecols=range(12), dtype={1: str})
    df = _frame(raw[[2, 4, 5, 3, 6, 7, 11]].astype(float), raw[0])
    df.columns = ["open", "high", "low", "close", "volume", "amount", "turnover"]
    return df


def verify_tail(tail: pd.DataFrame, ref: pd.DataFrame, splits: list[Event] = (), min_overlap: int = 10
                ) -> tuple[pd.DataFrame | None, dict]:
    """Check a transcribed series against byte-copied ``ref`` on their common days.

    The tail's price basis is read from the last 20 common closes: a constant offset or a constant
    ratio to ``ref`` (transcribed files are differently adjusted; before each of ``splits`` a ratio
    basis is divided by the split's ratio); it is undone on every row. Common rows whose
    open/high/low/close differ by more than half a tick, or volume/amount by more than 0.1 %, are
    reported; the rows after ``ref`` are returned only if at most 10 % of the common rows fail
    (the failing ones are never used: ``ref`` covers them).
    """
    common = tail.index.intersection(ref.index)
    report: dict = {"overlap_rows": len(common)}
    if len(common) < min_overlap:
        return None, {**report, "used": False, "reason": "too few overlapping days"}
    last = common[-20:]
    diff, ratio = tail.loc[last, "close"] - ref.loc[last, "close"], tail.loc[last, "close"] / ref.loc[last, "close"]
    out = tail.copy()
    prices = ["open", "high", "low", "close"]
    if float(diff.max() - diff.min()) < 1e-6:
        out[prices] = (out[prices] - float(diff.mean())).round(4)
        report["basis"] = f"raw + {float(diff.mean()):.4f}" if abs(float(diff.mean())) > 1e-9 else "raw"
    elif float(ratio.max() / ratio.min() - 1) < 1e-6:
        per_row = pd.Series(float(ratio.mean()), index=out.index)
        for ev in splits:
            if ev.date <= last[0]:
                per_row[per_row.index < ev.date] /= ev.value
        out[prices] = out[prices].div(per_row, axis=0).round(4)
        report["basis"] = f"raw × {float(ratio.mean()):.4f}" + (" (÷ split ratio before each split)"
                                                               if any(e.date <= last[0] for e in splits) else "")
    else:
        return None, {**report, "used": False, "reason": "no constant offset or ratio to the reference"}
    bad = (out.loc[common, prices] - ref.loc[common, prices]).abs().gt(6e-4).any(axis=1)
    for col in ("volume", "amount"):
        if col in ref and ref.loc[common, col].notna().any():
            bad |= ((out.loc[common, col] / ref.loc[common, col] - 1).abs() > 1e-3).fillna(False)
    failed = common[bad.to_numpy()]
    report["mismatching_rows"] = len(failed)
    if len(failed):
        report["mismatching_dates"] = f"{failed[0].date()} … {failed[-1].date()}" if len(failed) > 3 else \
            ", ".join(str(d.date()) for d in failed)
    if len(failed) > 0.1 * len(common):
        return None, {**report, "used": False, "reason": "more than 10 % of the overlapping rows differ"}
    new = out.loc[out.index > ref.index[-1]]
    report.update(used=True, rows_used=len(new))
    return new, report


def _em_path(folder: str, code: str) -> str:
    return {"etf_daily_tencent_qfq_quantbacktest": f"data/{code}.parquet",
            "etf_daily_em_qfq_multifactor": f"data/etf/{code}.csv"}.get(folder, f"data/{code}.csv")


def _tails(src: Path, code: str) -> list[tuple[str, str, pd.DataFrame]]:
    found = []
    if code == "562800":
        found.append(("etf_daily_fishetf_562800", "data/etf_daily/562800.csv", read_fish_562800(src)))
    tail = read_symbi(src, code)
    if tail is not None:
        suffix = "SZ" if code.startswith("15") else "SH"
        found.append(("etf_tails_symbi", f"data/{code}.{suffix}.csv", tail))
    return found


def read_davidwang_etfs(src: Path) -> dict[str, pd.DataFrame]:
    """Section 15 ETF tail (raw, no header: date, code, open, high, low, close, volume shares, amount)."""
    raw = pd.read_csv(src / "market_tails_davidwang" / "etf_daily.tail.noheader.csv", header=None, dtype={1: str},
                      names=["date", "code", "open", "high", "low", "close", "volume", "amount"])
    return {code: _frame(g[["open", "high", "low", "close", "volume", "amount"]].astype(float), g["date"])
            for code, g in raw.groupby("code")}


def extend_with_tails(src: Path, code: str, frame: pd.DataFrame, splits: list[Event]
                      ) -> tuple[pd.DataFrame, list[dict]]:
    """Append the verified rows of the transcribed tails of ``code`` (see :func:`verify_tail`).

    Section 15's ETF tail starts after the byte-copied data ends, so it is never used; where it
    overlaps an appended tail their agreement is recorded."""
    sources = []
    for folder, path, tail in _tails(src, code):
        new, report = verify_tail(tail, frame, splits)
        if new is not None:
            frame = pd.concat([frame, new])
            other = read_davidwang_etfs(src).get(code)
            if other is not None:
                _, check = verify_tail(other, frame, min_overlap=3)
                report["compared_with"] = {**_source("market_tails_davidwang", "etf_daily.tail.noheader.csv"),
                                           **{k: v for k, v in check.items() if k not in ("used", "rows_used")}}
        sources.append({**_source(folder, path), **report})
    return frame, sources


def build_etf(src: Path, code: str) -> tuple[pd.DataFrame, list[dict], str, dict]:
    """One ETF: (frame, sources, adjustment, extra manifest fields).

    With raw bars and events (section 9): raw prices + multiplicative factor, East Money history
    used before the raw file starts (raw restored, see :func:`reconstruct_prefix`) and for amount
    and turnover where the raw file has none; each East Money source's returns compared with the
    new series on their overlap. Without: the spliced East Money qfq series (subtractive).
    Either way verified transcribed tails extend the series.
    """
    parts = read_etf_sources(src, code)
    em, notes = splice(parts)
    raw = read_raw(src, code)
    extra: dict = {}
    if raw is None:
        frame, cut_note = drop_distorted_start(em)
        sources = [{**_source(n["folder"], _em_path(n["folder"], code)), **{k: v for k, v in n.items() if k != "folder"}}
                   for n in notes]
        frame, tails = extend_with_tails(src, code, frame, [])
        if cut_note:
            extra["notes"] = cut_note
        return frame, sources + tails, "qfq-subtractive-em", extra

    sources = [{**_source(RAW, f"platform/data/{code}.csv"), "rows_used": len(raw)}]
    listed = read_events(src, code, raw.index.union(em.index))
    folder0, oldest = min(parts, key=lambda item: item[1].index[0])
    prefix_rows = 0
    if oldest.index[0] < raw.index[0]:
        first = raw.index[0]
        raw, prefix = reconstruct_prefix(raw, oldest, listed)
        prefix_rows = int((raw.index < first).sum())
        extra["raw_reconstructed"] = {"source": folder0, **prefix}
    raw, tails = extend_with_tails(src, code, raw, [e for e in listed if e.kind == "split"])
    sources += tails
    events, checks = check_events(src, code, raw["close"], listed, parts)
    frame = raw.copy()
    frame["factor"] = event_factor(frame["close"], events)
    adjusted = frame["close"] * frame["factor"]
    for folder, df in parts:
        filled = []
        for col in ("amount", "turnover"):
            have = frame[col] if col in frame else pd.Series(np.nan, index=frame.index)
            if col in df and (have.isna() & df[col].reindex(frame.index).notna()).any():
                frame[col] = have.fillna(df[col].reindex(frame.index))
                filled.append(col)
        common = df.index[df["close"] > 0].intersection(frame.index)  # East Money's qfq can reach zero
        diff = (adjusted[common].pct_change() - df.loc[common, "close"].pct_change()).abs()
        sources.append({**_source(folder, _em_path(folder, code)),
                        "rows_used": prefix_rows if folder == folder0 else 0,
                        **({"columns_used": filled} if filled else {}), "overlap_rows": len(common),
                        "max_abs_return_diff_on_overlap": round(float(diff.max()), 8) if len(common) > 1 else None,
                        **({"max_diff_date": diff.idxmax().date().isoformat()} if len(common) > 1 else {})})
    used = set(listed) & set(events)
    for kind, path in (("cash", "platform_dividends.csv"), ("split", "platform_splits.csv")):
        sources.append({**_source(RAW, f"platform/data/{path}"), "rows_used": sum(e.kind == kind for e in used)})
    if (src / RAW / f"{code}_hfq_factor.csv").exists():
        sources.append({**_source(RAW, f"platform/data/{code}_hfq_factor.csv"), "rows_used": 0, **checks.pop("factor_file")})
    factor = frame["factor"]
    extra["events"] = [{"date": e.date.date().isoformat(), "kind": e.kind, "value": e.value,
                        "multiplier": round(float(factor[e.date] / factor[factor.index < e.date].iloc[-1]), 10)}
                       for e in events if e.date in factor.index and (factor.index < e.date).any()]
    extra.update(checks)
    extra["notes"] = ("prices are raw, factor the cumulative multiplicative adjustment (distributions reinvested); "
                      "max_abs_return_diff_on_overlap compares each East Money qfq source with raw × factor")
    return frame, sources, "qfq-multiplicative", extra


# ---------------------------------------------------------------- indices

def read_csindex(src: Path, code: str) -> tuple[pd.DataFrame, pd.Series]:
    raw = pd.read_csv(src / "csindex_indices_aithememonitor" / f"{code}.csv")
    raw = raw[raw["date"] != "2015-01-01"]  # artefact: a holiday row duplicating 2015-01-05
    df = _frame(raw[["open", "high", "low", "close"]].astype(float), raw["date"])
    df["amount"] = raw["amount_yi"].to_numpy(dtype=float) * 1e8  # 亿元 → CNY
    gaps = df.index.to_series().diff().dt.days
    big = np.flatnonzero(gaps.to_numpy() > 30)
    if len(big) and big[-1] < 5:  # isolated leading rows far before the real start (931160)
        df = df.iloc[big[-1]:]
    pe = pd.Series(raw["pe"].to_numpy(dtype=float), index=_frame(raw[[]], raw["date"]).index, name="pe")
    return df, pe.loc[df.index]


def read_wind_881001(src: Path) -> tuple[pd.DataFrame, list[dict]]:
    text = (src / "wind_export_phbs" / "881001.csv").read_bytes().decode("utf-8-sig").replace("\r", "\n")
    old = pd.read_csv(io.StringIO(text), skiprows=3)
    old = _frame(old[["open", "high", "low", "close", "volume", "amt", "turn"]].astype(float), old["Date"])
    new = pd.read_csv(src / "wind_export_euclid" / "881001.WI.csv", encoding="utf-8-sig").iloc[:-1]  # placeholder row
    new = _frame(new[["OPEN", "HIGH", "LOW", "CLOSE", "VOLUME", "AMT", "TURN"]].astype(float), new["日期"])
    cols = {"OPEN": "open", "HIGH": "high", "LOW": "low", "CLOSE": "close", "VOLUME": "volume", "AMT": "amount", "TURN": "turnover"}
    new = new.rename(columns=cols)
    old = old.rename(columns={"amt": "amount", "turn": "turnover"})
    overlap = old.index.intersection(new.index)
    diff = float((old.loc[overlap, "close"] - new.loc[overlap, "close"]).abs().max())
    out = pd.concat([old.loc[old.index < new.index[0]], new])
    notes = [
        {**_source("wind_export_phbs", "00data/881001.csv"), "rows_used": int((old.index < new.index[0]).sum())},
        {**_source("wind_export_euclid", "data/881001.WI.csv"), "rows_used": len(new),
         "overlap_rows": len(overlap), "max_abs_close_diff_on_overlap": round(diff, 6)},
    ]
    return out, notes


def read_zz500(src: Path) -> pd.DataFrame:
    raw = pd.read_csv(src / "wind_export_phbs" / "zz500.csv", encoding="gbk", skiprows=3)
    df = _frame(raw[["open", "high", "low", "close", "volume", "amt", "turn"]].astype(float), raw["Date"])
    return df.rename(columns={"amt": "amount", "turn": "turnover"})


def read_sw(src: Path) -> dict[str, tuple[str, pd.DataFrame, list[dict]]]:
    raw = pd.read_csv(src / "sw_l1_industry_renhe0707" / "sw_industry_daily.csv", dtype={"code": str})
    out = {}
    for code, g in raw.groupby("code"):
        new = _frame(g[["open", "high", "low", "close"]].astype(float), g["date"])
        new["volume"] = g["volume"].to_numpy(dtype=float) * 1e8  # 亿股 → shares
        new["amount"] = g["amount"].to_numpy(dtype=float) * 1e8  # 亿元 → CNY
        notes = [{**_source("sw_l1_industry_renhe0707", "data/sw_industry_daily.csv"), "rows_used": len(new)}]
        p = src / "wind_export_euclid" / "sw1" / f"{code}.SI.csv"
        if p.exists():
            w = pd.read_csv(p, encoding="utf-8-sig").iloc[:-1]  # last row: intraday placeholder
            w = _frame(w[["OPEN", "HIGH", "LOW", "CLOSE", "VOLUME", "AMT", "TURN"]].astype(float), w["日期"])
            w.columns = ["open", "high", "low", "close", "volume", "amount", "turnover"]
            w = w.dropna(subset=["close"])
            overlap = w.index.intersection(new.index)
            scale = new.at[new.index[0], "close"] / w.at[new.index[0], "close"] if new.index[0] in w.index else 1.0
            older = w.loc[w.index < new.index[0]].copy()
            older[["open", "high", "low", "close"]] *= scale
            new["turnover"] = w["turnover"].reindex(new.index)
            ret_diff = (w.loc[overlap, "close"].pct_change() - new.loc[overlap, "close"].pct_change()).abs()
            notes.append({**_source("wind_export_euclid", f"data/sw1/{code}.SI.csv"), "rows_used": len(older),
                          "scale": round(float(scale), 10), "overlap_rows": len(overlap),
                          "max_abs_return_diff_on_overlap": round(float(ret_diff.max()), 8)})
            new = pd.concat([older, new])
        out[code] = (g["name"].iloc[0], new, notes)
    return out


# ---------------------------------------------------------------- valuation

def read_hs300_valuation(src: Path) -> pd.DataFrame:
    folder = src / "valuation_legulegu_allweather"
    pe = pd.read_csv(folder / "hs300_pe.csv", encoding="utf-8-sig")
    pb = pd.read_csv(folder / "hs300_pb.csv", encoding="utf-8-sig")
    pe = pd.Series(pe["滚动市盈率"].to_numpy(dtype=float), index=pd.to_datetime(pe["日期"]), name="pe")
    pb = pd.Series(pb["pb"].to_numpy(dtype=float), index=pd.to_datetime(pb["date"]), name="pb")
    out = pd.concat([pe, pb], axis=1).sort_index()
    out.index = out.index.astype("datetime64[ns]").rename("date")
    return out


# ---------------------------------------------------------------- ETF metadata: tracked index, shares, NAV

FLOWS = "etf_flows_etfflowradar"
SHARES = "etf_shares_aetftrace"
INDEX_MAP = "etf_index_map_geektutu"
#: ``source`` codes of the shares table (listed in the manifest block as ``share_sources``)
SHARE_SOURCES = {1: "SSE/SZSE daily shares (aetftrace)", 2: "exchange shares in the flow radar universe",
                 3: "flow radar shares 5/20 sessions earlier (corporate-action comparable)",
                 4: "SSE shares tail (transcribed, verified)"}


def read_index_map(src: Path) -> pd.DataFrame:
    """Section 12 (transcribed): code, index_code, index_name, shares on 2026-06-30; ``--``/blank → NaN.
    The file must have the stored file's length (60,233 characters) and 1,753 rows."""
    text = (src / INDEX_MAP / "etf_index_map.csv").read_bytes().decode("utf-8")
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if len(text) != 60233 or len(raw) != 1753:
        raise SystemExit(f"index map: {len(text)} characters and {len(raw)} rows, 60233 and 1753 expected")
    raw.columns = ["code", "index_code", "index_name", "shares"]
    raw = raw.apply(lambda s: s.str.strip()).replace({"--": np.nan, "": np.nan})
    raw["shares"] = pd.to_numeric(raw["shares"], errors="coerce")
    return raw


def read_aetftrace(src: Path) -> pd.DataFrame:
    """Section 10: date, exchange, code, name, shares (万份 → shares)."""
    parts = [pd.read_csv(p, dtype={"code": str}) for p in sorted((src / SHARES).glob("etf_shares_*.csv"))]
    raw = pd.concat(parts, ignore_index=True)
    raw["date"] = pd.to_datetime(raw["date"])
    raw["shares"] = (raw["total_shares_wanfen"].astype(float) * 1e4).round()
    return raw[["date", "exchange", "code", "name", "shares"]]


def read_flow_universe(src: Path) -> pd.DataFrame:
    """Section 11 universe files: one row per (date, ETF) with name, exchange, shares, NAV."""
    rows = []
    for p in sorted((src / FLOWS / "universe").glob("*.json")):
        doc = json.loads(p.read_text(encoding="utf-8"))
        for e in doc["universe"]:
            rows.append({"date": pd.Timestamp(doc["tradeDate"]), "code": str(e["code"]), "name": e.get("name") or "",
                         "exchange": e.get("exchange") or "", "shares": e.get("shares"), "nav": e.get("nav")})
    return pd.DataFrame(rows)


def read_flow_history(src: Path) -> tuple[dict, pd.DataFrame]:
    """Section 11 history file: (header, one row per equity ETF with shares now / 5 / 20 sessions earlier and
    the published flows, 亿元)."""
    doc = json.loads((src / FLOWS / "history" / "2026-08-21.json").read_text(encoding="utf-8"))
    cols = ["code", "shares", "shares5dAgoComparable", "shares20dAgoComparable", "nav", "flow5d", "flow20d", "aum"]
    etfs = pd.DataFrame([{c: e.get(c) for c in cols} for e in doc["etfs"]])
    etfs["code"] = etfs["code"].astype(str)
    return {k: doc[k] for k in ("tradeDate", "windowStartDate")}, etfs


def build_etf_meta(src: Path, out: Path, entries: dict[str, dict]) -> dict:
    """``meta/etf_meta.parquet`` (one row per ETF: name, company, exchange, tracked index, NAV) and
    ``meta/etf_shares.parquet`` (official shares outstanding by date and code, with a source code).

    Every check of the transcribed index map and of the transcribed shares tail is recorded in the
    returned manifest block. Shares implied by volume / turnover are not stored: they follow from
    the price files (``quantkit.data.etf_meta``).
    """
    imap = read_index_map(src)
    trace = read_aetftrace(src)
    uni = read_flow_universe(src)
    head, hist = read_flow_history(src)
    checks: dict = {}

    # transcribed index map: its shares column against the byte-copied daily shares of 2026-06-30
    on_0630 = trace.loc[trace["date"] == "2026-06-30"].set_index("code")["shares"]
    common = imap.dropna(subset=["shares"]).set_index("code")["shares"].reindex(on_0630.index).dropna()
    checks["index_map_shares_within_100_of_official_2026_06_30"] = (  # aetftrace: 0.01 万份 = 100 shares
        f"{int(((common - on_0630[common.index]).abs() < 100).sum())} of {len(common)}")
    # … and its index codes against the snapshot's ETFs tracking indices the snapshot holds
    idx = imap.set_index("code")
    expected = {"510300": "000300", "512480": "H30184", "159819": "930713", "562800": "930632", "560860": "H11059"}
    checks["index_map_known_pairs"] = {c: f"{idx.at[c, 'index_code']} (expected {v})" for c, v in expected.items()}
    if any(idx.at[c, "index_code"] != v for c, v in expected.items()):
        raise SystemExit(f"index map disagrees with the known pairs: {checks['index_map_known_pairs']}")
    missing = sorted(c for c, e in entries.items() if e.get("kind") == "etf" and c not in idx.index)
    checks["snapshot_etfs_without_index"] = missing
    checks["index_map_rows"] = len(imap)

    # official shares: aetftrace first, then the flow radar universe, then its 5/20-session endpoints
    shares = [trace.assign(source=1)[["date", "code", "shares", "source"]],
              uni.dropna(subset=["shares"]).assign(source=2)[["date", "code", "shares", "source"]]]
    both = trace.merge(uni, on=["date", "code"], suffixes=("", "_radar"))
    close_enough = int(((both["shares"] - both["shares_radar"]).abs() < 100).sum())
    checks["flow_radar_shares_within_100_of_aetftrace"] = f"{close_enough} of {len(both)}"
    sessions = pd.DatetimeIndex(sorted(trace["date"].unique()))
    last = pd.Timestamp(head["tradeDate"])
    pos = sessions.get_loc(last)
    if sessions[pos - 20] != pd.Timestamp(head["windowStartDate"]):  # the endpoints must fall on our sessions
        raise SystemExit(f"flow radar window starts {head['windowStartDate']}, 20 sessions before {last.date()} "
                         f"is {sessions[pos - 20].date()}")
    for n in (5, 20):
        col = f"shares{n}dAgoComparable"
        rows = hist.dropna(subset=[col])
        shares.append(pd.DataFrame({"date": sessions[pos - n], "code": rows["code"], "shares": rows[col], "source": 3}))
    checks["flow_radar_window_start"] = f"{head['windowStartDate']} (20 sessions before {last.date()})"

    # transcribed SSE tail (section 15): used after aetftrace ends only if it matches on the overlap
    tail = pd.read_csv(src / "market_tails_davidwang" / "etf_shares.tail.csv", dtype={"code": str})
    tail["date"] = pd.to_datetime(tail["date"])
    tail["shares"] = tail["shares"].astype(float).round()
    overlap = tail.merge(trace, on=["date", "code"], suffixes=("", "_ref"))
    bad = int((overlap["shares"] != overlap["shares_ref"]).sum())
    tail_report = {"overlap_rows": len(overlap), "mismatching_rows": bad}
    if len(overlap) >= 10 and bad <= 0.1 * len(overlap):
        new = tail.loc[tail["date"] > trace["date"].max()]
        shares.append(new.assign(source=4)[["date", "code", "shares", "source"]])
        tail_report.update(used=True, rows_used=len(new))
    else:
        tail_report.update(used=False, rows_used=0)

    table = pd.concat(shares, ignore_index=True)
    table["code"] = table["code"].astype(str)
    table = table.drop_duplicates(["date", "code"], keep="first").sort_values(["code", "date"], kind="stable")
    table = table.set_index("date")[["code", "shares", "source"]]
    table["shares"] = table["shares"].astype("float64")
    table["source"] = table["source"].astype("int8")
    table.index = pd.DatetimeIndex(table.index, name="date").astype("datetime64[ns]")

    # one row per ETF: names with the company suffix from the newest universe file
    latest = uni.sort_values("date", kind="stable").drop_duplicates("code", keep="last").set_index("code")
    names = trace.sort_values("date", kind="stable").drop_duplicates("code", keep="last").set_index("code")
    codes = sorted(set(imap["code"]) | set(latest.index) | set(names.index))
    meta = pd.DataFrame(index=pd.Index(codes, name="code"))
    meta["name"] = latest["name"].reindex(codes).fillna(names["name"].reindex(codes)).fillna("")
    meta["company"] = [company_of(n) for n in latest["name"].reindex(codes).fillna("")]
    meta["exchange"] = latest["exchange"].reindex(codes).fillna(names["exchange"].reindex(codes)).fillna("")
    meta["index_code"] = idx["index_code"].reindex(codes)
    meta["index_name"] = idx["index_name"].reindex(codes)
    meta["nav"] = latest["nav"].reindex(codes).astype("float64")
    meta["nav_date"] = pd.to_datetime(latest["date"].reindex(codes))
    meta = meta.reset_index()

    files = {}
    for key, frame in (("etf_meta", meta), ("etf_shares", table)):
        sha = _write_parquet(frame, out / "meta" / f"{key}.parquet")
        files[key] = {"file": f"meta/{key}.parquet", "rows": len(frame), "content_sha256": sha}
    return {
        "files": files,
        "share_sources": {str(k): v for k, v in SHARE_SOURCES.items()},
        "shares_first_date": table.index.min().date().isoformat(), "shares_last_date": table.index.max().date().isoformat(),
        "sources": [
            {**_source(INDEX_MAP, "data/etf_index_map.csv"), "rows_used": len(imap)},
            {**_source(SHARES, "data/etf_shares_by_month/"), "rows_used": int((table["source"] == 1).sum())},
            {**_source(FLOWS, "universe/*.json"), "rows_used": int((table["source"] == 2).sum())},
            {**_source(FLOWS, "history/2026-08-21.json"), "rows_used": int((table["source"] == 3).sum())},
            {**_source("market_tails_davidwang", "etf_shares.tail.csv"), **tail_report},
        ],
        "checks": checks,
        "notes": ("shares: official shares outstanding (shares, not 万份); implied shares (volume / turnover %) "
                  "follow from the price files; nav: unit NAV (CNY) on nav_date; index codes transcribed, "
                  "checked as listed; fees: no source"),
    }


# ---------------------------------------------------------------- writing

def _write_parquet(df: pd.DataFrame, path: Path) -> str:
    """Write ``df`` to ``path``; its content checksum (as read back).

    The bytes record the pandas and pyarrow versions, so a file whose content is unchanged is left
    as it is: a rebuild by another release of either changes no committed file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = pd.DataFrame(df)  # drop attrs: they would be stored as non-deterministic metadata
    clean.attrs = {}
    buf = io.BytesIO()
    clean.to_parquet(buf, engine="pyarrow", compression="zstd", compression_level=19, use_dictionary=False,
                     index=True)
    digest = content_sha256(pd.read_parquet(io.BytesIO(buf.getvalue())))
    if _content_sha256_of(path) != digest:
        atomic_write_bytes(path, buf.getvalue())
    return digest


def _content_sha256_of(path: Path) -> str | None:
    """The content checksum of an existing parquet file; None when it is absent or unreadable."""
    try:
        return content_sha256(pd.read_parquet(path))
    except Exception:  # absent, or damaged in one of the ways pyarrow reports
        return None


def build(src: Path, out: Path, names: dict[str, str]) -> dict:
    entries: dict[str, dict] = {}

    def put(code: str, name: str, kind: str, frame: pd.DataFrame, sources: list[dict], adjustment: str,
            notes: str = "", **extra: object) -> None:
        bars = (validate_factor_bars(frame, code, origin="snapshot build") if "factor" in frame
                else validate_bars(frame[[c for c in COLUMNS if c in frame]], code, origin="snapshot build"))
        sha = _write_parquet(bars, out / "prices" / f"{code}.parquet")
        entries[code] = {
            "symbol": code, "name": name, "kind": kind, "file": f"prices/{code}.parquet",
            "first_date": bars.index[0].date().isoformat(), "last_date": bars.index[-1].date().isoformat(),
            "rows": len(bars), "adjustment": adjustment,
            "columns_known": [c for c in bars.columns if bars[c].notna().any()],
            "sources": sources, "content_sha256": sha, **({"notes": notes} if notes else {}), **extra,
        }

    etf_codes = sorted({p.stem for d in ("etf_daily_tencent_qfq_quantbacktest", "etf_daily_em_qfq_mky508",
                                         "etf_daily_em_qfq_multifactor") for p in (src / d).glob("[0-9]*.*")})
    for code in etf_codes:
        frame, sources, adjustment, extra = build_etf(src, code)
        put(code, names.get(code, ""), "etf", frame, sources, adjustment, **extra)

    for code in ("000985", "000300", "930713", "931071", "H30184", "931160", "930651", "930851", "H30590"):
        frame, pe = read_csindex(src, code)
        sources = [_source("csindex_indices_aithememonitor", f"data/{code}.csv")]
        if code == "000300":  # section 15 tail: volume left out (its unit is not documented)
            tail = pd.read_csv(src / "market_tails_davidwang" / "index_csi300.tail.csv")
            tail = _frame(tail[["open", "high", "low", "close", "amount"]].astype(float), tail["date"])
            new, report = verify_tail(tail, frame)
            sources.append({**_source("market_tails_davidwang", "index_csi300.tail.csv"), **report})
            if new is not None:
                frame = pd.concat([frame, new])
        put(code, INDEX_NAMES[code], "index", frame, sources, "none")
        if code != "000300" and pe.notna().any():
            val = validate_valuation(pe.to_frame(), code)
            sha = _write_parquet(val, out / "valuation" / f"{code}.parquet")
            entries[f"{code}:valuation"] = {
                "symbol": code, "name": INDEX_NAMES[code], "kind": "valuation", "file": f"valuation/{code}.parquet",
                "first_date": val.index[0].date().isoformat(), "last_date": val.index[-1].date().isoformat(),
                "rows": len(val), "columns_known": ["pe"], "adjustment": "none",
                "sources": [_source("csindex_indices_aithememonitor", f"data/{code}.csv")], "content_sha256": sha,
                "notes": "pe: the P/E csindex publishes for the index (field peg)",
            }

    frame, sources = read_wind_881001(src)
    put("881001", INDEX_NAMES["881001"], "index", frame, sources, "none")
    put("000905", INDEX_NAMES["000905"], "index", read_zz500(src), [_source("wind_export_phbs", "00data/zz500.csv")], "none")
    for code, (name, frame, sources) in read_sw(src).items():
        put(code, name, "index", frame, sources, "none")

    val = validate_valuation(read_hs300_valuation(src), "000300")
    sha = _write_parquet(val, out / "valuation" / "000300.parquet")
    entries["000300:valuation"] = {
        "symbol": "000300", "name": "沪深300", "kind": "valuation", "file": "valuation/000300.parquet",
        "first_date": val.index[0].date().isoformat(), "last_date": val.index[-1].date().isoformat(),
        "rows": len(val), "columns_known": ["pe", "pb"], "adjustment": "none",
        "sources": [_source("valuation_legulegu_allweather", "data/hs300_pe.csv"),
                    _source("valuation_legulegu_allweather", "data/hs300_pb.csv")],
        "content_sha256": sha, "notes": "pe: PE-TTM (滚动市盈率, cap-weighted); pb: cap-weighted PB (市净率)",
    }
    manifest = {"schema": 1, "entries": dict(sorted(entries.items())), "etf_meta": build_etf_meta(src, out, entries)}
    atomic_write_bytes(out / "manifest.json", (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode())
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "data_cache" / "snapshot")
    args = ap.parse_args(argv)
    names_file = ROOT / "data_cache" / "etf_names.csv"
    names = dict(pd.read_csv(names_file, dtype=str)[["code", "name"]].to_numpy()) if names_file.exists() else {}
    manifest = build(args.source, args.out, names)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {len(manifest['entries'])} files to {args.out} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
