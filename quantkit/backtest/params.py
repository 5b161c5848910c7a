"""Execution and cost parameters of a backtest, validated once at construction.

Both are small frozen dataclasses; a bad value raises :class:`~quantkit.errors.ConfigError`
naming the field (``execution.threshold``, ``costs.commission`` …), so the same message works
for the library, the strategy TOML loader and ``--set`` overrides.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from quantkit.errors import ConfigError
from quantkit.models.contract import param

EXECUTIONS = ("next_open", "next_close")


def _number(section: str, name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False,
            hi_open: bool = True) -> float:
    """``value`` as a finite float inside [lo, hi) (bounds configurable), else ConfigError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{section}.{name} must be a number, got {value!r} ({type(value).__name__})")
    v = float(value)
    bad = (not math.isfinite(v) or (v <= lo if lo_open else v < lo) or (v >= hi if hi_open else v > hi))
    if bad:
        left, right = ("(" if lo_open else "["), (")" if hi_open else "]")
        raise ConfigError(f"{section}.{name} = {value!r} is out of range: expected a value in {left}{lo}, {hi}{right}")
    return v


@dataclass(frozen=True)
class ExecutionParams:
    """How target weights become orders.

    - ``execution``: ``next_open`` (default) trades a weight decided at the close of day t at the
      open of the next session; ``next_close`` at its close. Never at the close of t itself.
    - ``threshold``: rebalance a symbol only when |target − current weight| > threshold (decimal
      fraction of equity; the current weight is the actual one at the decision day's close).
    - ``lot_size``: shares per lot (A-share ETFs: 100); every order is a whole number of lots.
    - ``initial_cash``: CNY.
    - ``cash_rate``: annual interest on idle cash (decimal, 243-session year); 0 = cash earns nothing.
    """

    execution: str = param("next_open", "next_open | next_close: when a decision at close t trades", key="price")
    threshold: float = param(0.0, "trade a symbol only when |target − weight| > threshold (decimal)")
    lot_size: int = param(100, "shares per lot")
    initial_cash: float = param(1_000_000.0, "starting cash (CNY)")
    cash_rate: float = param(0.0, "annual interest on idle cash (decimal)")

    def __post_init__(self) -> None:
        if self.execution not in EXECUTIONS:
            raise ConfigError(f"execution.price must be one of {', '.join(EXECUTIONS)}, got {self.execution!r}")
        object.__setattr__(self, "threshold", _number("execution", "threshold", self.threshold, 0.0, 1.0))
        if isinstance(self.lot_size, bool) or not isinstance(self.lot_size, int) or self.lot_size < 1:
            raise ConfigError(f"execution.lot_size must be a positive integer (shares per lot), got {self.lot_size!r}")
        object.__setattr__(self, "initial_cash",
                           _number("execution", "initial_cash", self.initial_cash, 0.0, 1e15, lo_open=True))
        object.__setattr__(self, "cash_rate", _number("execution", "cash_rate", self.cash_rate, 0.0, 1.0))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CostParams:
    """Trading costs of A-share ETFs (no stamp duty on ETFs).

    - ``commission``: rate on the traded value (decimal; 0.0002 = 0.02 %).
    - ``min_commission``: minimum commission per order in CNY (charged when rate × value is lower).
    - ``slippage_bps``: adverse price move per order in basis points (buys pay more, sells get less).
    """

    commission: float = param(0.0002, "commission rate on traded value (decimal)")
    min_commission: float = param(5.0, "minimum commission per order (CNY)")
    slippage_bps: float = param(0.0, "slippage per order (basis points)")

    def __post_init__(self) -> None:
        object.__setattr__(self, "commission", _number("costs", "commission", self.commission, 0.0, 0.1))
        object.__setattr__(self, "min_commission",
                           _number("costs", "min_commission", self.min_commission, 0.0, 1e6))
        object.__setattr__(self, "slippage_bps", _number("costs", "slippage_bps", self.slippage_bps, 0.0, 1000.0))

    @property
    def slippage(self) -> float:
        """Slippage as a decimal fraction of the price."""
        return self.slippage_bps / 1e4

    def to_dict(self) -> dict:
        return asdict(self)
