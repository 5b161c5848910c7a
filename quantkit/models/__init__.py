"""The models as pure functions, frozen parameter dataclasses and plug-in steps.

- timing (:mod:`quantkit.models.timing`): MA20/MA120 distance regime and the profit effect;
- position (:mod:`quantkit.models.position`): valuation × trend equity weight;
- rotation (:mod:`quantkit.models.rotation`): rise versus crowding quadrants of theme ETFs;
- the contract every model step follows (:mod:`quantkit.models.contract`) and the registry of
  steps by ``[strategy] kind`` (:mod:`quantkit.models.registry`).

Specifications and published reference figures: ``seeds/`` at the repository root.
"""

from quantkit.models.position import (
    POSITION_MATRIX,
    MarketParams,
    MarketState,
    market_state,
    position_weight,
    position_weights,
    valuation_percentile,
    valuation_state,
)
from quantkit.models.rotation import RotationParams, RotationState, quadrant_tables, quadrants, select_rotation
from quantkit.models.timing import (
    RegimeWeights,
    TimingFrame,
    TimingParams,
    classify_regime,
    effective_regime,
    profit_effect,
    regime_weights,
    timing_frame,
    timing_regime,
)

__all__ = [
    "timing_regime", "timing_frame", "profit_effect", "classify_regime", "effective_regime", "TimingParams",
    "RegimeWeights", "regime_weights", "TimingFrame",
    "valuation_percentile", "valuation_state", "position_weight", "position_weights", "POSITION_MATRIX",
    "MarketParams", "market_state", "MarketState",
    "quadrants", "quadrant_tables", "select_rotation", "RotationParams", "RotationState",
]
