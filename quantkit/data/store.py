"""The local market-data store: the committed snapshot plus a parquet cache of fetched data.

Layout under the data root (``data_cache/`` of the repository, or ``$QUANTKIT_DATA_DIR``)::

    snapshot/manifest.json, snapshot/prices/<code>.parquet, snapshot/valuation/<code>.parquet
    store/manifest.json (+ manifest.json.bak), store/<kind>/<code>.<sha256[:16]>.parquet
    quarantine/             corrupt cache files and manifests moved aside, never read again

The snapshot is read-only and committed; ``store/`` holds what fetches and imports add and is
git-ignored. A store write is one transaction under the store lock: the data file is written
under a new, content-addressed name, the current manifest is copied to ``manifest.json.bak``,
and one atomic rename of ``manifest.json`` points at the new file; versions no longer named
by the manifest or its backup are deleted afterwards. A reader therefore sees the old state or
the new one, never a mix, whatever kills the writer. Every read checks the file against the
manifest's checksum and the schema; a bad file is quarantined and its entry dropped.

Checksums: the store's manifest holds the sha256 of each file's bytes (written and read by the
same installation); the snapshot's holds ``content_sha256`` (:mod:`quantkit.data.checksum`), which
stays the same when the snapshot is rebuilt by another pandas or pyarrow release.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd
from filelock import FileLock

from quantkit.data.checksum import content_sha256
from quantkit.data.schema import validate_stored
from quantkit.errors import DataUnavailableError, DataValidationError, QuantkitError

KINDS = ("prices", "valuation")
LOCK_TIMEOUT = 60.0  # seconds a writer waits for the store lock

_log = logging.getLogger("quantkit.data")
_said: set[str] = set()


def say_once(message: str) -> None:
    """Log a notice (offline fallbacks, stale data, a recovered manifest) once per process, as a
    warning of the ``quantkit.data`` logger: the CLI prints it on stderr; a notebook shows it
    unless logging is configured otherwise."""
    if message not in _said:
        _said.add(message)
        _log.warning(message)


class StoreWriteError(QuantkitError):
    """The store could not be written (disk full, read-only, …); it keeps its previous state."""

    exit_code = 1


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
    clean = pd.DataFrame(frame)
    clean.attrs = {}
    buf = io.BytesIO()
    clean.to_parquet(buf, engine="pyarrow", compression="zstd", index=True)
    return buf.getvalue()


class _Bad(Exception):
    """A stored file that must not be used; ``str()`` is the reason (one line)."""


_CHECKED: dict[tuple, pd.DataFrame] = {}  # (path, size, mtime_ns, checksums, code, kind) → validated frame
_CHECKED_MAX = 256  # frames kept (a few MB)


def _read_checked(path: Path, meta: dict, code: str, kind: str, origin: str) -> pd.DataFrame:
    """:func:`_parse_file` of ``path``, remembered while the file's size and mtime stay the same
    (a process reads the same files many times); a copy each time."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, meta.get("sha256"), meta.get("content_sha256"), code, kind)
    frame = _CHECKED.get(key)
    if frame is None:
        frame = _parse_file(path.read_bytes(), meta, code, kind, origin)
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.pop(next(iter(_CHECKED)))
        _CHECKED[key] = frame
    return frame.copy()


def _checked_frame(data: bytes, meta: dict) -> pd.DataFrame:
    """The frame held by ``data``; :class:`_Bad` when it differs from ``meta``'s sha256 or
    content_sha256 (whichever it has) or is not parquet."""
    digest = meta.get("sha256")
    if digest and hashlib.sha256(data).hexdigest() != digest:
        raise _Bad("its sha256 differs from the manifest's")
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise _Bad(f"not readable as parquet ({type(exc).__name__})") from None
    content = meta.get("content_sha256")
    if content and content_sha256(frame) != content:
        raise _Bad("its content sha256 differs from the manifest's")
    return frame


def _parse_file(data: bytes, meta: dict, code: str, kind: str, origin: str) -> pd.DataFrame:
    """The validated frame held by ``data``; :class:`_Bad` when :func:`_checked_frame` refuses it or
    it breaks the schema."""
    frame = _checked_frame(data, meta)
    try:
        return validate_stored(frame, code, kind, origin=origin)
    except DataValidationError as exc:
        raise _Bad(str(exc)) from None
    except (TypeError, ValueError, KeyError) as exc:  # a layout the rules do not foresee
        raise _Bad(f"{origin}: unexpected layout ({type(exc).__name__}: {str(exc).splitlines()[0][:80]})") from None


def _attrs(code: str, meta: dict, source: str) -> dict:
    return {"symbol": code, "adjustment": meta.get("adjustment", "none"), "source": source,
            "fetched_at": meta.get("fetched_at"), "name": meta.get("name", "")}


@dataclass(frozen=True)
class Entry:
    """What the store knows of one file: where it is and where it came from."""

    symbol: str
    kind: str
    path: Path
    meta: dict


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


class Snapshot:
    """The committed, read-only snapshot (``snapshot/manifest.json`` + parquet files)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else default_snapshot_dir()
        self._manifest: dict | None = None

    @property
    def manifest(self) -> dict:
        if self._manifest is None:
            path = self.root / "manifest.json"
            try:
                entries = json.loads(path.read_text(encoding="utf-8"))["entries"] if path.exists() else {}
                if not isinstance(entries, dict):
                    raise TypeError("entries is not an object")
            except (ValueError, KeyError, TypeError) as exc:
                raise DataValidationError(f"snapshot manifest {path} is unreadable ({type(exc).__name__}); "
                                          "restore it with `git checkout data_cache/snapshot`") from None
            self._manifest = entries
        return self._manifest

    def entry(self, code: str, kind: str = "prices") -> Entry | None:
        key = code if kind == "prices" else f"{code}:{kind}"
        meta = self.manifest.get(key)
        return Entry(code, kind, self.root / meta["file"], meta) if meta else None

    def read(self, code: str, kind: str = "prices") -> pd.DataFrame | None:
        """The snapshot's validated frame, or None if absent; :class:`DataValidationError` naming
        the file and the broken rule when it is damaged (the snapshot is never changed)."""
        entry = self.entry(code, kind)
        if entry is None:
            return None
        origin = f"snapshot/{entry.meta['file']}"
        with _restore_hint(origin):
            frame = _read_checked(entry.path, entry.meta, code, kind, origin)
        frame.attrs = _attrs(code, entry.meta, "snapshot")
        return frame

    def read_file(self, meta: dict) -> pd.DataFrame:
        """The frame of a snapshot file outside the price schema (``meta``: its manifest record,
        with ``file`` and a checksum); :class:`DataValidationError` as :meth:`read` when damaged."""
        with _restore_hint(f"snapshot/{meta['file']}"):
            return _checked_frame((self.root / meta["file"]).read_bytes(), meta)


@contextlib.contextmanager
def _restore_hint(origin: str) -> Iterator[None]:
    """A bad or unreadable snapshot file as one :class:`DataValidationError` line naming it."""
    try:
        yield
    except (_Bad, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise DataValidationError(f"{origin}: {reason}; restore the snapshot with "
                                  "`git checkout data_cache/snapshot`") from None


_MISSING = object()


class ParquetStore:
    """The writable cache of fetched and imported data (git-ignored); see the module docstring."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else default_data_root() / "store"

    # -- paths and the lock
    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    @property
    def backup_path(self) -> Path:
        return self.root / "manifest.json.bak"

    @property
    def quarantine_dir(self) -> Path:
        return self.root.parent / "quarantine"

    def _file(self, key: str, meta: dict | None) -> Path:
        """The data file ``meta`` names (``<kind>/<code>.parquet`` for entries without a ``file``)."""
        rel = Path(meta["file"]) if meta and isinstance(meta.get("file"), str) else Path(f"{key}.parquet")
        if rel.is_absolute() or ".." in rel.parts or rel.parts[0] not in KINDS:
            raise DataUnavailableError(f"store manifest entry {key} names a file outside the store ({rel})")
        return self.root / rel

    def path(self, code: str, kind: str = "prices") -> Path:
        """The data file the manifest names for ``code`` (``<kind>/<code>.parquet`` if none)."""
        _check_kind(kind)
        key = f"{kind}/{code}"
        return self._file(key, self.manifest().get(key))

    def _lock(self) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / ".store.lock"), timeout=LOCK_TIMEOUT)

    @contextlib.contextmanager
    def _lock_if_writable(self) -> Iterator[str | None]:
        """The store lock for a reader that may repair the store: yields None when held, else
        why it could not be taken (a read-only store, a lock held too long)."""
        try:
            lock = self._lock()
            lock.acquire()
        except OSError as exc:
            yield exc.strerror or str(exc)
            return
        try:
            yield None
        finally:
            lock.release()

    # -- manifest
    @staticmethod
    def _parse_manifest(path: Path) -> dict | None:
        """The entries of ``path`` (FileNotFoundError if absent), or None when it is not a valid manifest."""
        try:
            entries = json.loads(path.read_bytes().decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(entries, dict) or not all(
                isinstance(m, dict) and isinstance(m.get("symbol"), str) and isinstance(m.get("last_date"), str)
                for m in entries.values()):
            return None
        return entries

    def _load_manifest(self) -> tuple[dict, bool]:
        """(entries, recovered): the manifest, or its backup when the manifest is damaged (noted once).

        Raises :class:`DataUnavailableError` saying what to do when both are damaged."""
        try:
            entries = self._parse_manifest(self.manifest_path)
        except FileNotFoundError:
            entries = _MISSING
        if isinstance(entries, dict):
            return entries, False
        try:
            backup = self._parse_manifest(self.backup_path)
        except FileNotFoundError:
            backup = _MISSING
        if entries is _MISSING and backup is _MISSING:
            return {}, False
        if isinstance(backup, dict):
            state = "missing" if entries is _MISSING else "damaged"
            say_once(f"note: store manifest {self.manifest_path} is {state}; using manifest.json.bak "
                     f"({len(backup)} entries, one write older); the next write restores it")
            return backup, True
        raise DataUnavailableError(
            f"store manifest {self.manifest_path} and its backup manifest.json.bak are both damaged: "
            f"move them out of {self.root} (the store then starts empty) and run `quantkit fetch` or "
            "`quantkit data import` again")

    def manifest(self) -> dict:
        """Entries ``{"<kind>/<code>": record}`` of the store (recovered from the backup if need be)."""
        return self._load_manifest()[0]

    def checked_manifest(self) -> dict:
        """:meth:`manifest` without entries whose file is missing or differs from its sha256: such
        a file is quarantined with its entry (said once), as :meth:`read` does."""
        entries = {}
        for key, meta in self.manifest().items():
            kind, _, code = key.partition("/")
            try:
                digest = hashlib.sha256(self._file(key, meta).read_bytes()).hexdigest()
            except FileNotFoundError:
                digest = None
            if digest is None or digest != meta.get("sha256", digest):
                try:
                    self.read(code, kind)
                except DataUnavailableError as exc:
                    say_once(str(exc))
                meta = self.manifest().get(key)
            if meta is not None:
                entries[key] = meta
        return entries

    def _swap(self, new: dict, old: dict, recovered: bool) -> None:
        """Back up ``old`` to ``manifest.json.bak``, then atomically make ``new`` the manifest (a
        damaged one, which ``old`` was ``recovered`` from, is first copied to quarantine)."""
        if recovered and self.manifest_path.exists():
            self.quarantine_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.quarantine_dir / f"manifest.{time.time_ns()}.json", self.manifest_path.read_bytes())
        dump = lambda entries: (json.dumps(entries, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
        atomic_write_bytes(self.backup_path, dump(old))
        atomic_write_bytes(self.manifest_path, dump(new))

    def _collect(self, *generations: dict, orphans_to_quarantine: bool = False) -> None:
        """Delete temporary files of killed writers and data files named by no entry of the
        manifest ``generations`` (moved to quarantine instead when the manifest was just
        recovered). Errors are ignored: the new state is already committed."""
        named = {self._file(key, meta) for entries in generations for key, meta in entries.items()}
        try:
            for folder in (self.root, *(self.root / k for k in KINDS)):
                if not folder.is_dir():
                    continue
                for item in folder.iterdir():
                    if item.name.startswith(".") and item.name.endswith(".tmp"):
                        item.unlink(missing_ok=True)
                    elif folder != self.root and item.suffix == ".parquet" and item not in named:
                        if orphans_to_quarantine:
                            self.quarantine(item)
                        else:
                            item.unlink(missing_ok=True)
        except OSError as exc:
            _log.debug("store clean-up skipped: %s", exc)

    def _unlink_unless_named(self, path: Path) -> None:
        """Remove ``path`` of a failed write unless the manifest or its backup names it."""
        with contextlib.suppress(OSError, QuantkitError):
            named = {self._file(k, m) for k, m in self._load_manifest()[0].items()}
            if self.backup_path.exists():
                named |= {self._file(k, m) for k, m in (self._parse_manifest(self.backup_path) or {}).items()}
            if path not in named:
                path.unlink(missing_ok=True)

    def entry(self, code: str, kind: str = "prices") -> Entry | None:
        key = f"{kind}/{code}"
        meta = self.manifest().get(key)
        return Entry(code, kind, self._file(key, meta), meta) if meta else None

    # -- read / write
    def read(self, code: str, kind: str = "prices") -> pd.DataFrame | None:
        """The cached frame, or None if the manifest has none. A file that is missing, differs
        from the manifest's sha256, is not parquet or breaks the schema is moved to
        ``quarantine/`` with its entry and reported (:class:`DataUnavailableError`)."""
        _check_kind(kind)
        key = f"{kind}/{code}"
        seen = None
        for _ in range(3):
            meta = self.manifest().get(key)
            if meta is None:
                return None
            path = self._file(key, meta)
            try:
                frame = _read_checked(path, meta, code, kind, f"store/{path.relative_to(self.root)}")
            except FileNotFoundError:
                reason = "its file is missing"
            except _Bad as bad:
                reason = str(bad)
            else:
                frame.attrs = _attrs(code, meta, meta.get("source", "store"))
                return frame
            if seen == meta:  # the same entry failed twice: repair it
                self._drop_bad(key, code, meta, path, reason)
            seen = meta
            with self._lock_if_writable():
                pass  # a writer or another reader may be mid-transaction: wait for it, then read again
        raise DataUnavailableError(f"cache file for {code} keeps changing while it is read; try again")

    def _drop_bad(self, key: str, code: str, meta: dict, path: Path, reason: str) -> None:
        """Quarantine a bad file and drop its entry in one transaction (unless another process
        already changed the entry), then raise the one-line report."""
        again = f"run `quantkit fetch {code}` to fetch it again"
        with self._lock_if_writable() as unlocked:
            try:
                entries, recovered = self._load_manifest()
                if entries.get(key) != meta:
                    return  # repaired or rewritten meanwhile: the caller reads again
                if unlocked:
                    raise PermissionError(unlocked)
                dest = self.quarantine(path) if path.exists() else None
                self._swap({k: m for k, m in entries.items() if k != key}, entries, recovered)
            except OSError as exc:
                raise DataUnavailableError(
                    f"cache file {path.name} of {code} is corrupt ({reason}); it could not be moved to "
                    f"quarantine ({exc.strerror or exc}) — make the store writable or delete it, then {again}"
                ) from None
        where = f"moved to {dest.name} in quarantine/" if dest else "entry removed"
        raise DataUnavailableError(f"cache file for {code} was corrupt ({reason}); {where} — {again}")

    def quarantine(self, path: Path) -> Path:
        """Move ``path`` into ``quarantine/`` under a unique name; the new path."""
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        dest = self.quarantine_dir / f"{path.stem}.{time.time_ns()}{path.suffix}"
        os.replace(path, dest)
        return dest

    def write(self, code: str, frame: pd.DataFrame, kind: str = "prices", **meta: object) -> Path:
        """Store ``frame`` and its provenance in one transaction (see the module docstring).

        Raises :class:`StoreWriteError` (the store keeps its previous state) when the disk is
        full or the store is not writable."""
        _check_kind(kind)
        key = f"{kind}/{code}"
        data = frame_to_parquet_bytes(frame)
        digest = hashlib.sha256(data).hexdigest()
        target = self.root / kind / f"{code}.{digest[:16]}.parquet"
        record = {
            "symbol": code, "kind": kind, "rows": len(frame), "file": f"{kind}/{target.name}",
            "first_date": frame.index[0].date().isoformat(), "last_date": frame.index[-1].date().isoformat(),
            "adjustment": frame.attrs.get("adjustment", "none"), "source": frame.attrs.get("source", "unknown"),
            "fetched_at": frame.attrs.get("fetched_at") or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sha256": digest, **meta,
        }
        try:
            with self._lock():
                entries, recovered = self._load_manifest()
                new = {**entries, key: record}
                try:
                    atomic_write_bytes(target, data)
                    self._swap(new, entries, recovered)
                except BaseException:
                    self._unlink_unless_named(target)
                    raise
                self._collect(new, entries, orphans_to_quarantine=recovered)
        except OSError as exc:
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            raise StoreWriteError(f"could not write {code} to the store: {exc.strerror or exc}{where}; "
                                  "the store keeps its previous state") from None
        return target
