"""`quantkit fetch`, `quantkit data list`, `quantkit data import` end to end (offline)."""

import json

import pandas as pd
import pytest

import quantkit as qk
from quantkit.data import providers
from quantkit.data.providers.base import CallPolicy
from conftest import run_cli as run


def test_data_list_shows_the_snapshot(capsys, store_dir):
    code, out, _ = run(capsys, "data", "list")
    assert code == 0
    line = next(l for l in out.splitlines() if l.startswith("562800"))
    assert "稀有金属ETF" in line and "etf" in line and "2026-09-24" in line and "snapshot" in line
    code, out, _ = run(capsys, "data", "list", "--kind", "valuation", "--json")
    records = json.loads(out)
    assert {r["symbol"] for r in records} >= {"000300", "000985"}


def test_fetch_offline_uses_cache_and_says_so(capsys, store_dir, monkeypatch):
    fast = CallPolicy(timeout=2, attempts=1, backoff=0, min_interval=0)
    monkeypatch.setattr(providers, "default_providers",
                        lambda: [providers.AkshareProvider(policy=fast), providers.YFinanceProvider(policy=fast)])
    code, out, err = run(capsys, "fetch", "562800", "159001", "--json")
    outcomes = {o["symbol"]: o for o in json.loads(out)}
    assert outcomes["562800"]["status"] == "cached"
    assert outcomes["562800"]["message"].startswith("network unavailable: using data_cache snapshot through 2026-09-24")
    assert outcomes["159001"]["status"] == "failed"
    assert outcomes["159001"]["message"] == "network unreachable" and "detail" not in outcomes["159001"]
    assert code == 4  # nothing updated: offline, cron should alert
    assert "Traceback" not in err


def test_fetch_notes_are_short_and_details_need_verbose(capsys, store_dir, monkeypatch):
    fast = CallPolicy(timeout=2, attempts=1, backoff=0, min_interval=0)
    monkeypatch.setattr(providers, "default_providers",
                        lambda: [providers.AkshareProvider(policy=fast), providers.YFinanceProvider(policy=fast)])
    code, out, err = run(capsys, "fetch", "159001")
    line = next(l for l in out.splitlines() if l.startswith("159001"))
    assert code == 3 and line.rstrip().endswith("network unreachable") and len(line) < 100
    assert "Max retries" not in out + err
    code, out, err = run(capsys, "fetch", "159001", "-v")
    assert code == 3 and err.startswith("159001: akshare: ") and "fund_etf_hist_em" in err
    code, out, _ = run(capsys, "fetch", "159001", "-v", "--json")
    assert "fund_etf_hist_sina" in json.loads(out)[0]["detail"]


@pytest.mark.parametrize("statuses, code", [
    (["updated", "updated"], 0), (["updated", "failed"], 1), (["updated", "cached"], 1),
    (["failed", "failed"], 3), (["cached"], 4), (["cached", "failed"], 4),
])
def test_fetch_exit_codes(statuses, code):
    from quantkit.cli.data_cmd import fetch_exit_code

    assert fetch_exit_code(statuses) == code


def _export(path, encoding="utf-8-sig", **changes):
    bars = qk.load_prices("560860", start="2025-01-02", end="2025-03-31")
    frame = pd.DataFrame({"日期": bars.index.strftime("%Y-%m-%d"), "开盘": bars.open, "收盘": bars.close,
                          "最高": bars.high, "最低": bars.low, "成交量": bars.volume})
    for col, fn in changes.items():
        frame = fn(frame)
    frame.to_csv(path, index=False, encoding=encoding)
    return bars


def test_import_gbk_export_then_load(capsys, store_dir, tmp_path):
    bars = _export(tmp_path / "560860.csv", encoding="gbk")
    code, out, _ = run(capsys, "data", "import", str(tmp_path / "560860.csv"), "--symbol", "sh560860")
    assert code == 0 and "imported 57 rows of 560860" in out
    loaded = qk.load_prices("560860")
    assert loaded.index[-1] == pd.Timestamp("2025-03-31")  # the store now answers before the snapshot
    pd.testing.assert_series_equal(loaded.close, bars.close, check_freq=False, check_names=False)


@pytest.mark.parametrize("change, words", [
    ({"empty": lambda f: f.iloc[0:0]}, "no data rows"),
    ({"drop": lambda f: f.drop(columns=["收盘"])}, "close"),
    ({"dup": lambda f: pd.concat([f.iloc[:3], f.iloc[2:3], f.iloc[3:]])}, "duplicate date"),
    ({"neg": lambda f: f.assign(收盘=f["收盘"].where(f.index != f.index[5], -1.0))}, "must be > 0"),
])
def test_bad_import_is_refused_whole(capsys, store_dir, tmp_path, change, words):
    _export(tmp_path / "bad.csv", **change)
    code, out, err = run(capsys, "data", "import", str(tmp_path / "bad.csv"), "--symbol", "560860")
    assert code != 0 and words in err and "bad.csv" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(store_dir.rglob("*.parquet")) and not list(store_dir.rglob("manifest.json"))
    assert qk.load_prices("560860").index[-1] == pd.Timestamp("2026-05-07")


def test_cli_errors_are_one_line(capsys):
    code, _, err = run(capsys, "data")
    assert code == 2 and len(err.strip().splitlines()) == 1
