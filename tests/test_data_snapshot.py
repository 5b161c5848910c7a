"""Facts of the committed real-data snapshot."""

import json
from pathlib import Path

import pandas as pd
import pytest

import quantkit as qk
from quantkit.data.adjust import Event, event_factor
from quantkit.data.checksum import content_sha256
from quantkit.data.schema import COLUMNS
from quantkit.errors import ConfigError, DataUnavailableError

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "data_cache" / "snapshot"
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
        assert content_sha256(pd.read_parquet(SNAPSHOT / entry["file"])) == entry["content_sha256"], key
        assert entry["sources"] and all(len(s["commit"]) == 40 for s in entry["sources"])
        for field in ("symbol", "name", "kind", "first_date", "last_date", "rows", "adjustment"):
            assert entry[field] not in (None, ""), (key, field)
    assert MANIFEST["562800"]["name"] == "稀有金属ETF"
    assert MANIFEST["560860"]["name"] == "工业有色ETF"


def test_snapshot_stays_small():
    size = sum(p.stat().st_size for p in SNAPSHOT.rglob("*") if p.is_file())
    assert size < 8e6


def test_510300_return_with_distributions_reinvested():
    """2012-05-28 → 2015-01-05, by hand from the raw closes and the two distributions in between
    (0.033 ex 2012-12-18, previous close 2.403; 0.048 ex 2014-01-21, previous close 2.212).

    East Money's subtractive qfq gives +67.6 % over the same days, raw close + cumulative cash
    (cash not reinvested) +44.7 %."""
    close = qk.load_prices("510300").close
    expected = 3.688 / 2.604 * (2.403 / (2.403 - 0.033)) * (2.212 / (2.212 - 0.048)) - 1  # +46.79 %
    assert close.loc["2015-01-05"] / close.loc["2012-05-28"] - 1 == pytest.approx(expected, abs=1e-9)
    assert expected == pytest.approx(0.4679, abs=1e-4)
    assert close.iloc[-1] == qk.load_prices("510300", adjust="none").close.iloc[-1]  # qfq: last bar unchanged


def test_one_factor_step_by_hand():
    """510300's 2012-12-18 distribution: 0.033 per unit, previous close 2.403."""
    hfq = qk.load_prices("510300", adjust="hfq").close
    raw = qk.load_prices("510300", adjust="none").close
    assert hfq.loc["2012-12-18"] / raw.loc["2012-12-18"] == pytest.approx(2.403 / 2.370, abs=1e-12)
    assert hfq.loc["2012-12-17"] == raw.loc["2012-12-17"] == 2.403
    close = pd.Series([10.0, 10.0, 9.5, 19.0], index=pd.date_range("2026-01-05", periods=4))
    factor = event_factor(close, [Event(close.index[2], "cash", 0.5), Event(close.index[3], "split", 0.5)])
    assert factor.tolist() == pytest.approx([1.0, 1.0, 10 / 9.5, 10 / 9.5 * 0.5])


def test_adjust_none_is_the_raw_source_file(shared_data):
    for code in ("510300", "512480"):  # 512480: two 1:2 splits
        raw = pd.read_csv(shared_data / "etf_raw_factors_morphkyan" / f"{code}.csv", parse_dates=["trade_date"],
                          index_col="trade_date")
        bars = qk.load_prices(code, adjust="none")
        assert (bars.close.reindex(raw.index) == raw.close).all(), code
        assert (bars.volume.reindex(raw.index) == raw.volume * 100).all(), code


@pytest.mark.parametrize("code, adjustment", [("560860", "qfq-subtractive-em"), ("562800", "qfq-subtractive-em"),
                                              ("512880", "qfq-multiplicative"), ("518880", "qfq-multiplicative")])
def test_funds_without_distributions_keep_their_returns(shared_data, code, adjustment):
    old = pd.read_parquet(shared_data / "etf_daily_tencent_qfq_quantbacktest" / f"{code}.parquet").set_index("date")
    bars = qk.load_prices(code)
    assert MANIFEST[code]["adjustment"] == adjustment
    common = bars.index.intersection(old.index)
    assert len(common) > 500
    diff = bars.close.loc[common].pct_change() - old.close.loc[common].pct_change()
    assert diff.abs().max() < 1e-9


def test_multiplicative_where_raw_prices_and_events_exist():
    adjustments = {k: e["adjustment"] for k, e in MANIFEST.items() if e["kind"] == "etf"}
    assert set(adjustments.values()) == {"qfq-multiplicative", "qfq-subtractive-em"}
    multiplicative = {k for k, v in adjustments.items() if v == "qfq-multiplicative"}
    assert {"510300", "510500", "510880", "510050", "512400", "512480", "512800", "515220"} <= multiplicative
    assert len(multiplicative) >= 19
    bars = qk.load_prices("512480", start="2026-07-01", end="2026-07-06")  # 1:2 split on 2026-07-03
    assert (bars.close.pct_change().abs().dropna() < 0.11).all()


def test_hfq_and_none_need_factors():
    with pytest.raises(DataUnavailableError, match="562800 has no raw prices or adjustment factors"):
        qk.load_prices("562800", adjust="none")
    with pytest.raises(ConfigError, match="adjust must be one of"):
        qk.load_prices("510300", adjust="raw")
    assert qk.load_prices("562800", adjust="qfq").close.loc["2025-12-31"] == pytest.approx(0.930)


def test_newer_bars_from_the_verified_transcribed_tails():
    last = {k: MANIFEST[k]["last_date"] for k in ("562800", "510300", "512400", "159915", "588000", "512480",
                                                   "515790", "510500", "000300")}
    assert last == {"562800": "2026-09-24", "510300": "2026-09-30", "512400": "2026-09-30", "159915": "2026-09-30",
                    "588000": "2026-09-30", "512480": "2026-09-30", "515790": "2026-09-30", "510500": "2026-08-03",
                    "000300": "2026-10-09"}
    assert qk.load_prices("562800").close.loc["2026-09-24"] == pytest.approx(0.856)
    # 510300 on 2026-09-23 as published by a second, independent source (section 15): 4.590
    assert qk.load_prices("510300", adjust="none").close.loc["2026-09-23"] == pytest.approx(4.59)
    idx = qk.load_prices("000300").loc["2026-10-09"]
    assert idx.amount > 1e11


def test_valuation_000300_has_pe_and_pb():
    val = qk.load_valuation("000300")
    assert list(val.columns) == ["pe", "pb"]
    assert val.index[0] == pd.Timestamp("2005-04-08")
    assert val.loc["2026-05-28", "pe"] == pytest.approx(13.80)
    assert val.loc["2026-05-28", "pb"] == pytest.approx(1.45)


def _build(shared: Path, out: Path) -> dict:
    import subprocess
    import sys

    subprocess.run([sys.executable, str(ROOT / "data_cache" / "build_snapshot.py"), "--source", str(shared),
                    "--out", str(out)], check=True, capture_output=True)
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_rebuild_from_scratch_gives_the_same_manifest_and_frames(tmp_path, shared_data):
    """Files written anew carry this pandas/pyarrow's versions in their bytes; the manifest (content
    checksums included) and every frame, dtypes and index included, equal the committed ones."""
    rebuilt = _build(shared_data, tmp_path)
    assert rebuilt == json.loads((SNAPSHOT / "manifest.json").read_text(encoding="utf-8"))
    files = [e["file"] for e in rebuilt["entries"].values()] + [e["file"] for e in rebuilt["etf_meta"]["files"].values()]
    for file in files:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / file), pd.read_parquet(SNAPSHOT / file),
                                      check_exact=True, check_freq=True, obj=file)


def test_rebuild_in_place_changes_no_committed_byte(tmp_path, shared_data):
    import shutil

    copy = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT, copy)
    _build(shared_data, copy)
    before = {p.relative_to(SNAPSHOT): p.read_bytes() for p in SNAPSHOT.rglob("*") if p.is_file()}
    after = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert after.keys() == before.keys()
    assert [str(p) for p in before if after[p] != before[p]] == []


def test_content_checksum_ignores_the_writer_but_sees_every_value(tmp_path):
    """The same frame written by another pandas/pyarrow (other versions in the parquet metadata,
    another codec) keeps its content checksum; a changed value, dtype, name or date does not."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = qk.load_prices("562800").iloc[:50]
    frame.attrs = {}
    table = pa.Table.from_pandas(frame)
    meta = json.loads(table.schema.metadata[b"pandas"])
    paths = []
    for version, codec in (("3.1.1", "zstd"), ("3.1.9", "snappy")):
        stamped = table.replace_schema_metadata({b"pandas": json.dumps({**meta, "pandas_version": version}).encode()})
        paths.append(tmp_path / f"{version}.parquet")
        pq.write_table(stamped, paths[-1], compression=codec)
    assert paths[0].read_bytes() != paths[1].read_bytes()
    first, second = (pd.read_parquet(p) for p in paths)
    assert content_sha256(first) == content_sha256(second) == content_sha256(frame)

    changed = {
        "one close": frame.assign(close=frame.close.where(frame.index != frame.index[7], frame.close.iloc[7] + 1e-9)),
        "float32 volume": frame.astype({"volume": "float32"}),
        "a column name": frame.rename(columns={"amount": "amt"}),
        "the index name": frame.rename_axis("day"),
        "one date": frame.set_axis(frame.index.where(frame.index != frame.index[-1], frame.index[-1] + pd.Timedelta(days=1))),
        "column order": frame[frame.columns[::-1]],
    }
    digests = {what: content_sha256(f) for what, f in changed.items()}
    assert len(set(digests.values()) | {content_sha256(frame)}) == len(changed) + 1, digests


def test_content_checksum_follows_its_documented_layout():
    """Built here from the module docstring: a layout tag, then per column (index first) its name and
    dtype as JSON and its values — int64 nanoseconds, little-endian float64, text as JSON."""
    import hashlib
    import struct

    import numpy as np

    days = pd.DatetimeIndex(["2026-01-22", "2026-01-23"], name="date").as_unit("ns")
    frame = pd.DataFrame({"close": [1.5, np.nan], "name": ["稀有金属", None]}, index=days)
    h = hashlib.sha256(b"quantkit content checksum 1\0")
    h.update(b'["index:date", "datetime64[ns]"]\0' + struct.pack("<2q", *(d.value for d in days)))
    h.update(b'["close", "float64"]\0' + struct.pack("<2d", 1.5, float("nan")))
    h.update(f'["name", "{frame["name"].dtype}"]\0'.encode() + '["稀有金属", null]'.encode())
    assert content_sha256(frame) == h.hexdigest()


def _builder():
    import importlib.util

    path = ROOT / "data_cache" / "build_snapshot.py"
    spec = importlib.util.spec_from_file_location("build_snapshot", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_transcribed_tail_is_checked_row_by_row():
    verify_tail = _builder().verify_tail
    days = pd.bdate_range("2026-04-01", periods=40)
    ref = pd.DataFrame({"open": 4.0, "high": 4.1, "low": 3.9, "close": 4.05, "volume": 1e8, "amount": 4e8},
                       index=days[:30])
    tail = pd.DataFrame({"open": 4.88, "high": 4.98, "low": 4.78, "close": 4.93, "volume": 1e8, "amount": 4e8},
                        index=days[5:])  # raw + 0.88, like section 14's 510300
    tail.loc[days[7], "close"] = 4.94  # one transcription error on an overlapping day
    new, report = verify_tail(tail, ref)
    assert report["basis"] == "raw + 0.8800" and report["mismatching_rows"] == 1
    assert report["mismatching_dates"] == str(days[7].date()) and report["used"]
    assert list(new.index) == list(days[30:]) and (new["close"] == 4.05).all()
    tail.loc[days[8:12], "open"] = 4.5  # five of 25 common rows wrong: the file is not used
    new, report = verify_tail(tail, ref)
    assert new is None and report["mismatching_rows"] == 5 and not report["used"]
    for key in ("562800", "510300", "000300"):
        checked = [s for s in MANIFEST[key]["sources"] if s.get("transcribed")]
        assert checked and all(s["mismatching_rows"] == 0 and s["used"] for s in checked), key
