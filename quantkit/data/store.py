"""The local market-data store: the committed snapshot plus a parquet cache of fetched data.

Layout under the data root (``data_cache/`` of the repository, or ``$QUANTKIT_DATA_DIR``)::

    snapshot/manifest.json, snapshot/prices/<code>.parquet, snapshot/valuation/<code>.parquet
    store/manifest.json,    store/prices/<code>.parquet,    store/valuation/<code>.parquet
    quarantine/             corrupt cache files moved aside, never read again

The snapshot is read-only and committed; ``store/`` holds what fetches and imports add and is
git-ignored. Every write goes to a temporary file in the same folder and is renamed over the
target (atomic on POSIX), under a per-file lock, so a killed process or two concurrent writers
never leave a half-written file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from filelock import FileLock

from quantkit.errors import DataUnavailableError

KINDS = ("prices", "valuation")


def default_data_root() -> Path:
    """``$QUANTKIT_DATA_DIR`` if set, else the repository's ``data_cache/``."""
    env = os.environ.get("QUANTKIT_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / "data_cache"


def default_snapshot_dir() -> Path:
    """``$QUANTKIT_SNAPSHOT_DIR`` if set, else ``data_cache/snapshot`` of the repository."""
    env = os.environ.get("QUANTKIT_SNAPSHOT_DIR")
    return Path(env).expanduser() if env else Path(__file__).resolve().parents[2] / "data_cache" / "snapshot"


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and an atomic rename."""
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory: give a file name", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def frame_to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Serialise a frame to parquet in memory (attrs are not stored; the manifest keeps them)."""
    import io

    clean = pd.DataFrame(frame)
    clean.attrs = {}
    buf = io.BytesIO()
    clean.to_parquet(buf, engine="pyarrow", compression="zstd", index=True)
    return buf.getvalue()


@dataclass(frozen=True)
class Entry:
    """What the store knows of one file: where it is and where it came from."""

    symbol: str
    kind: str
    path: Path
    meta: dict


class Snapshot:
    """The committed, read-only snapshot (``snapshot/manifest.json`` + parquet files)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else default_snapshot_dir()
        self._manifest: dict | None = None

    @property
    def manifest(self) -> dict:
        if self._manifest is None:
            path = self.root / "manifest.json"
            self._manifest = json.loads(path.read_text(encoding="utf-8"))["entries"] if path.exists() else {}
        return self._manifest

    def entry(self, code: str, kind: str = "prices") -> Entry | None:
        key = code if kind == "prices" else f"{code}:{kind}"
        meta = self.manifest.get(key)
        return Entry(code, kind, self.root / meta["file"], meta) if meta else None

    def read(self, code: str, kind: str = "prices") -> pd.DataFrame | None:
        entry = self.entry(code, kind)
        if entry is None:
            return None
        frame = pd.read_parquet(entry.path)
        frame.attrs = {"symbol": code, "adjustment": entry.meta.get("adjustment", "none"),
                       "source": "snapshot", "fetched_at": None, "name": entry.meta.get("name", "")}
        return frame


class ParquetStore:
    """The writable cache of fetched and imported data (git-ignored)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else default_data_root() / "store"

    # -- paths and locks
    def path(self, code: str, kind: str = "prices") -> Path:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        return self.root / kind / f"{code}.parquet"

    def _lock(self, name: str) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / f".{name}.lock"), timeout=60)

    # -- manifest
    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def manifest(self) -> dict:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError:  # only a hand edit can do this: writes are atomic
            return {}

    def entry(self, code: str, kind: str = "prices") -> Entry | None:
        meta = self.manifest().get(f"{kind}/{code}")
        path = self.path(code, kind)
        return Entry(code, kind, path, meta) if meta and path.exists() else None

    # -- read / write
    def read(self, code: str, kind: str = "prices") -> pd.DataFrame | None:
        """The cached frame, or None if absent. A file that cannot be read as parquet is moved
        to ``quarantine/`` and reported (:class:`DataUnavailableError` names it) — never read silently."""
        path = self.path(code, kind)
        if not path.exists():
            return None
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            dest = self.quarantine(path)
            raise DataUnavailableError(
                f"cache file for {code} was corrupt ({type(exc).__name__}); moved to {dest.name} in quarantine/ — "
                f"run `quantkit fetch {code}` to fetch it again"
            ) from None
        meta = self.manifest().get(f"{kind}/{code}", {})
        frame.attrs = {"symbol": code, "adjustment": meta.get("adjustment", "none"),
                       "source": meta.get("source", "store"), "fetched_at": meta.get("fetched_at"),
                       "name": meta.get("name", "")}
        return frame

    def quarantine(self, path: Path) -> Path:
        qdir = self.root.parent / "quarantine"
        qdir.mkdir(parents=True, exist_ok=True)
        dest = qdir / f"{path.stem}.{int(time.time())}{path.suffix}"
        os.replace(path, dest)
        return dest

    def write(self, code: str, frame: pd.DataFrame, kind: str = "prices", **meta: object) -> Path:
        """Write ``frame`` atomically and record its provenance in the manifest."""
        data = frame_to_parquet_bytes(frame)
        path = self.path(code, kind)
        with self._lock(f"{kind}-{code}"):
            atomic_write_bytes(path, data)
        record = {
            "symbol": code, "kind": kind, "rows": len(frame),
            "first_date": frame.index[0].date().isoformat(), "last_date": frame.index[-1].date().isoformat(),
            "adjustment": frame.attrs.get("adjustment", "none"), "source": frame.attrs.get("source", "unknown"),
            "fetched_at": frame.attrs.get("fetched_at") or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sha256": hashlib.sha256(data).hexdigest(), **meta,
        }
        with self._lock("manifest"):
            manifest = self.manifest()
            manifest[f"{kind}/{code}"] = record
            atomic_write_bytes(self.manifest_path,
                                (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode())
        return path
