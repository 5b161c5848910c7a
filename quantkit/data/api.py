"""The public data API: ``load_prices``, ``load_valuation``, ``fetch``, ``list_data``, ``import_file``.

Reading never touches the network unless asked (``refresh=True`` or ``fetch``): the fetched
store is preferred, then the committed snapshot. When every provider fails, the cached data is
used and a single plain line says so on stderr.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import pandas as pd

from quantkit.data.adjust import adjust_bars, has_factor, validate_factor_bars
from quantkit.data.calendar import parse_date, today
from quantkit.data.schema import validate_bars, validate_valuation
from quantkit.data.store import ParquetStore, Snapshot, _said, say_once  # noqa: F401 (_said: tests reset it)
from quantkit.data.symbols import Symbol, normalize_symbol
from quantkit.errors import ConfigError, DataUnavailableError, ProviderError, QuantkitError


def check_range(start: pd.Timestamp | None, end: pd.Timestamp | None) -> None:
    now = pd.Timestamp(today())
    for label, ts in (("start", start), ("end", end)):
        if ts is not None and ts > now:
            raise ConfigError(f"{label} date {ts.date()} is in the future (today is {now.date()})")
    if start is not None and end is not None and start > end:
        raise ConfigError(f"start date {start.date()} is after end date {end.date()}")


@dataclass(frozen=True)
class DataSources:
    """Where data comes from: the fetched store, the committed snapshot, and the providers to try."""

    store: ParquetStore
    snapshot: Snapshot
    providers: Sequence | None = None  # None → quantkit.data.providers.default_providers()

    def provider_list(self) -> list:
        if self.providers is not None:
            return list(self.providers)
        from quantkit.data.providers import default_providers

        return default_providers()


_default: DataSources | None = None


def default_sources() -> DataSources:
    global _default
    if _default is None:
        _default = DataSources(ParquetStore(), Snapshot())
    return _default


def _cached(sym: Symbol, sources: DataSources, kind: str = "prices") -> pd.DataFrame | None:
    frame = sources.store.read(sym.code, kind)
    return frame if frame is not None else sources.snapshot.read(sym.code, kind)


def data_version(symbols: Iterable[str], kind: str = "prices", sources: DataSources | None = None) -> str | None:
    """A SHA-256 over the files that ``load_prices``/``load_valuation`` would read for ``symbols``
    (from the manifests' checksums: no data file is read), or None when one is unknown.

    Equal versions mean equal stored data, so results derived from it can be cached under it.
    """
    import hashlib

    src = sources or default_sources()
    h = hashlib.sha256(kind.encode())
    for code in symbols:
        sym = normalize_symbol(code)
        entry = src.store.entry(sym.code, kind) or src.snapshot.entry(sym.code, kind)
        digest = entry and (entry.meta.get("content_sha256") or entry.meta.get("sha256"))
        if not digest:
            return None
        h.update(f"{sym.code}:{digest};".encode())
    return h.hexdigest()


def name_of(symbol: str | Symbol, sources: DataSources | None = None) -> str:
    """The instrument's short name (e.g. 稀有金属ETF) as the store (an import's ``--name``) or else
    the snapshot knows it; '' if neither does."""
    sym = normalize_symbol(symbol)
    src = sources or default_sources()
    for entry in (src.store.entry(sym.code), src.snapshot.entry(sym.code)):
        if entry is not None and entry.meta.get("name"):
            return str(entry.meta["name"])
    return ""


def _merge(cached: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame | None:
    """``cached`` followed by ``new`` if they agree on their common bars, else None (fetch all again).

    Raw prices with factors never move: the new factors are scaled to continue the cached ones
    (they must keep one ratio over the common bars). Adjusted bars are compared as qfq: their
    closes move when a distribution happened since the last fetch, and qfq levels are never mixed.
    """
    overlap = cached.index.intersection(new.index)
    if not len(overlap) or (has_factor(new) and not has_factor(cached)):
        return None
    if not has_factor(new):
        cached = adjust_bars(cached, "qfq")
    a, b = cached.loc[overlap, "close"], new.loc[overlap, "close"]
    if not bool(((a - b).abs() <= 1e-9 + 1e-6 * a.abs()).all()):
        return None
    if has_factor(new):
        ratio = cached.loc[overlap, "factor"] / new.loc[overlap, "factor"]
        if float(ratio.max() / ratio.min() - 1) > 1e-9:
            return None
        new = new.assign(factor=new["factor"] * float(ratio.iloc[0]))
    merged = pd.concat([cached.loc[cached.index < new.index[0]], new])
    merged.attrs = dict(new.attrs)
    return merged


def _fetch_one(sym: Symbol, sources: DataSources, cached: pd.DataFrame | None) -> pd.DataFrame:
    """Fetch what is missing after ``cached`` (or everything) from the first provider that answers.

    ETFs are asked for raw prices plus factors where the provider computes them (``gives_factor``),
    else for qfq bars. Incremental: a few overlapping bars are refetched and merged by
    :func:`_merge`; when they disagree the whole history is fetched again.
    """
    from quantkit.data.providers.base import ProvidersFailed  # providers load lazily

    errors = []
    for provider in sources.provider_list():
        kwargs = {"adjust": "factor"} if sym.kind == "etf" and getattr(provider, "gives_factor", False) else {}
        try:
            if cached is not None and len(cached) > 5:
                merged = _merge(cached, provider.daily(sym, start=cached.index[-5].date(), **kwargs))
                if merged is not None:
                    if has_factor(merged):
                        return validate_factor_bars(merged, sym.code, origin=provider.name)
                    return validate_bars(merged, sym.code, origin=provider.name)
            return provider.daily(sym, **kwargs)
        except ProviderError as exc:
            errors.append((provider.name, str(exc)))
        except OSError as exc:
            errors.append((provider.name, f"{type(exc).__name__}: {exc}"))
    raise ProvidersFailed(errors)


def _staleness_note(frame: pd.DataFrame, what: str = "", reason: str = "network unreachable") -> str:
    """``network unavailable: using [what from ]data_cache snapshot through DATE (N days old)``
    (``not updated (REASON): …`` for another failure than the network's, e.g. ``HTTP 404``)."""
    last = frame.index[-1].date()
    age = (today() - last).days
    source = "data_cache snapshot" if frame.attrs.get("source") == "snapshot" else "data_cache store"
    head = "network unavailable" if reason == "network unreachable" else f"not updated ({reason})"
    return f"{head}: using {what + ' from ' if what else ''}{source} through {last} ({age} days old)"


def _refresh(sym: Symbol, sources: DataSources, cached: pd.DataFrame | None) -> pd.DataFrame:
    """Fetch the missing bars, store them, and return the stored series (ProviderError if all fail)."""
    fresh = _fetch_one(sym, sources, cached)
    sources.store.write(sym.code, fresh, name=name_of(sym, sources))
    return sources.store.read(sym.code)


def load_prices(
    symbol: str | Symbol,
    start: str | date | None = None,
    end: str | date | None = None,
    refresh: bool = False,
    adjust: str = "qfq",
    *,
    sources: DataSources | None = None,
) -> pd.DataFrame:
    """Daily bars of one ETF or index in the canonical schema (see :mod:`quantkit.data.schema`).

    ``start``/``end`` are inclusive dates. Without ``refresh`` nothing is fetched: the fetched
    store or else the committed snapshot answers. With ``refresh`` the providers are asked for
    the missing bars first; if all fail, cached data is returned and one line says so.

    ``adjust``: ``qfq`` (default; multiplicative, the last stored bar unchanged), ``hfq`` (the
    first bar unchanged) or ``none`` (raw prices), computed from the stored raw prices and
    adjustment factor (:mod:`quantkit.data.adjust`). A series stored without factors (East
    Money's subtractive qfq, see ``quantkit data list``) answers ``qfq`` only.
    """
    sym = normalize_symbol(symbol)
    start_ts, end_ts = parse_date(start, "start"), parse_date(end, "end")
    check_range(start_ts, end_ts)
    src = sources or default_sources()
    frame = _cached(sym, src)
    if refresh:
        try:
            frame = _refresh(sym, src, frame)
        except ProviderError as exc:
            if frame is None:
                raise DataUnavailableError(
                    f"no data for {sym.code}: every provider failed ({exc}) and it is not in data_cache; "
                    "check the network and the code, then `quantkit fetch " + sym.code + "`") from None
            say_once(_staleness_note(frame, reason=str(exc)))
    if frame is None:
        raise DataUnavailableError(
            f"no data for {sym.code}: not in the data_cache snapshot or store; run `quantkit fetch {sym.code}` "
            "when online, or `quantkit data import FILE --symbol " + sym.code + "`")
    frame = adjust_bars(frame, adjust, sym.code)
    out = frame.loc[start_ts:end_ts] if (start_ts is not None or end_ts is not None) else frame
    if out.empty:
        raise DataUnavailableError(
            f"no {sym.code} bars between {start_ts.date() if start_ts is not None else 'start'} and "
            f"{end_ts.date() if end_ts is not None else 'end'}: data covers {frame.index[0].date()} to {frame.index[-1].date()}")
    out = out.copy()
    out.attrs = dict(frame.attrs)
    return out


def _fetch_valuation(sym: Symbol, sources: DataSources) -> pd.DataFrame:
    """Valuation of an index from the first provider that has one; stored on success."""
    from quantkit.data.providers.base import ProvidersFailed  # providers load lazily

    errors = []
    for provider in sources.provider_list():
        if not hasattr(provider, "valuation"):
            continue
        try:
            frame = provider.valuation(sym)
        except (ProviderError, OSError) as exc:
            errors.append((provider.name, str(exc)))
            continue
        sources.store.write(sym.code, frame, kind="valuation", name=name_of(sym, sources))
        return frame
    if not errors:
        raise ProviderError("no provider publishes index valuations")
    raise ProvidersFailed(errors)


def load_valuation(index: str | Symbol = "000300", refresh: bool = False, *,
                   sources: DataSources | None = None) -> pd.DataFrame:
    """Daily valuation of an index: columns ``pe`` and ``pb`` (NaN where the source has none).

    000300 carries PE-TTM and PB (乐咕乐股); CSI indices carry the PE csindex publishes. With
    ``refresh`` the providers are asked first; if they fail the cached data answers, said once.
    """
    sym = normalize_symbol(index)
    src = sources or default_sources()
    frame = _cached(sym, src, "valuation")
    if refresh:
        try:
            _fetch_valuation(sym, src)
            frame = src.store.read(sym.code, "valuation")
        except ProviderError as exc:
            if frame is not None:
                say_once(_staleness_note(frame, f"{sym.code} valuation", str(exc)))
    if frame is None:
        raise DataUnavailableError(f"no valuation data for {sym.code}: the snapshot has PE/PB for 000300 and "
                                   "PE for the CSI indices (000985, 930713, …)")
    return validate_valuation(frame, sym.code)


@dataclass(frozen=True)
class FetchOutcome:
    """Result of fetching one symbol: ``status`` is ``updated``, ``cached`` (fell back) or ``failed``;
    ``message`` a short note (one reason per symbol), ``detail`` every provider's full failure."""

    symbol: str
    status: str
    rows: int
    last_date: str | None
    source: str
    message: str = ""
    detail: str = ""


def _detail(exc: Exception) -> str:
    return getattr(exc, "detail", "") or str(exc)


def _refresh_valuation(sym: Symbol, src: DataSources) -> tuple[str, str]:
    """For an index with stored valuation data, fetch it too: (note for the outcome table, detail)."""
    if sym.kind != "index" or _cached(sym, src, "valuation") is None:
        return "", ""
    try:
        val = _fetch_valuation(sym, src)
        return f"valuation through {val.index[-1].date()}", ""
    except ProviderError as exc:
        return f"valuation not updated ({exc})", _detail(exc)


def fetch(symbols: Iterable[str], *, sources: DataSources | None = None,
          progress: Callable[[Iterable], Iterable] | None = None) -> list[FetchOutcome]:
    """Fetch (incrementally) each symbol into the store; never raises for one symbol's failure."""
    src = sources or default_sources()
    items = list(symbols)
    outcomes = []
    for raw in (progress(items) if progress else items):
        try:
            sym = normalize_symbol(raw)
            try:
                cached = _cached(sym, src)
            except DataUnavailableError as exc:  # a corrupt store file, now quarantined: fetch it anew
                say_once(str(exc))
                cached = _cached(sym, src)
            try:
                fresh = _refresh(sym, src, cached)
                note, detail = _refresh_valuation(sym, src)
                outcomes.append(FetchOutcome(sym.code, "updated", len(fresh), str(fresh.index[-1].date()),
                                             fresh.attrs.get("source", ""), note, detail))
            except ProviderError as exc:
                if cached is None:
                    outcomes.append(FetchOutcome(sym.code, "failed", 0, None, "", str(exc), _detail(exc)))
                else:
                    outcomes.append(FetchOutcome(sym.code, "cached", len(cached), str(cached.index[-1].date()),
                                                 cached.attrs.get("source", ""),
                                                 _staleness_note(cached, reason=str(exc)), _detail(exc)))
        except QuantkitError as exc:
            outcomes.append(FetchOutcome(str(raw), "failed", 0, None, "", str(exc)))
    return outcomes


def _with_adjustment(row: Mapping) -> str:
    adjustment = row.get("adjustment")
    return f"{row['source']} ({adjustment})" if row["kind"] == "etf" and adjustment else row["source"]


def list_data(*, sources: DataSources | None = None) -> pd.DataFrame:
    """What the store holds: one row per file (symbol, name, kind, first/last date, rows, source, age in days).
    A damaged store file is quarantined (said once) and the row shows what answers instead.

    ``source`` names an ETF's price adjustment too, e.g. ``snapshot (qfq-multiplicative)``: raw
    prices with factors, or ``qfq-subtractive-em`` (East Money's qfq, no factors known)."""
    src = sources or default_sources()
    rows = {}
    for key, meta in src.snapshot.manifest.items():
        rows[(meta["symbol"], meta["kind"])] = {**meta, "source": "snapshot"}
    for key, meta in src.store.checked_manifest().items():
        kind = "valuation" if key.startswith("valuation/") else normalize_symbol(meta["symbol"]).kind
        prev = rows.get((meta["symbol"], kind), {})
        rows[(meta["symbol"], kind)] = {**prev, **meta, "kind": kind, "name": meta.get("name") or prev.get("name", ""),
                                        "source": meta.get("source", "store")}
    table = pd.DataFrame([
        {"symbol": r["symbol"], "name": r.get("name", ""), "kind": r["kind"], "first_date": r["first_date"],
         "last_date": r["last_date"], "rows": r["rows"], "source": _with_adjustment(r),
         "age_days": (today() - date.fromisoformat(r["last_date"])).days}
        for r in rows.values()
    ])
    return table.sort_values(["kind", "symbol"]).reset_index(drop=True)


def import_file(path: str | Path, symbol: str, *, sources: DataSources | None = None,
                volume_unit: str = "shares", adjustment: str = "none", name: str | None = None) -> pd.DataFrame:
    """Validate a user's CSV/parquet export and put it in the store; a bad file changes nothing.

    ``adjustment`` records what the file's prices are (``qfq``/``hfq``/``none``). The store answers
    before the snapshot, so importing prices of another adjustment than the snapshot's is said once.
    ``name`` is the instrument's short name (default: the one the store or snapshot knows).
    Limits and refused cells: see :mod:`quantkit.data.providers.local_file`.
    """
    from quantkit.data.providers.local_file import read_price_file

    if adjustment not in ("qfq", "hfq", "none"):
        raise ConfigError(f"adjustment must be qfq, hfq or none, got {adjustment!r}")
    sym = normalize_symbol(symbol)
    frame = read_price_file(Path(path), sym.code, volume_unit=volume_unit, adjustment=adjustment)
    frame.attrs.update({"symbol": sym.code, "source": f"import:{Path(path).name}",
                        "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    src = sources or default_sources()
    label = (name or "").strip() or name_of(sym, src)
    src.store.write(sym.code, frame, name=label)
    frame.attrs["name"] = label
    snap = src.snapshot.entry(sym.code)
    if snap is not None and str(snap.meta.get("adjustment")).split("-")[0] != adjustment:
        say_once(f"note: {sym.code} prices are now the imported {adjustment} series; the snapshot's are "
                 f"{snap.meta.get('adjustment')} (pass --adjustment if the file is adjusted)")
    return frame


PANEL_FIELDS = ("close", "amount", "volume", "turnover")


def panel(frames: Mapping[str, pd.DataFrame], fields: Sequence[str] = PANEL_FIELDS) -> dict[str, pd.DataFrame]:
    """Canonical frames side by side: ``{field: DataFrame(index date, columns code)}`` on the
    union of their dates (NaN where a symbol has no bar)."""
    return {f: pd.DataFrame({code: bars[f] for code, bars in frames.items()}).sort_index() for f in fields}


def load_panel(symbols: Iterable[str], start: str | date | None = None, end: str | date | None = None,
               fields: Sequence[str] = PANEL_FIELDS, *, sources: DataSources | None = None) -> dict[str, pd.DataFrame]:
    """:func:`panel` of several symbols' stored bars; symbols without data in the range are left out."""
    frames = {}
    for raw in symbols:
        code = normalize_symbol(raw).code
        try:
            frames[code] = load_prices(code, start, end, sources=sources)
        except DataUnavailableError:
            continue
    return panel(frames, fields)
