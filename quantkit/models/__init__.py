"""The three models as pure functions and frozen parameter dataclasses.

- timing (:mod:`quantkit.models.timing`): MA20/MA120 distance regime and the profit effect;
- position (:mod:`quantkit.models.position`): valuation × trend equity weight;
- rotation (:mod:`quantkit.models.rotation`): rise versus crowding quadrants of theme ETFs.

Specifications and published reference figures: ``seeds/`` at the repository root.
"""

from quantkit.models.position import (
    POSITION_MATRIX,
    MarketParams,
    load_market_state,
    market_state,
    position_weight,
    position_weights,
    valuation_percentile,
    valuation_state,
)
from quantkit.models.rotation import RotationParams, load_rotation_inputs, quadrant_tables, quadrants, select_rotation
from quantkit.models.timing import TimingParams, classify_regime, effective_regime, profit_effect, timing_regime

__all__ = [
    "timing_regime", "profit_effect", "classify_regime", "effective_regime", "TimingParams",
    "valuation_percentile", "valuation_state", "position_weight", "position_weights", "POSITION_MATRIX",
    "MarketParams", "market_state", "load_market_state",
    "quadrants", "quadrant_tables", "select_rotation", "RotationParams", "load_rotation_inputs",
]
