"""Behaviour is pinned: CLI JSON outputs equal the recorded golden files (numbers to 1e-12).

The golden files (``tests/golden/*.json``) were recorded with ``tests/golden/cases.py`` on a
pinned clock; a change of any figure, key, date or code fails here, and so does any output that
moves with the clock other than the declared day counts.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
from cases import CASES, DAYS_TO_CLOCK, HERE, RECORDED_ON, run_case  # noqa: E402

TOL = 1e-12
AHEAD = 400  # days: the clock of the "later" run, as `faketime -f '+400d'` would set it


def differences(expected, actual, where: str = "$") -> list[str]:
    """Paths at which two JSON values differ (floats compared to a 1e-12 relative/absolute tolerance)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{where}.{k}: missing" for k in expected.keys() - actual.keys()]
        out += [f"{where}.{k}: unexpected" for k in actual.keys() - expected.keys()]
        for k in expected.keys() & actual.keys():
            out += differences(expected[k], actual[k], f"{where}.{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(actual)} items, expected {len(expected)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{where}[{i}]")]
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(actual, numbers) and not isinstance(expected, bool) \
            and not isinstance(actual, bool):
        if math.isclose(expected, actual, rel_tol=TOL, abs_tol=TOL):
            return []
        return [f"{where}: {actual!r}, expected {expected!r}"]
    return [] if expected == actual else [f"{where}: {actual!r}, expected {expected!r}"]


def test_differences_sees_small_changes():
    assert differences({"a": [1.0, "x"]}, {"a": [1.0 + 1e-9, "x"]}) == ["$.a[0]: 1.000000001, expected 1.0"]
    assert differences({"a": 1}, {"b": 1}) == ["$.a: missing", "$.b: unexpected"]
    assert differences({"a": None}, {"a": 0.0}) == ["$.a: 0.0, expected None"]


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_golden(case):
    diff = differences(_golden(case), run_case(case))
    assert not diff, f"{case}: {len(diff)} differences, first: {diff[:5]}"


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_golden_with_the_clock_ahead(case):
    """Run later, a case differs only in its day counts, each larger by exactly the clock's move."""
    expected = _golden(case)
    later = (date.fromisoformat(RECORDED_ON) + timedelta(days=AHEAD)).isoformat()
    actual = run_case(case, clock=later)
    moving = DAYS_TO_CLOCK.get(case, frozenset())
    for path in moving:
        assert _at(actual, path) == _at(expected, path) + AHEAD, path
    diff = [d for d in differences(expected, actual) if d.partition(":")[0] not in moving]
    assert not diff, f"{case}: {len(diff)} differences with the clock {AHEAD} days ahead, first: {diff[:5]}"


def _golden(case: str):
    return json.loads((HERE / f"{case}.json").read_text(encoding="utf-8"))


def _at(doc, path: str):
    """The value at a ``$.a.b`` path of ``differences``."""
    for key in path.split(".")[1:]:
        doc = doc[key]
    return doc
