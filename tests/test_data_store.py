"""Cache safety: atomic writes, locks, corrupt files detected, killed writers harmless."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import quantkit as qk
from quantkit.data.store import ParquetStore
from quantkit.errors import DataUnavailableError

ROOT = Path(__file__).resolve().parents[1]


def _bars(n: int = 30, scale: float = 1.0) -> pd.DataFrame:
    frame = qk.load_prices("562800").iloc[:n].copy()
    frame[["open", "high", "low", "close"]] *= scale
    frame.attrs = {"symbol": "562800", "source": "test", "adjustment": "qfq"}
    return frame


def test_write_then_read_round_trip_with_manifest(tmp_path):
    store = ParquetStore(tmp_path / "store")
    frame = _bars()
    store.write("562800", frame, name="稀有金属ETF")
    back = store.read("562800")
    pd.testing.assert_frame_equal(back, frame, check_freq=False)
    meta = json.loads((tmp_path / "store" / "manifest.json").read_text())["prices/562800"]
    assert meta["rows"] == 30 and meta["source"] == "test" and meta["name"] == "稀有金属ETF"
    assert not [p for p in (tmp_path / "store" / "prices").iterdir() if p.suffix == ".tmp"]


def test_corrupt_cache_file_is_quarantined_and_reported(tmp_path):
    store = ParquetStore(tmp_path / "store")
    store.write("562800", _bars())
    store.path("562800").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataUnavailableError, match="corrupt.*quarantine.*quantkit fetch 562800"):
        store.read("562800")
    assert not store.path("562800").exists()
    assert len(list((tmp_path / "quarantine").iterdir())) == 1
    assert store.read("562800") is None  # never read again; the snapshot answers instead


WRITER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    import quantkit as qk
    from quantkit.data import store as st
    frame = qk.load_prices("562800").iloc[:{rows}].copy()
    frame[["open","high","low","close"]] *= {scale}
    s = st.ParquetStore(__import__("pathlib").Path({path!r}))
    if {hang}:
        real = os.fsync
        def slow(fd):
            print("writing", flush=True)
            time.sleep(60)
        os.fsync = slow
    for _ in range({repeat}):
        s.write("562800", frame)
    print("done", flush=True)
""")


def _writer(path, rows=30, scale=1.0, hang=False, repeat=1):
    code = WRITER.format(root=str(ROOT), path=str(path), rows=rows, scale=scale, hang=hang, repeat=repeat)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_writer_killed_mid_write_leaves_previous_file_intact(tmp_path):
    store = ParquetStore(tmp_path / "store")
    before = _bars(30)
    store.write("562800", before)
    proc = _writer(tmp_path / "store", rows=600, hang=True)
    assert proc.stdout.readline().strip() == "writing"  # the temp file is being written now
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    pd.testing.assert_frame_equal(store.read("562800"), before, check_freq=False)


def test_two_concurrent_writers_leave_a_valid_file(tmp_path):
    store = ParquetStore(tmp_path / "store")
    procs = [_writer(tmp_path / "store", rows=200, scale=1.0, repeat=15),
             _writer(tmp_path / "store", rows=300, scale=2.0, repeat=15)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    final = store.read("562800")
    assert len(final) in (200, 300)
    expected = _bars(len(final), 1.0 if len(final) == 200 else 2.0)
    pd.testing.assert_series_equal(final.close, expected.close, check_freq=False)
    meta = store.manifest()["prices/562800"]
    assert meta["rows"] in (200, 300)
