"""quantkit — timing and backtests of Chinese A-share ETFs with published sell-side quant models."""

__version__ = "0.1.0"
