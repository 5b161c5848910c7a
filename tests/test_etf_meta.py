"""ETF metadata in the snapshot: tracked index, company, official and implied shares, scale, flows,
``etf_info`` / ``etf_peers`` and ``quantkit etf``. Expected values come from the raw files
(read here by hand) and the official flow figures of the flow radar's 2026-08-21 file."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import quantkit as qk
from quantkit.data import etf_meta
from quantkit.data.checksum import content_sha256
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "data_cache" / "snapshot"


def _raw_official_shares(shared: Path, code: str) -> dict[str, float]:
    """Daily official shares of ``code`` from the aetftrace CSVs (万份 → shares)."""
    out = {}
    for path in sorted((shared / "etf_shares_aetftrace").glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["code"] == code:
                    out[row["date"]] = round(float(row["total_shares_wanfen"]) * 1e4)
    return out


def _radar(shared: Path, code: str) -> dict:
    doc = json.loads((shared / "etf_flows_etfflowradar" / "history" / "2026-08-21.json").read_text(encoding="utf-8"))
    return next(e for e in doc["etfs"] if e["code"] == code)


def test_562800_shares_match_the_official_flow_figures(shared_data):
    """Section 11: 562800 5.749e9 shares 20 sessions before 2026-08-21, 5.653e9 on it; flow −0.92 亿元."""
    radar = _radar(shared_data, "562800")
    shares = etf_meta.load_shares("562800")
    official = shares.loc[shares["official"], "shares"]
    assert official["2026-08-21"] == radar["shares"] == 5_653_345_000
    assert official["2026-07-24"] == radar["shares20dAgoComparable"] == 5_749_195_000
    assert official["2026-08-14"] == radar["shares5dAgoComparable"]
    facts = etf_meta.share_facts("562800")
    assert facts.flow_date == pd.Timestamp("2026-08-21")
    # the radar values the endpoint change at the NAV (0.9623); the flow here sums daily changes × close
    assert facts.flow_20d == pytest.approx(radar["flow20dEndpoint"] * 1e8, rel=0.1)
    assert facts.flow_20d < 0 and facts.flow_5d < 0


def test_flow_is_daily_share_changes_times_close_by_hand(shared_data):
    raw = _raw_official_shares(shared_data, "562800")
    days = sorted(d for d in raw if "2026-07-24" <= d <= "2026-08-21")
    assert len(days) == 20 and "2026-08-10" not in days  # 21 sessions; SSE figures missing on 08-10
    close = qk.load_prices("562800")["close"]
    expected = sum((raw[b] - raw[a]) * close[b] for a, b in zip(days, days[1:]))
    assert etf_meta.share_facts("562800").flow_20d == pytest.approx(expected, rel=1e-12)
    assert qk.etf_info("562800").scale == pytest.approx(raw["2026-08-21"] * close["2026-08-21"], rel=1e-12)


def test_flows_of_an_etf_without_stored_prices_use_the_nav(shared_data):
    """159608 (no price file): the 20-session flow is the endpoint share change × NAV, as the radar's."""
    radar = _radar(shared_data, "159608")
    info = qk.etf_info("159608")
    expected = (radar["shares"] - radar["shares20dAgoComparable"]) * radar["nav"]
    assert info.flow_20d == pytest.approx(expected, rel=1e-9)
    assert info.flow_20d == pytest.approx(radar["flow20dEndpoint"] * 1e8, abs=0.006e8)  # published to 0.01 亿元


def test_implied_shares_from_volume_and_turnover(shared_data):
    """Section 13: 成交量 / (换手率 / 100) on 2026-09-24 ≈ 5.74e9; not marked official."""
    with (shared_data / "etf_daily_fishetf_562800" / "etf_daily_562800.csv").open(encoding="utf-8") as fh:
        last = list(csv.reader(fh))[-1]
    assert last[0] == "2026-09-24"
    shares = etf_meta.load_shares("562800")
    assert not shares.at[pd.Timestamp("2026-09-24"), "official"]
    assert shares.at[pd.Timestamp("2026-09-24"), "shares"] == pytest.approx(float(last[6]) / (float(last[11]) / 100))
    assert shares.at[pd.Timestamp("2026-09-24"), "shares"] == pytest.approx(5.74e9, rel=1e-3)


def test_index_map_and_companies_match_the_sources(shared_data):
    with (shared_data / "etf_index_map_geektutu" / "etf_index_map.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    assert len(rows) == 1753
    table = etf_meta.meta_table()
    mapped = {r[0]: r[1] for r in rows if r[1] not in ("", "--")}
    assert {c: table.at[c, "index_code"] for c in mapped} == mapped
    for code, index in {"562800": "930632", "560860": "H11059", "512400": "000819", "510300": "000300",
                        "159915": "399006", "588000": "000688", "512480": "H30184", "515790": "931151"}.items():
        assert etf_meta.tracked_index(code) == index
    assert {"562800", "159608", "159671", "561800", "561050", "561250", "561390", "158028"} <= set(
        etf_meta.trackers("930632"))
    assert table.at["562800", "company"] == "嘉实" and table.at["560860", "company"] == "万家"
    assert etf_meta.company_of("沪深300ETF") is None
    checks = etf_meta.meta_manifest()["checks"]
    assert checks["index_map_shares_within_100_of_official_2026_06_30"] == "1042 of 1132"  # as SOURCES.md says


def test_tracking_error_510300_by_hand():
    etf, index = qk.load_prices("510300")["close"], qk.load_prices("000300")["close"]
    common = etf.index.intersection(index.index)[-244:]
    diff = np.diff(etf[common].to_numpy()) / etf[common].to_numpy()[:-1] - \
        np.diff(index[common].to_numpy()) / index[common].to_numpy()[:-1]
    expected = float(np.std(diff, ddof=1) * math.sqrt(243))
    info = qk.etf_info("510300")
    assert info.tracking_error == pytest.approx(expected, rel=1e-9)
    assert 0.0 < info.tracking_error < 0.05
    assert info.fee == "unknown"
    assert qk.etf_info("562800").tracking_error is None  # no 930632 bars stored


def test_cli_etf_peers_lists_the_930632_trackers_with_scale(capsys):
    code, out, _ = run_cli(capsys, "etf", "peers", "562800", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["index_code"] == "930632"
    scales = {p["code"]: p["scale"] for p in doc["peers"]}
    assert {"562800", "159608", "159671", "561800"} <= set(scales)
    assert scales["562800"] == pytest.approx(5_653_345_000 * 0.962)
    known = [s for s in scales.values() if s is not None]
    assert known == sorted(known, reverse=True)
    code, text, _ = run_cli(capsys, "etf", "peers", "562800")
    assert code == 0 and "930632" in text and "稀有金属ETF广发" in text
    code, text, _ = run_cli(capsys, "etf", "info", "510300")
    assert code == 0 and "000300" in text and "unknown" in text


def test_meta_files_match_their_checksums_and_stay_small():
    """(The whole manifest, this block included, is rebuilt and compared in test_data_snapshot.)"""
    stored = json.loads((SNAPSHOT / "manifest.json").read_text(encoding="utf-8"))["etf_meta"]
    assert set(stored["files"]) == {"etf_meta", "etf_shares"}
    for entry in stored["files"].values():
        frame = pd.read_parquet(SNAPSHOT / entry["file"])
        assert len(frame) == entry["rows"] and content_sha256(frame) == entry["content_sha256"]
    size = sum((SNAPSHOT / e["file"]).stat().st_size for e in stored["files"].values())
    assert size < 300_000


def test_a_changed_meta_file_is_refused_in_one_line(tmp_path):
    import shutil

    from quantkit.errors import DataValidationError

    copy = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT, copy)
    shares = pd.read_parquet(copy / "meta" / "etf_shares.parquet")
    shares.iloc[3, shares.columns.get_loc("shares")] += 100
    shares.to_parquet(copy / "meta" / "etf_shares.parquet")
    with pytest.raises(DataValidationError, match=r"^snapshot/meta/etf_shares.parquet: its content sha256 differs") as err:
        etf_meta._read(str(copy), "etf_shares")
    assert "\n" not in str(err.value)
    (copy / "meta" / "etf_meta.parquet").write_bytes(b"PAR1 not parquet PAR1")
    with pytest.raises(DataValidationError, match="etf_meta.parquet: not readable as parquet"):
        etf_meta._read(str(copy), "etf_meta")


# ---------------------------------------------------------------- same-index selection in the rotation

def _index_groups_from_raw(shared: Path) -> dict[str, str]:
    with (shared / "etf_index_map_geektutu" / "etf_index_map.csv").open(encoding="utf-8", newline="") as fh:
        return {r[0]: r[1] for r in list(csv.reader(fh))[1:] if r[1] not in ("", "--")}


def _same_group_days(holdings: pd.Series, groups: dict[str, str]) -> dict[pd.Timestamp, tuple[str, ...]]:
    out = {}
    for day, syms in holdings.items():
        idx = [groups[s] for s in syms if s in groups]
        if len(idx) != len(set(idx)):
            out[day] = tuple(syms)
    return out


def test_rotation_never_holds_two_etfs_of_one_index(shared_data):
    groups = _index_groups_from_raw(shared_data)
    on = qk.run_strategy("strategies/quadrant_rotation.toml")
    off = qk.run_strategy("strategies/quadrant_rotation.toml", overrides=["rotation.same_index=false"])
    assert _same_group_days(on.model.holdings, groups) == {}
    before = _same_group_days(off.model.holdings, groups)
    pairs = {tuple(sorted(s for s in syms if [groups.get(x) for x in syms].count(groups.get(s)) > 1))
             for syms in before.values()}
    assert len(before) == 27 and pairs == {("512000", "512880"), ("159611", "561560")}
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"held together on {len(before)} of {len(off.model.holdings)} weekly rebalances" in readme
    same = on.model.same_index
    assert set(zip(same["dropped"], same["kept"])) == {("512000", "512880"), ("561560", "159611")}
    # the basis of a 2025 decision, by hand: shares implied by volume / turnover × close on that day
    day = same.index[(same.index < "2025-07-01") & (same["dropped"] == "512000")][-1]
    scale = {}
    for code in ("512880", "512000"):
        bars = qk.load_prices(code).loc[:day]
        scale[code] = bars["volume"].iloc[-1] / (bars["turnover"].iloc[-1] / 100) * bars["close"].iloc[-1]
    row = same.loc[[day]].set_index("dropped").loc["512000"]
    assert row["basis"] == f"scale {scale['512880'] / 1e8:.2f} vs {scale['512000'] / 1e8:.2f} 亿元"


def test_similar_corr_groups_the_two_chip_indices():
    """159995 (980017) and 512760 (990001) track different chip indices; similar_corr groups them."""
    held = qk.run_strategy("strategies/quadrant_rotation.toml").model.holdings
    assert sum("159995" in s and "512760" in s for s in held) == 30
    similar = qk.run_strategy("strategies/quadrant_rotation.toml", overrides=["rotation.similar_corr=0.98"])
    assert sum("159995" in s and "512760" in s for s in similar.model.holdings) == 0
    assert similar.model.same_index["group"].str.contains("index 980017 ~ index 990001").any()


def test_same_index_step_order_and_correlation_groups():
    from quantkit.models.rotation import same_index_groups, same_index_step

    table = pd.DataFrame({"quadrant": pd.array([2, 2, 3, 2], dtype="Int64"), "rise": [0.3, 0.2, 0.1, 0.25],
                          "reason": ["", "", "", ""]}, index=["A", "B", "C", "D"])
    groups = {"A": "index X", "B": "index X", "C": "index X", "D": "index Y"}
    out, drops = same_index_step(table, groups, {"A": 1e9, "B": 2e9, "C": np.nan}, {})
    assert [d["kept"] for d in drops] == ["B", "B"] and out["quadrant"].isna().tolist() == [True, False, True, False]
    assert out.at["A", "reason"].startswith("same index X as B")
    _, drops = same_index_step(table, groups, {}, {"A": 0.02, "B": 0.01, "C": 0.03})
    assert drops[0]["kept"] == "B" and "tracking error" in drops[0]["basis"]
    rng = np.random.default_rng(0)
    base = rng.normal(0, 0.02, 250)
    returns = pd.DataFrame({"A": base, "B": base + rng.normal(0, 0.001, 250), "C": rng.normal(0, 0.02, 250)})
    g = same_index_groups(["A", "B", "C"], {"A": "X", "B": None, "C": None}, returns, 0.97)
    assert g == {"A": "index X", "B": "index X", "C": "corr C"}
    g = same_index_groups(["A", "B", "C"], {"A": "X", "B": "Y", "C": "Z"}, returns, 0.97, similar=0.97)
    assert g == {"A": "index X ~ index Y", "B": "index X ~ index Y", "C": "index Z"}


# ---------------------------------------------------------------- signal and weekly

def test_signal_json_has_shares_scale_and_flows(capsys, shared_data):
    code, out, _ = run_cli(capsys, "signal", "--etf", "562800", "--as-of", "2026-08-21", "--json")
    assert code == 0
    doc = json.loads(out)
    raw = _raw_official_shares(shared_data, "562800")
    close = qk.load_prices("562800")["close"]
    assert doc["tracked_index"] == "930632" and doc["shares_official"] is True
    assert doc["shares"] == raw["2026-08-21"] and doc["flow_date"] == "2026-08-21"
    assert doc["scale"] == pytest.approx(raw["2026-08-21"] * close["2026-08-21"])
    assert doc["flow_20d"] == pytest.approx(etf_meta.share_facts("562800").flow_20d)
    # before the official figures: shares implied by volume / turnover, no flow
    code, out, _ = run_cli(capsys, "signal", "--etf", "562800", "--as-of", "2026-01-23", "--json")
    doc = json.loads(out)
    bars = qk.load_prices("562800").loc[:"2026-01-23"].dropna(subset=["turnover"])
    assert doc["shares_official"] is False and doc["flow_5d"] is None and doc["flow_20d"] is None
    assert doc["shares_date"] == str(bars.index[-1].date()) == "2025-07-04"  # East Money turnover ends there
    assert doc["shares"] == pytest.approx(bars["volume"].iloc[-1] / (bars["turnover"].iloc[-1] / 100))


def test_weekly_flows_panel(tmp_path, shared_data):
    from quantkit.app.weekly import build_weekly, write_weekly

    report = build_weekly(as_of="2026-08-21")
    flows = report["flows"]
    rows = {r["symbol"]: r for r in flows["rows"]}
    raw = _raw_official_shares(shared_data, "512400")
    days = sorted(d for d in raw if "2026-07-24" <= d <= "2026-08-21")
    close = qk.load_prices("512400", adjust="none")["close"]
    assert rows["512400"]["flow_20d"] == pytest.approx(
        sum((raw[b] - raw[a]) * close[b] for a, b in zip(days, days[1:])), rel=1e-12)
    assert rows["512400"]["return_20d"] == pytest.approx(
        qk.load_prices("512400")["close"]["2026-08-21"] / qk.load_prices("512400")["close"]["2026-07-24"] - 1)
    flows_sorted = [r["flow_20d"] for r in flows["rows"]]
    assert flows_sorted == sorted(flows_sorted, reverse=True)
    assert all(rows[c]["flow_20d"] > 0 for c in flows["creations"]) and all(rows[c]["flow_20d"] < 0 for c in flows["redemptions"])
    assert len(flows["rows"]) + len(flows["missing"]) == len(report["universe"])
    files = write_weekly(report, tmp_path)
    md, html = files.md.read_text(encoding="utf-8"), files.html.read_text(encoding="utf-8")
    assert "## Flows" in md and "to 2026-08-21" in md and "Largest net redemptions" in md
    assert "chart-weekly-flows" in html and 'id="flows"' in html
    early = build_weekly(as_of="2026-01-23")["flows"]  # before any official figure
    assert early["rows"] == [] and early["shares_dates"] == ["2026-05-14", "2026-10-09"]
