"""SHA-256 of a frame's content, independent of the bytes a file format happens to write.

A parquet file's bytes carry the writer's versions (``pandas_version``, ``created_by``) and the
compressor's choices, so one table written by pandas 3.1.1 and by 3.1.2 hashes differently. The
content checksum hashes what a reader gets back instead: the index and every column, in order,
each as its name, its dtype and its values in a fixed little-endian layout (timestamps as int64
nanoseconds, NaN in one bit pattern, text as UTF-8 JSON). Equal checksums mean equal frames,
dtypes included, whatever library wrote the file.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

_LAYOUT = b"quantkit content checksum 1\0"


def content_sha256(frame: pd.DataFrame) -> str:
    """Hex SHA-256 of ``frame``'s index, column names, dtypes and values (see the module docstring)."""
    h = hashlib.sha256(_LAYOUT)
    index = frame.index.to_series(index=None)
    for label, values in ((f"index:{frame.index.name}", index), *frame.items()):
        h.update(json.dumps([str(label), str(values.dtype)], ensure_ascii=False).encode() + b"\0")
        h.update(_value_bytes(values))
    return h.hexdigest()


def _value_bytes(values: pd.Series) -> bytes:
    kind = values.dtype.kind if isinstance(values.dtype, np.dtype) else ""
    if kind == "M":
        stamps = values.dt.tz_convert("UTC").dt.tz_localize(None) if values.dt.tz is not None else values
        return stamps.astype("datetime64[ns]").to_numpy().view("<i8").tobytes()
    if kind and kind in "biu":
        return values.to_numpy().astype("<i8").tobytes()
    if kind == "f":
        data = values.to_numpy().astype("<f8")
        return np.where(np.isnan(data), np.nan, data).tobytes()
    cells = [None if pd.isna(v) else (v if isinstance(v, (int, float, bool)) else str(v)) for v in values.tolist()]
    return json.dumps(cells, ensure_ascii=False).encode()
