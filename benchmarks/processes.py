"""Environment of the fresh processes the benchmarks time.

Python caches the bytecode of imported modules (``__pycache__``) unless ``PYTHONDONTWRITEBYTECODE``
is set; installed libraries come precompiled, an editable quantkit does not. Timing commands
with the variable set would compile quantkit's ~50 modules from source in every process (≈ 0.06 s)
while the baselines (``import pandas``, ``import vectorbt``) load cached bytecode, so it is dropped:
the processes run as on a machine with default settings, after one untimed run has written the
cache.
"""

from __future__ import annotations

import os


def process_env(**extra: str) -> dict[str, str]:
    """``os.environ`` without ``PYTHONDONTWRITEBYTECODE``, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}
