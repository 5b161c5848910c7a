"""Strategy files: read a strategy TOML, apply ``--set`` overrides, validate it into a :class:`Strategy`.

The schema is not written here: it is derived from the parameter dataclasses — the pipeline's
own sections (``[strategy]``, ``[universe]``, ``[rebalance]``, ``[benchmark]``, ``[execution]``,
``[costs]``) and each registered model's sections (``[signal]``, ``[weights]``, ``[rotation]`` …).
Unknown sections or keys and wrong types raise :class:`~quantkit.errors.ConfigError` naming the
file, the ``[section] key`` and the expected type. A section or key that only another kind of
model reads is ignored with a warning.
"""

from __future__ import annotations

import copy
import tomllib
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pandas as pd

from quantkit.backtest.params import CostParams, ExecutionParams
from quantkit.errors import ConfigError
from quantkit.models.contract import Model, ParamField, param, section_dict, section_fields
from quantkit.models.registry import model_of, model_sections


# --------------------------------------------------------------------------------------------
# the pipeline's own sections
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StrategyInfo:
    """``[strategy]``: what the strategy is called and which model it runs."""

    name: str = param("", "short name shown in reports (required)")
    kind: str = param("", "the model: timing | position | rotation, or a registered plug-in (required)")
    description: str = param("", "one line on what the strategy does")


@dataclass(frozen=True)
class UniverseParams:
    """``[universe]``: the traded ETFs, as codes or a named universe."""

    symbols: tuple[str, ...] | None = param(None, "ETF codes traded (timing/position: the first is traded)", "strings")
    name: str | None = param(None, "a named universe instead of symbols: theme | broad", "string")

    def __post_init__(self) -> None:
        if self.symbols is not None and self.name is not None:
            raise ConfigError("takes either symbols or name, not both")
        if self.symbols is not None:
            object.__setattr__(self, "symbols", tuple(self.symbols))


FREQUENCIES = ("daily", "weekly")


@dataclass(frozen=True)
class RebalanceParams:
    """``[rebalance]``: on which closes decisions are taken."""

    frequency: str = param("daily", "daily | weekly (last session of each week)")

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ConfigError(f"frequency must be one of {', '.join(FREQUENCIES)}, got {self.frequency!r}")


@dataclass(frozen=True)
class BenchmarkParams:
    """``[benchmark]``: what the strategy is compared with."""

    symbol: str | None = param(None, "benchmark code (index or ETF); unset = buy-and-hold of the traded ETF or "
                                     "equal weight of the universe", "string")


#: the pipeline's sections, in file order
PIPELINE_SECTIONS: dict[str, type] = {
    "strategy": StrategyInfo, "universe": UniverseParams, "rebalance": RebalanceParams,
    "benchmark": BenchmarkParams, "execution": ExecutionParams, "costs": CostParams,
}


def schema() -> dict[str, dict[str, ParamField]]:
    """Section → key → :class:`~quantkit.models.contract.ParamField` of every known section
    (pipeline sections and the sections of every registered model; a section several models
    read lists the union of their keys)."""
    out = {name: {f.name: f for f in section_fields(t)} for name, t in PIPELINE_SECTIONS.items()}
    for section, by_kind in model_sections().items():
        keys = out.setdefault(section, {})
        for params_type in by_kind.values():
            for f in section_fields(params_type):
                keys.setdefault(f.name, f)
    return out


# --------------------------------------------------------------------------------------------
# the strategy
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Strategy:
    """A validated strategy: its model, the model's parameter sections and the pipeline's."""

    info: StrategyInfo
    params: Mapping[str, Any]
    universe: UniverseParams = UniverseParams()
    rebalance: RebalanceParams = RebalanceParams()
    benchmark: BenchmarkParams = BenchmarkParams()
    execution: ExecutionParams = ExecutionParams()
    costs: CostParams = CostParams()
    source: str = "<dict>"
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def kind(self) -> str:
        return self.info.kind

    @property
    def description(self) -> str:
        return self.info.description

    @property
    def model(self) -> Model:
        return model_of(self.info.kind)

    def to_dict(self) -> dict:
        """Resolved parameters (JSON-ready) as recorded in a BacktestResult: the model's sections only."""
        return {
            "name": self.name, "kind": self.kind, "description": self.description,
            "universe": {"symbols": list(self.universe.symbols or ()), "name": self.universe.name},
            **{section: section_dict(p) for section, p in self.params.items()},
            "rebalance": section_dict(self.rebalance), "benchmark": section_dict(self.benchmark),
            "source": self.source,
        }


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------

def _is_date(v: Any) -> bool:
    if isinstance(v, date):
        return True
    if not isinstance(v, str):
        return False
    try:
        pd.Timestamp(v)
        return True
    except (ValueError, TypeError):
        return False


_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "string": (lambda v: isinstance(v, str), "a string"),
    "integer": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "number": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "boolean": (lambda v: isinstance(v, bool), "true or false"),
    "date": (_is_date, 'a date "YYYY-MM-DD"'),
    "strings": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                'a list of strings (quote codes: ["562800"])'),
    "integers": (lambda v: isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in v),
                 "a list of integers"),
}


def _check_types(raw: Mapping[str, Any], source: str, known: dict[str, dict[str, ParamField]]) -> None:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: a strategy must be a TOML table")
    for section, body in raw.items():
        if section not in known:
            raise ConfigError(f"{source}: unknown section [{section}] (expected one of: {', '.join(known)})")
        if not isinstance(body, Mapping):
            raise ConfigError(f"{source}: [{section}] must be a table of keys, got {type(body).__name__}")
        for key, value in body.items():
            spec = known[section].get(key)
            if spec is None:
                raise ConfigError(f"{source}: unknown key [{section}] {key} "
                                  f"(expected one of: {', '.join(known[section])})")
            check, label = _TYPES[spec.kind]
            if not check(value):
                raise ConfigError(f"{source}: [{section}] {key} must be {label}, got {value!r} "
                                  f"({type(value).__name__})")


def _build(section: str, params_type: type, body: Mapping[str, Any], source: str, kind: str | None = None) -> Any:
    """The section's dataclass from its TOML table; keys only other models read are ignored with a warning."""
    own = {f.name: f.attr for f in section_fields(params_type)}
    values = {}
    for key, value in body.items():
        if key not in own:
            warnings.warn(f"{source}: [{section}] {key} is not read by a {kind} strategy; ignored", stacklevel=3)
            continue
        values[own[key]] = value.isoformat() if isinstance(value, date) else value
    try:
        return params_type(**values)
    except ConfigError as exc:
        text = str(exc)
        raise ConfigError(f"{source}: {text}" if text.startswith(f"{section}.") else
                          f"{source}: [{section}] {text}") from None


def parse_strategy(raw: Mapping[str, Any], source: str = "<dict>") -> Strategy:
    """Validate a strategy given as a dict (parsed TOML) and resolve defaults."""
    known = schema()
    _check_types(raw, source, known)
    info = _build("strategy", StrategyInfo, raw.get("strategy", {}), source)
    if not info.name:
        raise ConfigError(f"{source}: [strategy] name is required")
    try:
        model = model_of(info.kind)
    except ConfigError as exc:
        raise ConfigError(f"{source}: [strategy] {exc}") from None
    for section in raw:
        if section not in PIPELINE_SECTIONS and section not in model.sections:
            warnings.warn(f"{source}: [{section}] is not read by a {model.kind} strategy; ignored", stacklevel=2)
    common = {name: _build(name, t, raw.get(name, {}), source, model.kind)
              for name, t in PIPELINE_SECTIONS.items() if name != "strategy"}
    params = {name: _build(name, t, raw.get(name, {}), source, model.kind) for name, t in model.sections.items()}
    return Strategy(info=info, params=params, source=source, raw=copy.deepcopy(dict(raw)), **common)


def _parse_value(text: str) -> Any:
    """A ``--set`` value as a TOML literal (``0``, ``0.5``, ``true``, ``[2, 3]``, ``"x"``); else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(raw: Mapping[str, Any], items: Iterable[str]) -> dict:
    """A copy of ``raw`` with ``section.key=value`` overrides applied (values parsed as TOML literals).

    A key that is not in the schema raises ConfigError; types are checked later by
    :func:`parse_strategy`.
    """
    known = schema()
    out = copy.deepcopy(dict(raw))
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected section.key=value, e.g. costs.commission=0")
        path, text = (part.strip() for part in item.split("=", 1))
        if "." not in path:
            raise ConfigError(f"--set {item!r}: expected section.key=value, e.g. costs.commission=0")
        section, key = path.split(".", 1)
        if section not in known or key not in known[section]:
            names = known if section not in known else {section: known[section]}
            listed = ", ".join(f"{s}.{k}" for s, keys in names.items() for k in keys)
            raise ConfigError(f"--set {path}: no such key (known: {listed})")
        table = out.setdefault(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"--set {path}: [{section}] is not a table")
        value = _parse_value(text)
        kind = known[section][key].kind
        if kind == "string" and isinstance(value, int) and not isinstance(value, bool):
            value = text  # a code such as 510300 parses as a TOML integer
        elif kind == "strings" and isinstance(value, list):
            value = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        table[key] = value
    return out


def load_strategy(path: str | Path, overrides: Iterable[str] = ()) -> Strategy:
    """Read, override (``--set`` items) and validate a strategy TOML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"strategy file {path} not found") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read strategy file {path}: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_strategy(apply_overrides(raw, overrides), source=str(path))
