"""The model contract: what every model module declares so a strategy pipeline can run it.

A model module owns, in one place:

- its parameters: frozen dataclasses, one per TOML section it reads (``[signal]``, ``[weights]``,
  ``[rotation]`` …); the fields are the section's keys, their defaults and ``__post_init__``
  validation live only there, and each field documents itself through :func:`param`;
- :attr:`Model.needs`: the data it reads, declared as :class:`Need` values (the pipeline loads
  each once, cut at the end of the window);
- :attr:`Model.run`: a pure function ``run(inputs, calendar, **sections) -> output`` returning a
  typed output (a frozen dataclass with at least ``weights``: target weights decided at each
  close, NaN = no decision);
- :attr:`Model.report`: its report section, a pure function from its output to a
  :class:`Section` (facts, tables and charts named by kind; the report layer draws them).

Nothing here does I/O or imports anything above the models layer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import pandas as pd

# --------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------

#: TOML value kinds a parameter field may declare (checked before the dataclass is built)
TOML_KINDS = ("string", "integer", "number", "boolean", "date", "strings", "integers")


def param(default: Any, doc: str, kind: str | None = None, key: str | None = None) -> Any:
    """A parameter field: its default, a one-line description (units!) and its TOML kind.

    ``kind`` is one of :data:`TOML_KINDS`; by default it is inferred from the default value
    (``int`` → integer, ``float`` → number, ``bool`` → boolean, ``str`` → string,
    ``tuple`` of ints → integers). ``key`` is the TOML key when it differs from the field name.
    """
    if kind is None:
        kind = _kind_of(default)
    if kind not in TOML_KINDS:
        raise ValueError(f"unknown TOML kind {kind!r}")
    meta = {"doc": doc, "kind": kind, "key": key}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: default, metadata=meta)
    return field(default=default, metadata=meta)


def _kind_of(default: Any) -> str:
    if isinstance(default, bool):
        return "boolean"
    if isinstance(default, int):
        return "integer"
    if isinstance(default, float):
        return "number"
    if isinstance(default, tuple) and all(isinstance(v, int) for v in default):
        return "integers"
    if isinstance(default, str):
        return "string"
    raise ValueError(f"give the TOML kind of a parameter defaulting to {default!r}")


@dataclass(frozen=True)
class ParamField:
    """One key of a TOML section as its dataclass declares it (``name``: the TOML key, ``attr``:
    the dataclass field)."""

    name: str
    kind: str
    default: Any
    doc: str
    attr: str


def section_fields(params_type: type) -> tuple[ParamField, ...]:
    """The keys of the TOML section that ``params_type`` (a frozen dataclass) is."""
    out = []
    for f in dataclasses.fields(params_type):
        if not f.init or "kind" not in f.metadata:
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        out.append(ParamField(f.metadata.get("key") or f.name, f.metadata["kind"], default, f.metadata["doc"], f.name))
    return tuple(out)


def section_dict(params: Any) -> dict:
    """A parameter dataclass as a JSON-ready dict (tuples as lists)."""
    return {f.name: (list(v) if isinstance(v := getattr(params, f.attr), tuple) else v)
            for f in section_fields(type(params))}


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Need:
    """One input a model reads: ``kind`` ``prices`` (canonical bars), ``valuation`` (pe/pb),
    ``shares`` (shares outstanding, :func:`quantkit.data.etf_meta.load_shares`) or
    ``tracked_index`` (bars of the index the ETF tracks; empty when unknown) of ``symbol``, made
    available to the model under ``role`` (``signal``, ``market``, ``valuation`` …)."""

    role: str
    symbol: str
    kind: str = "prices"


@dataclass(frozen=True)
class ModelInputs:
    """What the pipeline hands a model: every frame cut at the end of the window.

    ``traded``: bars of the traded symbols (universe order); ``data``: the declared needs by role.
    """

    traded: Mapping[str, pd.DataFrame]
    data: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def calendar(self) -> pd.DatetimeIndex:
        """Union of the traded symbols' sessions."""
        cal = pd.DatetimeIndex([])
        for frame in self.traded.values():
            cal = cal.union(frame.index)
        return cal


#: sessions of the traded calendar a signal value may be carried forward before it is stale
MAX_SIGNAL_AGE = 5


def cut_output(output: Any, first: pd.Timestamp, last: pd.Timestamp) -> Any:
    """``output`` with every date-indexed frame or series cut to ``[first, last]`` (what a backtest
    result keeps of its model: the window it simulated)."""
    changes = {}
    for f in dataclasses.fields(output):
        value = getattr(output, f.name)
        if isinstance(value, (pd.DataFrame, pd.Series)) and isinstance(value.index, pd.DatetimeIndex):
            changes[f.name] = value.loc[(value.index >= first) & (value.index <= last)]
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes[f.name] = cut_output(value, first, last)
    return dataclasses.replace(output, **changes)


# --------------------------------------------------------------------------------------------
# report sections
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chart:
    """A chart named by ``kind`` (a drawing function of the report layer) with its arguments."""

    kind: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    """A small table: ``columns`` and ``rows`` of display strings; ``marked`` (row, column) cells
    (column −1 = the whole row) are highlighted; ``numeric`` column indices align right."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    note: str = ""
    marked: tuple[tuple[int, int], ...] = ()
    numeric: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReportContext:
    """What a report section may use besides its model's output: display names of the symbols and
    the actual end-of-day weights of the backtest (decimal, one column per symbol)."""

    names: Mapping[str, str]
    weights: pd.DataFrame


@dataclass(frozen=True)
class Section:
    """A model's part of the backtest report: a lead paragraph, facts (label, value), tables and
    charts, in that order. ``regime`` (optional) shades the equity chart by the state acted on."""

    id: str
    title: str
    lead: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[tuple[str, Chart], ...] = ()
    regime: pd.Series | None = None


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Model:
    """A model as the pipeline and the report see it (see the module doc).

    ``kind``: the ``[strategy] kind`` that selects it; ``sections``: TOML section name → its
    parameter dataclass; ``needs(traded, **sections)`` → tuple of :class:`Need`;
    ``run(inputs, calendar, **sections)`` → typed output with ``weights``;
    ``report(output, context, **sections)`` → :class:`Section` (``context``: a
    :class:`ReportContext`). ``trades_one`` says whether the model trades exactly one ETF (timing,
    position) or a universe (rotation). ``window_end(traded_bars, **sections)`` optionally gives the
    last session of a window left open by the user (e.g. where a universe's data thins out).
    ``window_start(first_session, **sections)`` optionally
    gives the first session of a window left open by the user (e.g. when crowding history starts).

    ``run`` receives ``days``: the rebalance days of the window (decisions off those days are
    dropped by the pipeline, so a model may compute only on them).
    """

    kind: str
    title: str
    sections: Mapping[str, type]
    needs: Callable[..., tuple[Need, ...]]
    run: Callable[..., Any]
    report: Callable[..., Section]
    trades_one: bool = True
    window_start: Callable[..., Any] | None = None
    window_end: Callable[..., Any] | None = None
