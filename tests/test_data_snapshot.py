"""Facts of the committed real-data snapshot."""

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

import quantkit as qk
from quantkit.data.schema import COLUMNS

SNAPSHOT = Path(__file__).resolve().parents[1] / "data_cache" / "snapshot"
MANIFEST = json.loads((SNAPSHOT / "manifest.json").read_text(encoding="utf-8"))["entries"]


def test_562800_price_return_2025_is_90_18_percent():
    close = qk.load_prices("562800").close
    assert close.loc["2024-12-31"] == pytest.approx(0.489)
    assert close.loc["2025-12-31"] == pytest.approx(0.930)
    assert close.loc["2025-12-31"] / close.loc["2024-12-31"] - 1 == pytest.approx(0.9018, abs=5e-5)


def test_000985_has_2026_01_23_and_amount_in_cny():
    bars = qk.load_prices("000985")
    row = bars.loc["2026-01-23"]
    assert row.close == pytest.approx(6356.82)
    assert 1e11 < row.amount < 1e13  # 亿元 converted to CNY: trillions of CNY a day
    assert bars.index[0] == pd.Timestamp("2015-01-05")  # the 2015-01-01 artefact row is gone


def test_canonical_schema_and_units():
    bars = qk.load_prices("562800", start="2025-07-01", end="2025-07-04")
    assert bars.index.name == "date" and list(bars.columns) == list(COLUMNS)
    assert bars.index.dtype == "datetime64[ns]"
    # 2025-07-04: East Money 917,932 lots → 91,793,200 shares
    assert bars.loc["2025-07-04", "volume"] == 91_793_200
    assert bars.loc["2025-07-04", "turnover"] == pytest.approx(5.76)


def test_every_manifest_entry_is_checksummed_and_complete():
    assert sum(e["kind"] == "etf" for e in MANIFEST.values()) >= 40
    for key in ("562800", "560860", "512400", "560500", "510300", "000985", "000300", "881001",
                "000300:valuation"):
        assert key in MANIFEST
    assert sum(k.startswith("801") for k in MANIFEST) == 31
    for key, entry in MANIFEST.items():
        path = SNAPSHOT / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], key
        assert entry["sources"] and all(len(s["commit"]) == 40 for s in entry["sources"])
        for field in ("symbol", "name", "kind", "first_date", "last_date", "rows", "adjustment"):
            assert entry[field] not in (None, ""), (key, field)
    assert MANIFEST["562800"]["name"] == "稀有金属ETF"
    assert MANIFEST["560860"]["name"] == "工业有色ETF"


def test_snapshot_stays_small():
    size = sum(p.stat().st_size for p in SNAPSHOT.rglob("*") if p.is_file())
    assert size < 8e6


def test_spliced_history_keeps_returns_of_each_source(shared_data):
    """510300: newest source anchors the level; the long history is rescaled, returns unchanged."""
    raw = pd.read_csv(shared_data / "etf_daily_em_qfq_mky508" / "510300.csv", parse_dates=["date"], index_col="date")
    bars = qk.load_prices("510300")
    assert bars.index[0] <= pd.Timestamp("2012-06-01")  # history reaches back to listing (2012-05-28)
    window = bars.loc["2013-01-04":"2013-12-31", "close"].pct_change().dropna()
    ref = raw.loc["2013-01-04":"2013-12-31", "close"].pct_change().dropna()
    assert (window - ref).abs().max() < 1e-9


def test_valuation_000300_has_pe_and_pb():
    val = qk.load_valuation("000300")
    assert list(val.columns) == ["pe", "pb"]
    assert val.index[0] == pd.Timestamp("2005-04-08")
    assert val.loc["2026-05-28", "pe"] == pytest.approx(13.80)
    assert val.loc["2026-05-28", "pb"] == pytest.approx(1.45)


def test_rebuild_is_deterministic(tmp_path, shared_data):
    shared = shared_data
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, str(root / "data_cache" / "build_snapshot.py"), "--source", str(shared),
                    "--out", str(tmp_path)], check=True, capture_output=True)
    rebuilt = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["entries"]
    assert {k: v["sha256"] for k, v in rebuilt.items()} == {k: v["sha256"] for k, v in MANIFEST.items()}
