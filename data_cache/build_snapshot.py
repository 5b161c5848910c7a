"""Build the committed real-data snapshot in ``data_cache/snapshot/`` from the shared raw files.

    python data_cache/build_snapshot.py [--source ../shared/data] [--out data_cache/snapshot]

Deterministic: the same raw files give byte-identical parquet files and manifest. What it does
(provenance of every raw folder is in the shared ``SOURCES.md``):

- ETFs: splices the Tencent/East Money qfq series (to 2026-05), the long East Money history (to
  2026-03) and the East Money export with amount and turnover (to 2025-07) into one series per
  code. The most recent source anchors the price level; older segments are rescaled by the close
  ratio on the splice day, so returns are kept and levels never mixed. ``volume`` lots → shares;
  amount and turnover taken by date from the sources that have them (they do not depend on the
  adjustment).
- Indices: CSI exports (amount 亿元 → CNY, the 2015-01-01 artefact row dropped, isolated leading
  rows dropped), Wind 万得全A 881001 (2007–2020 CR-only export spliced with 2015–2024, the
  intraday placeholder last row dropped), 中证500 (GBK), 申万一级 industries (申万 2021–2026
  spliced with Wind back-history 2015–2024; volume 亿股 → shares).
- Valuation: 沪深300 PE-TTM and PB (乐咕乐股), CSI-published PE for the CSI indices.

Each file is validated against the canonical schema before it is written.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quantkit.data.schema import COLUMNS, validate_bars, validate_valuation  # noqa: E402

COMMITS = {
    "etf_daily_tencent_qfq_quantbacktest": ("931191456/quant-backtest", "06752d0942ec65bc40acfa06ccdb550f0e03bf57"),
    "etf_daily_em_qfq_mky508": ("MKY508/mcp-cn-a-stock", "d7a31839f14ab2176f0284c0844047068d97c21b"),
    "etf_daily_em_qfq_multifactor": ("chenkx612/Multifactor-ETF-Strategy", "93982f00aaf90fed9658fd3c025f6cfa3e58b0cd"),
    "csindex_indices_aithememonitor": ("cateatcatx/ai-theme-monitor", "16995c5d11dbf59bfb60fbaa1b60e238acba5333"),
    "sw_l1_industry_renhe0707": ("renhe0707/sector-rotation", "1b26aa368df367bff791d24e4561447b9a199652"),
    "wind_export_euclid": ("Euclid-Jie/quant_display", "7277d47d4831bb9a0cae042eb098f650154fa4d4"),
    "wind_export_phbs": ("eiahb3838ya/PHBS_ML_for_quant_project", "754474b1e20cffdfafa08082e198846c9e182df8"),
    "valuation_legulegu_allweather": ("mo3473337277-ops/all-weather-portfolio", "994d82708a7a01790b717b25ef9be304403145e5"),
}

INDEX_NAMES = {
    "000985": "中证全指", "000300": "沪深300", "881001": "万得全A", "000905": "中证500",
    "930713": "CS人工智能", "931071": "人工智能产业", "H30184": "中证全指半导体", "931160": "通信设备",
    "930651": "CS计算机", "930851": "云计算大数据", "H30590": "机器人",
}


def _source(folder: str, path: str) -> dict:
    repo, commit = COMMITS[folder]
    return {"repo": repo, "path": path, "commit": commit}


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


# ---------------------------------------------------------------- writing

def _write_parquet(df: pd.DataFrame, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = pd.DataFrame(df)  # drop attrs: they would be stored as non-deterministic metadata
    clean.attrs = {}
    clean.to_parquet(path, engine="pyarrow", compression="zstd", compression_level=19,
                     use_dictionary=False, index=True)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(src: Path, out: Path, names: dict[str, str]) -> dict:
    entries: dict[str, dict] = {}

    def put(code: str, name: str, kind: str, frame: pd.DataFrame, sources: list[dict], adjustment: str,
            notes: str = "") -> None:
        frame = validate_bars(frame[[c for c in COLUMNS if c in frame]], code, origin="snapshot build")
        sha = _write_parquet(frame, out / "prices" / f"{code}.parquet")
        entries[code] = {
            "symbol": code, "name": name, "kind": kind, "file": f"prices/{code}.parquet",
            "first_date": frame.index[0].date().isoformat(), "last_date": frame.index[-1].date().isoformat(),
            "rows": len(frame), "adjustment": adjustment,
            "columns_known": [c for c in COLUMNS if frame[c].notna().any()],
            "sources": sources, "sha256": sha, **({"notes": notes} if notes else {}),
        }

    etf_codes = sorted({p.stem for d in ("etf_daily_tencent_qfq_quantbacktest", "etf_daily_em_qfq_mky508",
                                         "etf_daily_em_qfq_multifactor") for p in (src / d).glob("[0-9]*.*")})
    for code in etf_codes:
        parts = read_etf_sources(src, code)
        frame, notes = splice(parts)
        frame, cut_note = drop_distorted_start(frame)
        ext = {"etf_daily_tencent_qfq_quantbacktest": "parquet"}
        sources = [{**_source(n["folder"], f"data/{'etf/' if 'multifactor' in n['folder'] else ''}{code}."
                               f"{ext.get(n['folder'], 'csv')}"), **{k: v for k, v in n.items() if k != "folder"}}
                   for n in notes]
        put(code, names.get(code, ""), "etf", frame, sources, "qfq", cut_note)

    for code in ("000985", "000300", "930713", "931071", "H30184", "931160", "930651", "930851", "H30590"):
        frame, pe = read_csindex(src, code)
        put(code, INDEX_NAMES[code], "index", frame,
            [_source("csindex_indices_aithememonitor", f"data/{code}.csv")], "none")
        if code != "000300" and pe.notna().any():
            val = validate_valuation(pe.to_frame(), code)
            sha = _write_parquet(val, out / "valuation" / f"{code}.parquet")
            entries[f"{code}:valuation"] = {
                "symbol": code, "name": INDEX_NAMES[code], "kind": "valuation", "file": f"valuation/{code}.parquet",
                "first_date": val.index[0].date().isoformat(), "last_date": val.index[-1].date().isoformat(),
                "rows": len(val), "columns_known": ["pe"], "adjustment": "none",
                "sources": [_source("csindex_indices_aithememonitor", f"data/{code}.csv")], "sha256": sha,
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
        "sha256": sha, "notes": "pe: PE-TTM (滚动市盈率, cap-weighted); pb: cap-weighted PB (市净率)",
    }
    manifest = {"schema": 1, "entries": dict(sorted(entries.items()))}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
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
