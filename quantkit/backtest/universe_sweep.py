"""Universe-wide timing sweeps: one vectorised sweep per ETF, partitioned ETF × parameter chunk, run here or on Dask.

Each ETF is swept over its own window with :func:`quantkit.backtest.sweep.sweep_timing` (used as a
black box). The grid's ``short`` values are cut into chunks of at most ``chunk_size`` combinations;
one *partition* is one ETF × one chunk. A partition gets only the ETF's bars and the signal close
(frames, shipped with the task), never the data store. All chunks of an ETF start on the same
session: the sweep start of the whole grid (the first session on which the longest long window has
a regime, found by a one-combination probe sweep), so the rows equal one ``sweep_timing`` run over
the whole grid. With walk-forward splits an ETF is one partition (the in-sample choice needs every
combination).

Engines: ``local`` runs the partitions in this process; ``dask`` submits them to a Dask cluster
(a ``LocalCluster`` of one single-threaded worker process per core unless a ``client`` or a
``scheduler`` address is given), with ``retries`` for failed tasks; a lost worker's tasks are
rescheduled by Dask. Results do not depend on the engine.

Resume: each finished partition is written by this process (workers need no shared disk) to
``out_dir/partitions/<symbol>-<chunk>-<key>.parquet`` (temporary file + rename), ``key`` the
SHA-256 of the ETF's bars, the signal close, the grid, the strategy's weights, execution, costs,
frequency, window and splits. A partition whose file exists is read, not computed.

Cross-sectional statistics (Sharpe: annualised, risk-free 0): per combination the mean, median and
quartiles of Sharpe across ETFs, the share of ETFs where it beats buy & hold (the ETF's close held
over the same window), and the share where it is in its ETF's top decile; the mean Spearman
correlation of the combinations' Sharpe ranks between pairs of ETFs. The *best on average* is the
highest mean Sharpe across ETFs. Its probability of backtest overfitting across ETFs: CSCV
(:func:`~quantkit.backtest.inference.probability_of_backtest_overfitting`, ``metric="mean"``) on the
ETF × combination Sharpe matrix, ETFs (in code order) cut into S blocks: each half of the blocks
chooses the best-on-average combination and the other half ranks it — does the universe's choice
carry over to ETFs it was not chosen on? A missing Sharpe counts as 0 there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from quantkit.backtest import metrics as M
from quantkit.backtest.inference import PBOResult
from quantkit.backtest.params import CostParams, ExecutionParams
from quantkit.backtest.strategy_file import Strategy
from quantkit.backtest.sweep import timing_sweep_plan
from quantkit.errors import ConfigError, QuantkitError
from quantkit.models.timing import RegimeWeights

log = logging.getLogger("quantkit.backtest")

ENGINES = ("local", "dask")
COMBO = ["short", "long", "band"]
#: combinations per partition (one chunk of ``short`` values): bounds a task's memory and time
CHUNK_SIZE = 400
RETRIES = 2
TOP_DECILE = 0.10
#: bump when the partition file layout or its content changes
FORMAT = 2
_META = b"quantkit.universe_sweep"


@dataclass(frozen=True)
class SweepSpec:
    """What every partition shares: the whole grid and the strategy's settings (no data)."""

    grid: dict
    weights: RegimeWeights
    inclusive: bool
    execution: ExecutionParams
    costs: CostParams
    frequency: str
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    n_splits: int | None = None


@dataclass(frozen=True)
class Partition:
    """One ETF × one chunk of the grid, with the ETF's settings; ``key`` fingerprints its inputs."""

    symbol: str
    chunk: int
    chunks: int
    grid: dict
    spec: SweepSpec
    key: str

    @property
    def filename(self) -> str:
        return f"{self.symbol}-{self.chunk:03d}-{self.key[:20]}.parquet"


@dataclass(frozen=True)
class UniverseSweep:
    """Outcome of :func:`sweep_universe`.

    ``table``: one row per ETF × combination — symbol, short, long (sessions), band (decimal) and
    the metrics of :class:`~quantkit.backtest.sweep.SweepResult` — sorted by symbol, short, long,
    band. ``summary``: one row per combination — etfs, sharpe_mean, sharpe_median, sharpe_q1,
    sharpe_q3, beats_buy_hold and top_decile (shares of ETFs, decimal), annual_return_median,
    max_drawdown_median — sorted by sharpe_mean (best first). ``etfs``: one row per swept ETF —
    start, end, sessions, buy_hold_sharpe, its best cell and the best-on-average combination's
    Sharpe on it. ``best``: the best-on-average combination (short, long, band). ``pbo``: CSCV
    across ETFs (None with fewer than 4 ETFs; its ``is_sharpe``/``oos_sharpe`` are the chosen
    combination's mean Sharpe over the in- and out-of-sample ETFs). ``rank_correlation``: mean
    pairwise Spearman correlation of Sharpe ranks between ETFs. ``walk_forward``: each ETF's
    splits (symbol first) or None. ``skipped``: ETF → reason. ``partitions``: symbol, chunk,
    combos, file, seconds (compute time), reused. ``seconds``: load, compute and total wall times (s).
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    etfs: pd.DataFrame
    best: dict
    pbo: PBOResult | None
    rank_correlation: float
    walk_forward: pd.DataFrame | None
    skipped: dict
    partitions: pd.DataFrame
    seconds: dict
    strategy: str = ""
    universe: tuple = ()
    grid: dict = field(default_factory=dict)
    engine: str = "local"
    out_dir: Path | None = None

    @property
    def computed(self) -> int:
        """Partitions computed by this run (the rest were read from ``out_dir``)."""
        return int((~self.partitions["reused"]).sum()) if len(self.partitions) else 0

    @property
    def reused(self) -> int:
        """Partitions read from ``out_dir``."""
        return len(self.partitions) - self.computed

    def to_dict(self, top: int | None = None) -> dict:
        """JSON-ready dict: settings, best combination, PBO, the summary (``top`` rows or all) and the ETFs."""
        def records(frame: pd.DataFrame) -> list[dict]:
            out = frame.copy()
            for col in out.columns[out.dtypes.map(lambda d: d.kind == "M")]:
                out[col] = out[col].dt.date.map(lambda d: d.isoformat())
            return out.to_dict(orient="records")

        pbo = None if self.pbo is None else {"pbo": self.pbo.pbo, "n_blocks": self.pbo.n_blocks,
                                             "n_splits": self.pbo.n_splits, "slope": self.pbo.slope,
                                             "prob_oos_loss": self.pbo.prob_oos_loss}
        return {"strategy": self.strategy, "universe": list(self.universe), "grid": self.grid, "engine": self.engine,
                "out_dir": None if self.out_dir is None else str(self.out_dir), "best": self.best, "pbo": pbo,
                "rank_correlation": self.rank_correlation, "skipped": self.skipped,
                "summary": records(self.summary if top is None else self.summary.head(top)),
                "etfs": records(self.etfs),
                "walk_forward": None if self.walk_forward is None else records(self.walk_forward)}


# --------------------------------------------------------------------------------------------
# partitions
# --------------------------------------------------------------------------------------------

def grid_chunks(grid: Mapping[str, Sequence], chunk_size: int = CHUNK_SIZE) -> list[dict]:
    """The grid cut along ``short`` into sub-grids of at most about ``chunk_size`` valid combinations."""
    shorts = list(grid["short"])
    per_short = [sum(1 for lo in grid["long"] if s < lo) * len(grid["band"]) for s in shorts]
    if any(per_short):  # a short value without a valid combination would make an empty sweep
        shorts = [s for s, n in zip(shorts, per_short) if n]
        per_short = [n for n in per_short if n]
    chunks, current, size = [], [], 0
    for s, n in zip(shorts, per_short):
        if current and size + n > chunk_size:
            chunks.append(current)
            current, size = [], 0
        current.append(s)
        size += n
    chunks.append(current)
    return [{"short": c, "long": list(grid["long"]), "band": list(grid["band"])} for c in chunks]


def partition_key(symbol: str, bars: pd.DataFrame, signal_close: pd.Series | None, spec: SweepSpec,
                  chunk_grid: Mapping) -> str:
    """SHA-256 (hex) of one partition's inputs: data, whole grid, chunk and strategy settings."""
    from quantkit import __version__
    from quantkit.backtest.engine import data_fingerprint

    frames = {symbol: bars} | ({} if signal_close is None else {"signal close": signal_close.to_frame("close")})
    h = hashlib.sha256()
    h.update(json.dumps({"format": FORMAT, "version": __version__, "symbol": symbol, "chunk": dict(chunk_grid),
                         "spec": asdict(spec), "data": data_fingerprint(frames)}, sort_keys=True, default=str).encode())
    return h.hexdigest()


def run_partition(part: Partition, bars: pd.DataFrame,
                  signal_close: pd.Series | None) -> tuple[pd.DataFrame | None, dict]:
    """Sweep one partition (runs on a worker): its table (symbol first) and metadata.

    The metadata holds start, end, sessions, the compute time (s) and the walk-forward rows;
    an ETF the grid cannot be swept on returns ``(None, {"error": reason})``.
    """
    from quantkit.backtest.sweep import sweep_timing

    t0 = time.perf_counter()
    spec = part.spec
    kw = dict(signal_close=signal_close, weights=spec.weights, inclusive=spec.inclusive, execution=spec.execution,
              costs=spec.costs, frequency=spec.frequency, end=spec.end)
    try:
        start = spec.start
        if start is None and part.chunks > 1:  # the whole grid's start: when the longest long window decides
            probe = {"short": [min(spec.grid["short"])], "long": [max(spec.grid["long"])],
                     "band": [spec.grid["band"][0]]}
            start = sweep_timing(bars, probe, robust=False, **kw).start
        res = sweep_timing(bars, part.grid, start=start, n_splits=spec.n_splits, robust=False, **kw)
    except ConfigError as exc:
        return None, {"error": str(exc)}
    table = res.table.sort_values(COMBO, kind="stable").reset_index(drop=True)
    table.insert(0, "symbol", part.symbol)
    wf = None
    if res.walk_forward is not None:
        wf = [{k: v.isoformat() if isinstance(v, pd.Timestamp) else v.item() if isinstance(v, np.generic) else v
               for k, v in r.items()} for r in res.walk_forward.to_dict(orient="records")]
    return table, {"start": res.start.isoformat(), "end": res.end.isoformat(), "sessions": res.sessions,
                   "seconds": time.perf_counter() - t0, "walk_forward": wf}


def write_partition(path: Path, table: pd.DataFrame, meta: Mapping) -> Path:
    """Write a partition's table with its metadata (parquet schema metadata), atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from quantkit.data.store import atomic_write_bytes

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), _META: json.dumps(dict(meta)).encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(arrow, sink, compression="zstd")
    return atomic_write_bytes(path, sink.getvalue().to_pybytes())


def read_partition(path: Path) -> tuple[pd.DataFrame, dict]:
    """A partition file back as (table, metadata)."""
    import pyarrow.parquet as pq

    arrow = pq.read_table(path)
    return arrow.to_pandas(), json.loads(arrow.schema.metadata[_META])


# --------------------------------------------------------------------------------------------
# engines
# --------------------------------------------------------------------------------------------

Task = tuple[Partition, pd.DataFrame, "pd.Series | None"]
Done = Callable[[Partition, "pd.DataFrame | None", dict], None]


def _progress_bar(total: int, progress: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="partitions", unit="part", file=sys.stderr, leave=False, disable=not progress)


def _run_local(tasks: list[Task], done: Done, progress: bool) -> None:
    with _progress_bar(len(tasks), progress) as bar:
        for part, bars, sig in tasks:
            done(part, *run_partition(part, bars, sig))
            bar.update()


def _run_dask(tasks: list[Task], done: Done, progress: bool, client: Any, scheduler: str | None,
              workers: int | None, retries: int) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ConfigError('the dask engine needs dask[distributed]: pip install "quantkit[distributed]"') from None
    owned: list = []
    if client is None:
        if scheduler:
            try:
                client = Client(scheduler, timeout=30)
            except (OSError, TimeoutError) as exc:
                raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        else:
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            owned.append(cluster)
            client = Client(cluster)
        owned.insert(0, client)
    futures: dict = {}
    try:
        futures = {client.submit(run_partition, part, bars, sig, key=f"universe-sweep-{part.key}",
                                 retries=retries, pure=False): part for part, bars, sig in tasks}
        with _progress_bar(len(tasks), progress) as bar:
            for fut in as_completed(futures):
                done(futures[fut], *fut.result())
                fut.release()
                bar.update()
    except BaseException:
        client.cancel([f for f in futures if not f.done()])  # nothing left running on a shared cluster
        raise
    finally:
        for thing in owned:
            thing.close()


# --------------------------------------------------------------------------------------------
# cross-sectional statistics
# --------------------------------------------------------------------------------------------

def buy_hold_sharpe(close: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Sharpe of holding the ETF from the close of ``start`` to ``end`` (first day's return 0, like a sweep)."""
    c = close.loc[(close.index >= start) & (close.index <= end)].astype(float)
    r = (c / c.shift(1) - 1.0).fillna(0.0)
    return float(M.sharpe(r))


def summarize(table: pd.DataFrame, buy_hold: pd.Series) -> pd.DataFrame:
    """Per combination: Sharpe across ETFs (mean, median, quartiles), shares beating buy & hold and in
    the ETF's top decile, median annual return and max drawdown; best mean Sharpe first."""
    sharpe = table.pivot(index="symbol", columns=COMBO, values="sharpe")
    top_n = max(1, math.ceil(TOP_DECILE * sharpe.shape[1]))
    ranks = sharpe.rank(axis=1, ascending=False, method="min")
    by = table.groupby(COMBO)
    out = pd.DataFrame({
        "etfs": sharpe.notna().sum(),
        "sharpe_mean": sharpe.mean(),
        "sharpe_median": sharpe.median(),
        "sharpe_q1": sharpe.quantile(0.25),
        "sharpe_q3": sharpe.quantile(0.75),
        "beats_buy_hold": sharpe.gt(buy_hold.reindex(sharpe.index), axis=0).mean(),
        "top_decile": (ranks <= top_n).mean(),
        "annual_return_median": by["annual_return"].median(),
        "max_drawdown_median": by["max_drawdown"].median(),
    })
    out.index.names = COMBO
    return (out.reset_index().sort_values("sharpe_mean", ascending=False, kind="stable", na_position="last")
            .reset_index(drop=True))


def rank_correlation(table: pd.DataFrame) -> float:
    """Mean Spearman correlation of the combinations' Sharpe between pairs of ETFs (NaN below 2 ETFs)."""
    sharpe = table.pivot(index=COMBO, columns="symbol", values="sharpe")
    if sharpe.shape[1] < 2:
        return float("nan")
    corr = sharpe.corr(method="spearman").to_numpy()
    return float(np.nanmean(corr[~np.eye(len(corr), dtype=bool)]))


def cross_sectional_pbo(table: pd.DataFrame, max_blocks: int = 16) -> PBOResult | None:
    """CSCV across ETFs (see the module doc): a PBOResult, or None with fewer than 4 ETFs or 2 combinations."""
    from quantkit.backtest.inference import probability_of_backtest_overfitting

    sharpe = table.pivot(index="symbol", columns=COMBO, values="sharpe").sort_index()
    blocks = min(max_blocks, (len(sharpe) // 2) // 2 * 2)
    if blocks < 2 or sharpe.shape[1] < 2:
        return None
    return probability_of_backtest_overfitting(sharpe, n_blocks=blocks, metric="mean", periods=1)


# --------------------------------------------------------------------------------------------
# the sweep
# --------------------------------------------------------------------------------------------

def _codes(universe: str | Iterable[str]) -> tuple[str, ...]:
    from quantkit.data.symbols import etf_symbol
    from quantkit.data.universe import read_universe

    if isinstance(universe, (str, Path)):
        return read_universe(str(universe))
    codes = tuple(dict.fromkeys(etf_symbol(c).code for c in universe))
    if not codes:
        raise ConfigError("the universe is empty")
    return codes


def default_out_dir(name: str) -> Path:
    """``reports/sweeps/<name>/`` (relative to the working directory)."""
    return Path("reports") / "sweeps" / (re.sub(r"[^\w.-]+", "_", name).strip("_") or "sweep")


def _plan(strategy: Strategy, grid: dict, codes: Sequence[str], chunk_grids: list[dict], start, end,
          n_splits: int | None) -> tuple[list[Task], dict[str, pd.Series], dict[str, str]]:
    """Load each ETF's bars (and signal close) once: the tasks, the closes and the ETFs skipped with a reason."""
    from quantkit.backtest.pipeline import check_window
    from quantkit.data.api import load_prices

    sig = strategy.params["signal"]
    tasks: list[Task] = []
    closes: dict[str, pd.Series] = {}
    skipped: dict[str, str] = {}
    for code in codes:
        try:
            bars = load_prices(code)
            s, e = check_window({code: bars}, start, end)
            sig_code = sig.signal_code(code)
            signal_close = None if sig_code == code else load_prices(sig_code)["close"]
        except QuantkitError as exc:
            skipped[code] = str(exc)
            continue
        spec = SweepSpec(grid=grid, weights=strategy.params["weights"], inclusive=sig.inclusive,
                         execution=strategy.execution, costs=strategy.costs, frequency=strategy.rebalance.frequency,
                         start=s, end=e, n_splits=n_splits)
        closes[code] = bars["close"]
        for i, g in enumerate(chunk_grids):
            part = Partition(code, i, len(chunk_grids), g, spec, partition_key(code, bars, signal_close, spec, g))
            tasks.append((part, bars, signal_close))
    return tasks, closes, skipped


def _per_etf(table: pd.DataFrame, metas: Mapping[str, dict], closes: Mapping[str, pd.Series],
             best: Mapping) -> pd.DataFrame:
    """One row per ETF: window, buy & hold Sharpe, its best cell, the best-on-average combination's Sharpe."""
    swept = sorted(metas)
    etfs = pd.DataFrame({"symbol": swept, "start": [pd.Timestamp(metas[c]["start"]) for c in swept],
                         "end": [pd.Timestamp(metas[c]["end"]) for c in swept],
                         "sessions": [int(metas[c]["sessions"]) for c in swept]})
    etfs["buy_hold_sharpe"] = [buy_hold_sharpe(closes[r.symbol], r.start, r.end) for r in etfs.itertuples()]
    top = (table.sort_values("sharpe", ascending=False, kind="stable", na_position="last")
           .groupby("symbol").head(1).set_index("symbol"))
    for k in ("short", "long", "band", "sharpe"):
        etfs[f"best_{k}"] = etfs["symbol"].map(top[k])
    chosen = table[(table[COMBO] == pd.Series(best)).all(axis=1)].set_index("symbol")["sharpe"]
    etfs["chosen_sharpe"] = etfs["symbol"].map(chosen)
    return etfs


def _walk_forward(metas: Mapping[str, dict]) -> pd.DataFrame | None:
    frames = [pd.DataFrame(m["walk_forward"]).assign(symbol=sym) for sym, m in sorted(metas.items())
              if m.get("walk_forward")]
    if not frames:
        return None
    wf = pd.concat(frames, ignore_index=True)
    for col in ("is_start", "is_end", "oos_start", "oos_end"):
        wf[col] = pd.to_datetime(wf[col]).astype("datetime64[ns]")
    return wf[["symbol", *[c for c in wf.columns if c != "symbol"]]]


def sweep_universe(strategy: Strategy | str | Path, grid: Mapping[str, Sequence], universe: str | Iterable[str], *,
                   engine: str = "local", client: Any = None, scheduler: str | None = None,
                   workers: int | None = None, out_dir: str | Path | None = None, n_splits: int | None = None,
                   start=None, end=None, overrides: Iterable[str] = (), chunk_size: int = CHUNK_SIZE,
                   retries: int = RETRIES, progress: bool = False) -> UniverseSweep:
    """Sweep a timing strategy over ``grid`` on every ETF of ``universe`` (name, file or codes).

    Names missing from ``grid`` keep the strategy's values. ``engine``: ``local`` or ``dask``
    (``client``, else ``scheduler`` address, else a LocalCluster of ``workers`` processes);
    ``retries``: reruns of a failed Dask task. ``out_dir`` (default ``reports/sweeps/<strategy>/``)
    holds the partition files a rerun reuses. ETFs that cannot be swept (no data in the window,
    history shorter than a long window) are listed in ``skipped``.
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise ConfigError(f"workers must be ≥ 1, got {workers}")
    if engine == "local" and (client is not None or scheduler or workers):
        raise ConfigError("a Dask client, scheduler or worker count needs engine=\"dask\"")
    if chunk_size < 1:
        raise ConfigError(f"chunk_size must be ≥ 1, got {chunk_size}")
    strategy, full = timing_sweep_plan(strategy, grid, overrides)
    codes = _codes(universe)
    out = Path(out_dir) if out_dir is not None else default_out_dir(strategy.name)
    pdir = out / "partitions"

    t0 = time.perf_counter()
    tasks, closes, skipped = _plan(strategy, full, codes, [full] if n_splits else grid_chunks(full, chunk_size),
                                   start, end, n_splits)
    t_load = time.perf_counter() - t0
    tables: list[pd.DataFrame] = []
    metas: dict[str, dict] = {}
    rows: list[dict] = []

    def done(part: Partition, table: pd.DataFrame | None, meta: dict, reused: bool = False) -> None:
        if table is None:
            skipped[part.symbol] = meta["error"]
            return
        if not reused:
            write_partition(pdir / part.filename, table, meta)
        tables.append(table)
        metas.setdefault(part.symbol, meta)  # every chunk of an ETF has the same window
        rows.append({"symbol": part.symbol, "chunk": part.chunk, "combos": len(table), "file": part.filename,
                     "seconds": float(meta["seconds"]), "reused": reused})

    todo: list[Task] = []
    for part, bars, signal_close in tasks:
        path = pdir / part.filename
        if path.is_file():
            try:
                done(part, *read_partition(path), reused=True)
                continue
            except Exception as exc:  # a damaged file is computed again
                log.warning(f"{path.name}: cannot read it ({exc}); computing the partition again")
        todo.append((part, bars, signal_close))
    # longest first (sessions × combinations): fewer idle workers at the end of the run
    todo.sort(key=lambda task: -len(task[1]) * math.prod(len(v) for v in task[0].grid.values()))
    t1 = time.perf_counter()
    if todo:
        log.info(f"sweeping {len(todo)} of {len(tasks)} partitions ({len({p.symbol for p, *_ in todo})} ETFs) on the "
                 f"{engine} engine; results under {out}")
        if engine == "local":
            _run_local(todo, done, progress)
        else:
            _run_dask(todo, done, progress, client, scheduler, workers, retries)
    t_compute = time.perf_counter() - t1
    for code in skipped:  # an ETF with one failed chunk is left out whole
        metas.pop(code, None)
    if not metas:
        raise ConfigError(f"no ETF of the universe could be swept ({len(skipped)} skipped: "
                          + "; ".join(f"{k}: {v}" for k, v in list(skipped.items())[:3]) + ")")

    table = pd.concat(tables, ignore_index=True)
    table = table[table["symbol"].isin(metas)].sort_values(["symbol", *COMBO], kind="stable").reset_index(drop=True)
    summary = summarize(table, pd.Series({c: buy_hold_sharpe(closes[c], pd.Timestamp(m["start"]),
                                                             pd.Timestamp(m["end"])) for c, m in metas.items()}))
    head = summary.iloc[0]
    best = {"short": int(head["short"]), "long": int(head["long"]), "band": float(head["band"])}
    partitions = pd.DataFrame([r for r in rows if r["symbol"] in metas],
                              columns=["symbol", "chunk", "combos", "file", "seconds", "reused"])
    res = UniverseSweep(table=table, summary=summary, etfs=_per_etf(table, metas, closes, best), best=best,
                        pbo=cross_sectional_pbo(table), rank_correlation=rank_correlation(table),
                        walk_forward=_walk_forward(metas), skipped=skipped,
                        partitions=partitions.sort_values(["symbol", "chunk"]).reset_index(drop=True),
                        seconds={"load": t_load, "compute": t_compute, "total": time.perf_counter() - t0},
                        strategy=strategy.name, universe=codes, grid=full, engine=engine, out_dir=out)
    _write_manifest(res)
    return res


def _write_manifest(res: UniverseSweep) -> None:
    """``out_dir/manifest.json``: what the last run read (universe, grid, partition files, skipped ETFs)."""
    from quantkit.data.store import atomic_write_bytes

    manifest = {"format": FORMAT, "strategy": res.strategy, "universe": list(res.universe), "grid": res.grid,
                "best": res.best, "partitions": res.partitions["file"].tolist(), "skipped": res.skipped}
    atomic_write_bytes(res.out_dir / "manifest.json", (json.dumps(manifest, indent=1) + "\n").encode())
