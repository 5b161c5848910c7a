"""Display formatting shared by the CLI, the reports and the models' report sections.

Fractions are decimals in and percentages out (0.0654 → ``6.54%``); a missing value (None,
NaN, NaT) shows as ``—``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_pct(value: Any, digits: int = 2, signed: bool = False) -> str:
    """A decimal fraction as a percentage: 0.0654 → ``6.54%``; ``—`` when missing."""
    if is_missing(value):
        return "—"
    return f"{float(value) * 100:{'+' if signed else ''}.{digits}f}%"


def fmt_num(value: Any, digits: int = 2) -> str:
    """A number with thousands separators and ``digits`` decimals; ``—`` when missing."""
    if is_missing(value):
        return "—"
    return f"{float(value):,.{digits}f}"


def fmt_date(value: Any) -> str:
    """A date as YYYY-MM-DD; ``—`` when missing."""
    if is_missing(value):
        return "—"
    return pd.Timestamp(value).date().isoformat()


def fmt_signed(value: Any, digits: int = 2) -> str:
    """A decimal fraction as a signed percentage: 0.0654 → ``+6.54%``."""
    return fmt_pct(value, digits, signed=True)


def fmt_fit(intercept: float, slope: float, x: str = "IS", y: str = "OOS") -> str:
    """A fitted line as text: ``OOS = 2.26 − 1.03 × IS``."""
    return f"{y} = {fmt_num(intercept)} {'+' if slope >= 0 else '−'} {fmt_num(abs(slope))} × {x}"


def number_or_none(value: Any) -> float | None:
    """A finite float, or None for missing, NaN, infinite or non-numeric values."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def clean_json(obj: Any) -> Any:
    """NaN/inf → None and numpy scalars → Python, recursively, so the output is strict JSON."""
    if isinstance(obj, dict):
        return {k: clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "isoformat"):  # date, datetime, Timestamp
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def json_text(obj: Any) -> str:
    """``obj`` as strict, stable JSON text: UTF-8 names kept, 2-space indent, ISO dates, NaN as null."""
    return json.dumps(clean_json(obj), ensure_ascii=False, indent=2, allow_nan=False, default=_json_default)
