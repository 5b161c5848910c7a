"""Data providers (akshare, yfinance, local files); network libraries are imported lazily inside methods."""

from __future__ import annotations

from quantkit.data.providers.akshare_provider import AkshareProvider
from quantkit.data.providers.local_file import LocalFileProvider, read_price_file
from quantkit.data.providers.yfinance_provider import YFinanceProvider

__all__ = ["AkshareProvider", "LocalFileProvider", "YFinanceProvider", "default_providers", "read_price_file"]


def default_providers() -> list:
    """The network providers in order of preference: akshare (East Money/Sina/csindex), then yfinance."""
    return [AkshareProvider(), YFinanceProvider()]
