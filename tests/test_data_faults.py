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
from quantkit.data.checksum import content_sha256
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


# -- 2. a damaged manifest ---------------------------------------------------------------------

def _two_writes(src: DataSources) -> None:
    src.store.write("560860", _bars(20))
    src.store.write(CODE, _bars(30))  # the backup generation holds 560860 only


@pytest.mark.parametrize("damage", [
    lambda p: p.write_text("{not json"),
    lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    lambda p: p.write_text("[1, 2, 3]"),
    lambda p: p.write_bytes(b"\xff\xfe\x00garbage"),
    lambda p: p.unlink(),
], ids=["garbage", "truncated", "wrong-shape", "not-utf8", "deleted"])
def test_damaged_manifest_recovers_from_backup(src, caplog, damage):
    _two_writes(src)
    damage(src.store.manifest_path)
    with caplog.at_level(logging.WARNING, logger="quantkit"):
        assert len(src.store.read("560860")) == 20
    assert "manifest.json.bak" in caplog.text and len(caplog.records) == 1
    damaged = src.store.manifest_path.read_bytes() if src.store.manifest_path.exists() else None
    src.store.write(CODE, _bars(40))  # restores a manifest; nothing else is lost
    assert json.loads(src.store.manifest_path.read_text()).keys() == {"prices/560860", f"prices/{CODE}"}
    kept = [p.read_bytes() for p in (src.store.root.parent / "quarantine").glob("manifest.*.json")]
    assert kept == ([damaged] if damaged is not None else [])  # the damaged manifest is kept aside
    assert _state(src) == 40 and len(src.store.read("560860")) == 20
    _clean(src.store)


def test_both_manifests_damaged_refuses_with_what_to_do(src, capsys):
    _two_writes(src)
    src.store.manifest_path.write_text("{")
    src.store.backup_path.write_text("")
    for action in (lambda: src.store.read(CODE), lambda: src.store.write(CODE, _bars(40))):
        with pytest.raises(DataUnavailableError, match="both damaged: move them out of") as err:
            action()
        assert "\n" not in str(err.value)
    assert src.store.manifest_path.read_text() == "{"  # never overwritten


# -- 3. damaged data files -----------------------------------------------------------------------

def _corrupt(src: DataSources, how: str) -> Path:
    """Damage the store's 562800 file; for readable-but-wrong frames the manifest's sha256 is
    updated too, as a foreign writer would leave it."""
    src.store.write(CODE, _bars(30))
    path = src.store.path(CODE)
    frame = pd.read_parquet(path)
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:200])
        return path
    if how == "flipped":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        return path
    frame = {
        "not-parquet": lambda f: None,
        "no-close": lambda f: f.drop(columns=["close"]),
        "text-close": lambda f: f.assign(close=f["close"].astype(str)),
        "duplicate-dates": lambda f: pd.concat([f.iloc[:5], f.iloc[4:5], f.iloc[5:]]),
        "unsorted-dates": lambda f: f.iloc[::-1],
        "zero-close": lambda f: f.assign(close=f["close"].where(np.arange(len(f)) != 3, 0.0)),
        "inf-high": lambda f: f.assign(high=f["high"].where(np.arange(len(f)) != 3, np.inf)),
        "no-dates": lambda f: f.reset_index(drop=True),
    }[how](frame)
    data = b"PAR1 not parquet PAR1" if frame is None else frame_to_parquet_bytes(frame)
    path.write_bytes(data)
    manifest = src.store.manifest()
    manifest[f"prices/{CODE}"]["sha256"] = hashlib.sha256(data).hexdigest()
    src.store.manifest_path.write_text(json.dumps(manifest))
    return path


BAD_FILES = {
    "truncated": "sha256 differs", "flipped": "sha256 differs", "not-parquet": "not readable as parquet",
    "no-close": "missing required column 'close'",
    "text-close": "column 'close' has dtype", "duplicate-dates": "duplicate date",
    "unsorted-dates": "increasing order", "zero-close": "close must be > 0", "inf-high": "high is infinite",
    "no-dates": "index must be dates",
}


@pytest.mark.parametrize("how", BAD_FILES)
def test_bad_store_file_is_quarantined_with_its_entry(src, how):
    path = _corrupt(src, how)
    with pytest.raises(DataUnavailableError, match="corrupt") as err:
        load_prices(CODE, sources=src)
    assert BAD_FILES[how] in str(err.value) and "\n" not in str(err.value)
    assert not path.exists() and f"prices/{CODE}" not in src.store.manifest()
    assert len(list((src.store.root.parent / "quarantine").glob(f"{CODE}.*.parquet"))) == 1
    assert _agree(src).attrs["source"] == "snapshot"  # list and load agree: the snapshot answers
    src.store.write(CODE, _bars(50))
    assert _state(src) == 50
    _clean(src.store)


def test_data_list_first_reports_a_damaged_file_and_agrees_with_load(src, caplog):
    _corrupt(src, "flipped")
    src.store.write("560860", _bars(20))
    with caplog.at_level(logging.WARNING, logger="quantkit"):
        table = list_data(sources=src)
    assert "was corrupt (its sha256 differs" in caplog.text
    assert table.query("symbol == @CODE and kind == 'etf'").iloc[0]["source"].startswith("snapshot")
    assert table.query("symbol == '560860'").iloc[0]["rows"] == 20
    assert _agree(src).attrs["source"] == "snapshot"


READER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from quantkit.data.store import ParquetStore
    from quantkit.errors import QuantkitError
    store = ParquetStore(Path({path!r}))
    while time.time() < {start}:
        time.sleep(0.001)
    try:
        print("none" if store.read("562800") is None else "data")
    except QuantkitError as exc:
        print("corrupt" if "was corrupt" in str(exc) else f"other: {{exc}}")
""")


def test_corrupt_file_read_by_several_processes_at_once(src):
    _corrupt(src, "flipped")
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", READER.format(root=str(ROOT), path=str(src.store.root),
                                                                   start=start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=60) for p in procs]
    assert all(err == "" for _, err in results), results
    outcomes = sorted(out.strip() for out, _ in results)
    assert outcomes.count("corrupt") == 1 and outcomes.count("none") == 3, outcomes
    assert f"prices/{CODE}" not in src.store.manifest()
    assert _agree(src).attrs["source"] == "snapshot"


def _read_only(monkeypatch) -> None:
    """A store nothing can be written to (tests run as root, for whom chmod is not enforced)."""
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    real_open = os.open
    monkeypatch.setattr(os, "replace", refuse)
    monkeypatch.setattr(os, "open", lambda path, flags, *a, **k: refuse() if flags & (os.O_WRONLY | os.O_RDWR)
                        else real_open(path, flags, *a, **k))


def test_read_only_store_reports_the_corruption_not_the_quarantine(src, monkeypatch):
    path = _corrupt(src, "not-parquet")
    manifest = src.store.manifest_path.read_bytes()
    _read_only(monkeypatch)
    for _ in range(2):  # reported each time; nothing moves
        with pytest.raises(DataUnavailableError, match=r"is corrupt \(not readable as parquet.*could not be moved"):
            src.store.read(CODE)
    assert path.exists() and src.store.manifest_path.read_bytes() == manifest


def test_read_only_store_refuses_a_write_in_one_line(src, monkeypatch):
    src.store.write(CODE, _bars(30))
    _read_only(monkeypatch)
    with pytest.raises(StoreWriteError, match="Permission denied") as err:
        src.store.write(CODE, _bars(40))
    assert "\n" not in str(err.value)
    monkeypatch.undo()
    assert _state(src) == 30


def test_a_directory_chmod_read_only_refuses_writes(src):
    src.store.write(CODE, _bars(30))
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions (the patched variant above covers it)")
    os.chmod(src.store.root, 0o555)
    try:
        with pytest.raises(StoreWriteError):
            src.store.write(CODE, _bars(40))
    finally:
        os.chmod(src.store.root, 0o755)
    assert _state(src) == 30


# -- 4. the snapshot's own files are validated too -------------------------------------------

@pytest.mark.parametrize("how, words", [
    ("no-close", "missing required column 'close'"), ("duplicate-dates", "duplicate date"),
    ("text-close", "has dtype"), ("sha", "its sha256 differs"), ("content", "its content sha256 differs"),
])
def test_bad_snapshot_file_is_one_line_naming_file_and_rule(tmp_path, how, words):
    frame = Snapshot().read(CODE).iloc[:30]
    frame = {"no-close": lambda f: f.drop(columns=["close"]),
             "duplicate-dates": lambda f: pd.concat([f.iloc[:5], f.iloc[4:]]),
             "text-close": lambda f: f.assign(close=f["close"].astype(str)),
             "sha": lambda f: f, "content": lambda f: f}[how](frame)
    data = frame_to_parquet_bytes(frame)
    (tmp_path / "prices").mkdir()
    (tmp_path / "prices" / f"{CODE}.parquet").write_bytes(data)
    meta = {"symbol": CODE, "kind": "etf", "file": f"prices/{CODE}.parquet", "rows": 30,
            "sha256": "0" * 64 if how == "sha" else hashlib.sha256(data).hexdigest()}
    if how == "content":  # the snapshot's own checksum: of the content, not of the bytes
        meta = {**meta, "sha256": None, "content_sha256": content_sha256(frame.iloc[:-1])}
    (tmp_path / "manifest.json").write_text(json.dumps({"entries": {CODE: meta}}))
    with pytest.raises(DataValidationError, match=words) as err:
        Snapshot(tmp_path).read(CODE)
    assert f"snapshot/prices/{CODE}.parquet" in str(err.value) and "\n" not in str(err.value)


def test_damaged_snapshot_manifest_is_one_line(tmp_path):
    (tmp_path / "manifest.json").write_text('{"entries": ')
    with pytest.raises(DataValidationError, match="snapshot manifest .* unreadable"):
        Snapshot(tmp_path).read(CODE)


# -- 5. bad imports and codes are refused whole --------------------------------------------------

from conftest import run_cli  # noqa: E402
from quantkit.data.providers import local_file  # noqa: E402


def _csv(path: Path, n: int = 30, **cells: tuple[int, str]) -> Path:
    """A CSV export of 562800's first ``n`` bars; ``cells`` puts a text value into one row of a column."""
    frame = _bars(n)[["open", "high", "low", "close", "volume"]].astype(object)
    frame.index = frame.index.strftime("%Y-%m-%d")
    for col, (row, text) in cells.items():
        frame.iloc[row, frame.columns.get_loc(col)] = text
    frame.to_csv(path, index_label="date")
    return path


def _refused(capsys, store_dir: Path, *argv: str) -> str:
    """Run `quantkit data import ARGV` expecting a one-line refusal that changes nothing; its line."""
    before = list_data().query("symbol == @CODE and kind == 'etf'").iloc[0].to_dict()
    code, out, err = run_cli(capsys, "data", "import", *argv, "--symbol", CODE)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not (store_dir / "store" / "manifest.json").exists()
    assert list_data().query("symbol == @CODE and kind == 'etf'").iloc[0].to_dict() == before
    return err


def test_import_refuses_bars_dated_in_the_future(capsys, store_dir, tmp_path, monkeypatch):
    path = _csv(tmp_path / "f.csv")
    monkeypatch.setenv("QUANTKIT_NOW", str(_bars(30).index[20].date()))
    err = _refused(capsys, store_dir, str(path))
    assert "f.csv: data row 22 is dated" in err and "after today" in err


@pytest.mark.parametrize("col, text", [("volume", "inf"), ("high", "inf"), ("close", "1e400")])
def test_import_refuses_infinite_values(capsys, store_dir, tmp_path, col, text):
    err = _refused(capsys, store_dir, str(_csv(tmp_path / "inf.csv", **{col: (4, text)})))
    assert "inf.csv): row" in err and f"{col} is infinite" in err


@pytest.mark.parametrize("text", ["abc", "--", "1.2.3"])
def test_import_reports_a_non_numeric_close_as_given(capsys, store_dir, tmp_path, text):
    err = _refused(capsys, store_dir, str(_csv(tmp_path / "nn.csv", close=(6, text))))
    assert f"nn.csv: close '{text}' in data row 7 is not a number" in err


def test_import_reports_non_numeric_volume_but_accepts_dashes(capsys, store_dir, tmp_path):
    assert "volume 'many' in data row 3" in _refused(capsys, store_dir, str(_csv(tmp_path / "v.csv", volume=(2, "many"))))
    code, out, err = run_cli(capsys, "data", "import", str(_csv(tmp_path / "d.csv", volume=(2, "--"))), "--symbol", CODE)
    assert code == 0 and np.isnan(load_prices(CODE).volume.iloc[2])


def test_import_of_a_directory_says_so(capsys, store_dir, tmp_path):
    (tmp_path / "exports").mkdir()
    assert "exports: is a directory" in _refused(capsys, store_dir, str(tmp_path / "exports"))


@pytest.mark.parametrize("limit, value, words", [
    ("MAX_IMPORT_BYTES", 1000, "MiB; imports are limited to"), ("MAX_IMPORT_ROWS", 10, "rows; imports are limited to 10 rows"),
])
def test_import_refuses_oversized_files_before_reading_them(capsys, store_dir, tmp_path, monkeypatch, limit, value, words):
    path = _csv(tmp_path / "big.csv", n=200)
    monkeypatch.setattr(local_file, limit, value)
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: pytest.fail("read in full"))
    assert words in _refused(capsys, store_dir, str(path))


def test_import_refuses_a_parquet_with_too_many_rows(capsys, store_dir, tmp_path, monkeypatch):
    path = tmp_path / "big.parquet"
    _bars(200).to_parquet(path)
    monkeypatch.setattr(local_file, "MAX_IMPORT_ROWS", 100)
    assert "200 rows; imports are limited to 100 rows" in _refused(capsys, store_dir, str(path))


@pytest.mark.parametrize("raw, hint", [("５６２８００", "type 562800"), ("51００５０", "type 510050"),
                                       ("５６２８００.SH", "type 562800.SH"), ("sh５６２８００", "type sh562800"),
                                       ("五六二八〇〇", "use ASCII digits")])
def test_full_width_digits_are_refused(capsys, store_dir, raw, hint):
    with pytest.raises(QuantkitError, match=f"not ASCII .*{hint}"):
        load_prices(raw)
    code, out, err = run_cli(capsys, "fetch", raw, "--json")
    assert code == 3 and "Traceback" not in err and hint in json.loads(out)[0]["message"]


def test_import_sets_the_name(capsys, store_dir, tmp_path):
    path = _csv(tmp_path / "n.csv")
    code, out, _ = run_cli(capsys, "data", "import", str(path), "--symbol", "159001", "--name", "货币ETF")
    assert code == 0 and "159001 货币ETF" in out
    code, out, _ = run_cli(capsys, "data", "list", "--json")
    assert {r["symbol"]: r["name"] for r in json.loads(out)}["159001"] == "货币ETF"
    assert qk.name_of("159001") == "货币ETF"


class _Fake:
    """A provider answering 562800's snapshot bars."""

    name = "fake"

    def daily(self, symbol, start=None, end=None, adjust="qfq"):
        bars = Snapshot().read(CODE)
        out = bars.loc[pd.Timestamp(start) if start else None:]
        out.attrs = {**bars.attrs, "source": "fake"}
        return out


def test_fetch_replaces_a_corrupt_store_file(src, caplog):
    _corrupt(src, "flipped")
    src = DataSources(src.store, src.snapshot, [_Fake()])
    with caplog.at_level(logging.WARNING, logger="quantkit"):
        [out] = qk.fetch([CODE], sources=src)
    assert out.status == "updated" and "was corrupt" in caplog.text
    assert _agree(src).attrs["source"] == "fake"
    _clean(src.store)


def test_odd_layouts_of_a_stored_file_are_reported_not_raised(src):
    src.store.write(CODE, _bars(30))
    odd = pd.DataFrame({"close": [1.0, 2.0], "x": ["a", "b"]},
                       index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)]))
    path = src.store.path(CODE)
    path.write_bytes(frame_to_parquet_bytes(odd))
    manifest = src.store.manifest()
    manifest[f"prices/{CODE}"].pop("sha256")
    src.store.manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(DataUnavailableError, match="index must be dates"):
        src.store.read(CODE)
    assert _agree(src).attrs["source"] == "snapshot"


def test_cli_disk_full_during_import_is_one_line_exit_1(capsys, store_dir, tmp_path, monkeypatch):
    path = _csv(tmp_path / "ok.csv")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = run_cli(capsys, "data", "import", str(path), "--symbol", CODE)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "No space left on device" in err and "keeps its previous state" in err
    monkeypatch.undo()
    assert not list(store_dir.rglob("*.tmp")) and not list(store_dir.rglob("*.parquet"))


def test_cli_both_manifests_damaged_is_one_line(capsys, store_dir, tmp_path):
    run_cli(capsys, "data", "import", str(_csv(tmp_path / "a.csv")), "--symbol", CODE)
    run_cli(capsys, "data", "import", str(_csv(tmp_path / "b.csv", n=20)), "--symbol", "560860")
    for name in ("manifest.json", "manifest.json.bak"):
        (store_dir / "store" / name).write_text("{")
    code, _, err = run_cli(capsys, "data", "list")
    assert code == 3 and len(err.strip().splitlines()) == 1 and "both damaged" in err
