"""Shared fixtures: an isolated store beside the real committed snapshot; no network, ever."""

from __future__ import annotations

import os
import socket
import warnings
from pathlib import Path

import pytest

#: the raw public data the snapshot is built from, beside the checkout (absent in a plain clone)
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), ".numba_cache"))


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Any attempt to open a non-local socket fails the way an offline machine does."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
            return real_connect(self, address)
        raise OSError(f"network disabled in tests (tried {host})")

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    """A fresh, empty fetched-data store; the committed snapshot stays the fallback."""
    from quantkit.data import api

    root = tmp_path / "data"
    monkeypatch.setenv("QUANTKIT_DATA_DIR", str(root))
    monkeypatch.setattr(api, "_default", None)
    api._said.clear()
    yield root
    monkeypatch.setattr(api, "_default", None)


@pytest.fixture
def quiet_warnings():
    """Silence warnings raised by the reference libraries a test compares with."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip("raw shared data not beside the checkout")
    return SHARED_DATA


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``quantkit ARGV`` in-process: (exit code, stdout, stderr)."""
    from quantkit.cli.main import main

    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


#: the smallest valid strategy file; tests append or replace lines to break it
MINIMAL_STRATEGY = """
[strategy]
name = "t"
kind = "timing"
[universe]
symbols = ["562800"]
"""
