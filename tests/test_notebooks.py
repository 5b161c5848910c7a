"""The research notebooks in notebooks/ run top to bottom on the snapshot and are stored without outputs.

Each notebook is executed with nbclient in a fresh ``python3`` kernel of this interpreter (ipykernel),
with the working directory ``notebooks/`` (where Jupyter starts a notebook's kernel), the numba
cache of the test session (``NUMBA_CACHE_DIR``, set by conftest.py) and an empty fetched-data store
(``QUANTKIT_DATA_DIR``), so the notebooks read the committed snapshot only. Any error — a failing
cell or a failing display formatter — fails the test. Executed outputs stay in memory; the files
on disk are never rewritten (``reports/valuation_position.html``, git-ignored, is the only file a
notebook writes).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {"01_ma_timing.ipynb", "02_position_sizing.ipynb", "03_quadrant_rotation.ipynb"}
CELL_TIMEOUT = 600  # seconds per cell: generous for a first run that compiles numba kernels

# private names of quantkit (module or attribute starting with "_") are not for notebooks
PRIVATE = re.compile(r"\b(?:qk|quantkit(?:\.\w+)*)\._\w+|\bfrom\s+quantkit(?:\.\w+)*\s+import\s+[^\n]*\b_\w+")


def _ids(path: Path) -> str:
    return path.name


def test_the_three_notebooks_are_there():
    assert EXPECTED <= {p.name for p in NOTEBOOKS}
    assert (NOTEBOOK_DIR / "README.md").is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_stored_without_outputs(path):
    """Outputs are stripped before committing: no outputs, execution_count null, no widget state."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: code cells {dirty} carry outputs or an execution count; clear them "
                       "(e.g. `jupyter nbconvert --clear-output --inplace`) before committing")
    assert "widgets" not in nb.metadata, f"{path.name}: stored widget state"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_uses_public_api_only(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            found = PRIVATE.search(cell.source)
            assert found is None, f"{path.name} cell {i} uses a private name: {found.group(0)!r}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_runs_top_to_bottom(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    env["QUANTKIT_DATA_DIR"] = str(tmp_path / "store")   # no fetched data: the committed snapshot only
    env.pop("QUANTKIT_SNAPSHOT_DIR", None)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    started = time.perf_counter()
    client.execute(env=env)   # raises CellExecutionError naming the cell on the first failing cell
    elapsed = time.perf_counter() - started

    errors = [(i, out.get("ename"), out.get("evalue")) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors, f"{path.name}: error outputs {errors}"
    tracebacks = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
                  for out in cell.get("outputs", []) if out.get("output_type") == "stream"
                  and out.get("name") == "stderr" and "Traceback" in out.get("text", "")]
    assert not tracebacks, f"{path.name}: tracebacks on stderr in cells {tracebacks}"
    unexecuted = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.execution_count is None]
    assert not unexecuted, f"{path.name}: cells {unexecuted} did not run"
    print(f"{path.name}: {elapsed:.1f} s")
