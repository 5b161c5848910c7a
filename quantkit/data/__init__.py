"""The data layer: symbols, canonical bars, providers, the parquet store and snapshot, the calendar, universes.

It imports nothing above it; the public entry points are in :mod:`quantkit.data.api`.
"""
