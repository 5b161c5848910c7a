"""Faults and bad inputs of the data layer: after each, the store reads back its previous
complete state (or the new one), `data list` agrees with `load_prices`, and the next
successful write leaves no temporary or orphaned file behind."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import quantkit as qk
from quantkit.data import store as store_mod
from quantkit.data.api import DataSources, list_data, load_prices
from quantkit.data.store import ParquetStore, Snapshot, StoreWriteError, frame_to_parquet_bytes
from quantkit.errors import DataUnavailableError, DataValidationError, QuantkitError

ROOT = Path(__file__).resolve().parents[1]
CODE = "562800"


def _bars(n: int = 30, scale: float = 1.0) -> pd.DataFrame:
    frame = Snapshot().read(CODE).iloc[:n].copy()
    frame[["open", "high", "low", "close"]] *= scale
    frame.attrs = {"symbol": CODE, "source": "test", "adjustment": "qfq"}
    return frame


@pytest.fixture
def src(tmp_path) -> DataSources:
    return DataSources(ParquetStore(tmp_path / "data" / "store"), Snapshot(), providers=[])


def _agree(src: DataSources) -> pd.DataFrame:
    """`data list` and `load_prices` describe the same series; that series."""
    frame = load_prices(CODE, sources=src)
    row = list_data(sources=src).query("symbol == @CODE and kind == 'etf'").iloc[0]
    assert (row["rows"], row["last_date"]) == (len(frame), frame.index[-1].date().isoformat())
    return frame


def _clean(store: ParquetStore) -> None:
    """No temporary file, and no data file that neither the manifest nor its backup names."""
    files = {p for p in store.root.rglob("*") if p.is_file()}
    assert not [p for p in files if p.name.endswith(".tmp")]
    named = {store.root / m["file"] for path in (store.manifest_path, store.backup_path) if path.exists()
             for m in json.loads(path.read_text()).values()}
    assert {p for p in files if p.suffix == ".parquet"} <= named


def _state(src: DataSources) -> int:
    """Rows of the store's 562800 series as every reader sees it (30 before, 40 after a test write)."""
    return len(_agree(src))


# -- 1. a write is one transaction ------------------------------------------------------------

STEPS = [(call, when) for call in ("data", "backup", "manifest") for when in ("before", "after")]


@pytest.mark.parametrize("call, when", STEPS, ids=[f"{c}-{w}" for c, w in STEPS])
def test_disk_full_at_each_step_of_a_write(src, monkeypatch, call, when):
    src.store.write(CODE, _bars(30))
    src.store.write("560860", _bars(20))
    real, calls = store_mod.atomic_write_bytes, []

    def full(path, data):
        calls.append(path)
        step = ("data", "backup", "manifest")[len(calls) - 1]
        if step == call and when == "before":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        out = real(path, data)
        if step == call and when == "after":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return out

    monkeypatch.setattr(store_mod, "atomic_write_bytes", full)
    with pytest.raises(StoreWriteError, match="No space left on device.*keeps its previous state"):
        src.store.write(CODE, _bars(40))
    monkeypatch.setattr(store_mod, "atomic_write_bytes", real)
    assert _state(src) == (40 if (call, when) == ("manifest", "after") else 30)
    assert len(src.store.read("560860")) == 20  # the other entry is never lost
    src.store.write(CODE, _bars(50))
    assert _state(src) == 50
    _clean(src.store)


def test_disk_full_inside_the_data_file_leaves_no_temporary(src, monkeypatch):
    src.store.write(CODE, _bars(30))

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreWriteError):
        src.store.write(CODE, _bars(40))
    monkeypatch.undo()
    assert _state(src) == 30
    _clean(src.store)


KILLED = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    from quantkit.data.api import import_file
    calls = []
    def hang(fd):
        calls.append(fd)
        if len(calls) == {at}:
            print("writing", flush=True)
            time.sleep(60)
    os.fsync = hang
    import_file({csv!r}, "562800")
    print("done", flush=True)
""")


@pytest.mark.parametrize("at", [1, 2, 3], ids=["data", "backup", "manifest"])
def test_writer_killed_mid_import(src, tmp_path, at, monkeypatch):
    monkeypatch.setenv("QUANTKIT_DATA_DIR", str(tmp_path / "data"))
    src.store.write(CODE, _bars(30))
    csv = tmp_path / "562800.csv"
    _bars(40).to_csv(csv, index_label="date")
    proc = subprocess.Popen([sys.executable, "-c", KILLED.format(root=str(ROOT), csv=str(csv), at=at)],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert _state(src) == 30  # the manifest was never swapped: the old state, complete
    src.store.write(CODE, _bars(50))
    assert _state(src) == 50
    _clean(src.store)


def test_old_versions_are_collected_after_two_writes(src):
    for n in (30, 40, 50):
        src.store.write(CODE, _bars(n))
    files = sorted(p.name for p in (src.store.root / "prices").iterdir())
    assert len(files) == 2  # the current version and the backup generation's
    assert src.store.path(CODE).name in files
    _clean(src.store)


def test_legacy_unversioned_file_still_reads_and_is_replaced(src):
    data = frame_to_parquet_bytes(_bars(30))
    legacy = src.store.root / "prices" / f"{CODE}.parquet"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(data)
    meta = {"symbol": CODE, "kind": "prices", "rows": 30, "first_date": "x", "last_date": "2024-01-01",
            "sha256": hashlib.sha256(data).hexdigest()}
    src.store.manifest_path.write_text(json.dumps({f"prices/{CODE}": meta}))
    assert len(src.store.read(CODE)) == 30
    src.store.write(CODE, _bars(40))
    src.store.write(CODE, _bars(50))
    assert not legacy.exists()
    _clean(src.store)
