"""Universe sweeps: rows equal single-ETF sweeps, statistics recomputed, resume, Dask = local, a killed worker."""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
STRATEGY = ROOT / "strategies" / "ma_timing.toml"
#: four ETFs with different first and last dates (159881 ends in 2025, 512000 starts in 2016)
CODES = ["562800", "159611", "512000", "159881"]
GRID = {"short": [5, 10, 20], "long": [60, 120], "band": [0.0, 0.02]}
COMBO = ["short", "long", "band"]


def _close(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=False,
                                  rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    from quantkit.backtest.universe_sweep import sweep_universe

    out = tmp_path_factory.mktemp("local")
    return sweep_universe(STRATEGY, GRID, CODES, out_dir=out, chunk_size=4)  # 12 combinations → 3 chunks per ETF


def test_rows_equal_a_sweep_of_each_etf(local):
    from quantkit.backtest.sweep import sweep_strategy

    assert local.partitions.groupby("symbol").size().eq(3).all() and local.computed == 12
    assert sorted(local.table["symbol"].unique()) == sorted(CODES) and local.skipped == {}
    for code in CODES:
        direct = sweep_strategy(STRATEGY, GRID, etf=code)
        mine = local.table[local.table["symbol"] == code].drop(columns="symbol")
        _close(mine, direct.table.sort_values(COMBO).reset_index(drop=True))
        row = local.etfs.set_index("symbol").loc[code]
        assert (row.start, row.end, row.sessions) == (direct.start, direct.end, direct.sessions)
    starts = local.etfs.set_index("symbol")["start"]
    assert starts["512000"] < starts["562800"] and local.etfs.set_index("symbol").loc["159881", "end"].year == 2025


def test_cross_sectional_statistics_recomputed(local):
    from quantkit.data.api import load_prices

    etfs = local.etfs.set_index("symbol")
    bh = {}
    for code in CODES:
        c = load_prices(code)["close"].loc[etfs.loc[code, "start"]:etfs.loc[code, "end"]].to_numpy()
        r = np.concatenate([[0.0], c[1:] / c[:-1] - 1.0])
        bh[code] = r.mean() / r.std(ddof=1) * math.sqrt(243)
        assert etfs.loc[code, "buy_hold_sharpe"] == pytest.approx(bh[code], rel=1e-12)
    for row in local.summary.itertuples():
        cell = local.table[(local.table.short == row.short) & (local.table.long == row.long)
                           & (local.table.band == row.band)].set_index("symbol")["sharpe"]
        assert row.sharpe_median == pytest.approx(np.median(cell.to_numpy()), rel=1e-12)
        assert row.sharpe_q1 == pytest.approx(np.quantile(cell.to_numpy(), 0.25), rel=1e-12)
        assert row.beats_buy_hold == sum(cell[c] > bh[c] for c in CODES) / len(CODES)
    means = local.table.groupby(COMBO)["sharpe"].mean()
    assert tuple(local.best.values()) == means.idxmax() and local.summary.sharpe_mean.is_monotonic_decreasing
    # top decile of 12 combinations: each ETF's best ⌈1.2⌉ = 2
    best_cells = local.table.sort_values("sharpe", ascending=False).groupby("symbol").head(2)[COMBO]
    counts = best_cells.value_counts() / len(CODES)
    top = local.summary.set_index(COMBO)["top_decile"]
    assert top[top > 0].sort_index().to_dict() == counts.sort_index().to_dict()
    ranks = local.table.pivot(index=COMBO, columns="symbol", values="sharpe").rank()
    corr = np.corrcoef(ranks.to_numpy().T)
    assert local.rank_correlation == pytest.approx(corr[~np.eye(4, dtype=bool)].mean(), rel=1e-12)
    assert local.pbo is not None and local.pbo.n_blocks == 2 and local.pbo.n_splits == 2


def test_cross_sectional_pbo_of_a_known_matrix():
    from quantkit.backtest.universe_sweep import cross_sectional_pbo

    def matrix(cells: dict) -> pd.DataFrame:  # symbol → Sharpe of the combinations short 5, 10, 20
        return pd.DataFrame([{"symbol": sym, "short": s, "long": 60, "band": 0.0, "sharpe": v}
                             for sym, values in cells.items() for s, v in zip((5, 10, 20), values)])

    steady = matrix({"1": [2, 1, 0], "2": [1.5, 1, 0], "3": [1, 0.5, 0], "4": [0.9, 0.2, 0.1]})
    assert cross_sectional_pbo(steady).pbo == 0.0  # one combination leads everywhere
    # 5 leads on ETFs 1–2 and trails on 3–4, 10 the other way round: each choice ranks last out of sample
    crossing = matrix({"1": [2, -1, 0], "2": [1.5, -1, 0], "3": [-1, 2, 0], "4": [-1, 1.5, 0]})
    res = cross_sectional_pbo(crossing)
    assert res.n_splits == 2 and res.pbo == 1.0 and np.allclose(res.oos_sharpe, -1.0)
    assert cross_sectional_pbo(crossing[crossing.symbol != "4"]) is None  # 3 ETFs: no two blocks of two


def test_rerun_computes_nothing(local, monkeypatch):
    from quantkit.backtest import universe_sweep as us

    def boom(*args, **kwargs):
        raise AssertionError("a partition was computed again")

    monkeypatch.setattr(us, "run_partition", boom)
    again = us.sweep_universe(STRATEGY, GRID, CODES, out_dir=local.out_dir, chunk_size=4)
    assert again.computed == 0 and again.reused == 12
    _close(again.table, local.table)
    _close(again.summary, local.summary)
    manifest = json.loads((local.out_dir / "manifest.json").read_text())
    assert sorted(manifest["partitions"]) == sorted(p.name for p in (local.out_dir / "partitions").iterdir())


def test_changed_inputs_are_computed_again(local, tmp_path, monkeypatch):
    from quantkit.backtest import universe_sweep as us

    calls = []
    real = us.run_partition
    monkeypatch.setattr(us, "run_partition", lambda *a: calls.append(a[0].symbol) or real(*a))
    other = us.sweep_universe(STRATEGY, GRID, CODES[:2], out_dir=local.out_dir, chunk_size=4,
                              overrides=["costs.commission=0.0003"])
    assert other.computed == 6 and sorted(set(calls)) == sorted(CODES[:2])
    assert not np.allclose(other.table["fees"], local.table[local.table.symbol.isin(CODES[:2])]["fees"])


def test_walk_forward_per_etf(tmp_path):
    from quantkit.backtest.sweep import sweep_strategy
    from quantkit.backtest.universe_sweep import sweep_universe

    res = sweep_universe(STRATEGY, GRID, CODES[:2], out_dir=tmp_path, n_splits=2, chunk_size=4)
    assert len(res.partitions) == 2  # the in-sample choice needs the whole grid: one partition per ETF
    for code in CODES[:2]:
        direct = sweep_strategy(STRATEGY, GRID, etf=code, n_splits=2).walk_forward
        _close(res.walk_forward[res.walk_forward.symbol == code].drop(columns="symbol"), direct)


def test_etfs_without_data_in_the_window_are_skipped(tmp_path):
    from quantkit.backtest.universe_sweep import grid_chunks, sweep_universe

    res = sweep_universe(STRATEGY, GRID, ["562800", "159881"], out_dir=tmp_path, end="2025-12-31")
    assert list(res.etfs.symbol) == ["562800"] and "after the data" in res.skipped["159881"]
    assert res.etfs.end.iat[0] == pd.Timestamp("2025-12-31")
    # a short window without a valid combination gets no chunk of its own
    assert grid_chunks({"short": [5, 300], "long": [60], "band": [0.0]}, 1) == [
        {"short": [5], "long": [60], "band": [0.0]}]


def test_html_page_escapes_names_and_shows_the_chosen_combination(local):
    from dataclasses import replace

    from quantkit.report.universe_sweep import render_universe_sweep_html

    page = render_universe_sweep_html(replace(local, strategy="<script>x</script>"))
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    b = local.best
    assert f"{b['short']} / {b['long']} / {b['band']:.1%}" in page
    assert f"band {b['band']:.1%}" in page  # the heatmap is drawn at the chosen band
    assert all(f"<td>{code}</td>" in page for code in CODES)  # the per-ETF table


# --------------------------------------------------------------------------------------------- Dask

@pytest.fixture(scope="module")
def client(_functions_by_value):
    pytest.importorskip("distributed")
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    cl = Client(cluster)
    cl.run(_warm)  # both workers import the engine at once
    yield cl
    cl.close()
    cluster.close()


def _warm() -> int:
    from quantkit.backtest.engine import import_vectorbt

    import_vectorbt()
    return os.getpid()


def _slow_partitions(seconds: float, journal: str) -> int:
    """On a worker: every partition notes "pid key" in ``journal``, then sleeps ``seconds`` before it
    runs (a restarted worker runs at full speed and notes nothing)."""
    from quantkit.backtest import universe_sweep as us

    original = getattr(us, "_unpatched", us.run_partition)
    us._unpatched = original

    def slow(part, *args):
        with open(journal, "a") as fh:
            fh.write(f"{os.getpid()} {part.key}\n")
        time.sleep(seconds)
        return original(part, *args)

    us.run_partition = slow
    return os.getpid()


@pytest.fixture(scope="module")
def _functions_by_value():
    """Workers cannot import this test module: ship its functions by value."""
    cloudpickle = pytest.importorskip("cloudpickle")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_dask_engine_gives_the_local_table(local, client, tmp_path):
    from quantkit.backtest.universe_sweep import sweep_universe

    res = sweep_universe(STRATEGY, GRID, CODES, engine="dask", client=client, out_dir=tmp_path, chunk_size=4)
    assert res.computed == 12 and res.engine == "dask"
    _close(res.table, local.table)
    _close(res.summary, local.summary)
    _close(res.etfs, local.etfs)


def test_a_killed_worker_changes_nothing(local, client, tmp_path):
    from quantkit.backtest.universe_sweep import sweep_universe

    journal = tmp_path / "started.txt"
    pids = set(client.run(_slow_partitions, 1.5, str(journal)).values())
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(sweep_universe, STRATEGY, GRID, CODES, engine="dask", client=client, out_dir=tmp_path,
                          chunk_size=100, retries=2)
        deadline = time.monotonic() + 30
        while not (journal.exists() and journal.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.02)
        pid, key = journal.read_text().split()[:2]  # a worker that is running a partition right now
        assert int(pid) in pids
        os.kill(int(pid), signal.SIGKILL)
        res = job.result(timeout=120)
    assert int(pid) not in client.run(os.getpid).values()  # the killed worker was replaced
    assert any(key[:20] in name for name in res.partitions.file)  # its partition was run again elsewhere…
    assert res.computed == 4 and len(res.partitions) == 4
    _close(res.table, local.table)  # …and nothing changed
    _close(res.summary, local.summary)


def test_cli_universe_sweep(local, tmp_path, capsys):
    universe = tmp_path / "u.txt"
    universe.write_text("\n".join(CODES) + "\n")
    grid = ["--grid", "short=5,10,20", "--grid", "long=60,120", "--grid", "band=0,0.02"]
    code, out, err = run_cli(capsys, "sweep", str(STRATEGY), "--universe", str(universe), *grid,
                             "--out", str(tmp_path / "out"), "--json", "-", "--html", str(tmp_path / "u.html"))
    assert code == 0, err
    payload = json.loads(out)
    assert payload["best"] == local.best and len(payload["etfs"]) == 4
    assert payload["summary"][0]["sharpe_median"] == pytest.approx(local.summary.sharpe_median.iloc[0], rel=1e-12)
    page = (tmp_path / "u.html").read_text()
    assert "chart-universe-heatmap" in page and "chart-universe-histogram" in page and "159881" in page
    assert "<script src" not in page and "<link" not in page
    code, out, err = run_cli(capsys, "sweep", str(STRATEGY), "--universe", str(universe), *grid,
                             "--out", str(tmp_path / "out"))
    assert code == 0 and "0 partitions computed, 4 reused" in err
    b = local.best
    assert f"best on average: short {b['short']}, long {b['long']}" in out


def test_cli_universe_errors(capsys):
    code, _, err = run_cli(capsys, "sweep", str(STRATEGY), "--universe", "nowhere.txt")
    assert code != 0 and "nowhere.txt" in err
    code, _, err = run_cli(capsys, "sweep", str(STRATEGY), "--universe", "theme", "--etf", "562800")
    assert code != 0 and "--etf" in err
    code, _, err = run_cli(capsys, "sweep", str(STRATEGY), "--universe", "theme", "--workers", "2")
    assert code != 0 and "--engine dask" in err
    code, _, err = run_cli(capsys, "sweep", str(STRATEGY), "--universe", "theme", "--grid", "short=5", "--engine", "x")
    assert code == 2 and "invalid choice" in err
